//! What a finding is about, beyond the check that saw it: the missing object, the container
//! failing with the same error, the pod that cannot be scheduled. Live failure findings with
//! the same cause on the same root, or on objects that mount or own each other, are one issue,
//! and that fingerprint comes from its root and cause, never from the check chosen for
//! display, so it stays put when one of its findings goes away.

use std::collections::HashMap;

use kubewhy_analyzers::Applies;
use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, object_ref};

/// Kinds whose absence is a cause in itself.
const REFERENCED: &[&str] = &[
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "StorageClass",
];

/// Checks in the order of how precisely they name a cause: when findings merge, the first of
/// these among them is the one the issue is reported under.
const SPECIFICITY: &[&str] = &[
    "pod-reference-missing",
    "statefulset-storage-class-missing",
    "pvc-pending",
    "gpu-pod-unschedulable",
    "pod-container-config-error",
    "pod-container-start-failing",
    "pod-oom-killed",
    "pod-crash-looping",
    "pod-stuck-creating",
    "pod-unschedulable",
    "pod-container-failed",
    "pod-container-restarting",
    "pod-container-waiting",
];

/// How precisely `check` names a cause; lower is more precise.
pub(crate) fn specificity(check: CheckId) -> usize {
    SPECIFICITY
        .iter()
        .position(|c| *c == check.as_str())
        .unwrap_or(SPECIFICITY.len())
}

/// The claims each pod-making root mounts, so that a finding on a claim is judged with the
/// workload that mounts it (a StatefulSet and its claims are one thing to an SRE).
pub(crate) struct Mounts(HashMap<(String, String), ObjectRef>);

impl Mounts {
    pub(crate) fn new(snapshot: &Snapshot) -> Self {
        let mut by_claim = HashMap::new();
        for pod in &snapshot.pods {
            let root = snapshot.root_of(&object_ref(pod));
            let namespace = pod.metadata.namespace.clone().unwrap_or_default();
            for claim in claims(pod) {
                by_claim
                    .entry((namespace.clone(), claim.to_owned()))
                    .or_insert_with(|| root.clone());
            }
        }
        Self(by_claim)
    }

    /// The root a finding is grouped under: the workload that mounts a claim, else the top owner.
    pub(crate) fn root(&self, snapshot: &Snapshot, object: &ObjectRef) -> ObjectRef {
        if object.kind == "PersistentVolumeClaim"
            && let Some(root) = self.0.get(&(
                object.namespace.clone().unwrap_or_default(),
                object.name.clone(),
            ))
        {
            return root.clone();
        }
        snapshot.root_of(object)
    }
}

fn claims(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
}

/// The cause of a live failure finding, when it can be named. Static, security and
/// configuration findings never merge into a live failure, so they have none.
pub(crate) fn cause(
    snapshot: &Snapshot,
    finding: &Finding,
    claim_causes: &ClaimCauses,
) -> Option<String> {
    let info = kubewhy_analyzers::check(finding.check.as_str())?;
    if info.applies != Applies::Live || info.symptom {
        return None;
    }
    missing_related(snapshot, finding)
        .or_else(|| missing_named(finding))
        .or_else(|| scheduling(snapshot, finding, claim_causes))
        .or_else(|| container_error(snapshot, finding))
}

/// A related object of a referenced kind that does not exist.
fn missing_related(snapshot: &Snapshot, finding: &Finding) -> Option<String> {
    finding
        .related
        .iter()
        .find(|r| REFERENCED.contains(&r.kind.as_str()) && !snapshot.contains(r))
        .map(missing_key)
}

fn missing_key(object: &ObjectRef) -> String {
    format!(
        "missing {}/{}/{}",
        object.kind,
        object.namespace.as_deref().unwrap_or(""),
        object.name
    )
}

/// `secret "payments-stripe" not found`, as the kubelet words it in container states and events.
fn missing_named(finding: &Finding) -> Option<String> {
    const WORDS: &[(&str, &str)] = &[
        ("secret \"", "Secret"),
        ("configmap \"", "ConfigMap"),
        ("persistentvolumeclaim \"", "PersistentVolumeClaim"),
        ("serviceaccount \"", "ServiceAccount"),
    ];
    let lower = finding.message.to_ascii_lowercase();
    WORDS.iter().find_map(|(prefix, kind)| {
        let start = lower.find(prefix)? + prefix.len();
        let rest = &finding.message[start..];
        let end = rest.find('"')?;
        rest[end..].starts_with("\" not found").then(|| {
            missing_key(&ObjectRef::new(
                "v1",
                *kind,
                finding.object.namespace.as_deref(),
                &rest[..end],
            ))
        })
    })
}

