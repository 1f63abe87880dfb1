//! Long-running workloads: Deployments with their ReplicaSets, StatefulSets with their volume
//! claims and volumes, DaemonSets, their pods, and the HPAs and PDBs that go with them.

use serde_json::{Value, json};

use super::{
    Cluster, Failure,
    cluster::{app_config, event},
    meta::{self, Ident, ago},
    network,
    pods::{self, Template},
};

/// Standard labels of an app's objects.
pub(super) fn labels(app: &str, ns: &str, version: &str) -> Value {
    json!({"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app, "app.kubernetes.io/part-of": ns,
           "app.kubernetes.io/version": version, "app.kubernetes.io/managed-by": "Helm",
           "helm.sh/chart": format!("{app}-1.4.2"), "team": ns.split('-').next().unwrap_or(ns)})
}

/// The labels a pod selector matches on.
pub(super) fn selector(app: &str) -> Value {
    json!({"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app})
}

/// A pod owned by `owner`: its object, its events and its logs. Returns it and whether it is
/// ready, with its IP.
#[allow(clippy::too_many_arguments)] // The pod's parts; grouping them would only rename them.
pub(super) fn pod(
    c: &mut Cluster,
    ns: &str,
    name: &str,
    labels: &Value,
    owner: &Ident,
    template: &Template<'_>,
    node: Option<(String, String)>,
) -> (Ident, bool, String) {
    let ident = Ident::new(&mut c.rng, "v1", "Pod", Some(ns), name);
    let failure = template.failure.filter(|f| f.in_pods());
    let scheduled = !matches!(failure, Some(Failure::Unschedulable | Failure::PvcPending));
    let node = if scheduled {
        Some(node.unwrap_or_else(|| c.place()))
    } else {
        None
    };
    let age = 600 + c.rng.below(20_000) as u64;
    let spec = pods::spec(template, node.as_ref().map(|(n, _)| n.as_str()));
    let ip = c.pod_ip();
    let status = pods::status(
        &spec,
        failure,
        node.as_ref().map(|(_, ip)| ip.as_str()),
        &ip,
        age,
        &mut c.rng,
    );
    let annotations = json!({"kubectl.kubernetes.io/restartedAt": ago(age + 60), "prometheus.io/scrape": "true",
                             "prometheus.io/port": "9090", "checksum/config": c.rng.hex(16)});
    let mut object = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": meta::metadata(&mut c.rng, &ident, age, labels, Some(annotations), Some(owner)),
        "spec": spec, "status": status});
    object["metadata"]["generateName"] =
        format!("{}-", name.rsplit_once('-').map_or(name, |(stem, _)| stem)).into();
    c.push(object, "kube-controller-manager", Some("kubelet"));
    c.pods += 1;
    pod_events(c, &ident, template, failure);
    (ident, failure.is_none(), ip)
}

fn pod_events(c: &mut Cluster, pod: &Ident, t: &Template<'_>, failure: Option<Failure>) {
    let image = format!("registry.example.com/{}/{}:{}", t.app, t.app, t.version);
    let Some(failure) = failure else {
        if c.rng.chance(0.2) {
            let message = format!(
                "Successfully pulled image \"{image}\" in 1.204s (1.204s including waiting). Image size: 48211934 bytes."
            );
            let age = 30 + c.rng.below(600) as u64;
            event(c, pod, "Normal", "Pulled", &message, 1, age, "kubelet");
        }
        return;
    };
    let (reason, message, component) = match failure {
        Failure::CrashLoop | Failure::OomKilled | Failure::StartFailing => (
            "BackOff", format!("Back-off restarting failed container {} in pod {}_{}", t.app, pod.name, pod.namespace.as_deref().unwrap_or("")), "kubelet"),
        Failure::ImagePull => ("Failed", format!("Failed to pull image \"{image}-rc9\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}-rc9\": not found"), "kubelet"),
        Failure::ConfigError => ("Failed", format!("Error: couldn't find key databse-password in Secret {}/{}-secrets", pod.namespace.as_deref().unwrap_or(""), t.app), "kubelet"),
        Failure::NotReady => ("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503".to_owned(), "kubelet"),
        Failure::StuckCreating => ("FailedMount", format!("MountVolume.SetUp failed for volume \"config\" : configmap \"{}-settings\" not found", t.app), "kubelet"),
        Failure::Unschedulable | Failure::PvcPending => ("FailedScheduling", "0/40 nodes are available: 40 node(s) didn't match Pod's node affinity/selector. preemption: 0/40 nodes are available: 40 Preemption is not helpful for scheduling.".to_owned(), "default-scheduler"),
        Failure::Evicted => ("Evicted", "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9812Mi.".to_owned(), "kubelet"),
        _ => return,
    };
    let count = 5 + u32::try_from(c.rng.below(40)).unwrap_or(0);
    event(c, pod, "Warning", reason, &message, count, 1, component);
    if let Some((text, previous)) = pods::log(t.app, failure) {
        let ns = pod.namespace.clone().unwrap_or_default();
        c.log(&ns, &pod.name, t.app, &text, previous);
    }
}

