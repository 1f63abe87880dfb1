//! Faults the simulator injects on one resource: error statuses, slowness, throttling by API
//! Priority and Fairness, and answers that break on the wire (a body cut short, a body that is
//! not JSON, a connection dropped half way through a list).

use std::{collections::HashMap, time::Duration};

use axum::{
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream};
use serde_json::json;

use super::{State, handler::status, resources::Resource};

/// What a throttled request is told to wait, in seconds (`Retry-After` and
/// `details.retryAfterSeconds`). More than a client's default of 1 s, so that a client that
/// ignores the header is caught waiting too little.
pub const RETRY_AFTER_SECONDS: u32 = 2;

/// A fault injected on one resource (by plural, e.g. `secrets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (403, 404, 500, or 410 for requests with a continue token).
    Status(u16),
    /// Wait this long before answering.
    Delay(Duration),
    /// Answer 429 as API Priority and Fairness does (a `TooManyRequests` Status, `Retry-After`
    /// and the flow schema and priority level headers): to the first `first` requests of the
    /// resource and then normally, or to every request when `first` is `None`.
    Throttle {
        /// How many requests are throttled before the resource is served; `None`: all.
        first: Option<u32>,
    },
    /// Announce the whole list's `Content-Length`, send half of the body, and close.
    Truncate,
    /// Answer 200 with `Content-Type: application/json` and an HTML page, as a proxy in front
    /// of the API server might.
    Garbage,
    /// Serve lists one item a page, and drop the connection, with no answer at all, on every
    /// request that carries a continue token.
    Reset,
    /// Answer every log request with one line of [`FLOOD_BYTES`], ignoring `tailLines` and
    /// `limitBytes`, as a proxy that drops the query string would.
    Flood,
}

/// The length of the one line a flooded log is.
pub const FLOOD_BYTES: u64 = 1 << 30;

impl std::str::FromStr for Fault {
    type Err = String;

    /// `403`, `404`, `500`, `410`, `delay:250ms` / `delay:2s`, `429` (always) / `429:3` (the
    /// first 3 requests), `truncate`, `garbage` or `reset`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(delay) = s.strip_prefix("delay:") {
            let (number, scale) = match delay.strip_suffix("ms") {
                Some(ms) => (ms, 1),
                None => (delay.strip_suffix('s').unwrap_or(delay), 1000),
            };
            let n: u64 = number
                .parse()
                .map_err(|_| format!("invalid delay `{delay}`: expected e.g. 250ms or 2s"))?;
            return Ok(Self::Delay(Duration::from_millis(n * scale)));
        }
        if let Some(first) = s.strip_prefix("429:") {
            let first: u32 = first.parse().map_err(|_| {
                format!("invalid fault `{s}`: expected 429:N, N the number of requests throttled")
            })?;
            return Ok(Self::Throttle { first: Some(first) });
        }
        match s {
            "429" => return Ok(Self::Throttle { first: None }),
            "truncate" => return Ok(Self::Truncate),
            "garbage" => return Ok(Self::Garbage),
            "reset" => return Ok(Self::Reset),
            "flood" => return Ok(Self::Flood),
            _ => {}
        }
        match s.parse::<u16>() {
            Ok(code @ (403 | 404 | 410 | 500)) => Ok(Self::Status(code)),
            _ => Err(format!(
                "invalid fault `{s}`: expected 403, 404, 410, 500, 429, 429:N, delay:DURATION, \
                 truncate, garbage, reset or flood"
            )),
        }
    }
}

/// Counts the requests each throttled resource has had.
#[derive(Debug, Default)]
pub(super) struct Throttled(std::sync::Mutex<HashMap<String, u32>>);

impl Throttled {
    /// Whether this request of `plural` is throttled under `first`, counting it.
    fn take(&self, plural: &str, first: Option<u32>) -> bool {
        let Some(first) = first else { return true };
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = seen.entry(plural.to_owned()).or_default();
        *count = count.saturating_add(1);
        *count <= first
    }
}

/// The request a fault applies to.
pub(super) struct Request<'a> {
    pub resource: &'a Resource,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
    /// Whether it carries a continue token.
    pub continued: bool,
}

/// The answer a fault gives before the request is served, if it gives one; a delay is waited
/// out first.
pub(super) async fn before(state: &State, request: &Request<'_>, fault: Fault) -> Option<Response> {
    let plural = request.resource.plural.as_str();
    match fault {
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::Status(410) if request.continued => Some(status(
            410,
            "The provided continue parameter is too old to display a consistent list result.",
        )),
        Fault::Status(410) => None,
        Fault::Status(404) => Some(status(
            404,
            &format!("the server could not find the requested resource ({plural})"),
        )),
        Fault::Status(500) => Some(status(
            500,
            &format!("Internal error occurred: etcdserver: request timed out ({plural})"),
        )),
        Fault::Status(code) => Some(status(code, &forbidden(request))),
        Fault::Throttle { first } if state.throttled.take(plural, first) => Some(too_many()),
        Fault::Reset if request.continued => Some(dropped()),
        Fault::Garbage => Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                "<html><head><title>502 Bad Gateway</title></head>\
                 <body><h1>502 Bad Gateway</h1></body></html>\n",
            )
                .into_response(),
        ),
        Fault::Throttle { .. } | Fault::Reset | Fault::Truncate | Fault::Flood => None,
    }
}

