//! `local`: any OpenAI-compatible server (llama.cpp's `llama-server`, vLLM, LM Studio,
//! LocalAI), with lenient types of its own: chunks whose `choices` is null, empty or absent,
//! usage only when `stream_options.include_usage` is honoured, an error object inside a 200
//! stream (older llama.cpp). The context window comes from llama.cpp's `/props` (its
//! `default_generation_settings.n_ctx` is already per slot: `-c` divided by `--parallel`) or
//! vLLM's `max_model_len`; the slots bound the concurrency; `/tokenize` counts tokens exactly.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::{StreamExt, future::BoxFuture};
use kubewhy_scrub::Scrubbed;
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

#[derive(Debug)]
pub(super) struct LocalBackend {
    id: BackendId,
    client: reqwest::Client,
    key: Option<Secret>,
    /// The OpenAI-compatible base, ending in `/v1`.
    base: Url,
    /// The server's root, for llama.cpp's native endpoints.
    root: Url,
    chat_url: String,
    profile_window: Option<u32>,
    info: OnceCell<ServerInfo>,
    /// Cleared once `/tokenize` answers 404.
    tokenize: AtomicBool,
    /// Cleared once the server refuses `response_format`.
    json_mode: AtomicBool,
}

impl LocalBackend {
    pub(super) fn new(
        name: &str,
        profile: &Profile,
        key: Option<Secret>,
        client: reqwest::Client,
    ) -> Result<Self, BuildError> {
        let base = required(
            name,
            profile,
            profile.base_url.as_ref(),
            "base_url",
            "the server's OpenAI-compatible URL, such as http://127.0.0.1:8080/v1",
        )?;
        let mut base = parse_url(name, base)?;
        let path = base.path().trim_end_matches('/').to_owned();
        let root_path = path.strip_suffix("/v1").unwrap_or(&path).to_owned();
        if path.is_empty() {
            base.set_path("/v1");
        }
        let mut root = base.clone();
        root.set_path(&root_path);
        let chat = join(&base, "chat/completions");
        // llama.cpp serves whatever model it loaded, whatever the name; others need one.
        let model = profile
            .model
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        Ok(Self {
            id: super::id(name, profile, model, &chat),
            chat_url: http::display_url(&chat),
            client,
            key,
            base,
            root,
            profile_window: profile.context_window,
            info: OnceCell::new(),
            tokenize: AtomicBool::new(true),
            json_mode: AtomicBool::new(true),
        })
    }

    fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    /// GETs a JSON document; `None` when the server does not have the endpoint.
    async fn get_json(&self, url: Url) -> Result<Option<Value>, LlmError> {
        let shown = http::display_url(&url);
        let response = self
            .request(reqwest::Method::GET, url)
            .send()
            .await
            .map_err(|e| http::send_error(&shown, e))?;
        if matches!(response.status().as_u16(), 404 | 405 | 501) {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(http::status_error(&shown, response).await);
        }
        Ok(response.json().await.ok())
    }

