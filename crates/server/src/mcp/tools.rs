//! The MCP tools: `analyze`, `list_issues`, `get_issue`, `explain`, `list_checks` and
//! `get_check`. Read-only, bounded in size, and every result passes the anonymizer: the
//! caller is a model, so names are pseudonyms by default (with `--no-scrub`, only secrets are
//! redacted). Arguments may use the session's pseudonyms.

use std::sync::Arc;

use kubewhy_model::{Issue, Severity};
use kubewhy_scrub::{Policy, PseudonymTable};
use serde_json::{Value, json};

use crate::{
    App,
    work::{Analysis, Request},
};

/// Issues listed at most in one result.
const MAX_LISTED: usize = 100;
/// A result's text stays under this many bytes.
const MAX_RESULT: usize = 64 * 1024;

/// One client's session: its last analysis and its pseudonyms.
#[derive(Debug)]
pub struct Session {
    policy: Policy,
    state: tokio::sync::Mutex<(Option<Arc<Analysis>>, PseudonymTable)>,
}

impl Session {
    /// A session whose results are scrubbed under `policy`.
    #[must_use]
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            state: tokio::sync::Mutex::new((None, PseudonymTable::new())),
        }
    }
}

/// The tools, as `tools/list` gives them.
pub fn list() -> Value {
    let string = |description: &str| json!({ "type": "string", "description": description });
    let tool = |name: &str, description: &str, properties: Value, required: &[&str]| {
        json!({
            "name": name,
            "description": description,
            "inputSchema": { "type": "object", "properties": properties, "required": required },
            "annotations": { "readOnlyHint": true, "openWorldHint": false }
        })
    };
    json!([
        tool(
            "analyze",
            "Analyze the cluster (or one namespace): issues grouped by root cause, worst first, with counts by severity.",
            json!({ "namespace": string("Only this namespace"), "min_severity": string("critical, error, warning or info") }),
            &[]
        ),
        tool(
            "list_issues",
            "List the issues of the last analysis (analyzing first if there is none), filtered.",
            json!({ "namespace": string("Only this namespace"), "min_severity": string("critical, error, warning or info"), "check": string("Only this check id") }),
            &[]
        ),
        tool(
            "get_issue",
            "One issue in full: evidence (events, conditions, container states, log tail), causal chain and fix.",
            json!({ "fingerprint": string("The issue's fingerprint, from analyze or list_issues") }),
            &["fingerprint"]
        ),
        tool(
            "explain",
            "Explain one object: its context and an explanation of each of its issues.",
            json!({ "kind": string("deployment, pod, statefulset, ... (kubectl's short names work)"), "name": string("The object's name (a pseudonym from this session works)"), "namespace": string("Its namespace") }),
            &["kind", "name"]
        ),
        tool(
            "list_checks",
            "The checks kubewhy runs: id, title, severity and category.",
            json!({}),
            &[]
        ),
        tool(
            "get_check",
            "One check's documentation: what it means, why it matters, how to fix it.",
            json!({ "id": string("The check id") }),
            &["id"]
        ),
    ])
}

/// Runs a tool; a failure is a result with `isError`, as MCP wants.
pub async fn call(app: &Arc<App>, session: &Session, name: &str, arguments: &Value) -> Value {
    let outcome = match name {
        "analyze" | "list_issues" => list_issues(app, session, arguments, name == "analyze").await,
        "get_issue" => get_issue(app, session, arguments).await,
        "explain" => explain(app, session, arguments).await,
        "list_checks" => Ok((list_checks(), None)),
        "get_check" => get_check(arguments),
        other => Err(format!("unknown tool `{other}`; tools/list names them")),
    };
    let sealed = match outcome {
        Ok((value, analysis)) => seal(app, session, analysis.as_ref(), &value).await,
        Err(e) => Err(e),
    };
    match sealed {
        Ok((text, value)) => {
            json!({ "content": [ { "type": "text", "text": text } ], "structuredContent": value, "isError": false })
        }
        Err(e) => json!({ "content": [ { "type": "text", "text": e } ], "isError": true }),
    }
}

type Outcome = Result<(Value, Option<Arc<Analysis>>), String>;

/// Scrubs a result with the session's pseudonyms.
async fn seal(
    app: &App,
    session: &Session,
    analysis: Option<&Arc<Analysis>>,
    value: &Value,
) -> Result<(String, Value), String> {
    let mut state = session.state.lock().await;
    let about = analysis.or(state.0.as_ref()).map(Arc::as_ref);
    let mut scrubber = crate::outbound::scrubber(about, session.policy, &app.scrub)
        .map_err(|e| e.to_string())?
        .with_table(state.1.clone())
        .map_err(|e| e.to_string())?;
    let sealed = scrubber.scrub_json(value).map_err(|e| e.to_string())?;
    state.1 = scrubber.into_table();
    Ok((
        sealed.as_str().to_owned(),
        sealed.as_json().cloned().unwrap_or(Value::Null),
    ))
}

