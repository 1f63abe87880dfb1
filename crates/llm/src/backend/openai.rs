//! OpenAI and Azure OpenAI through async-openai. Its own retries are replaced by a transport
//! that hands every error status back at once (kubewhy's dispatcher retries, honouring
//! `Retry-After`, and pauses the whole queue on a 429). Reasoning models (o1, o3, o4, gpt-5)
//! get `max_completion_tokens` and no temperature.

use async_openai::{
    Client,
    config::{AzureConfig, Config, OpenAIConfig},
    error::OpenAIError,
    middleware::HttpRequestFactory,
    types::chat::{
        ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
        ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
        ChatCompletionStreamOptions, CreateChatCompletionRequest,
        CreateChatCompletionStreamResponse, FinishReason as WireFinish, ResponseFormat,
    },
};
use futures::{StreamExt, future::BoxFuture};

use super::{
    Backend, BackendId, BuildError, Piece, ServerInfo, assemble,
    http::{self, join, parse_url},
    required,
};
use crate::{
    AnswerFormat, ChatRequest, ChatStream, LlmError, Role,
    config::{BackendKind, Profile, Secret},
    stream::{Finish, FinishReason, Usage},
};

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const AZURE_API_VERSION: &str = "2024-10-21";

/// Whether a model takes `max_completion_tokens` and refuses `temperature`: OpenAI's o1, o3,
/// o4 and gpt-5 families, also behind a provider prefix (`openai/o3-mini`) or fine-tuned
/// (`ft:o4-mini:...`).
#[must_use]
pub fn is_reasoning_model(model: &str) -> bool {
    let model = model.to_ascii_lowercase();
    let model = model.rsplit('/').next().unwrap_or(&model);
    let model = model.strip_prefix("ft:").unwrap_or(model);
    let family = |prefix: &str| {
        model
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-') || rest.starts_with('.'))
    };
    ["o1", "o3", "o4"].iter().any(|p| family(p)) || family("gpt-5")
}

pub(super) struct OpenAiBackend {
    id: BackendId,
    client: Client<Box<dyn Config>>,
    /// The chat URL, for messages.
    url: String,
    reasoning: bool,
}

impl std::fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("id", &self.id)
            .field("reasoning", &self.reasoning)
            .finish_non_exhaustive()
    }
}

impl OpenAiBackend {
    pub(super) fn new(
        name: &str,
        profile: &Profile,
        key: Option<Secret>,
        http: reqwest::Client,
    ) -> Result<Self, BuildError> {
        let key = key.ok_or_else(|| BuildError::MissingKey {
            profile: name.to_owned(),
            kind: profile.kind,
            var: profile
                .api_key_env
                .clone()
                .or_else(|| profile.kind.default_key_env().map(str::to_owned))
                .unwrap_or_default(),
        })?;
        let (config, model, chat_url) = if profile.kind == BackendKind::Azure {
            azure(name, profile, &key)?
        } else {
            openai(name, profile, &key)?
        };
        let url = http::display_url(&chat_url);
        let transport = Transport {
            client: http.clone(),
            url: url.clone(),
        };
        let client = Client::build(http, config).with_http_service(transport);
        Ok(Self {
            id: super::id(name, profile, model.clone(), &chat_url),
            client,
            url,
            reasoning: is_reasoning_model(&model),
        })
    }

    #[allow(deprecated)] // `max_tokens`: still what older deployments and gateways accept.
    fn body(&self, request: &ChatRequest) -> CreateChatCompletionRequest {
        let messages = request
            .messages()
            .iter()
            .map(|m| {
                let text = m.content().as_str().to_owned();
                match m.role() {
                    Role::System => {
                        ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                            content: text.into(),
                            name: None,
                        })
                    }
                    Role::User => {
                        ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                            content: text.into(),
                            name: None,
                        })
                    }
                    Role::Assistant => ChatCompletionRequestMessage::Assistant(
                        ChatCompletionRequestAssistantMessage {
                            content: Some(text.into()),
                            ..Default::default()
                        },
                    ),
                }
            })
            .collect();
        let mut body = CreateChatCompletionRequest {
            model: self.id.model.clone(),
            messages,
            ..Default::default()
        };
        if self.reasoning {
            body.max_completion_tokens = request.max_tokens;
        } else {
            body.max_tokens = request.max_tokens;
            body.temperature = request.temperature;
        }
        if request.format == AnswerFormat::Json {
            body.response_format = Some(ResponseFormat::JsonObject);
        }
        if request.stream {
            body.stream = Some(true);
            body.stream_options = Some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                include_obfuscation: None,
            });
        }
        body
    }

    async fn send(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = self.body(request);
        let url = self.url.clone();
        if !request.stream {
            let response = self
                .client
                .chat()
                .create(body)
                .await
                .map_err(|e| map_error(&url, e))?;
            let choice = response.choices.into_iter().next();
            let (text, reason) = choice.map_or((String::new(), None), |c| {
                (c.message.content.unwrap_or_default(), c.finish_reason)
            });
            let finish = Finish {
                reason: finish_reason(reason),
                usage: response.usage.map(|u| Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                }),
            };
            return Ok(ChatStream::complete(text, finish, url));
        }
        let stream = self
            .client
            .chat()
            .create_stream(body)
            .await
            .map_err(|e| map_error(&url, e))?;
        let error_url = url.clone();
        let pieces =
            stream.map(move |chunk| chunk.map(piece).map_err(|e| map_error(&error_url, e)));
        Ok(ChatStream::new(assemble(pieces), url))
    }
}

