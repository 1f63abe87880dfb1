//! System components: the cluster's own CNI, CSI, kube-proxy, device plugins and control plane,
//! which run privileged and on the host network by design. On clusters and dumps their security
//! findings are left out of the report, which says how many objects were exempted. A component
//! is matched by its namespace and its controller, never by a name substring; the default list
//! is documented in `analyzers/README.md` and replaced with [`Filter::exempt`](crate::Filter).

use kubewhy_model::{Category, Finding, ObjectRef};
use kubewhy_source::Snapshot;

use crate::{check, k8s::namespace_of};

/// One kind of system component. In the config file:
/// `{ namespace = "monitoring", controller = "DaemonSet", name = "node-exporter" }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// The namespace it runs in.
    pub namespace: String,
    /// The kind of its controller: `DaemonSet`, `Deployment`, or `Node` for static pods.
    pub controller: String,
    /// The controller's name; `None` for every controller of that kind in the namespace.
    #[serde(default)]
    pub name: Option<String>,
}

impl Exemption {
    /// Every controller of `controller` kind in `namespace`.
    #[must_use]
    pub fn every(namespace: &str, controller: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            controller: controller.to_owned(),
            name: None,
        }
    }

    fn matches(&self, namespace: &str, controller: &str, name: &str) -> bool {
        self.namespace == namespace
            && self.controller == controller
            && self.name.as_deref().is_none_or(|n| n == name)
    }
}

/// Namespaces whose DaemonSets are the cluster's network, storage and device plumbing.
const NODE_AGENT_NAMESPACES: &[&str] = &[
    "kube-system",
    "calico-system",
    "kube-flannel",
    "cilium",
    "tigera-operator",
    "gpu-operator",
    "nvidia-device-plugin",
    "nvidia-gpu-operator",
    "openshift-sdn",
    "openshift-ovn-kubernetes",
    "openshift-multus",
    "openshift-dns",
    "openshift-machine-config-operator",
    "openshift-cluster-node-tuning-operator",
];

/// The default list: every DaemonSet of the node-agent namespaces, and kube-system's static
/// pods (the control plane).
#[must_use]
pub fn system_components() -> Vec<Exemption> {
    let mut list: Vec<Exemption> = NODE_AGENT_NAMESPACES
        .iter()
        .map(|ns| Exemption::every(ns, "DaemonSet"))
        .collect();
    list.push(Exemption::every("kube-system", "Node"));
    list
}

/// The controller a finding's object is judged as: the object itself for a workload, and for
/// a Pod its controller (`Node` for a static pod), or the Pod when it has none.
fn controller_of(snapshot: &Snapshot, object: &ObjectRef) -> (String, String) {
    if object.kind != "Pod" {
        return (object.kind.clone(), object.name.clone());
    }
    let pod = snapshot.pods.get(object.namespace.as_deref(), &object.name);
    let owners = pod.and_then(|p| p.metadata.owner_references.as_ref());
    let owner = owners
        .into_iter()
        .flatten()
        .find(|o| o.controller == Some(true));
    owner.map_or_else(
        || (object.kind.clone(), object.name.clone()),
        |o| (o.kind.clone(), o.name.clone()),
    )
}

/// Whether the object is a system component of the list.
pub(crate) fn exempt_object(snapshot: &Snapshot, list: &[Exemption], object: &ObjectRef) -> bool {
    if list.is_empty() {
        return false;
    }
    let namespace = namespace_of(object);
    let (controller, name) = controller_of(snapshot, object);
    list.iter()
        .any(|e| e.matches(namespace, &controller, &name))
}

/// Whether the finding is a security finding on a system component.
pub(crate) fn exempt(snapshot: &Snapshot, list: &[Exemption], finding: &Finding) -> bool {
    let security = check(finding.check.as_str()).is_some_and(|c| c.category == Category::Security);
    security && exempt_object(snapshot, list, &finding.object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_matched_by_namespace_and_controller() {
        let list = system_components();
        let daemon = |ns: &str| list.iter().any(|e| e.matches(ns, "DaemonSet", "aws-node"));
        assert!(daemon("kube-system"));
        assert!(!daemon("monitoring"));
        assert!(
            list.iter()
                .any(|e| e.matches("kube-system", "Node", "cp-1"))
        );
        assert!(
            !list
                .iter()
                .any(|e| e.matches("kube-system", "Deployment", "aws-node"))
        );
        let named = Exemption {
            name: Some("tigera-operator".into()),
            ..Exemption::every("tigera-operator", "Deployment")
        };
        assert!(named.matches("tigera-operator", "Deployment", "tigera-operator"));
        assert!(!named.matches("tigera-operator", "Deployment", "tigera-operator-x"));
    }

    const CLUSTER: &str = "
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: aws-node, namespace: kube-system}
spec:
  selector: {matchLabels: {app: aws-node}}
  template:
    metadata: {labels: {app: aws-node}}
    spec:
      hostNetwork: true
      containers:
      - name: aws-node
        image: aws-node:1.0
        securityContext: {privileged: true}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-exporter, namespace: monitoring}
spec:
  selector: {matchLabels: {app: node-exporter}}
  template:
    metadata: {labels: {app: node-exporter}}
    spec:
      hostNetwork: true
      hostPID: true
      containers: [{name: node-exporter, image: node-exporter:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: web:1.0}]
";

    #[test]
    fn cluster_reports_exempt_system_components_and_summarise_the_rest() {
        let loaded = kubewhy_source::files::parse([kubewhy_source::files::Input {
            name: "dump.yaml".into(),
            text: CLUSTER.into(),
        }]);
        let live = crate::Filter {
            live: true,
            ..crate::Filter::default()
        };
        let analysis = crate::analyze(&loaded.snapshot, &live);
        let listed: Vec<(&str, &str)> = analysis
            .findings
            .iter()
            .map(|f| (f.check.as_str(), f.object.name.as_str()))
            .collect();
        assert!(
            listed.contains(&("pod-host-network", "node-exporter")),
            "{listed:?}"
        );
        assert!(
            listed.contains(&("pod-host-pid", "node-exporter")),
            "{listed:?}"
        );
        assert!(
            !listed.iter().any(|(_, name)| *name == "aws-node"),
            "{listed:?}"
        );
        assert!(
            !listed
                .iter()
                .any(|(check, _)| *check == "container-runs-as-root")
        );
        assert_eq!(crate::count_objects(&analysis.exempted), 1);
        let summary = crate::summarize(&analysis.held_back);
        let runs_as_root = summary
            .iter()
            .find(|c| c.check == crate::ids::CONTAINER_RUNS_AS_ROOT)
            .expect("container-runs-as-root is summarised");
        // aws-node is exempt; node-exporter and web remain.
        assert_eq!((runs_as_root.objects, runs_as_root.namespaces), (2, 2));
        // An empty list exempts nothing.
        let everything = crate::Filter {
            exempt: Some(Vec::new()),
            ..live
        };
        let all = crate::analyze(&loaded.snapshot, &everything);
        assert!(all.findings.iter().any(|f| f.object.name == "aws-node"));
        assert!(all.exempted.is_empty());
        // Manifests are linted as written: nothing is exempt or summarised.
        let files = crate::analyze(&loaded.snapshot, &crate::Filter::default());
        assert!(files.exempted.is_empty() && files.held_back.is_empty());
        assert!(files.findings.iter().any(|f| f.object.name == "aws-node"));
    }
}
