//! The cluster around the workloads: Nodes with real capacity, conditions and images, storage
//! and ingress classes, namespaces with their service accounts, root CA and policies, each
//! app's ConfigMap, Secret and ServiceAccount, and events.

use serde_json::{Value, json};

use super::{
    Cluster, Failure, Node, batch,
    meta::{self, Ident, ago},
    network, workloads,
};

/// Apps in a namespace before the next one starts.
const APPS_PER_NAMESPACE: usize = 20;
/// Pods per node, as real clusters run them.
const PODS_PER_NODE: usize = 30;

const TEAMS: [&str; 8] = [
    "payments", "checkout", "search", "identity", "catalog", "shipping", "ads", "platform",
];
const WORDS: [&str; 16] = [
    "api",
    "worker",
    "gateway",
    "web",
    "indexer",
    "scheduler",
    "notifier",
    "ledger",
    "cache-warmer",
    "exporter",
    "ingest",
    "renderer",
    "auth",
    "billing",
    "reports",
    "sync",
];

/// Nodes, classes and `kube-system`.
pub(super) fn infrastructure(c: &mut Cluster) {
    let count = (c.options.pods / PODS_PER_NODE).max(3);
    for i in 0..count {
        let ip = format!("10.0.{}.{}", 16 + i / 250, 10 + i % 250);
        let name = format!("ip-{}.eu-west-1.compute.internal", ip.replace('.', "-"));
        // A few nodes fail, never the first two, so that small clusters keep room for pods;
        // the third and fourth always do when anything fails, so that every kind shows up.
        let fails = c.options.failing > 0.0 && (i == 2 || i == 3);
        let failure = if i >= 2 && (fails || c.rng.chance(c.options.failing / 8.0)) {
            Some(if i % 2 == 0 {
                Failure::NodeNotReady
            } else {
                Failure::NodePressure
            })
        } else {
            None
        };
        node(c, &name, &ip, i, failure);
        c.nodes.push(Node {
            name,
            ip,
            ready: failure != Some(Failure::NodeNotReady),
        });
    }
    let classes = [
        ("gp3", true, "ebs.csi.aws.com"),
        ("io2", false, "ebs.csi.aws.com"),
        ("efs", false, "efs.csi.aws.com"),
    ];
    for (name, default, provisioner) in classes {
        let ident = Ident::new(&mut c.rng, "storage.k8s.io/v1", "StorageClass", None, name);
        let annotations =
            default.then(|| json!({"storageclass.kubernetes.io/is-default-class": "true"}));
        let mut object = json!({"apiVersion": ident.api_version, "kind": ident.kind,
            "metadata": meta::metadata(&mut c.rng, &ident, 400_000, &json!({}), annotations, None),
            "provisioner": provisioner, "parameters": {"type": name, "encrypted": "true"},
            "reclaimPolicy": "Delete", "allowVolumeExpansion": true, "volumeBindingMode": "WaitForFirstConsumer"});
        if name == "efs" {
            object["volumeBindingMode"] = "Immediate".into();
        }
        c.push(object, "kubectl-client-side-apply", None);
    }
    let ident = Ident::new(
        &mut c.rng,
        "networking.k8s.io/v1",
        "IngressClass",
        None,
        "nginx",
    );
    let object = json!({"apiVersion": ident.api_version, "kind": ident.kind,
        "metadata": meta::metadata(&mut c.rng, &ident, 400_000, &json!({"app.kubernetes.io/name": "ingress-nginx"}),
            Some(json!({"ingressclass.kubernetes.io/is-default-class": "true"})), None),
        "spec": {"controller": "k8s.io/ingress-nginx"}});
    c.push(object, "helm", None);
    namespace_object(c, "kube-system");
}

