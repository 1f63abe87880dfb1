//! Builders for evidence, shared by analyzers, with the bounds every issue respects.

use kubewhy_model::{ConditionEvidence, ContainerEvidence, EventEvidence, ObjectRef};
use kubewhy_source::{Snapshot, event_last_seen, k8s::core::v1::ContainerStatus};

/// At most this many events per finding.
pub const MAX_EVENTS: usize = 5;

/// The most recent warning events of `object`. Normal events (Pulled, Started) prove nothing
/// about a problem and are left out.
pub fn events(snapshot: &Snapshot, object: &ObjectRef) -> Vec<EventEvidence> {
    snapshot
        .events_for(object)
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .take(MAX_EVENTS)
        .map(|event| EventEvidence {
            object: format!("{}/{}", object.kind, object.name),
            type_: "Warning".to_owned(),
            reason: event.reason.clone().unwrap_or_default(),
            message: event.message.clone().unwrap_or_default().trim().to_owned(),
            count: event.count.unwrap_or(1),
            last_seen: event_last_seen(event).map(|t| t.to_string()),
        })
        .collect()
}

/// A condition as evidence.
pub fn condition(
    object: &ObjectRef,
    type_: &str,
    status: &str,
    reason: Option<&String>,
    message: Option<&String>,
) -> ConditionEvidence {
    ConditionEvidence {
        object: format!("{}/{}", object.kind, object.name),
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.cloned(),
        message: message.map(|m| m.trim().to_owned()),
    }
}

/// A container's status as evidence.
pub fn container(pod: &str, status: &ContainerStatus, init: bool) -> ContainerEvidence {
    let state = status.state.as_ref();
    let (state_name, reason, message, exit_code) =
        if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
            ("waiting", w.reason.clone(), w.message.clone(), None)
        } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            (
                "terminated",
                t.reason.clone(),
                t.message.clone(),
                Some(t.exit_code),
            )
        } else {
            ("running", None, None, None)
        };
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    ContainerEvidence {
        pod: pod.to_owned(),
        container: status.name.clone(),
        init,
        state: state_name.to_owned(),
        reason,
        message: message.map(|m| m.trim().to_owned()),
        exit_code: exit_code.or_else(|| last.map(|t| t.exit_code)),
        last_termination: last.map(|t| {
            t.reason
                .clone()
                .unwrap_or_else(|| format!("exit code {}", t.exit_code))
        }),
        restarts: status.restart_count,
    }
}

/// A container of a pod template or manifest, named for a static check: its state is `spec`, as
/// written, since no instance of it runs.
pub fn template_container(name: &str, init: bool) -> ContainerEvidence {
    ContainerEvidence {
        pod: String::new(),
        container: name.to_owned(),
        init,
        state: "spec".to_owned(),
        reason: None,
        message: None,
        exit_code: None,
        last_termination: None,
        restarts: 0,
    }
}