/// A workload object's `spec.template`.
fn pod_template(labels: &Value, template: &Template<'_>) -> Value {
    json!({"metadata": {"labels": labels, "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}},
           "spec": pods::spec(template, None)})
}

/// A Deployment, its ReplicaSet and pods, Service, and sometimes an HPA, a PDB and an Ingress.
pub(super) fn deployment(c: &mut Cluster, ns: &str, app: &str) {
    let failure = c.failure(&Failure::DEPLOYMENT);
    let replicas = (3 + c.rng.below(3)).min(c.remaining()).max(1);
    let version = format!("1.{}.{}", c.rng.below(30), c.rng.below(10));
    let labels = labels(app, ns, &version);
    app_config(c, ns, app, &labels);
    let template = Template {
        app,
        version: &version,
        failure,
        claim: None,
        restart_policy: "Always",
    };
    let deploy = Ident::new(&mut c.rng, "apps/v1", "Deployment", Some(ns), app);
    let hash = c.rng.suffix(10);
    let pod_labels = {
        let mut l = labels.clone();
        l["pod-template-hash"] = hash.clone().into();
        l
    };
    let ready = if failure.is_some_and(Failure::in_pods) {
        0
    } else {
        replicas
    };
    let conditions = deployment_conditions(app, &hash, ready < replicas);
    let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta::metadata(&mut c.rng, &deploy, 9_000, &labels, Some(json!({"deployment.kubernetes.io/revision": "3", "meta.helm.sh/release-name": app, "meta.helm.sh/release-namespace": ns})), None),
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector(app)}, "template": pod_template(&labels, &template),
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": 3, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
                   "availableReplicas": ready, "unavailableReplicas": replicas - ready, "conditions": conditions}});
    c.push(object, "helm", Some("kube-controller-manager"));
    event(
        c,
        &deploy,
        "Normal",
        "ScalingReplicaSet",
        &format!("Scaled up replica set {app}-{hash} from 0 to {replicas}"),
        1,
        9_000,
        "deployment-controller",
    );
    let rs = Ident::new(
        &mut c.rng,
        "apps/v1",
        "ReplicaSet",
        Some(ns),
        format!("{app}-{hash}"),
    );
    let object = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": meta::metadata(&mut c.rng, &rs, 9_000, &pod_labels, Some(json!({"deployment.kubernetes.io/desired-replicas": replicas.to_string(), "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(), "deployment.kubernetes.io/revision": "3"})), Some(&deploy)),
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app, "pod-template-hash": hash}},
                 "template": pod_template(&pod_labels, &template)},
        "status": {"replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "observedGeneration": 3}});
    c.push(
        object,
        "kube-controller-manager",
        Some("kube-controller-manager"),
    );
    if let Some(failure) = failure {
        c.record(failure);
    }
    let mut backends = Vec::new();
    for _ in 0..replicas {
        let name = format!("{app}-{hash}-{}", c.rng.suffix(5));
        backends.push(pod(c, ns, &name, &pod_labels, &rs, &template, None));
    }
    let service_selector = if failure == Some(Failure::ServiceNoPods) {
        json!({"app.kubernetes.io/name": format!("{app}-api"), "app.kubernetes.io/instance": app})
    } else {
        selector(app)
    };
    let backends = if failure == Some(Failure::ServiceNoPods) {
        Vec::new()
    } else {
        backends
    };
    network::service(c, ns, app, &labels, &service_selector, &backends, false);
    let n = c.rng.below(6);
    if n < 3 || failure == Some(Failure::HpaTargetMissing) {
        let target = if failure == Some(Failure::HpaTargetMissing) {
            format!("{app}-v2")
        } else {
            app.to_owned()
        };
        hpa(c, ns, app, &labels, &target, replicas);
    }
    if n.is_multiple_of(2) {
        pdb(c, ns, app, &labels, replicas, ready);
    }
    if n == 0 || failure == Some(Failure::IngressBackendMissing) {
        network::ingress(
            c,
            ns,
            app,
            &labels,
            failure == Some(Failure::IngressBackendMissing),
        );
    }
}

