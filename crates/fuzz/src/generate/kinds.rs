//! One generator per kind kubewhy reads as a typed object, plus custom resources it keeps as
//! dynamic objects: each fills the fields the checks read, with values from the shared pool.

use fastrand::Rng;
use serde_json::{Value, json};

use super::{any, count, labels, name, pick, quantity, timestamp};

/// `apiVersion` and `kind` of every kind generated.
pub const KINDS: &[(&str, &str)] = &[
    ("v1", "Pod"),
    ("v1", "Event"),
    ("events.k8s.io/v1", "Event"),
    ("v1", "Node"),
    ("v1", "Namespace"),
    ("v1", "Service"),
    ("v1", "Endpoints"),
    ("v1", "ReplicationController"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "PersistentVolume"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("extensions/v1beta1", "Ingress"),
    ("apps/v1beta1", "Deployment"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("cert-manager.io/v1", "Certificate"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("v1", "List"),
];

/// Field names the checks read, for values made up at random.
pub const FIELDS: &[&str] = &[
    "name",
    "namespace",
    "spec",
    "status",
    "metadata",
    "containers",
    "image",
    "replicas",
    "selector",
    "matchLabels",
    "labels",
    "conditions",
    "type",
    "reason",
    "message",
    "port",
    "targetPort",
    "ports",
    "items",
    "state",
    "waiting",
    "terminated",
    "exitCode",
    "kind",
    "apiVersion",
    "ownerReferences",
    "uid",
    "data",
    "resources",
    "limits",
    "requests",
];

/// An object of a random kind.
pub fn object(rng: &mut Rng) -> Value {
    let (api_version, kind) = KINDS[rng.usize(..KINDS.len())];
    object_of(rng, api_version, kind)
}

/// An object of `kind`.
pub fn object_of(rng: &mut Rng, api_version: &str, kind: &str) -> Value {
    let mut o = json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata(rng, kind) });
    if rng.u8(0..20) == 0 {
        // Written without a kind, as some bundles do: the path has to tell.
        if let Some(m) = o.as_object_mut() {
            m.remove("kind");
        }
    }
    let spec = match kind {
        "Pod" => Some(pod_spec(rng)),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "ReplicationController" => {
            Some(workload_spec(rng))
        }
        "Job" => Some(
            json!({ "template": template(rng), "backoffLimit": count(rng), "completions": count(rng) }),
        ),
        "CronJob" => Some(json!({
            "schedule": pick(rng, &["*/5 * * * *", "61 * * * *", "@hourly", "", "* * *"]),
            "suspend": rng.bool(),
            "jobTemplate": { "spec": { "template": template(rng) } },
        })),
        "Service" => Some(service_spec(rng)),
        "Ingress" => Some(ingress_spec(rng)),
        "NetworkPolicy" => Some(json!({
            "podSelector": { "matchLabels": labels(rng) },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{ "from": [{ "podSelector": {} }], "ports": [{ "port": count(rng) }] }],
        })),
        "PersistentVolumeClaim" => Some(json!({
            "storageClassName": name(rng), "volumeName": name(rng), "accessModes": ["ReadWriteOnce"],
            "resources": { "requests": { "storage": quantity(rng) } },
        })),
        "PersistentVolume" => Some(json!({
            "capacity": { "storage": quantity(rng) }, "storageClassName": name(rng),
            "claimRef": { "name": name(rng), "namespace": name(rng) },
            "nodeAffinity": { "required": { "nodeSelectorTerms": [{ "matchExpressions": [expression(rng)] }] } },
        })),
        "HorizontalPodAutoscaler" => Some(json!({
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": name(rng) },
            "minReplicas": count(rng), "maxReplicas": count(rng),
            "metrics": [{ "type": "Resource", "resource": { "name": "cpu", "target": { "type": "Utilization", "averageUtilization": count(rng) } } }],
        })),
        "PodDisruptionBudget" => Some(json!({
            "minAvailable": pick(rng, &[json!(1), json!("50%"), json!("150%"), json!("%"), json!(-3)]),
            "selector": { "matchLabels": labels(rng) },
        })),
        "Node" => Some(
            json!({ "unschedulable": rng.bool(), "taints": [{ "key": "node.kubernetes.io/not-ready", "effect": "NoSchedule" }] }),
        ),
        "RoleBinding" | "ClusterRoleBinding" => {
            o["roleRef"] = json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name(rng) });
            o["subjects"] =
                json!([{ "kind": "ServiceAccount", "name": name(rng), "namespace": name(rng) }]);
            None
        }
        _ => None,
    };
    if let Some(spec) = spec {
        o["spec"] = spec;
    }
    other_fields(rng, kind, &mut o);
    if let Some(status) = status(rng, kind) {
        o["status"] = status;
    }
    o
}

