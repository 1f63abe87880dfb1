//! Ollama through its native API: `/api/chat` with NDJSON streaming and the token counts
//! (`prompt_eval_count`, `eval_count`) that its OpenAI-compatible `/v1` lacks. Ollama silently
//! truncates a prompt longer than its default context, so every request carries
//! `options.num_ctx`: the model's context length from `/api/show`, capped by the profile (or
//! by 8,192 tokens, to keep the server's memory in check). A base URL may end in `/v1`.

use futures::{StreamExt, future::BoxFuture};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{
    Backend, BackendId, BuildError, Piece, ServerInfo, assemble,
    http::{self, join, parse_url},
    required,
};
use crate::{
    AnswerFormat, ChatRequest, ChatStream, LlmError,
    config::{Profile, Secret},
    stream::{Finish, FinishReason, Usage},
};

const DEFAULT_BASE: &str = "http://127.0.0.1:11434";
/// The window used when the profile names none: large enough for an issue's evidence, small
/// enough not to make Ollama allocate a 128k-token cache.
pub(crate) const DEFAULT_NUM_CTX: u32 = 8192;

#[derive(Debug)]
pub(super) struct OllamaBackend {
    id: BackendId,
    client: reqwest::Client,
    key: Option<Secret>,
    base: Url,
    chat_url: String,
    profile_window: Option<u32>,
    info: OnceCell<ServerInfo>,
}

impl OllamaBackend {
    pub(super) fn new(
        name: &str,
        profile: &Profile,
        key: Option<Secret>,
        client: reqwest::Client,
    ) -> Result<Self, BuildError> {
        let model = required(
            name,
            profile,
            profile.model.as_ref(),
            "model",
            "the model's name as `ollama list` shows it, such as llama3.2",
        )?;
        let base = parse_url(name, profile.base_url.as_deref().unwrap_or(DEFAULT_BASE))?;
        let base = native_base(base);
        let chat = join(&base, "api/chat");
        Ok(Self {
            id: super::id(name, profile, model.to_owned(), &chat),
            chat_url: http::display_url(&chat),
            client,
            key,
            base,
            profile_window: profile.context_window,
            info: OnceCell::new(),
        })
    }

