//! What the backends share over HTTP: the client (custom headers, extra CA certificates,
//! `HTTPS_PROXY` from the environment, rustls with ring), error statuses turned into
//! [`LlmError`]s, `Retry-After`, and bodies read line by line (NDJSON) or event by event (SSE).

use std::{collections::BTreeMap, path::Path, time::Duration};

use futures::{Stream, StreamExt};
use reqwest::{
    StatusCode, Url,
    header::{HeaderMap, HeaderName, HeaderValue},
};
use serde_json::Value;

use super::BuildError;
use crate::LlmError;

/// The longest error body read, in bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The client every backend of a profile uses.
pub(crate) fn client(
    profile: &str,
    headers: &BTreeMap<String, String>,
    ca_file: Option<&Path>,
) -> Result<reqwest::Client, BuildError> {
    // reqwest is built without a crypto provider so that ring, which kube already brings, is
    // the only one; it must be the process default before a client is built.
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let bad = || BuildError::BadHeader {
            profile: profile.to_owned(),
            name: name.clone(),
        };
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let mut value = HeaderValue::from_str(value).map_err(|_| bad())?;
        value.set_sensitive(true);
        map.insert(header, value);
    }
    let mut builder = reqwest::Client::builder()
        .default_headers(map)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("kubewhy/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let ca = |reason: String| BuildError::Ca {
            profile: profile.to_owned(),
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca(e.to_string()))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|source| BuildError::Client {
        profile: profile.to_owned(),
        source,
    })
}

/// A URL for messages: without credentials.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// Parses a base URL, with a message that names the profile.
pub(crate) fn parse_url(profile: &str, url: &str) -> Result<Url, BuildError> {
    let parsed = Url::parse(url).map_err(|e| BuildError::BadUrl {
        profile: profile.to_owned(),
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(BuildError::BadUrl {
            profile: profile.to_owned(),
            url: url.to_owned(),
            reason: "the scheme must be http or https".to_owned(),
        });
    }
    Ok(parsed)
}

/// `base` joined with `path`, keeping the base's own path (`http://h/v1` + `chat/completions`).
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

/// Every cause of an error, joined: reqwest's own message alone says only "error sending
/// request".
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A failure to send a request or read its answer's headers (the only timeout the client
/// sets is the connect timeout: the dispatcher times the rest).
pub(crate) fn send_error(url: &str, error: reqwest::Error) -> LlmError {
    LlmError::Connect {
        url: url.to_owned(),
        reason: chain(&error),
        source: error,
    }
}

/// A failure while reading a body that had started.
pub(crate) fn body_error(error: &reqwest::Error) -> LlmError {
    LlmError::Incomplete {
        url: String::new(),
        received: 0,
        detail: chain(error),
    }
}

/// The delay a 429 or 503 asks for: `retry-after-ms` (OpenAI), else `Retry-After` in seconds
/// or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = date.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// Turns an error status into an [`LlmError`], reading the body's message.
pub(crate) async fn status_error(url: &str, response: reqwest::Response) -> LlmError {
    let status = response.status();
    let retry = retry_after(response.headers());
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    classify(url, status, retry, &body)
}

/// The error for a status and its body, in any of the protocols' error shapes.
pub(crate) fn classify(
    url: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> LlmError {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = json.get("error").unwrap_or(&json);
    let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or("");
    let message = match error {
        Value::String(s) => s.clone(),
        _ if !text("message").is_empty() => text("message").to_owned(),
        _ => String::from_utf8_lossy(&body[..body.len().min(500)])
            .trim()
            .to_owned(),
    };
    let message = if message.is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        message
    };
    let url = url.to_owned();
    let code = status.as_u16();
    if (code == 400 || code == 413)
        && let Some(overflow) = overflow(&url, error, &message)
    {
        return overflow;
    }
    match code {
        401 | 403 => LlmError::Unauthorized {
            url,
            status: code,
            message,
        },
        404 => LlmError::NotFound { url, message },
        429 => LlmError::RateLimited {
            url,
            retry_after,
            message,
        },
        _ => LlmError::Status {
            url,
            status: code,
            message,
            retry_after,
        },
    }
}

/// A context overflow, in llama.cpp's, OpenAI's, vLLM's or Ollama's words.
fn overflow(url: &str, error: &Value, message: &str) -> Option<LlmError> {
    let field = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or("");
    let number = |key: &str| {
        error
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    let lower = message.to_ascii_lowercase();
    let named = field("type") == "exceed_context_size_error"
        || field("code") == "context_length_exceeded"
        || lower.contains("maximum context length")
        || lower.contains("exceeds the available context size")
        || lower.contains("exceeds the context length");
    if !named {
        return None;
    }
    let numbers = numbers_in(message);
    let (prompt_tokens, context) = match (number("n_prompt_tokens"), number("n_ctx")) {
        (Some(p), Some(c)) => (Some(p), Some(c)),
        _ if lower.contains("maximum context length") && numbers.len() >= 2 => {
            (Some(numbers[1]), Some(numbers[0]))
        }
        _ if numbers.len() >= 2 => (Some(numbers[0]), Some(numbers[1])),
        _ => (None, None),
    };
    Some(LlmError::ContextOverflow {
        url: url.to_owned(),
        prompt_tokens,
        context,
        message: message.to_owned(),
    })
}

fn numbers_in(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The lines of a body (NDJSON), without their line ends; a last line without one is kept. A
/// transport failure midway is an [`LlmError::Incomplete`].
pub(crate) fn lines(
    response: reqwest::Response,
) -> impl Stream<Item = Result<String, LlmError>> + Send + 'static {
    let state = (response.bytes_stream(), Vec::<u8>::new(), false);
    futures::stream::unfold(state, |(mut body, mut buffer, mut ended)| async move {
        loop {
            if let Some(end) = buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line).trim_end().to_owned();
                return Some((Ok(line), (body, buffer, ended)));
            }
            if ended {
                if buffer.is_empty() {
                    return None;
                }
                let line = String::from_utf8_lossy(&buffer).trim_end().to_owned();
                buffer.clear();
                return Some((Ok(line), (body, buffer, ended)));
            }
            match body.next().await {
                Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                Some(Err(error)) => {
                    return Some((Err(body_error(&error)), (body, Vec::new(), true)));
                }
                None => ended = true,
            }
        }
    })
}