/// Fields outside `spec` and `status`.
fn other_fields(rng: &mut Rng, kind: &str, o: &mut Value) {
    match kind {
        "Event" => {
            o["involvedObject"] = json!({ "kind": pick(rng, &["Pod", "Deployment", "Node", "Service"]), "name": name(rng), "namespace": name(rng), "uid": name(rng) });
            o["regarding"] = o["involvedObject"].clone();
            o["reason"] = json!(pick(
                rng,
                &[
                    "BackOff",
                    "FailedScheduling",
                    "FailedMount",
                    "Unhealthy",
                    "OOMKilling",
                    "Failed"
                ]
            ));
            o["message"] =
                json!("0/3 nodes are available: 3 Insufficient cpu. secret \"certs\" not found");
            o["type"] = json!(pick(rng, &["Warning", "Normal", "Bogus"]));
            o["count"] = count(rng);
            o["firstTimestamp"] = timestamp(rng);
            o["lastTimestamp"] = timestamp(rng);
            o["eventTime"] = timestamp(rng);
            o["series"] = json!({ "count": count(rng), "lastObservedTime": timestamp(rng) });
        }
        "ConfigMap" => {
            o["data"] = json!({ "app.conf": "key=value", "other": name(rng) });
        }
        "Secret" => {
            o["type"] = json!(pick(
                rng,
                &[
                    "Opaque",
                    "kubernetes.io/tls",
                    "kubernetes.io/dockerconfigjson"
                ]
            ));
            o["data"] = json!({ "password": "c2VjcmV0LXZhbHVlLWZ1enotMQ==", "tls.crt": "" });
            o["stringData"] = json!({ "token": "plaintext-fuzz-secret-2" });
            if rng.u8(0..3) == 0 {
                // `kubectl apply` keeps the whole manifest, values included, in an annotation.
                let applied =
                    json!({ "apiVersion": "v1", "kind": "Secret", "data": o["data"].clone() });
                o["metadata"]["annotations"] = json!({ "kubectl.kubernetes.io/last-applied-configuration": applied.to_string() });
            }
        }
        "ServiceAccount" => {
            o["imagePullSecrets"] = json!([{ "name": name(rng) }]);
        }
        "Endpoints" => {
            o["subsets"] = json!([{ "addresses": [{ "ip": "10.0.0.1", "targetRef": { "kind": "Pod", "name": name(rng) } }], "notReadyAddresses": [], "ports": [{ "port": count(rng) }] }]);
        }
        "EndpointSlice" => {
            o["addressType"] = json!("IPv4");
            o["endpoints"] = json!([{ "addresses": ["10.0.0.2"], "conditions": { "ready": rng.bool() }, "targetRef": { "kind": "Pod", "name": name(rng) } }]);
            o["ports"] = json!([{ "port": count(rng) }]);
        }
        "StorageClass" => {
            o["provisioner"] = json!(pick(
                rng,
                &["kubernetes.io/no-provisioner", "ebs.csi.aws.com", ""]
            ));
        }
        "IngressClass" => {
            o["spec"] = json!({ "controller": "k8s.io/ingress-nginx" });
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            o["webhooks"] = json!([{ "name": "v.example.com", "failurePolicy": pick(rng, &["Fail", "Ignore"]),
                "clientConfig": { "service": { "name": name(rng), "namespace": name(rng), "port": count(rng) } },
                "namespaceSelector": { "matchExpressions": [expression(rng)] }, "sideEffects": "None", "admissionReviewVersions": ["v1"] }]);
        }
        "Role" | "ClusterRole" => {
            o["rules"] = json!([{ "apiGroups": ["*"], "resources": ["*", "secrets"], "verbs": ["*", "get"] }]);
        }
        "List" => {
            o["items"] = json!([super::object(rng)]);
        }
        _ => {}
    }
}

