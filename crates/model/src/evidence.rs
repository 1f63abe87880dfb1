//! What an issue shows to prove itself: conditions, events, container states and log tails.
//! Every list is bounded by the producer; these types only carry the data.

use serde::Serialize;

/// The evidence attached to a finding or an issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Conditions that are not in their healthy state.
    pub conditions: Vec<ConditionEvidence>,
    /// Container states that explain the problem.
    pub containers: Vec<ContainerEvidence>,
    /// Related events, most recent first.
    pub events: Vec<EventEvidence>,
    /// Tails of container logs, for containers that crashed or failed.
    pub logs: Vec<LogEvidence>,
}

impl Evidence {
    /// True when there is nothing to show.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
            && self.containers.is_empty()
            && self.events.is_empty()
            && self.logs.is_empty()
    }
}

/// A status condition, such as a Pod's `PodScheduled=False`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionEvidence {
    /// The object the condition belongs to, as `Kind/name`.
    pub object: String,
    /// The condition type.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The machine-readable reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The human-readable message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The state of one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerEvidence {
    /// The pod's name.
    pub pod: String,
    /// The container's name.
    pub container: String,
    /// True for init containers.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    /// `waiting`, `running` or `terminated`.
    pub state: String,
    /// The state's reason (`CrashLoopBackOff`, `OOMKilled`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The state's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The exit code of the current or last termination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The reason of the last termination, when the container restarted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_termination: Option<String>,
    /// How often the container restarted.
    pub restarts: i32,
}

/// A Kubernetes event about an affected object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventEvidence {
    /// The involved object, as `Kind/name`.
    pub object: String,
    /// `Warning` or `Normal`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The event's reason (`BackOff`, `FailedScheduling`, ...).
    pub reason: String,
    /// The event's message.
    pub message: String,
    /// How many times it happened.
    pub count: i32,
    /// When it last happened (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

/// The last lines of a container's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvidence {
    /// The pod's name.
    pub pod: String,
    /// The container's name.
    pub container: String,
    /// True when these are the logs of the previous (crashed) instance.
    pub previous: bool,
    /// The tail, oldest line first.
    pub lines: Vec<String>,
    /// The index in `lines` of the first line that looks like an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<usize>,
    /// True when older lines were cut to fit the budget.
    pub truncated: bool,
}
