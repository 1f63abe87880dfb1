//! Pods: scheduling, eviction, every container waiting reason, terminations and readiness, for
//! init containers as well as regular ones, and pods that never get their containers started.

mod containers;
mod creating;
mod phase;
mod termination;

use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, meta::Time, object_ref};

use crate::{
    Analyzer, Context,
    findings::{Build, finding},
    ids,
    k8s::{Since, is_static, since_in},
};

/// The Pod analyzer.
pub struct PodAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::POD_UNSCHEDULABLE,
    ids::POD_SCHEDULING_GATED,
    ids::POD_EVICTED,
    ids::POD_FAILED,
    ids::POD_STUCK_TERMINATING,
    ids::POD_CRASH_LOOPING,
    ids::POD_OOM_KILLED,
    ids::POD_IMAGE_PULL_FAILING,
    ids::POD_CONTAINER_CONFIG_ERROR,
    ids::POD_CONTAINER_START_FAILING,
    ids::POD_CONTAINER_FAILED,
    ids::POD_CONTAINER_RESTARTING,
    ids::POD_CONTAINER_WAITING,
    ids::POD_STUCK_CREATING,
    ids::POD_NOT_READY,
];

impl Analyzer for PodAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for pod in &cx.pods {
            let ctx = PodContext {
                snapshot: cx,
                pod,
                object: object_ref(pod),
            };
            if let Some(found) = phase::check(&ctx) {
                findings.extend(found);
                continue;
            }
            findings.extend(containers::check(&ctx));
        }
        findings
    }
}

/// What every pod check needs.
pub(crate) struct PodContext<'a> {
    pub snapshot: &'a Snapshot,
    pub pod: &'a Pod,
    pub object: ObjectRef,
}

impl PodContext<'_> {
    pub fn name(&self) -> &str {
        &self.object.name
    }

    /// A finding on this pod, with the pod's events as evidence. A static pod's finding names
    /// its node as related: the kubelet there runs it from a file.
    pub fn finding(&self, check: CheckId, reason: &str, message: String) -> Finding {
        let found = finding(check, &self.object, reason, message).events(self.snapshot);
        let node = self.pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        match node.filter(|n| is_static(self.pod) && !n.is_empty()) {
            Some(node) => found.related(ObjectRef::new("v1", "Node", None, node)),
            None => found,
        }
    }

    /// How long before the snapshot's clock a timestamp of this pod was; `None` also when the
    /// clock was inferred from this pod's own timestamps.
    pub fn since(&self, time: Option<&Time>) -> Option<Since> {
        since_in(self.snapshot, &self.object, time)
    }
}

#[cfg(test)]
mod tests {
    use kubewhy_source::files::{Input, parse};

    use crate::{Filter, run};

    #[test]
    fn a_static_pod_is_its_own_root_on_its_node() {
        let loaded = parse([Input {
            name: "dump.yaml".into(),
            text: "
apiVersion: v1
kind: Node
metadata: {name: cp-1, uid: node-uid}
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp-1
  namespace: kube-system
  annotations: {kubernetes.io/config.mirror: abc}
  ownerReferences: [{apiVersion: v1, kind: Node, name: cp-1, uid: node-uid, controller: true}]
spec:
  nodeName: cp-1
  containers: [{name: etcd, image: etcd}]
status:
  phase: Running
  containerStatuses:
  - name: etcd
    image: etcd
    imageID: ''
    ready: false
    restartCount: 12
    state: {waiting: {reason: CrashLoopBackOff}}
    lastState: {terminated: {exitCode: 2, reason: Error}}
"
            .into(),
        }]);
        let snapshot = loaded.snapshot;
        let pod = kubewhy_model::ObjectRef::new("v1", "Pod", Some("kube-system"), "etcd-cp-1");
        assert_eq!(snapshot.root_of(&pod).kind, "Pod");
        let findings = run(&snapshot, &Filter::default());
        let crash = findings
            .iter()
            .find(|f| f.check == crate::ids::POD_CRASH_LOOPING)
            .expect("the crash loop is found");
        assert_eq!(crash.object.kind, "Pod");
        assert!(
            crash
                .related
                .iter()
                .any(|r| r.kind == "Node" && r.name == "cp-1")
        );
    }
}