fn metadata(rng: &mut Rng, kind: &str) -> Value {
    let mut m =
        json!({ "name": name(rng), "uid": format!("uid-{}", rng.u8(0..8)), "labels": labels(rng) });
    if !matches!(
        kind,
        "Node" | "Namespace" | "PersistentVolume" | "StorageClass"
    ) || rng.u8(0..8) == 0
    {
        m["namespace"] = name(rng);
    }
    if rng.bool() {
        let owner = pick(
            rng,
            &[
                "ReplicaSet",
                "Deployment",
                "StatefulSet",
                "Job",
                "CronJob",
                "DaemonSet",
            ],
        );
        m["ownerReferences"] = json!([{ "apiVersion": "apps/v1", "kind": owner, "name": name(rng), "uid": format!("uid-{}", rng.u8(0..8)), "controller": rng.bool() }]);
    }
    if rng.u8(0..4) == 0 {
        m["annotations"] = json!({ "kubectl.kubernetes.io/last-applied-configuration": "{\"a\":1}", "note": name(rng) });
    }
    m["creationTimestamp"] = timestamp(rng);
    if rng.u8(0..8) == 0 {
        m["deletionTimestamp"] = timestamp(rng);
        m["finalizers"] = json!(["kubernetes.io/pvc-protection"]);
    }
    m["generation"] = count(rng);
    m
}