/// The `data` of each server-sent event (`data:` lines joined up to a blank line).
pub(crate) fn sse_events(
    response: reqwest::Response,
) -> impl Stream<Item = Result<String, LlmError>> + Send + 'static {
    let state = (Box::pin(lines(response)), Vec::<String>::new());
    futures::stream::unfold(state, |(mut lines, mut data)| async move {
        loop {
            match lines.next().await {
                Some(Ok(line)) if line.is_empty() => {
                    if !data.is_empty() {
                        let event = data.join("\n");
                        data.clear();
                        return Some((Ok(event), (lines, data)));
                    }
                }
                Some(Ok(line)) => {
                    if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                    }
                }
                Some(Err(error)) => return Some((Err(error), (lines, Vec::new()))),
                None if !data.is_empty() => {
                    let event = data.join("\n");
                    data.clear();
                    return Some((Ok(event), (lines, data)));
                }
                None => return None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_cpp_overflow_is_recognised_with_its_numbers() {
        let body = br#"{"error":{"code":400,"message":"request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9412,"n_ctx":8192}}"#;
        let error = classify("u", StatusCode::BAD_REQUEST, None, body);
        assert!(
            matches!(
                error,
                LlmError::ContextOverflow {
                    prompt_tokens: Some(9412),
                    context: Some(8192),
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn openai_overflow_reads_the_numbers_from_the_message() {
        let body = br#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;
        let error = classify("u", StatusCode::BAD_REQUEST, None, body);
        assert!(
            matches!(
                error,
                LlmError::ContextOverflow {
                    prompt_tokens: Some(130_532),
                    context: Some(128_000),
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn statuses_map_to_what_the_user_must_do() {
        let ollama = br#"{"error":"model 'x' not found"}"#;
        let error = classify("http://h/api/chat", StatusCode::NOT_FOUND, None, ollama);
        assert!(error.to_string().contains("model 'x' not found"), "{error}");
        assert!(matches!(
            classify("u", StatusCode::UNAUTHORIZED, None, b""),
            LlmError::Unauthorized { status: 401, .. }
        ));
        let limited = classify(
            "u",
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(2)),
            b"{}",
        );
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        assert!(limited.is_retryable());
        assert!(classify("u", StatusCode::BAD_GATEWAY, None, b"").is_retryable());
        assert!(!classify("u", StatusCode::BAD_REQUEST, None, b"").is_retryable());
    }

    #[test]
    fn retry_after_prefers_milliseconds_then_seconds_then_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut dated = HeaderMap::new();
        dated.insert(
            "retry-after",
            HeaderValue::from_static("Fri, 01 Jan 2021 00:00:00 GMT"),
        );
        assert_eq!(retry_after(&dated), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn join_keeps_the_base_path() {
        let base = Url::parse("http://h:1/v1/").unwrap();
        assert_eq!(
            join(&base, "/chat/completions").as_str(),
            "http://h:1/v1/chat/completions"
        );
        let root = Url::parse("http://h:1").unwrap();
        assert_eq!(join(&root, "api/chat").as_str(), "http://h:1/api/chat");
    }
}
