//! One page request: sent, throttling by API Priority and Fairness (429 with `Retry-After`)
//! waited out a bounded number of times, and the answer read whole, telling apart what breaks
//! on the wire (no answer at all, an answer cut short) from what the API server said.
//!
//! kube's own retry layer is off (see `config`): it would retry every request the same way,
//! where only a page list can be retried without the user noticing.

use std::time::Duration;

use http::{HeaderMap, StatusCode, header};
use kube::{Client, core::Status};

use crate::Reporter;

/// Retries of one page the API server keeps throttling, before its kind is given up.
pub(super) const THROTTLE_RETRIES: u32 = 3;
/// The longest one wait may be, whatever `Retry-After` asks: the run stays interactive.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// The wait when `Retry-After` is missing or not a number of seconds.
const DEFAULT_WAIT: Duration = Duration::from_secs(1);
/// The header API Priority and Fairness adds to the answers it classified.
const PF_PRIORITY_LEVEL: &str = "x-kubernetes-pf-prioritylevel-uid";

/// Why a page could not be read, where kube's own error would not say it plainly. Carried in
/// `kube::Error::Service`, which [`super::describe`] looks into.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// The API server answered 429 to the request and to every retry.
    #[error(
        "throttled by the API server (429{}): still throttled after {retries} retries and {}s \
         of waiting as it asked{}; try again later, or ask the cluster's admins about the \
         priority level this user is given",
        if *.fairness { ", API Priority and Fairness" } else { "" },
        .waited.as_secs(),
        if .message.is_empty() { String::new() } else { format!(" (\"{}\")", .message) }
    )]
    Throttled {
        /// Retries made after the first answer.
        retries: u32,
        /// The total time waited.
        waited: Duration,
        /// Whether API Priority and Fairness classified the request (its headers are there).
        fairness: bool,
        /// The `Status` message of the last answer.
        message: String,
    },
    /// The connection closed, or was reset, before any answer.
    #[error(
        "the connection closed before the API server answered (the API server, or a proxy in \
         front of it, dropped it); run again, and if it keeps happening look at their logs"
    )]
    NoAnswer {
        /// What the HTTP client saw.
        #[source]
        source: kube::Error,
    },
    /// The answer's body stopped before its end.
    #[error(
        "the response ended early: the connection closed before {}",
        .announced.map_or_else(
            || "the end of the body".to_owned(),
            |n| format!("the {n} bytes announced had all arrived"),
        )
    )]
    CutShort {
        /// The `Content-Length` the answer announced, if it did.
        announced: Option<u64>,
        /// What the HTTP client saw.
        #[source]
        source: kube::Error,
    },
}

/// The body of the answer to the request `build` makes, waiting out throttling; `None` when the
/// run was cancelled during a wait. An error status comes back as `kube::Error::Api`, as kube's
/// own `request_text` gives it.
pub(super) async fn page_text(
    client: &Client,
    reporter: &Reporter,
    build: impl Fn() -> kube::Result<http::Request<Vec<u8>>>,
) -> kube::Result<Option<String>> {
    let (mut waited, mut retries) = (Duration::ZERO, 0);
    loop {
        let request = build()?.map(kube::client::Body::from);
        let response = client.send(request).await.map_err(no_answer)?;
        let status = response.status();
        let announced = content_length(response.headers());
        if status != StatusCode::TOO_MANY_REQUESTS {
            let body = read(response, announced).await?;
            if status.is_client_error() || status.is_server_error() {
                return Err(kube::Error::Api(api_error(status, &body).boxed()));
            }
            return String::from_utf8(body)
                .map(Some)
                .map_err(kube::Error::FromUtf8);
        }
        let wait = retry_after(response.headers());
        let fairness = response.headers().contains_key(PF_PRIORITY_LEVEL);
        // Read whole, so that the connection can be used again.
        let body = read(response, announced).await?;
        if retries == THROTTLE_RETRIES {
            let throttled = PageError::Throttled {
                retries,
                waited,
                fairness,
                message: api_error(status, &body).message,
            };
            return Err(kube::Error::Service(Box::new(throttled)));
        }
        retries += 1;
        tracing::debug!("throttled (429); retry {retries} in {}s", wait.as_secs());
        tokio::select! {
            () = tokio::time::sleep(wait) => waited += wait,
            () = reporter.token().cancelled() => return Ok(None),
        }
    }
}

/// How long `Retry-After` asks to wait, in seconds, at most [`MAX_WAIT`]; [`DEFAULT_WAIT`] when
/// it is missing or not a number (the HTTP-date form is not one the API server sends).
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_WAIT, Duration::from_secs)
        .min(MAX_WAIT)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The whole body; a body that stops early is [`PageError::CutShort`] unless it timed out.
async fn read(
    response: http::Response<kube::client::Body>,
    announced: Option<u64>,
) -> kube::Result<Vec<u8>> {
    match response.into_body().collect_bytes().await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(source) if has_io(&source, &[std::io::ErrorKind::TimedOut]) => Err(source),
        Err(source) => Err(kube::Error::Service(Box::new(PageError::CutShort {
            announced,
            source,
        }))),
    }
}

/// A send that failed because the connection went away is [`PageError::NoAnswer`]; anything
/// else (refused, timed out, TLS) stays as kube says it.
fn no_answer(source: kube::Error) -> kube::Error {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    let closed = has_io(
        &source,
        &[
            UnexpectedEof,
            ConnectionReset,
            ConnectionAborted,
            BrokenPipe,
        ],
    ) || matches!(&source, kube::Error::HyperError(e) if e.is_incomplete_message());
    if closed {
        kube::Error::Service(Box::new(PageError::NoAnswer { source }))
    } else {
        source
    }
}

/// Whether an I/O error of one of `kinds` is among the causes of `error`.
fn has_io(error: &kube::Error, kinds: &[std::io::ErrorKind]) -> bool {
    super::causes(error).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| kinds.contains(&io.kind()))
    })
}

/// The `Status` of an error answer, as kube's `request_text` builds it: the body's own, or one
/// made from the text when the body is not a `Status`.
fn api_error(status: StatusCode, body: &[u8]) -> Status {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<Status>(&text).unwrap_or_else(|_| {
        Status::failure(text.trim(), "Failed to parse error data").with_code(status.as_u16())
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::{HeaderMap, HeaderValue, header};

    use super::{DEFAULT_WAIT, MAX_WAIT, retry_after};

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn retry_after_is_seconds_capped_with_a_short_default() {
        assert_eq!(retry_after(&with("2")), Duration::from_secs(2));
        assert_eq!(retry_after(&with(" 3 ")), Duration::from_secs(3));
        assert_eq!(retry_after(&with("600")), MAX_WAIT);
        assert_eq!(retry_after(&with("soon")), DEFAULT_WAIT);
        assert_eq!(
            retry_after(&with("Fri, 20 Nov 2026 09:30:00 GMT")),
            DEFAULT_WAIT
        );
        assert_eq!(retry_after(&HeaderMap::new()), DEFAULT_WAIT);
    }

    #[test]
    fn throttling_says_what_was_waited_and_what_to_do() {
        let error = super::PageError::Throttled {
            retries: 3,
            waited: Duration::from_secs(6),
            fairness: true,
            message: "Too many requests, please try again later.".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "throttled by the API server (429, API Priority and Fairness): still throttled \
             after 3 retries and 6s of waiting as it asked (\"Too many requests, please try \
             again later.\"); try again later, or ask the cluster's admins about the priority \
             level this user is given"
        );
    }
}