impl Backend for OpenAiBackend {
    fn id(&self) -> &BackendId {
        &self.id
    }

    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<ChatStream, LlmError>> {
        Box::pin(self.send(request))
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, LlmError>> {
        // OpenAI does not publish context windows over its API: the budget's table knows them.
        Box::pin(async { Ok(ServerInfo::default()) })
    }
}

type Configured = (Box<dyn Config>, String, reqwest::Url);

/// Azure: the deployment in the path, the `api-version` in the query, the key in `api-key`.
fn azure(name: &str, profile: &Profile, key: &Secret) -> Result<Configured, BuildError> {
    let endpoint = required(
        name,
        profile,
        profile.endpoint.as_ref(),
        "endpoint",
        "the resource's URL, such as https://NAME.openai.azure.com",
    )?;
    let deployment = required(
        name,
        profile,
        profile.deployment.as_ref(),
        "deployment",
        "the name of the model's deployment",
    )?;
    let version = profile.api_version.as_deref().unwrap_or(AZURE_API_VERSION);
    let base = parse_url(name, endpoint.trim_end_matches('/'))?;
    let config = AzureConfig::new()
        .with_api_base(base.as_str().trim_end_matches('/'))
        .with_deployment_id(deployment)
        .with_api_version(version)
        .with_api_key(key.expose());
    let mut url = join(
        &base,
        &format!("openai/deployments/{deployment}/chat/completions"),
    );
    url.set_query(Some(&format!("api-version={version}")));
    // The deployment decides the model; the profile may name it for token counts.
    let model = profile
        .model
        .clone()
        .unwrap_or_else(|| deployment.to_owned());
    Ok((Box::new(config), model, url))
}

fn openai(name: &str, profile: &Profile, key: &Secret) -> Result<Configured, BuildError> {
    let model = required(
        name,
        profile,
        profile.model.as_ref(),
        "model",
        "the model's name, such as gpt-4o-mini",
    )?;
    let base = parse_url(name, profile.base_url.as_deref().unwrap_or(OPENAI_BASE))?;
    let config = OpenAIConfig::new()
        .with_api_base(base.as_str().trim_end_matches('/'))
        .with_api_key(key.expose());
    Ok((
        Box::new(config),
        model.to_owned(),
        join(&base, "chat/completions"),
    ))
}

fn piece(chunk: CreateChatCompletionStreamResponse) -> Piece {
    let mut piece = Piece {
        usage: chunk.usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
        }),
        ..Piece::default()
    };
    for choice in chunk.choices {
        if let Some(text) = choice.delta.content {
            piece.delta.get_or_insert_with(String::new).push_str(&text);
        }
        if choice.finish_reason.is_some() {
            piece.finish = Some(finish_reason(choice.finish_reason));
        }
    }
    piece
}

fn finish_reason(reason: Option<WireFinish>) -> FinishReason {
    match reason {
        None | Some(WireFinish::Stop) => FinishReason::Stop,
        Some(WireFinish::Length) => FinishReason::Length,
        Some(other) => FinishReason::Other(format!("{other:?}").to_ascii_lowercase()),
    }
}

/// async-openai's errors as kubewhy's. The transport's own errors come back boxed.
fn map_error(url: &str, error: OpenAIError) -> LlmError {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<LlmError>() {
            Ok(error) => *error,
            Err(other) => LlmError::Malformed {
                url: url.to_owned(),
                detail: other.to_string(),
            },
        },
        OpenAIError::Reqwest(e) if e.is_timeout() || e.is_connect() => http::send_error(url, e),
        OpenAIError::Reqwest(e) => http::body_error(&e),
        OpenAIError::StreamError(e) => LlmError::Incomplete {
            url: url.to_owned(),
            received: 0,
            detail: e.to_string(),
        },
        OpenAIError::JSONDeserialize(e, content) => {
            let reported = serde_json::from_str::<serde_json::Value>(&content)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                });
            match reported {
                Some(message) => LlmError::Remote {
                    url: url.to_owned(),
                    message,
                },
                None => LlmError::Malformed {
                    url: url.to_owned(),
                    detail: e.to_string(),
                },
            }
        }
        OpenAIError::ApiError(e) => LlmError::Status {
            url: url.to_owned(),
            status: e.status_code.as_u16(),
            message: e.api_error.message,
            retry_after: None,
        },
        other => LlmError::Malformed {
            url: url.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// Sends async-openai's requests with kubewhy's client and returns every error status as an
/// [`LlmError`] (with its `Retry-After`) instead of retrying it.
#[derive(Clone)]
struct Transport {
    client: reqwest::Client,
    url: String,
}

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequestFactory) -> Self::Future {
        let (client, url) = (self.client.clone(), self.url.clone());
        Box::pin(async move {
            let request = request.build().await?;
            let response = client
                .execute(request)
                .await
                .map_err(|e| boxed(http::send_error(&url, e)))?;
            if response.status().is_success() {
                return Ok(response);
            }
            Err(boxed(http::status_error(&url, response).await))
        })
    }
}

fn boxed(error: LlmError) -> OpenAIError {
    OpenAIError::Boxed(Box::new(error))
}

#[cfg(test)]
mod tests {
    use super::is_reasoning_model;

    #[test]
    fn reasoning_models_are_recognised_by_family() {
        for model in [
            "o1",
            "o1-mini",
            "o3-mini",
            "o4-mini-2025-04-16",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5.1",
            "openai/o3",
            "ft:o4-mini:org::id",
        ] {
            assert!(is_reasoning_model(model), "{model}");
        }
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "o1x",
            "llama3.2",
            "qwen2.5:7b",
            "gpt-50",
        ] {
            assert!(!is_reasoning_model(model), "{model}");
        }
    }
}
