//! REST: `POST /v1/analyze` and `POST /v1/explain`, JSON in and the `kubewhy.report/v1` report
//! out, behind the bearer token `KUBEWHY_API_TOKEN`. Without a token configured the endpoints
//! (and `/mcp`) answer 404: nothing is served unauthenticated.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use hmac::Mac;
use serde::Deserialize;

use crate::{
    App,
    work::{Request, WorkError},
};

/// `POST /v1/analyze`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeBody {
    /// Only this namespace.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// `POST /v1/explain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainBody {
    /// The kind.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The namespace.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// Checks the bearer token in constant time.
pub fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(token) = app.api_token.as_ref() else {
        return Err(Box::new(
            (
                StatusCode::NOT_FOUND,
                "set KUBEWHY_API_TOKEN (or KUBEWHY_API_TOKEN_FILE) to enable this endpoint",
            )
                .into_response(),
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Comparing MACs of both keeps the comparison constant-time whatever the lengths.
    let mac = |s: &str| {
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"kubewhy-api-token")
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        m.update(s.as_bytes());
        m
    };
    let expected = mac(token.expose()).finalize().into_bytes();
    if mac(given).verify_slice(&expected).is_ok() {
        Ok(())
    } else {
        app.metrics.inc("kubewhy_api_unauthorized_total", &[]);
        Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Bearer")],
                "a valid bearer token is required",
            )
                .into_response(),
        ))
    }
}

/// `POST /v1/analyze`.
pub async fn analyze(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = authorize(&app, &headers) {
        return *refused;
    }
    let parsed: AnalyzeBody = if body.is_empty() {
        AnalyzeBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("the body is not a valid request: {e}"),
                )
                    .into_response();
            }
        }
    };
    answer(
        &app,
        Request::Analyze {
            namespace: parsed.namespace,
        },
    )
    .await
}

/// `POST /v1/explain`.
pub async fn explain(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = authorize(&app, &headers) {
        return *refused;
    }
    let parsed: ExplainBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("the body is not a valid request (kind, name, namespace): {e}"),
            )
                .into_response();
        }
    };
    answer(
        &app,
        Request::Explain {
            kind: parsed.kind,
            name: parsed.name,
            namespace: parsed.namespace,
        },
    )
    .await
}

async fn answer(app: &Arc<App>, request: Request) -> Response {
    match app.work.answer(&request).await {
        Ok(analysis) => Json(&analysis.report).into_response(),
        Err(e @ WorkError::Busy { retry_in }) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", retry_in.as_secs().max(1).to_string())],
            e.to_string(),
        )
            .into_response(),
        Err(e @ WorkError::Unreachable(_)) => {
            (StatusCode::BAD_GATEWAY, e.to_string()).into_response()
        }
        Err(e @ WorkError::ShuttingDown) => {
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response()
        }
        Err(e @ WorkError::Refused(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response()
        }
    }
}