fn expression(rng: &mut Rng) -> Value {
    json!({ "key": "app", "operator": pick(rng, &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Bogus"]), "values": [name(rng)] })
}

fn container(rng: &mut Rng) -> Value {
    let image = pick(
        rng,
        &[
            "nginx",
            "nginx:latest",
            "registry.example.com:5000/team/app@sha256:abc",
            "",
            ":",
            "a:b:c",
        ],
    );
    json!({
        "name": name(rng),
        "image": image,
        "imagePullPolicy": pick(rng, &["Always", "IfNotPresent", "Never"]),
        "ports": [{ "containerPort": count(rng), "name": "http", "protocol": "TCP" }],
        "env": [
            { "name": "DB_PASSWORD", "value": "hunter2-fuzz-3" },
            { "name": "FROM_SECRET", "valueFrom": { "secretKeyRef": { "name": name(rng), "key": "password", "optional": rng.bool() } } },
            { "name": "FROM_CM", "valueFrom": { "configMapKeyRef": { "name": name(rng), "key": "app.conf" } } },
        ],
        "envFrom": [{ "secretRef": { "name": name(rng) } }, { "configMapRef": { "name": name(rng) } }],
        "resources": { "limits": { "cpu": quantity(rng), "memory": quantity(rng) }, "requests": { "cpu": quantity(rng), "memory": quantity(rng) } },
        "livenessProbe": { "httpGet": { "path": "/", "port": pick(rng, &[json!(8080), json!("http"), json!("nope")]) }, "periodSeconds": count(rng) },
        "readinessProbe": { "tcpSocket": { "port": count(rng) } },
        "volumeMounts": [{ "name": name(rng), "mountPath": "/etc/certs" }],
        "securityContext": { "privileged": rng.bool(), "runAsUser": count(rng), "allowPrivilegeEscalation": rng.bool(), "capabilities": { "add": ["SYS_ADMIN"] } },
    })
}

fn pod_spec(rng: &mut Rng) -> Value {
    let containers: Vec<Value> = (0..rng.usize(0..3)).map(|_| container(rng)).collect();
    json!({
        "containers": containers,
        "initContainers": if rng.u8(0..4) == 0 { json!([container(rng)]) } else { json!([]) },
        "nodeName": name(rng),
        "nodeSelector": labels(rng),
        "serviceAccountName": name(rng),
        "restartPolicy": pick(rng, &["Always", "OnFailure", "Never"]),
        "hostNetwork": rng.bool(),
        "tolerations": [{ "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute" }],
        "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [{ "matchExpressions": [expression(rng)] }] } } },
        "volumes": [
            { "name": name(rng), "secret": { "secretName": name(rng) } },
            { "name": name(rng), "configMap": { "name": name(rng) } },
            { "name": name(rng), "persistentVolumeClaim": { "claimName": name(rng) } },
            { "name": name(rng), "hostPath": { "path": "/var/run/docker.sock" } },
        ],
        "imagePullSecrets": [{ "name": name(rng) }],
        "priorityClassName": name(rng),
    })
}

fn template(rng: &mut Rng) -> Value {
    json!({ "metadata": { "labels": labels(rng) }, "spec": pod_spec(rng) })
}

fn workload_spec(rng: &mut Rng) -> Value {
    let selector = if rng.bool() {
        json!({ "matchLabels": labels(rng) })
    } else {
        json!({ "matchExpressions": [expression(rng)] })
    };
    json!({
        "replicas": count(rng), "selector": selector, "template": template(rng),
        "serviceName": name(rng), "paused": rng.u8(0..6) == 0,
        "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": pick(rng, &["25%", "0", "200%"]), "maxSurge": count(rng) } },
        "volumeClaimTemplates": [{ "metadata": { "name": name(rng) }, "spec": { "storageClassName": name(rng) } }],
    })
}

fn service_spec(rng: &mut Rng) -> Value {
    json!({
        "type": pick(rng, &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "Headless"]),
        "selector": labels(rng),
        "clusterIP": pick(rng, &["None", "10.96.0.1", ""]),
        "externalName": name(rng),
        "ports": [{ "name": "http", "port": count(rng), "targetPort": pick(rng, &[json!(8080), json!("http"), json!("missing"), json!(0)]), "nodePort": count(rng) }],
    })
}

fn ingress_spec(rng: &mut Rng) -> Value {
    let port = if rng.bool() {
        json!({ "number": count(rng) })
    } else {
        json!({ "name": name(rng) })
    };
    json!({
        "ingressClassName": name(rng),
        "defaultBackend": { "service": { "name": name(rng), "port": port.clone() } },
        "rules": [{ "host": pick(rng, &["shop.example.com", "*.example.com", "", "UPPER..bad"]), "http": { "paths": [{ "path": "/", "pathType": pick(rng, &["Prefix", "Exact", "Bogus"]), "backend": { "service": { "name": name(rng), "port": port }, "serviceName": name(rng), "servicePort": count(rng) } }] } }],
        "tls": [{ "hosts": ["shop.example.com"], "secretName": name(rng) }],
    })
}

fn container_status(rng: &mut Rng) -> Value {
    let waiting = pick(
        rng,
        &[
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
            "ContainerCreating",
            "RunContainerError",
            "",
        ],
    );
    let terminated = json!({ "exitCode": count(rng), "reason": pick(rng, &["OOMKilled", "Error", "Completed", "ContainerCannotRun"]), "message": "exec: not found", "finishedAt": timestamp(rng) });
    let state = match rng.u8(0..3) {
        0 => {
            json!({ "waiting": { "reason": waiting, "message": "Back-off pulling image \"nginx:nope\"" } })
        }
        1 => json!({ "terminated": terminated.clone() }),
        _ => json!({ "running": { "startedAt": timestamp(rng) } }),
    };
    json!({ "name": name(rng), "ready": rng.bool(), "restartCount": count(rng), "image": "nginx", "imageID": "", "state": state, "lastState": { "terminated": terminated }, "started": rng.bool() })
}

