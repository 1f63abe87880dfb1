//! Server-side printing: the `meta.k8s.io/v1` Table that kubectl asks for
//! (`Accept: application/json;as=Table`), with kubectl's columns for pods, events and nodes and
//! name and age for everything else.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::resources::Resource;

fn column(name: &str, kind: &str) -> Value {
    json!({"name": name, "type": kind, "format": if name == "Name" { "name" } else { "" }, "description": "", "priority": 0})
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `5d`, `3h`, `12m`, `40s`: kubectl's short ages.
fn age(value: &Value, pointer: &str) -> String {
    let Ok(then) = text(value, pointer).parse::<Timestamp>() else {
        return "<unknown>".to_owned();
    };
    let seconds = (Timestamp::now() - then).get_seconds().max(0);
    match seconds {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn pod_cells(pod: &Value) -> Vec<Value> {
    let statuses = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let ready = statuses.iter().filter(|s| s["ready"] == true).count();
    let total = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(statuses.len(), Vec::len);
    let restarts: i64 = statuses
        .iter()
        .filter_map(|s| s["restartCount"].as_i64())
        .sum();
    let reason = statuses
        .iter()
        .find_map(|s| {
            s.pointer("/state/waiting/reason")
                .or_else(|| s.pointer("/state/terminated/reason"))
        })
        .and_then(Value::as_str);
    let status = if pod.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else {
        [text(pod, "/status/reason")]
            .into_iter()
            .find(|r| !r.is_empty())
            .or(reason)
            .unwrap_or(text(pod, "/status/phase"))
    };
    vec![
        text(pod, "/metadata/name").into(),
        format!("{ready}/{total}").into(),
        status.into(),
        restarts.into(),
        age(pod, "/metadata/creationTimestamp").into(),
    ]
}

fn event_cells(event: &Value) -> Vec<Value> {
    let object = format!(
        "{}/{}",
        text(event, "/involvedObject/kind").to_ascii_lowercase(),
        text(event, "/involvedObject/name")
    );
    vec![
        age(event, "/lastTimestamp").into(),
        text(event, "/type").into(),
        text(event, "/reason").into(),
        object.into(),
        text(event, "/message").into(),
    ]
}

fn node_cells(node: &Value) -> Vec<Value> {
    let conditions = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let ready = conditions
        .iter()
        .find(|c| c["type"] == "Ready")
        .map_or("Unknown", |c| c["status"].as_str().unwrap_or(""));
    let mut status = match ready {
        "True" => "Ready".to_owned(),
        "False" => "NotReady".to_owned(),
        _ => "Unknown".to_owned(),
    };
    if node.pointer("/spec/unschedulable") == Some(&Value::Bool(true)) {
        status.push_str(",SchedulingDisabled");
    }
    vec![
        text(node, "/metadata/name").into(),
        status.into(),
        age(node, "/metadata/creationTimestamp").into(),
    ]
}

/// A column's name and type.
type Column = (&'static str, &'static str);
/// How one object becomes a row's cells.
type Cells = fn(&Value) -> Vec<Value>;

/// The Table for `items`, each row carrying the object's metadata as kubectl expects.
pub(super) fn table(resource: &Resource, items: &[&Value], metadata: &Value) -> Value {
    let (columns, cells): (&[Column], Cells) = match resource.kind.as_str() {
        "Pod" => (
            &[
                ("Name", "string"),
                ("Ready", "string"),
                ("Status", "string"),
                ("Restarts", "integer"),
                ("Age", "string"),
            ],
            pod_cells,
        ),
        "Event" => (
            &[
                ("Last Seen", "string"),
                ("Type", "string"),
                ("Reason", "string"),
                ("Object", "string"),
                ("Message", "string"),
            ],
            event_cells,
        ),
        "Node" => (
            &[("Name", "string"), ("Status", "string"), ("Age", "string")],
            node_cells,
        ),
        _ => (&[("Name", "string"), ("Age", "string")], |v| {
            vec![
                text(v, "/metadata/name").into(),
                age(v, "/metadata/creationTimestamp").into(),
            ]
        }),
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            json!({"cells": cells(item), "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"]}})
        })
        .collect();
    let columns: Vec<Value> = columns
        .iter()
        .map(|(name, kind)| column(name, kind))
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns, "rows": rows})
}
