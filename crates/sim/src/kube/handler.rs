//! Request handling: routing by path as the API server does, selectors, pagination, watch,
//! logs, metadata-only lists, the request log, and where faults (see `faults`) apply.

use std::{collections::HashMap, convert::Infallible, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::State as AxumState,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream};
use kubewhy_model::LogTarget;
use kubewhy_source::LabelSelector;
use serde_json::{Value, json};

use super::{RecordedRequest, State, faults, page, resources::Resource};

const RESOURCE_VERSION: &str = "1000";
/// Watches stay open at most this long.
const MAX_WATCH_SECONDS: u64 = 60;

pub(super) fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

#[allow(clippy::cast_possible_truncation)] // Milliseconds since start fit in u64 for 584 million years.
async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let started_ms = state.started.elapsed().as_millis() as u64;
    let mut response = respond(&state, &method, &uri, &headers).await;
    // The server's clock is the snapshot's: clients that take "now" from the API server see
    // the ages the snapshot was taken with. hyper adds its own Date only when none is set.
    if let Some(date) = state.clock().map(http_date)
        && let Ok(value) = header::HeaderValue::from_str(&date)
    {
        response.headers_mut().insert(header::DATE, value);
    }
    let record = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        accept: headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        impersonate: ["impersonate-user", "impersonate-group"]
            .iter()
            .flat_map(|name| headers.get_all(*name))
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(","),
        status: response.status().as_u16(),
        started_ms,
        finished_ms: state.started.elapsed().as_millis() as u64,
    };
    tracing::debug!(
        "{} {}?{} -> {}",
        record.method,
        record.path,
        record.query,
        record.status
    );
    if let Ok(mut log) = state.log.lock() {
        log.push(record);
    }
    response
}

/// An HTTP date (RFC 9110 IMF-fixdate): `Fri, 20 Nov 2026 09:30:00 GMT`.
fn http_date(time: jiff::Timestamp) -> String {
    time.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// A Kubernetes `Status` error body.
pub(super) fn status(code: u16, message: &str) -> Response {
    let reason = match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        410 => "Expired",
        _ => "InternalError",
    };
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code});
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
        .into_response()
}

fn json_ok(value: Value) -> Response {
    axum::Json(value).into_response()
}

async fn respond(state: &State, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    if let Some(token) = &state.token {
        let wanted = format!("Bearer {token}");
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(wanted.as_str())
        {
            return status(401, "Unauthorized");
        }
    }
    if method != Method::GET {
        return status(
            405,
            &format!("the simulator is read-only; {method} is not allowed"),
        );
    }
    // kube-rs starts its query strings with `&`; the form parser skips the empty pair.
    let query: HashMap<String, String> = axum::extract::Query::try_from_uri(uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let path: Vec<&str> = uri
        .path()
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let resources = state.resources();
    let (group, version, rest) = match path.as_slice() {
        ["version"] => {
            return json_ok(
                json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0", "platform": "linux/amd64"}),
            );
        }
        ["api"] => {
            return json_ok(
                json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
            );
        }
        ["apis"] => return json_ok(resources.groups()),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => {
            return status(
                404,
                &format!(
                    "the server could not find the requested resource: {}",
                    uri.path()
                ),
            );
        }
    };
    let (namespace, plural, name, sub) = match rest {
        [] => {
            return resources.resource_list(group, version).map_or_else(
                || status(404, &format!("no group version {group}/{version}")),
                json_ok,
            );
        }
        ["namespaces", ns, plural, tail @ ..] => (
            Some(*ns),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] => (None, *plural, tail.first().copied(), tail.get(1).copied()),
    };
    let Some(resource) = resources.get(group, version, plural) else {
        return status(
            404,
            &format!("the server could not find the requested resource ({plural})"),
        );
    };
    resource_request(state, resource, (namespace, name, sub), &query, headers).await
}

/// Serves one resource's list, get, watch or log, after any injected fault.
async fn resource_request(
    state: &State,
    resource: &Resource,
    (namespace, name, sub): (Option<&str>, Option<&str>, Option<&str>),
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let fault = state.faults.get(resource.plural.as_str()).copied();
    if let Some(fault) = fault {
        let continued = query.contains_key("continue");
        let request = faults::Request {
            resource,
            namespace,
            name,
            continued,
        };
        if let Some(response) = faults::before(state, &request, fault).await {
            return response;
        }
    }
    let response = match (name, sub) {
        (None, _) => list(state, resource, namespace, query, headers),
        (Some(name), None) => get(resource, namespace, name, headers),
        (Some(_), Some("log")) if fault == Some(faults::Fault::Flood) => faults::flood(),
        (Some(pod), Some("log")) if resource.kind == "Pod" => {
            logs(state, resource, namespace.unwrap_or("default"), pod, query)
        }
        (Some(_), Some(sub)) => status(
            404,
            &format!("the simulator does not serve the {sub} subresource"),
        ),
    };
    faults::after(fault, response).await
}

/// A field selector on a watched change, which arrives as JSON.
fn field_matches(item: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (path, wanted, negate) = match term.split_once("!=") {
            Some((p, v)) => (p, v, true),
            None => match term.split_once("==").or_else(|| term.split_once('=')) {
                Some((p, v)) => (p, v, false),
                None => return false,
            },
        };
        let pointer = format!("/{}", path.trim().replace('.', "/"));
        let actual = item.pointer(&pointer).and_then(Value::as_str).unwrap_or("");
        (actual == wanted.trim()) != negate
    })
}

