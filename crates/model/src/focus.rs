//! The context of one object a user asked about (`kubewhy explain deploy/checkout`), gathered
//! whether or not a check fires on it.

use serde::Serialize;

use crate::{
    ConditionEvidence, ContainerEvidence, EventEvidence, Fingerprint, LogEvidence, LogTarget,
    ObjectRef,
};

/// One pod of the focused object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSummary {
    /// The pod's name.
    pub name: String,
    /// `Running`, `Pending`, ...
    pub phase: String,
    /// Ready containers out of all: `1/2`.
    pub ready: String,
    /// Restarts of all its containers.
    pub restarts: i32,
    /// The node it runs on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// Everything kubewhy knows around one object, within the evidence budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FocusContext {
    /// The object.
    pub object: ObjectRef,
    /// Its owners, nearest first, up to the top owner.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<ObjectRef>,
    /// Its pods (itself, for a pod), bounded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<PodSummary>,
    /// How many pods it has, when more than are listed.
    pub pod_count: usize,
    /// Its conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ConditionEvidence>,
    /// The states of its containers that are not running and ready, bounded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerEvidence>,
    /// Services that select its pods, and Ingresses that route to those Services.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<ObjectRef>,
    /// The claims its pods mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ObjectRef>,
    /// Warning events of it and its pods, most recent first, bounded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventEvidence>,
    /// Log tails of its crashed containers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogEvidence>,
    /// The issues about it.
    pub issues: Vec<Fingerprint>,
    /// The containers whose logs would tell why they crashed.
    #[serde(skip)]
    pub log_targets: Vec<LogTarget>,
}