    fn post(&self, url: Url) -> reqwest::RequestBuilder {
        let request = self.client.post(url);
        match &self.key {
            // Ollama has no keys; a proxy in front of it may.
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    /// The model's context length, from `/api/show`.
    async fn show(&self) -> Result<Option<u32>, LlmError> {
        let url = join(&self.base, "api/show");
        let shown = http::display_url(&url);
        let response = self
            .post(url)
            .json(&json!({"model": self.id.model}))
            .send()
            .await
            .map_err(|e| http::send_error(&shown, e))?;
        if !response.status().is_success() {
            return Err(http::status_error(&shown, response).await);
        }
        let body: Value = response.json().await.map_err(|e| LlmError::Malformed {
            url: shown.clone(),
            detail: e.to_string(),
        })?;
        let length = body
            .get("model_info")
            .and_then(Value::as_object)
            .and_then(|info| {
                info.iter()
                    .find(|(key, _)| key.ends_with(".context_length"))
                    .and_then(|(_, v)| v.as_u64())
            })
            .and_then(|n| u32::try_from(n).ok());
        Ok(length)
    }

    async fn info(&self) -> Result<ServerInfo, LlmError> {
        self.info
            .get_or_try_init(|| async {
                let model_max = self.show().await?;
                let wanted = self.profile_window.unwrap_or(DEFAULT_NUM_CTX);
                let window = model_max.map_or(wanted, |max| wanted.min(max));
                Ok(ServerInfo {
                    context_window: Some(window),
                    slots: None,
                })
            })
            .await
            .copied()
    }

    async fn send(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let num_ctx = self.info().await?.context_window.unwrap_or(DEFAULT_NUM_CTX);
        let messages: Vec<Value> = request
            .messages()
            .iter()
            .map(|m| json!({"role": m.role().as_str(), "content": m.content().as_str()}))
            .collect();
        let mut options = json!({"num_ctx": num_ctx});
        if let Some(max) = request.max_tokens {
            options["num_predict"] = json!(max);
        }
        if let Some(t) = request.temperature {
            options["temperature"] = json!(t);
        }
        let mut body = json!({"model": self.id.model, "messages": messages,
                              "stream": request.stream, "options": options});
        if request.format == AnswerFormat::Json {
            body["format"] = json!("json");
        }
        let url = self.chat_url.clone();
        let response = self
            .post(join(&self.base, "api/chat"))
            .json(&body)
            .send()
            .await
            .map_err(|e| http::send_error(&url, e))?;
        if !response.status().is_success() {
            return Err(http::status_error(&url, response).await);
        }
        if !request.stream {
            let text = response.text().await.map_err(|e| http::body_error(&e))?;
            let line = parse_line(&url, &text)?;
            let finish = finish(&line);
            return Ok(ChatStream::complete(line.message.content, finish, url));
        }
        let line_url = url.clone();
        let pieces = http::lines(response)
            .filter(|line| std::future::ready(!matches!(line, Ok(l) if l.trim().is_empty())))
            .map(move |line| {
                let line = parse_line(&line_url, &line?)?;
                let done = line.done;
                let finish = done.then(|| finish(&line));
                Ok(Piece {
                    delta: Some(line.message.content),
                    usage: finish.as_ref().and_then(|f| f.usage),
                    finish: finish.map(|f| f.reason),
                    done,
                })
            });
        Ok(ChatStream::new(assemble(pieces), url))
    }
}

/// Ollama's native root: the base without a trailing `/v1` (or `/api`).
fn native_base(mut base: Url) -> Url {
    let path = base.path().trim_end_matches('/');
    let path = path
        .strip_suffix("/v1")
        .or_else(|| path.strip_suffix("/api"))
        .unwrap_or(path)
        .to_owned();
    base.set_path(&path);
    base
}

#[derive(Debug, Deserialize)]
struct Line {
    #[serde(default)]
    message: LineMessage,
    #[serde(default)]
    done: bool,
    done_reason: Option<String>,
    prompt_eval_count: Option<u32>,
    eval_count: Option<u32>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LineMessage {
    #[serde(default)]
    content: String,
}

fn parse_line(url: &str, text: &str) -> Result<Line, LlmError> {
    let line: Line = serde_json::from_str(text).map_err(|e| LlmError::Malformed {
        url: url.to_owned(),
        detail: format!("a line is not Ollama's JSON: {e}"),
    })?;
    if let Some(message) = line.error {
        return Err(LlmError::Remote {
            url: url.to_owned(),
            message,
        });
    }
    Ok(line)
}

fn finish(line: &Line) -> Finish {
    let usage = match (line.prompt_eval_count, line.eval_count) {
        (None, None) => None,
        (p, e) => Some(Usage {
            prompt_tokens: p.unwrap_or(0),
            completion_tokens: e.unwrap_or(0),
        }),
    };
    Finish {
        reason: FinishReason::from_wire(line.done_reason.as_deref()),
        usage,
    }
}

impl Backend for OllamaBackend {
    fn id(&self) -> &BackendId {
        &self.id
    }

    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<ChatStream, LlmError>> {
        Box::pin(self.send(request))
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, LlmError>> {
        Box::pin(self.info())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_native_root_is_found_with_or_without_v1() {
        for base in [
            "http://h:11434",
            "http://h:11434/",
            "http://h:11434/v1",
            "http://h:11434/v1/",
            "http://h:11434/api",
        ] {
            let url = native_base(Url::parse(base).unwrap());
            assert_eq!(
                join(&url, "api/chat").as_str(),
                "http://h:11434/api/chat",
                "{base}"
            );
        }
        let proxied = native_base(Url::parse("https://gw/ollama/v1").unwrap());
        assert_eq!(
            join(&proxied, "api/chat").as_str(),
            "https://gw/ollama/api/chat"
        );
    }

    #[test]
    fn the_last_line_carries_the_counts() {
        let line = parse_line("u", r#"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":26,"eval_count":298}"#).unwrap();
        let finish = finish(&line);
        assert_eq!(finish.reason, FinishReason::Length);
        assert_eq!(
            finish.usage,
            Some(Usage {
                prompt_tokens: 26,
                completion_tokens: 298
            })
        );
        assert!(matches!(
            parse_line("u", r#"{"error":"boom"}"#),
            Err(LlmError::Remote { .. })
        ));
        assert!(matches!(
            parse_line("u", "{\"message\": {"),
            Err(LlmError::Malformed { .. })
        ));
    }
}