fn labels_of(item: &Value) -> std::collections::BTreeMap<String, String> {
    item.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn in_namespace(item: &Value, namespace: Option<&str>) -> bool {
    namespace
        .is_none_or(|ns| item.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns))
}

fn json_bytes(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn list(
    state: &State,
    resource: &Resource,
    namespace: Option<&str>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response {
    let selector = match LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
    {
        Ok(selector) => selector,
        Err(e) => return status(400, &e.to_string()),
    };
    let fields = query.get("fieldSelector").map_or("", String::as_str);
    let matching = page::select(resource, namespace, &selector, fields);
    if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
        let changes = state.changes.subscribe();
        let plural = resource.plural.clone();
        let namespace = namespace.map(str::to_owned);
        let fields = fields.to_owned();
        // A change is this watch's when it is of its resource and matches its selectors.
        let mine = move |change: &super::Change| {
            change.plural == plural
                && in_namespace(&change.object, namespace.as_deref())
                && selector.matches(&labels_of(&change.object))
                && field_matches(&change.object, &fields)
        };
        let items = matching.slice(0, matching.len());
        return watch(resource, &items, query, changes, mine);
    }
    let total = matching.len();
    let start: usize = query
        .get("continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit: Option<usize> = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|&l| l > 0);
    let limit = faults::page_limit(state.faults.get(&resource.plural).copied(), limit)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(total);
    let page = matching.slice(start.min(end), end);
    let mut metadata = json!({"resourceVersion": RESOURCE_VERSION});
    if end < total {
        metadata["continue"] = end.to_string().into();
        metadata["remainingItemCount"] = (total - end).into();
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains("as=Table") {
        let values: Vec<Value> = page.iter().map(|&i| resource.items[i].value()).collect();
        let values: Vec<&Value> = values.iter().collect();
        return json_ok(super::table::table(resource, &values, &metadata));
    }
    if accept.contains("as=PartialObjectMetadataList") {
        let items: Vec<Value> = page
            .iter()
            .map(|&i| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": resource.items[i].value()["metadata"]}))
            .collect();
        return json_ok(
            json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": metadata, "items": items}),
        );
    }
    let head = format!(
        r#"{{"apiVersion":{},"kind":"{}List","metadata":{metadata},"items":["#,
        Value::from(resource.group_version()),
        resource.kind
    );
    json_bytes(page::list_body(
        &head,
        page.iter().map(|&i| &*resource.items[i].bytes),
    ))
}

fn get(resource: &Resource, namespace: Option<&str>, name: &str, headers: &HeaderMap) -> Response {
    let table = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"));
    let Some(item) = resource.find(namespace, name) else {
        return status(404, &format!("{} \"{name}\" not found", resource.plural));
    };
    if table {
        json_ok(super::table::table(
            resource,
            &[&item.value()],
            &json!({"resourceVersion": RESOURCE_VERSION}),
        ))
    } else {
        json_bytes(item.bytes.to_vec())
    }
}

fn watch(
    resource: &Resource,
    items: &[usize],
    query: &HashMap<String, String>,
    changes: tokio::sync::broadcast::Receiver<super::Change>,
    mine: impl Fn(&super::Change) -> bool + Send + 'static,
) -> Response {
    let initial = query.get("sendInitialEvents").is_some_and(|v| v == "true");
    let from_scratch = query
        .get("resourceVersion")
        .is_none_or(|rv| rv.is_empty() || rv == "0");
    let mut lines: Vec<Vec<u8>> = Vec::new();
    if initial || from_scratch {
        lines.extend(items.iter().map(|&i| {
            let bytes = &resource.items[i].bytes;
            let mut line = Vec::with_capacity(bytes.len() + 32);
            line.extend_from_slice(br#"{"type":"ADDED","object":"#);
            line.extend_from_slice(bytes);
            line.extend_from_slice(b"}\n");
            line
        }));
    }
    if query
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true")
    {
        let mut bookmark = json!({"kind": resource.kind, "apiVersion": resource.group_version(),
                                  "metadata": {"resourceVersion": RESOURCE_VERSION}});
        if initial {
            bookmark["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        lines.push(format!("{}\n", json!({"type": "BOOKMARK", "object": bookmark})).into_bytes());
    }
    let seconds = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .unwrap_or(MAX_WATCH_SECONDS)
        .min(MAX_WATCH_SECONDS);
    let events = stream::iter(lines.into_iter().map(Ok::<_, Infallible>));
    // After the initial events, what a replacement of the snapshot changes, until the timeout.
    let updates = stream::unfold(changes, |mut changes| async move {
        loop {
            match changes.recv().await {
                Ok(change) => return Some((change, changes)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .filter(move |change| std::future::ready(mine(change)))
    .map(|change| {
        Ok::<_, Infallible>(
            format!(
                "{}\n",
                json!({"type": change.kind, "object": change.object})
            )
            .into_bytes(),
        )
    });
    let until = tokio::time::sleep(Duration::from_secs(seconds));
    let updates = futures::StreamExt::take_until(updates, until);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(events.chain(updates)))
        .unwrap_or_else(|_| status(500, "cannot build the watch response"))
}

fn logs(
    state: &State,
    resource: &Resource,
    namespace: &str,
    pod: &str,
    query: &HashMap<String, String>,
) -> Response {
    let Some(item) = resource.find(Some(namespace), pod) else {
        return status(404, &format!("pods \"{pod}\" not found"));
    };
    let item = item.value();
    let container = query.get("container").cloned().or_else(|| {
        item.pointer("/spec/containers/0/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(container) = container else {
        return status(400, "a container name must be specified");
    };
    let previous = query.get("previous").is_some_and(|v| v == "true");
    let target = LogTarget {
        namespace: namespace.to_owned(),
        pod: pod.to_owned(),
        container: container.clone(),
        previous,
    };
    let resources = state.resources();
    let Some(text) = resources.logs.get(&target) else {
        if previous {
            return status(
                400,
                &format!(
                    "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                ),
            );
        }
        return (StatusCode::OK, String::new()).into_response();
    };
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(tail) = query.get("tailLines").and_then(|t| t.parse::<usize>().ok()) {
        lines = lines.split_off(lines.len().saturating_sub(tail));
    }
    let mut body = lines.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    if let Some(limit) = query
        .get("limitBytes")
        .and_then(|l| l.parse::<usize>().ok())
    {
        let mut cut = limit.min(body.len());
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}