fn node(c: &mut Cluster, name: &str, ip: &str, index: usize, failure: Option<Failure>) {
    let ident = Ident::new(&mut c.rng, "v1", "Node", None, name);
    let zone = ["eu-west-1a", "eu-west-1b", "eu-west-1c"][index % 3];
    let labels = json!({
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "m6i.4xlarge",
        "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "eks.amazonaws.com/nodegroup": "general-2026-11", "failure-domain.beta.kubernetes.io/region": "eu-west-1",
        "failure-domain.beta.kubernetes.io/zone": zone, "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.4xlarge",
        "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone
    });
    let annotations = json!({"alpha.kubernetes.io/provided-node-ip": ip, "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true"});
    let condition = |kind: &str, bad: bool, reason_ok: &str, reason_bad: &str, message: &str| {
        let healthy_status = if kind == "Ready" { "True" } else { "False" };
        let status = match (bad, kind == "Ready") {
            (false, _) => healthy_status,
            (true, true) => "Unknown",
            (true, false) => "True",
        };
        json!({"type": kind, "status": status, "lastHeartbeatTime": ago(if bad && kind == "Ready" { 25 } else { 1 }),
               "lastTransitionTime": ago(if bad { 24 } else { 20_000 }), "reason": if bad { reason_bad } else { reason_ok },
               "message": message})
    };
    let not_ready = failure == Some(Failure::NodeNotReady);
    let pressure = failure == Some(Failure::NodePressure);
    let images: Vec<Value> = (0..24)
        .map(|i| json!({"names": [format!("registry.example.com/platform/image-{i}@sha256:{:016x}{:016x}", c.rng.next(), c.rng.next()),
                                  format!("registry.example.com/platform/image-{i}:1.{i}.0")],
                        "sizeBytes": 20_000_000 + c.rng.below(400_000_000)}))
        .collect();
    let mut object = json!({"apiVersion": "v1", "kind": "Node",
    "metadata": meta::metadata(&mut c.rng, &ident, 20_000 + index as u64, &labels, Some(annotations), None),
    "spec": {"providerID": format!("aws:///{zone}/i-0{}", c.rng.hex(16)), "podCIDR": format!("10.244.{}.0/24", index % 256)},
    "status": {
        "capacity": {"cpu": "16", "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "65023104Ki", "pods": "110"},
        "allocatable": {"cpu": "15890m", "ephemeral-storage": "95551679124", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "64006272Ki", "pods": "110"},
        "conditions": [
            condition("MemoryPressure", pressure, "KubeletHasSufficientMemory", "KubeletHasInsufficientMemory",
                      if pressure { "kubelet has insufficient memory available" } else { "kubelet has sufficient memory available" }),
            condition("DiskPressure", false, "KubeletHasNoDiskPressure", "KubeletHasDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", false, "KubeletHasSufficientPID", "KubeletHasInsufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", not_ready, "KubeletReady", "NodeStatusUnknown",
                      if not_ready { "Kubelet stopped posting node status." } else { "kubelet is posting ready status" })
        ],
        "addresses": [{"type": "InternalIP", "address": ip}, {"type": "InternalDNS", "address": name}, {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"machineID": c.rng.hex(16), "systemUUID": meta::uid(&mut c.rng), "bootID": meta::uid(&mut c.rng),
            "kernelVersion": "6.1.112-124.190.amzn2023.x86_64", "osImage": "Amazon Linux 2023.6.20241031",
            "containerRuntimeVersion": "containerd://1.7.23", "kubeletVersion": "v1.32.0-eks-aeac579",
            "kubeProxyVersion": "v1.32.0-eks-aeac579", "operatingSystem": "linux", "architecture": "amd64"},
        "images": images
    }});
    if not_ready {
        object["spec"]["taints"] = json!([{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ago(24)},
                                           {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ago(23)}]);
    }
    if let Some(failure) = failure {
        c.record(failure);
        let (reason, message) = if not_ready {
            (
                "NodeNotReady",
                format!("Node {name} status is now: NodeNotReady"),
            )
        } else {
            (
                "NodeHasInsufficientMemory",
                format!("Node {name} status is now: NodeHasInsufficientMemory"),
            )
        };
        event(c, &ident, "Warning", reason, &message, 3, 2, "kubelet");
    }
    c.push(object, "kubelet", Some("kubelet"));
}

/// A namespace object with its default service account, root CA ConfigMap and policies.
fn namespace_object(c: &mut Cluster, name: &str) {
    let ident = Ident::new(&mut c.rng, "v1", "Namespace", None, name);
    let labels = json!({"kubernetes.io/metadata.name": name, "pod-security.kubernetes.io/enforce": "restricted"});
    let object = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": meta::metadata(&mut c.rng, &ident, 300_000, &labels, None, None),
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    c.push(object, "kubectl-create", None);
    service_account(c, name, "default");
    let ca = Ident::new(
        &mut c.rng,
        "v1",
        "ConfigMap",
        Some(name),
        "kube-root-ca.crt",
    );
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        (0..18)
            .map(|_| format!(
                "{:016x}{:016x}{:016x}{:016x}",
                c.rng.next(),
                c.rng.next(),
                c.rng.next(),
                c.rng.next()
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let object = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": meta::metadata(&mut c.rng, &ca, 300_000, &json!({}), Some(json!({"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."})), None),
        "data": {"ca.crt": pem}});
    c.push(object, "kube-controller-manager", None);
}

/// A namespace of apps: a mix of Deployments, StatefulSets, Jobs and CronJobs.
pub(super) fn namespace(c: &mut Cluster, index: usize) {
    let team = TEAMS[index % TEAMS.len()];
    let ns = format!("{team}-{index:03}");
    namespace_object(c, &ns);
    network::policies(c, &ns, team);
    for i in 0..APPS_PER_NAMESPACE {
        if c.remaining() == 0 {
            break;
        }
        let app = format!(
            "{}-{}",
            WORDS[(index * 7 + i) % WORDS.len()],
            c.rng.suffix(4)
        );
        match i % 10 {
            7 => workloads::stateful_set(c, &ns, &app),
            8 => batch::cron_job(c, &ns, &app),
            9 => batch::job(c, &ns, &app),
            _ => workloads::deployment(c, &ns, &app),
        }
    }
}

/// An app's ServiceAccount, ConfigMap and Secret (metadata and type; no values).
pub(super) fn app_config(c: &mut Cluster, ns: &str, app: &str, labels: &Value) {
    service_account(c, ns, app);
    let ident = Ident::new(
        &mut c.rng,
        "v1",
        "ConfigMap",
        Some(ns),
        format!("{app}-config"),
    );
    let object = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, Some(json!({"meta.helm.sh/release-name": app, "meta.helm.sh/release-namespace": ns})), None),
        "data": {"database-url": format!("postgres://{app}@{app}-db.{ns}.svc:5432/{}", app.replace('-', "_")),
                 "config.yaml": format!("server:\n  port: 8080\n  metricsPort: 9090\nlog:\n  level: info\n  format: json\nfeatures:\n  newCheckout: true\n  cacheTTL: 300s\nupstreams:\n  - http://{app}-cache.{ns}.svc:6379\n")}});
    c.push(object, "helm", None);
    let ident = Ident::new(
        &mut c.rng,
        "v1",
        "Secret",
        Some(ns),
        format!("{app}-secrets"),
    );
    let object = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, Some(json!({"meta.helm.sh/release-name": app, "meta.helm.sh/release-namespace": ns})), None),
        "type": "Opaque"});
    c.push(object, "helm", None);
}