    async fn info(&self) -> Result<ServerInfo, LlmError> {
        self.info
            .get_or_try_init(|| async {
                let props = self.get_json(join(&self.root, "props")).await?;
                let slot_ctx = props.as_ref().and_then(|p| {
                    p.pointer("/default_generation_settings/n_ctx")
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                });
                let slots = props.as_ref().and_then(|p| {
                    p.get("total_slots")
                        .and_then(Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                });
                let server = match slot_ctx {
                    Some(n) => Some(n),
                    None => self.max_model_len().await?,
                };
                let context_window = match (server, self.profile_window) {
                    (Some(s), Some(p)) => Some(s.min(p)),
                    (s, p) => s.or(p),
                };
                Ok(ServerInfo {
                    context_window,
                    slots,
                })
            })
            .await
            .copied()
    }

    /// vLLM's `max_model_len` for the model, from `/v1/models`.
    async fn max_model_len(&self) -> Result<Option<u32>, LlmError> {
        let Some(models) = self.get_json(join(&self.base, "models")).await? else {
            return Ok(None);
        };
        let entries = models.get("data").and_then(Value::as_array);
        let entry = entries.and_then(|list| {
            list.iter()
                .find(|m| m.get("id").and_then(Value::as_str) == Some(self.id.model.as_str()))
                .or_else(|| (list.len() == 1).then(|| &list[0]))
        });
        Ok(entry
            .and_then(|m| m.get("max_model_len").and_then(Value::as_u64))
            .and_then(|n| u32::try_from(n).ok()))
    }

    fn body(&self, request: &ChatRequest, json_mode: bool) -> Value {
        let messages: Vec<Value> = request
            .messages()
            .iter()
            .map(|m| json!({"role": m.role().as_str(), "content": m.content().as_str()}))
            .collect();
        let mut body =
            json!({"model": self.id.model, "messages": messages, "stream": request.stream});
        if request.stream {
            body["stream_options"] = json!({"include_usage": true});
        }
        if let Some(max) = request.max_tokens {
            body["max_tokens"] = json!(max);
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        if json_mode && request.format == AnswerFormat::Json {
            body["response_format"] = json!({"type": "json_object"});
        }
        body
    }

    async fn post_chat(&self, request: &ChatRequest) -> Result<reqwest::Response, LlmError> {
        let url = &self.chat_url;
        let mut json_mode = self.json_mode.load(Ordering::Relaxed);
        loop {
            let response = self
                .request(reqwest::Method::POST, join(&self.base, "chat/completions"))
                .json(&self.body(request, json_mode))
                .send()
                .await
                .map_err(|e| http::send_error(url, e))?;
            if response.status().is_success() {
                return Ok(response);
            }
            let error = http::status_error(url, response).await;
            // Some servers (LM Studio) accept only `json_schema`: ask again without the mode,
            // the prompt asks for JSON anyway and the parser is lenient.
            let refused_format = matches!(&error, LlmError::Status { status: 400 | 422, message, .. }
                if message.contains("response_format"));
            if json_mode && request.format == AnswerFormat::Json && refused_format {
                json_mode = false;
                self.json_mode.store(false, Ordering::Relaxed);
                continue;
            }
            return Err(error);
        }
    }

    async fn send(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let url = self.chat_url.clone();
        let response = self.post_chat(request).await?;
        if !request.stream {
            let text = response.text().await.map_err(|e| http::body_error(&e))?;
            let chunk = parse_chunk(&url, &text)?;
            let mut text = String::new();
            let mut reason = None;
            for choice in chunk.choices.unwrap_or_default() {
                let content = choice.message.or(choice.delta).and_then(|m| m.content);
                text.push_str(&content.unwrap_or_default());
                reason = reason.or(choice.finish_reason);
            }
            let finish = Finish {
                reason: FinishReason::from_wire(reason.as_deref()),
                usage: chunk.usage.map(WireUsage::usage),
            };
            return Ok(ChatStream::complete(text, finish, url));
        }
        let event_url = url.clone();
        let pieces = http::sse_events(response).map(move |event| {
            let event = event?;
            if event.trim() == "[DONE]" {
                return Ok(Piece {
                    done: true,
                    ..Piece::default()
                });
            }
            let chunk = parse_chunk(&event_url, &event)?;
            let mut piece = Piece {
                usage: chunk.usage.map(WireUsage::usage),
                ..Piece::default()
            };
            for choice in chunk.choices.unwrap_or_default() {
                if let Some(text) = choice.delta.and_then(|d| d.content) {
                    piece.delta.get_or_insert_with(String::new).push_str(&text);
                }
                if let Some(reason) = choice.finish_reason {
                    piece.finish = Some(FinishReason::from_wire(Some(&reason)));
                }
            }
            Ok(piece)
        });
        Ok(ChatStream::new(assemble(pieces), url))
    }

    async fn count(&self, text: &Scrubbed) -> Result<Option<u32>, LlmError> {
        if !self.tokenize.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let url = join(&self.root, "tokenize");
        let shown = http::display_url(&url);
        let response = self
            .request(reqwest::Method::POST, url)
            .json(&json!({"content": text.as_str()}))
            .send()
            .await
            .map_err(|e| http::send_error(&shown, e))?;
        if matches!(response.status().as_u16(), 404 | 405 | 501) {
            self.tokenize.store(false, Ordering::Relaxed);
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(http::status_error(&shown, response).await);
        }
        let body: Value = response.json().await.map_err(|e| LlmError::Malformed {
            url: shown,
            detail: e.to_string(),
        })?;
        Ok(body
            .get("tokens")
            .and_then(Value::as_array)
            .and_then(|t| u32::try_from(t.len()).ok()))
    }
}

/// A chunk (or a whole answer), tolerating what servers leave out.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Content>,
    #[serde(default)]
    message: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl WireUsage {
    fn usage(self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
        }
    }
}

fn parse_chunk(url: &str, text: &str) -> Result<Chunk, LlmError> {
    let chunk: Chunk = serde_json::from_str(text).map_err(|e| LlmError::Malformed {
        url: url.to_owned(),
        detail: format!("not an OpenAI-compatible chunk: {e}"),
    })?;
    if let Some(error) = &chunk.error {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(LlmError::Remote {
            url: url.to_owned(),
            message,
        });
    }
    Ok(chunk)
}

impl Backend for LocalBackend {
    fn id(&self) -> &BackendId {
        &self.id
    }

    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<ChatStream, LlmError>> {
        Box::pin(self.send(request))
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, LlmError>> {
        Box::pin(self.info())
    }

    fn count_tokens<'a>(
        &'a self,
        text: &'a Scrubbed,
    ) -> BoxFuture<'a, Result<Option<u32>, LlmError>> {
        Box::pin(self.count(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_without_choices_are_read() {
        for text in [
            r#"{"choices":null,"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            r#"{"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
        ] {
            let chunk = parse_chunk("u", text).unwrap();
            assert!(chunk.choices.unwrap_or_default().is_empty());
            assert_eq!(
                chunk.usage.map(WireUsage::usage),
                Some(Usage {
                    prompt_tokens: 5,
                    completion_tokens: 2
                })
            );
        }
        let delta = parse_chunk("u", r#"{"choices":[{"delta":{},"finish_reason":null}]}"#).unwrap();
        assert!(
            delta.choices.unwrap()[0]
                .delta
                .as_ref()
                .unwrap()
                .content
                .is_none()
        );
    }

    #[test]
    fn an_error_in_the_stream_is_the_servers() {
        let error =
            parse_chunk("u", r#"{"error":{"code":500,"message":"slot crashed"}}"#).unwrap_err();
        assert!(
            matches!(error, LlmError::Remote { ref message, .. } if message == "slot crashed"),
            "{error:?}"
        );
    }
}