/// What RBAC says when the simulator's service account may not read `request`'s resource.
fn forbidden(request: &Request<'_>) -> String {
    let Resource { plural, group, .. } = request.resource;
    let verb = if request.name.is_some() {
        "get"
    } else {
        "list"
    };
    let scope = request.namespace.map_or_else(
        || " at the cluster scope".to_owned(),
        |ns| format!(" in the namespace \"{ns}\""),
    );
    format!(
        "{plural} is forbidden: User \"system:serviceaccount:default:kubewhy\" cannot {verb} \
         resource \"{plural}\" in API group \"{group}\"{scope}"
    )
}

/// The served `response`, as the fault changes it.
pub(super) async fn after(fault: Option<Fault>, response: Response) -> Response {
    match fault {
        Some(Fault::Truncate) if response.status().is_success() => truncated(response).await,
        _ => response,
    }
}

/// The most items a list page may have under `fault`, given the `limit` the request asked for.
pub(super) fn page_limit(fault: Option<Fault>, limit: Option<usize>) -> Option<usize> {
    match fault {
        Some(Fault::Reset) => Some(1),
        // A paginated list meets its expired continue token on the second page; a list
        // without a limit is served whole, as after a real 410.
        Some(Fault::Status(410)) => limit.map(|_| 1),
        _ => limit,
    }
}

/// A 429 as API Priority and Fairness answers it when a priority level's queues are full.
fn too_many() -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": "Too many requests, please try again later.",
                      "reason": "TooManyRequests", "code": 429,
                      "details": {"retryAfterSeconds": RETRY_AFTER_SECONDS}});
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (
                header::RETRY_AFTER.as_str(),
                RETRY_AFTER_SECONDS.to_string(),
            ),
            (
                "X-Kubernetes-PF-FlowSchema-UID",
                "5f8c6d1e-9a3b-4c2d-8e7f-0a1b2c3d4e5f".to_owned(),
            ),
            (
                "X-Kubernetes-PF-PriorityLevel-UID",
                "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d".to_owned(),
            ),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// A log of one line of [`FLOOD_BYTES`], streamed a MiB at a time and never held whole; it
/// stops when the client hangs up.
pub(super) fn flood() -> Response {
    let chunk = axum::body::Bytes::from(vec![b'x'; 1 << 20]);
    let chunks =
        stream::iter((0..FLOOD_BYTES >> 20).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    (
        [(header::CONTENT_TYPE, "text/plain")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// No answer: the body fails before anything is sent, and hyper, which has not flushed the
/// status line yet, drops the connection.
fn dropped() -> Response {
    let fail = stream::once(async {
        Err::<Vec<u8>, _>(std::io::Error::other("the simulator drops this connection"))
    });
    Response::new(Body::from_stream(fail))
}

/// `response` with its whole length announced and half of its body sent: the half is flushed
/// (the stream waits a moment) before the body fails and hyper closes the connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, bytes.len().into());
    let cut =
        stream::once(async move { Ok::<_, std::io::Error>(half) }).chain(stream::once(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Err(std::io::Error::other("the simulator cuts this body short"))
        }));
    Response::from_parts(parts, Body::from_stream(cut))
}

#[cfg(test)]
mod tests {
    use super::Fault;

    #[test]
    fn faults_parse_from_their_spellings() {
        let parse = |s: &str| s.parse::<Fault>();
        assert_eq!(parse("403"), Ok(Fault::Status(403)));
        assert_eq!(
            parse("delay:250ms"),
            Ok(Fault::Delay(std::time::Duration::from_millis(250)))
        );
        assert_eq!(parse("429"), Ok(Fault::Throttle { first: None }));
        assert_eq!(parse("429:3"), Ok(Fault::Throttle { first: Some(3) }));
        assert_eq!(parse("truncate"), Ok(Fault::Truncate));
        assert_eq!(parse("garbage"), Ok(Fault::Garbage));
        assert_eq!(parse("reset"), Ok(Fault::Reset));
        assert_eq!(parse("flood"), Ok(Fault::Flood));
        let error = parse("429:x").unwrap_err();
        assert!(error.contains("429:N"), "{error}");
        let error = parse("418").unwrap_err();
        assert!(
            error.contains("`418`") && error.contains("truncate, garbage, reset or flood"),
            "{error}"
        );
    }

    #[test]
    fn only_the_first_requests_are_throttled() {
        let throttled = super::Throttled::default();
        let taken: Vec<bool> = (0..4).map(|_| throttled.take("pods", Some(2))).collect();
        assert_eq!(taken, [true, true, false, false]);
        assert!(throttled.take("pods", None));
    }
}