fn service_account(c: &mut Cluster, ns: &str, name: &str) {
    let ident = Ident::new(&mut c.rng, "v1", "ServiceAccount", Some(ns), name);
    let object = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, &json!({}), None, None), "automountServiceAccountToken": false});
    c.push(object, "kube-controller-manager", None);
}

/// An event about `about`, last seen `age` minutes ago.
#[allow(clippy::too_many_arguments)] // An event is these fields; a struct would only rename them.
pub(super) fn event(
    c: &mut Cluster,
    about: &Ident,
    kind: &str,
    reason: &str,
    message: &str,
    count: u32,
    age: u64,
    component: &str,
) {
    let name = format!("{}.{}", about.name, c.rng.hex(16));
    let ident = Ident::new(
        &mut c.rng,
        "v1",
        "Event",
        Some(about.namespace.as_deref().unwrap_or("default")),
        name,
    );
    let first = age + u64::from(count.saturating_sub(1)) * 5;
    let object = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": meta::metadata(&mut c.rng, &ident, first, &json!({}), None, None),
        "involvedObject": about.object_reference(),
        "reason": reason, "message": message,
        "source": {"component": component}, "firstTimestamp": ago(first), "lastTimestamp": ago(age),
        "count": count, "type": kind, "eventTime": null, "reportingComponent": component, "reportingInstance": ""});
    c.push(object, component, None);
}
