//! Restarts that one event caused: when a node reboots or its container runtime restarts, every
//! container on it restarts within a minute or two with the same exit code. That is one problem
//! on the node, not one per pod.

use std::collections::BTreeMap;

use jiff::Timestamp;
use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, meta::Time, object_ref};

use crate::{
    Context, evidence,
    findings::{Build, finding},
    ids,
    k8s::{container_statuses, exit_meaning, since},
};

/// Restarts at most this far apart belong to one burst.
const WINDOW_SECONDS: i64 = 120;
/// A burst takes at least this many restarted containers, in at least two pods.
const MIN_CONTAINERS: usize = 3;
/// At most this many containers are quoted as evidence.
const MAX_EVIDENCE: usize = 5;

/// The components of the control plane, by their `component` label.
const CONTROL_PLANE: &[&str] = &[
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
];

/// One container's last restart.
struct Restart<'a> {
    pod: &'a Pod,
    container: &'a str,
    init: bool,
    at: Timestamp,
}

/// The bursts among the restarts that `pod-container-restarting` reported.
pub(super) fn bursts(cx: &Context<'_>, found: &[Finding]) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    // By node and exit code, the restarts of the containers the restart check reported.
    let mut by_node: BTreeMap<(&str, i32), Vec<Restart<'_>>> = BTreeMap::new();
    for f in found
        .iter()
        .filter(|f| f.check == ids::POD_CONTAINER_RESTARTING)
    {
        let Some(pod) = snapshot
            .pods
            .get(f.object.namespace.as_deref(), &f.object.name)
        else {
            continue;
        };
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            continue;
        };
        for (status, init) in container_statuses(pod) {
            let reported = f
                .evidence
                .containers
                .iter()
                .any(|c| c.container == status.name);
            let last = status
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref());
            if let (true, Some(t)) = (reported, last)
                && let Some(at) = t.finished_at.as_ref()
            {
                by_node
                    .entry((node, t.exit_code))
                    .or_default()
                    .push(Restart {
                        pod,
                        container: &status.name,
                        init,
                        at: at.0,
                    });
            }
        }
    }
    let mut out = Vec::new();
    for ((node, code), mut restarts) in by_node {
        restarts.sort_by_key(|r| r.at);
        let mut start = 0;
        for end in 1..=restarts.len() {
            let split = end == restarts.len()
                || restarts[end].at.as_second() - restarts[end - 1].at.as_second() > WINDOW_SECONDS;
            if split {
                out.extend(burst(snapshot, node, code, &restarts[start..end]));
                start = end;
            }
        }
    }
    out
}

fn burst(snapshot: &Snapshot, node: &str, code: i32, restarts: &[Restart<'_>]) -> Option<Finding> {
    let mut pods: Vec<ObjectRef> = restarts.iter().map(|r| object_ref(r.pod)).collect();
    pods.sort();
    pods.dedup();
    if restarts.len() < MIN_CONTAINERS || pods.len() < 2 {
        return None;
    }
    let (first, last) = (restarts.first()?.at, restarts.last()?.at);
    let spread = last.as_second() - first.as_second();
    let control_plane = restarts.iter().all(|r| {
        r.pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("component"))
            .is_some_and(|c| CONTROL_PLANE.contains(&c.as_str()))
    });
    let what = if control_plane {
        "control-plane containers"
    } else {
        "containers"
    };
    let reason = termination_reason(&restarts[0]);
    let meaning = exit_meaning(code, reason, true)
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    let stamp = format!("{} UTC", first.strftime("%Y-%m-%d %H:%M"));
    let when = match since(snapshot, Some(&Time(first))) {
        Some(s) if s.is_exact() => format!("at {stamp} ({})", s.ago()),
        Some(s) => s.ago(),
        None => format!("at {stamp}"),
    };
    let message = format!(
        "{} {what} in {} pods on node {node} restarted within {spread}s of each other {when}, all with exit code {code}{meaning}: the node or its container runtime restarted, not each application on its own",
        restarts.len(),
        pods.len(),
    );
    let object = snapshot
        .nodes
        .get(None, node)
        .map_or_else(|| ObjectRef::new("v1", "Node", None, node), object_ref);
    let mut found = finding(ids::NODE_RESTART_BURST, &object, "RestartBurst", message)
        .events(snapshot)
        .related_all(pods);
    for r in restarts.iter().take(MAX_EVIDENCE) {
        let status = container_statuses(r.pod).find(|(s, _)| s.name == r.container);
        if let Some((status, init)) = status {
            let name = r.pod.metadata.name.as_deref().unwrap_or_default();
            found = found.container_state(evidence::container(name, status, init || r.init));
        }
    }
    Some(found)
}

/// The kubelet's reason for a restart's termination (`Unknown` after a node reboot).
fn termination_reason<'a>(restart: &Restart<'a>) -> Option<&'a str> {
    container_statuses(restart.pod)
        .find(|(s, _)| s.name == restart.container)
        .and_then(|(s, _)| {
            s.last_state
                .as_ref()?
                .terminated
                .as_ref()?
                .reason
                .as_deref()
        })
}