fn conditions(rng: &mut Rng, types: &[&str]) -> Value {
    let list: Vec<Value> = (0..rng.usize(0..4))
        .map(|_| {
            json!({
                "type": types[rng.usize(..types.len())],
                "status": pick(rng, &["True", "False", "Unknown", "true", ""]),
                "reason": pick(rng, &["ProgressDeadlineExceeded", "Unschedulable", "KubeletNotReady", "BackoffLimitExceeded", "MinimumReplicasUnavailable"]),
                "message": "0/3 nodes are available",
                "lastTransitionTime": timestamp(rng),
            })
        })
        .collect();
    Value::Array(list)
}

fn status(rng: &mut Rng, kind: &str) -> Option<Value> {
    Some(match kind {
        "Pod" => json!({
            "phase": pick(rng, &["Pending", "Running", "Succeeded", "Failed", "Unknown", "Evicted"]),
            "reason": pick(rng, &["Evicted", "NodeLost", ""]),
            "conditions": conditions(rng, &["Ready", "PodScheduled", "ContainersReady", "Initialized"]),
            "containerStatuses": (0..rng.usize(0..3)).map(|_| container_status(rng)).collect::<Vec<_>>(),
            "initContainerStatuses": if rng.u8(0..4) == 0 { json!([container_status(rng)]) } else { json!([]) },
            "podIP": "10.0.0.7", "hostIP": "192.168.1.4", "startTime": timestamp(rng), "qosClass": "BestEffort",
        }),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController" => json!({
            "replicas": count(rng), "readyReplicas": count(rng), "availableReplicas": count(rng), "updatedReplicas": count(rng),
            "unavailableReplicas": count(rng), "observedGeneration": count(rng),
            "conditions": conditions(rng, &["Available", "Progressing", "ReplicaFailure"]),
        }),
        "DaemonSet" => {
            json!({ "desiredNumberScheduled": count(rng), "numberReady": count(rng), "numberUnavailable": count(rng), "numberMisscheduled": count(rng) })
        }
        "Job" => {
            json!({ "failed": count(rng), "succeeded": count(rng), "active": count(rng), "conditions": conditions(rng, &["Failed", "Complete", "Suspended"]) })
        }
        "CronJob" => {
            json!({ "lastScheduleTime": timestamp(rng), "lastSuccessfulTime": timestamp(rng), "active": [{ "name": name(rng) }] })
        }
        "Node" => json!({
            "conditions": conditions(rng, &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]),
            "capacity": { "cpu": quantity(rng), "memory": quantity(rng), "pods": quantity(rng) },
            "allocatable": { "cpu": quantity(rng), "memory": quantity(rng), "pods": quantity(rng) },
            "nodeInfo": { "kubeletVersion": pick(rng, &["v1.29.3", "v1.19.0", "garbage", ""]), "containerRuntimeVersion": "containerd://1.7.0" },
        }),
        "PersistentVolumeClaim" | "PersistentVolume" | "Namespace" => {
            json!({ "phase": pick(rng, &["Pending", "Bound", "Lost", "Released", "Terminating", "Failed"]) })
        }
        "HorizontalPodAutoscaler" => {
            json!({ "currentReplicas": count(rng), "desiredReplicas": count(rng), "conditions": conditions(rng, &["AbleToScale", "ScalingActive", "ScalingLimited"]) })
        }
        "PodDisruptionBudget" => {
            json!({ "disruptionsAllowed": count(rng), "currentHealthy": count(rng), "desiredHealthy": count(rng), "expectedPods": count(rng) })
        }
        "Service" => json!({ "loadBalancer": { "ingress": [] } }),
        "Ingress" => json!({ "loadBalancer": { "ingress": [{ "ip": "203.0.113.9" }] } }),
        _ if rng.u8(0..4) == 0 => any(rng, 2),
        _ => return None,
    })
}