/// A name as the client wrote it, its pseudonym restored.
async fn real(session: &Session, written: &str) -> String {
    let state = session.state.lock().await;
    state
        .1
        .restore(written)
        .or_else(|| state.1.restore_variant(written))
        .unwrap_or(written)
        .to_owned()
}

async fn argument(session: &Session, arguments: &Value, key: &str) -> Option<String> {
    match arguments.get(key).and_then(Value::as_str) {
        Some(v) if !v.is_empty() => Some(real(session, v).await),
        _ => None,
    }
}

async fn analysis(
    app: &Arc<App>,
    session: &Session,
    namespace: Option<String>,
    fresh: bool,
) -> Result<Arc<Analysis>, String> {
    if !fresh
        && namespace.is_none()
        && let Some(a) = session.state.lock().await.0.clone()
    {
        return Ok(a);
    }
    let analysis = app
        .work
        .answer(&Request::Analyze { namespace })
        .await
        .map_err(|e| e.to_string())?;
    session.state.lock().await.0 = Some(Arc::clone(&analysis));
    Ok(analysis)
}

async fn list_issues(app: &Arc<App>, session: &Session, arguments: &Value, fresh: bool) -> Outcome {
    let namespace = argument(session, arguments, "namespace").await;
    let min: Option<Severity> = match arguments.get("min_severity").and_then(Value::as_str) {
        Some(s) => Some(s.parse().map_err(|_| {
            format!("min_severity `{s}`: expected critical, error, warning or info")
        })?),
        None => None,
    };
    let check = arguments.get("check").and_then(Value::as_str);
    let analysis = analysis(app, session, namespace.clone(), fresh).await?;
    let report = &analysis.report;
    let issues: Vec<&Issue> = report
        .issues
        .iter()
        .filter(|i| min.is_none_or(|m| i.severity >= m))
        .filter(|i| check.is_none_or(|c| i.check.as_str() == c))
        .filter(|i| namespace.is_none() || i.root.namespace == namespace)
        .collect();
    let listed: Vec<Value> = issues.iter().take(MAX_LISTED).map(|i| summary(i)).collect();
    let value = json!({
        "summary": report.summary,
        "issues": listed,
        "not_listed": issues.len().saturating_sub(MAX_LISTED),
        "warnings": report.warnings,
    });
    Ok((value, Some(analysis)))
}

fn summary(issue: &Issue) -> Value {
    json!({
        "fingerprint": issue.fingerprint,
        "severity": issue.severity,
        "check": issue.check.as_str(),
        "title": issue.title,
        "message": issue.message,
        "root": issue.root,
        "objects": issue.objects.len(),
    })
}

async fn get_issue(app: &Arc<App>, session: &Session, arguments: &Value) -> Outcome {
    let fingerprint = arguments
        .get("fingerprint")
        .and_then(Value::as_str)
        .ok_or("get_issue needs a fingerprint")?;
    let analysis = analysis(app, session, None, false).await?;
    let issue = analysis
        .report
        .issues
        .iter()
        .find(|i| i.fingerprint.to_string() == fingerprint)
        .ok_or_else(|| {
            format!("no issue {fingerprint} in the last analysis; call analyze again")
        })?;
    let mut value = serde_json::to_value(issue).map_err(|e| e.to_string())?;
    if value.to_string().len() > MAX_RESULT {
        value["evidence"]["logs"] = json!([]);
        value["truncated"] = json!(
            "the log tails were left out to keep the result small; kubewhy explain shows them"
        );
    }
    Ok((value, Some(analysis)))
}

async fn explain(app: &Arc<App>, session: &Session, arguments: &Value) -> Outcome {
    let kind = argument(session, arguments, "kind")
        .await
        .ok_or("explain needs a kind")?;
    let name = argument(session, arguments, "name")
        .await
        .ok_or("explain needs a name")?;
    let namespace = argument(session, arguments, "namespace").await;
    let analysis = app
        .work
        .answer(&Request::Explain {
            kind,
            name,
            namespace,
        })
        .await
        .map_err(|e| e.to_string())?;
    let report = &analysis.report;
    let issues: Vec<Value> = report
        .issues
        .iter()
        .map(|i| {
            let mut v = summary(i);
            v["explanation"] = json!(i.explanation.as_ref().map(|e| &e.text));
            v["fix"] = json!(i.fix);
            v
        })
        .collect();
    let value = json!({ "context": report.focus, "issues": issues });
    Ok((value, Some(analysis)))
}

fn list_checks() -> Value {
    let checks: Vec<Value> = kubewhy_analyzers::catalog()
        .entries
        .values()
        .map(|c| json!({ "id": c.id.as_str(), "title": c.title, "severity": c.severity, "category": c.category.as_str() }))
        .collect();
    json!({ "checks": checks })
}

fn get_check(arguments: &Value) -> Outcome {
    let id = arguments
        .get("id")
        .and_then(Value::as_str)
        .ok_or("get_check needs an id")?;
    let doc = kubewhy_report::checks::doc(id).map_err(|e| e.to_string())?;
    Ok((json!({ "id": id, "doc": doc }), None))
}