/// A Deployment's `Available` and `Progressing` conditions, `stalled` past its deadline or not.
fn deployment_conditions(app: &str, hash: &str, stalled: bool) -> Value {
    let progressing = if stalled {
        json!({"type": "Progressing", "status": "False", "lastUpdateTime": ago(20), "lastTransitionTime": ago(20),
               "reason": "ProgressDeadlineExceeded", "message": format!("ReplicaSet \"{app}-{hash}\" has timed out progressing.")})
    } else {
        json!({"type": "Progressing", "status": "True", "lastUpdateTime": ago(9_000), "lastTransitionTime": ago(9_000),
               "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{app}-{hash}\" has successfully progressed.")})
    };
    let available = json!({"type": "Available", "status": if stalled { "False" } else { "True" }, "lastUpdateTime": ago(20),
        "lastTransitionTime": ago(20), "reason": if stalled { "MinimumReplicasUnavailable" } else { "MinimumReplicasAvailable" },
        "message": if stalled { "Deployment does not have minimum availability." } else { "Deployment has minimum availability." }});
    json!([available, progressing])
}

fn hpa(c: &mut Cluster, ns: &str, app: &str, labels: &Value, target: &str, replicas: usize) {
    let ident = Ident::new(
        &mut c.rng,
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        Some(ns),
        app,
    );
    let missing = target != app;
    let able = if missing {
        json!({"type": "AbleToScale", "status": "False", "lastTransitionTime": ago(30), "reason": "FailedGetScale",
               "message": format!("the HPA controller was unable to get the target's current scale: deployments/scale.apps \"{target}\" not found")})
    } else {
        json!({"type": "AbleToScale", "status": "True", "lastTransitionTime": ago(9_000), "reason": "ReadyForNewScale", "message": "recommended size matches current size"})
    };
    let object = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, None, None),
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "minReplicas": replicas, "maxReplicas": replicas * 4,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                             {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
        "status": {"currentReplicas": replicas, "desiredReplicas": replicas, "currentMetrics": [
                       {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 31, "averageValue": "78m"}}}],
                   "conditions": [able, {"type": "ScalingActive", "status": if missing { "False" } else { "True" }, "lastTransitionTime": ago(9_000),
                                         "reason": if missing { "FailedGetScale" } else { "ValidMetricFound" }, "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"},
                                  {"type": "ScalingLimited", "status": "False", "lastTransitionTime": ago(9_000), "reason": "DesiredWithinRange", "message": "the desired count is within the acceptable range"}]}});
    c.push(object, "helm", Some("kube-controller-manager"));
}

fn pdb(c: &mut Cluster, ns: &str, app: &str, labels: &Value, replicas: usize, healthy: usize) {
    let ident = Ident::new(
        &mut c.rng,
        "policy/v1",
        "PodDisruptionBudget",
        Some(ns),
        app,
    );
    let allowed = healthy.saturating_sub(replicas.saturating_sub(1));
    let object = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, None, None),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(app)}, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
        "status": {"observedGeneration": 1, "disruptionsAllowed": allowed, "currentHealthy": healthy,
                   "desiredHealthy": replicas.saturating_sub(1), "expectedPods": replicas,
                   "conditions": [{"type": "DisruptionAllowed", "status": if allowed > 0 { "True" } else { "False" }, "observedGeneration": 1,
                                   "lastTransitionTime": ago(9_000), "reason": if allowed > 0 { "SufficientPods" } else { "InsufficientPods" }, "message": ""}]}});
    c.push(object, "helm", Some("kube-controller-manager"));
}