/// The causes of the findings on claims, so that a pod waiting for an unbound claim joins the
/// claim's cause (a missing StorageClass) instead of standing alone.
pub(crate) struct ClaimCauses(HashMap<(String, String), String>);

impl ClaimCauses {
    pub(crate) fn new(findings: &[Finding], snapshot: &Snapshot) -> Self {
        let empty = Self(HashMap::new());
        let mut map = HashMap::new();
        for f in findings
            .iter()
            .filter(|f| f.object.kind == "PersistentVolumeClaim")
        {
            if let Some(cause) = cause(snapshot, f, &empty) {
                map.insert(
                    (
                        f.object.namespace.clone().unwrap_or_default(),
                        f.object.name.clone(),
                    ),
                    cause,
                );
            }
        }
        Self(map)
    }
}

/// A pod that cannot be scheduled: one cause for all the checks that see it, or its claim's
/// cause when it waits for an unbound claim.
fn scheduling(
    snapshot: &Snapshot,
    finding: &Finding,
    claim_causes: &ClaimCauses,
) -> Option<String> {
    if !matches!(
        finding.check.as_str(),
        "pod-unschedulable" | "gpu-pod-unschedulable"
    ) {
        return None;
    }
    if finding
        .message
        .contains("unbound immediate PersistentVolumeClaims")
    {
        let namespace = finding.object.namespace.clone().unwrap_or_default();
        let pod = snapshot.pods.get(Some(&namespace), &finding.object.name)?;
        if let Some(cause) =
            claims(pod).find_map(|c| claim_causes.0.get(&(namespace.clone(), c.to_owned())))
        {
            return Some(cause.clone());
        }
    }
    Some("unschedulable".to_owned())
}

/// A container failing with an error: the innermost clause of its last termination or waiting
/// message, with numbers masked, so that one pod in RunContainerError and another crash looping
/// with StartError from the same missing executable are one cause.
fn container_error(snapshot: &Snapshot, finding: &Finding) -> Option<String> {
    let container = finding.container.as_deref().or_else(|| {
        finding
            .evidence
            .containers
            .first()
            .map(|c| c.container.as_str())
    })?;
    if finding.object.kind != "Pod" {
        return None;
    }
    let pod = snapshot
        .pods
        .get(finding.object.namespace.as_deref(), &finding.object.name)?;
    let status = pod.status.as_ref()?;
    let state = status
        .container_statuses
        .iter()
        .flatten()
        .chain(status.init_container_statuses.iter().flatten())
        .find(|s| s.name == container)?;
    let last = state
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    let now = state.state.as_ref();
    let message = last
        .and_then(|t| t.message.as_deref())
        .or_else(|| {
            now.and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.message.as_deref())
        })
        .or_else(|| {
            now.and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.message.as_deref())
        })
        .filter(|m| !m.starts_with("back-off "))?;
    let core = innermost(message)?;
    Some(format!("container {container}: {core}"))
}

/// The last clause of an error chain (`a: b: c: unknown` → `c`), numbers masked.
fn innermost(message: &str) -> Option<String> {
    let clause = message
        .trim()
        .rsplit(": ")
        .map(str::trim)
        .find(|c| !c.is_empty() && *c != "unknown")?;
    let masked: String = clause
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    Some(masked)
}

#[cfg(test)]
mod tests {
    use super::innermost;

    #[test]
    fn the_innermost_clause_names_the_error() {
        let oci = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app/notify\": stat /app/notify: no such file or directory: unknown";
        assert_eq!(innermost(oci).as_deref(), Some("no such file or directory"));
        assert_eq!(
            innermost("listen tcp :8080: bind: address already in use").as_deref(),
            Some("address already in use")
        );
        assert_eq!(innermost("exit 137").as_deref(), Some("exit 000"));
    }
}