/// A StatefulSet of three with a headless Service and a volume per pod.
pub(super) fn stateful_set(c: &mut Cluster, ns: &str, app: &str) {
    let failure = c.failure(&[Failure::PvcPending, Failure::CrashLoop, Failure::OomKilled]);
    let replicas = 3.min(c.remaining());
    let version = format!("15.{}", c.rng.below(8));
    let labels = labels(app, ns, &version);
    app_config(c, ns, app, &labels);
    let template = Template {
        app,
        version: &version,
        failure,
        claim: Some("data"),
        restart_policy: "Always",
    };
    let sts = Ident::new(&mut c.rng, "apps/v1", "StatefulSet", Some(ns), app);
    let ready = if failure.is_some() { 0 } else { replicas };
    let revision = format!("{app}-{}", c.rng.suffix(10));
    let class = if failure == Some(Failure::PvcPending) {
        "fast-ssd-retain"
    } else {
        "gp3"
    };
    let object = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": meta::metadata(&mut c.rng, &sts, 9_000, &labels, None, None),
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector(app)}, "serviceName": format!("{app}-headless"),
                 "template": pod_template(&labels, &template), "podManagementPolicy": "OrderedReady",
                 "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}, "revisionHistoryLimit": 10,
                 "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                 "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                     "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class, "resources": {"requests": {"storage": "20Gi"}}, "volumeMode": "Filesystem"}}]},
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready, "currentReplicas": replicas, "updatedReplicas": replicas,
                   "currentRevision": revision, "updateRevision": revision, "collisionCount": 0, "availableReplicas": ready}});
    c.push(object, "helm", Some("kube-controller-manager"));
    if let Some(failure) = failure {
        c.record(failure);
    }
    let mut backends = Vec::new();
    for i in 0..replicas {
        let claim = format!("data-{app}-{i}");
        super::batch::volume(
            c,
            ns,
            &claim,
            &labels,
            class,
            failure == Some(Failure::PvcPending),
        );
        let mut pod_labels = labels.clone();
        pod_labels["controller-revision-hash"] = revision.clone().into();
        pod_labels["statefulset.kubernetes.io/pod-name"] = format!("{app}-{i}").into();
        let template = Template {
            claim: Some(&claim),
            ..Template {
                app,
                version: &version,
                failure,
                claim: None,
                restart_policy: "Always",
            }
        };
        backends.push(pod(
            c,
            ns,
            &format!("{app}-{i}"),
            &pod_labels,
            &sts,
            &template,
            None,
        ));
    }
    network::service(
        c,
        ns,
        &format!("{app}-headless"),
        &labels,
        &selector(app),
        &backends,
        true,
    );
}

/// The node agents in `kube-system`: one pod of each on every node.
pub(super) fn daemon_sets(c: &mut Cluster) {
    for name in ["kube-proxy", "node-exporter", "fluent-bit"] {
        if c.remaining() < c.nodes.len() {
            return;
        }
        let failure = c.failure(&[Failure::CrashLoop]);
        let version = "1.32.0".to_owned();
        let labels = labels(name, "kube-system", &version);
        app_config(c, "kube-system", name, &labels);
        let template = Template {
            app: name,
            version: &version,
            failure,
            claim: None,
            restart_policy: "Always",
        };
        let ds = Ident::new(
            &mut c.rng,
            "apps/v1",
            "DaemonSet",
            Some("kube-system"),
            name,
        );
        let nodes: Vec<(String, String, bool)> = c
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.ip.clone(), n.ready))
            .collect();
        let count = nodes.len();
        let ready = if failure.is_some() {
            0
        } else {
            nodes.iter().filter(|n| n.2).count()
        };
        let object = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": meta::metadata(&mut c.rng, &ds, 300_000, &labels, Some(json!({"deprecated.daemonset.template.generation": "4"})), None),
            "spec": {"selector": {"matchLabels": selector(name)}, "template": pod_template(&labels, &template),
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}, "revisionHistoryLimit": 10},
            "status": {"currentNumberScheduled": count, "numberMisscheduled": 0, "desiredNumberScheduled": count, "numberReady": ready,
                       "observedGeneration": 4, "updatedNumberScheduled": count, "numberAvailable": ready, "numberUnavailable": count - ready}});
        c.push(object, "helm", Some("kube-controller-manager"));
        if let Some(failure) = failure {
            c.record(failure);
        }
        for (node, ip, _) in nodes {
            let pod_name = format!("{name}-{}", c.rng.suffix(5));
            let mut pod_labels = labels.clone();
            pod_labels["controller-revision-hash"] = c.rng.suffix(10).into();
            pod(
                c,
                "kube-system",
                &pod_name,
                &pod_labels,
                &ds,
                &template,
                Some((node, ip)),
            );
        }
    }
}
