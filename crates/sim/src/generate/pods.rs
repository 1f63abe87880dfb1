//! Pods as a real API server returns them: full specs (env, volumes, probes, resources,
//! security contexts, tolerations) and statuses (conditions, container states) for each way a
//! pod can be failing, and the logs a failing container leaves.

use serde_json::{Value, json};

use super::{Failure, Rng, meta::ago};

/// What a pod's spec is made from.
pub(super) struct Template<'a> {
    /// The app: container name prefix, image and config names derive from it.
    pub app: &'a str,
    /// The image tag.
    pub version: &'a str,
    /// The failure its containers are built with, if any.
    pub failure: Option<Failure>,
    /// The volume claim template's name, for StatefulSets.
    pub claim: Option<&'a str>,
    /// `Always`, or `OnFailure`/`Never` for Jobs.
    pub restart_policy: &'a str,
}

fn container(t: &Template<'_>) -> Value {
    let image = match t.failure {
        Some(Failure::ImagePull) => {
            format!("registry.example.com/{}/{}:{}-rc9", t.app, t.app, t.version)
        }
        _ => format!("registry.example.com/{}/{}:{}", t.app, t.app, t.version),
    };
    let secret_key = if t.failure == Some(Failure::ConfigError) {
        "databse-password"
    } else {
        "database-password"
    };
    let memory = if t.failure == Some(Failure::OomKilled) {
        "64Mi"
    } else {
        "512Mi"
    };
    let mut mounts = vec![
        json!({"name": "config", "mountPath": "/etc/app", "readOnly": true}),
        json!({"name": "tmp", "mountPath": "/tmp"}),
        json!({"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}),
    ];
    if t.claim.is_some() {
        mounts.push(json!({"name": "data", "mountPath": "/var/lib/data"}));
    }
    let command = if t.failure == Some(Failure::StartFailing) {
        "/app/bin/serve"
    } else {
        "/app/server"
    };
    json!({
        "name": t.app,
        "image": image,
        "command": [command],
        "args": ["--config=/etc/app/config.yaml", "--port=8080", "--metrics-port=9090"],
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}
        ],
        "env": [
            {"name": "APP_NAME", "value": t.app},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
            {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"containerName": t.app, "resource": "limits.cpu", "divisor": "1"}}},
            {"name": "DATABASE_URL", "valueFrom": {"configMapKeyRef": {"name": format!("{}-config", t.app), "key": "database-url"}}},
            {"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": format!("{}-secrets", t.app), "key": secret_key}}}
        ],
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "1Gi"},
            "limits": {"cpu": "1", "memory": memory, "ephemeral-storage": "2Gi"}
        },
        "volumeMounts": mounts,
        "livenessProbe": {"httpGet": {"path": "/livez", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 10,
                          "timeoutSeconds": 2, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 5,
                           "timeoutSeconds": 2, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3},
        "startupProbe": {"httpGet": {"path": "/livez", "port": "http", "scheme": "HTTP"}, "timeoutSeconds": 1,
                         "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 30},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {
            "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
            "runAsUser": 10001, "runAsGroup": 10001, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}
        }
    })
}

/// A pod spec: one app container and a log-shipping sidecar, projected service account token,
/// config and scratch volumes, tolerations and anti-affinity.
pub(super) fn spec(t: &Template<'_>, node: Option<&str>) -> Value {
    let config = if t.failure == Some(Failure::StuckCreating) {
        format!("{}-settings", t.app)
    } else {
        format!("{}-config", t.app)
    };
    let mut volumes = vec![
        json!({"name": "config", "configMap": {"name": config, "defaultMode": 420}}),
        json!({"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}),
        json!({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
        ]}}),
    ];
    // A StatefulSet's template names its claim template, whose volume the controller adds
    // to each pod.
    if let Some(claim) = t.claim.filter(|c| *c != "data") {
        volumes.push(json!({"name": "data", "persistentVolumeClaim": {"claimName": claim}}));
    }
    let sidecar = json!({
        "name": "log-shipper", "image": "registry.example.com/platform/log-shipper:2.4.1",
        "args": ["--input=/tmp/*.log", "--output=otlp://collector.observability:4317"],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi", "ephemeral-storage": "64Mi"},
                      "limits": {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "128Mi"}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp", "readOnly": true}],
        "livenessProbe": {"exec": {"command": ["/bin/health"]}, "periodSeconds": 30, "timeoutSeconds": 1,
                          "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"exec": {"command": ["/bin/health"]}, "periodSeconds": 30, "timeoutSeconds": 1,
                           "successThreshold": 1, "failureThreshold": 3},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true,
                            "runAsUser": 10002, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    });
    let mut spec = json!({
        "volumes": volumes,
        "containers": [container(t), sidecar],
        "restartPolicy": t.restart_policy,
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "dnsConfig": {"options": [{"name": "ndots", "value": "2"}]},
        "serviceAccountName": t.app,
        "serviceAccount": t.app,
        "automountServiceAccountToken": false,
        "securityContext": {"runAsNonRoot": true, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": t.app}},
                                "topologyKey": "kubernetes.io/hostname"}}]}},
        "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ],
        "priority": 0,
        "enableServiceLinks": false,
        "preemptionPolicy": "PreemptLowerPriority"
    });
    if t.failure == Some(Failure::Unschedulable) {
        spec["nodeSelector"] = json!({"node.kubernetes.io/instance-type": "p5.48xlarge"});
    }
    if let Some(node) = node {
        spec["nodeName"] = node.into();
    }
    spec
}

/// One container's status, for the failure the pod shows.
fn container_status(
    name: &str,
    image: &str,
    failure: Option<Failure>,
    started: &str,
    rng: &mut Rng,
) -> Value {
    let id = format!("containerd://{:016x}{:016x}", rng.next(), rng.next());
    let image_id = format!(
        "{image}@sha256:{:016x}{:016x}{:016x}{:016x}",
        rng.next(),
        rng.next(),
        rng.next(),
        rng.next()
    );
    let running = json!({"running": {"startedAt": started}});
    let terminated = |reason: &str, code: u8| json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": ago(6), "finishedAt": ago(5), "containerID": id}});
    let waiting =
        |reason: &str, message: String| json!({"waiting": {"reason": reason, "message": message}});
    let (ready, restarts, state, last) = match failure {
        None => (true, 0, running, json!({})),
        Some(Failure::NotReady) => (false, 0, running, json!({})),
        Some(Failure::CrashLoop) => (
            false,
            17,
            waiting(
                "CrashLoopBackOff",
                format!("back-off 5m0s restarting failed container={name} pod={name}"),
            ),
            terminated("Error", 1),
        ),
        Some(Failure::OomKilled) => (
            false,
            9,
            waiting(
                "CrashLoopBackOff",
                format!("back-off 5m0s restarting failed container={name} pod={name}"),
            ),
            terminated("OOMKilled", 137),
        ),
        Some(Failure::ImagePull) => (
            false,
            0,
            waiting(
                "ImagePullBackOff",
                format!("Back-off pulling image \"{image}\""),
            ),
            json!({}),
        ),
        Some(Failure::ConfigError) => (
            false,
            0,
            waiting(
                "CreateContainerConfigError",
                format!("couldn't find key databse-password in Secret {name}-secrets"),
            ),
            json!({}),
        ),
        Some(Failure::StartFailing) => (
            false,
            0,
            waiting(
                "RunContainerError",
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app/bin/serve\": stat /app/bin/serve: no such file or directory: unknown".to_owned(),
            ),
            json!({}),
        ),
        Some(_) => (
            false,
            0,
            waiting("ContainerCreating", String::new()),
            json!({}),
        ),
    };
    let mut status = json!({"name": name, "state": state, "lastState": last, "ready": ready,
        "restartCount": restarts, "image": image, "imageID": image_id, "containerID": id, "started": ready});
    if matches!(
        failure,
        Some(
            Failure::ImagePull
                | Failure::ConfigError
                | Failure::StuckCreating
                | Failure::StartFailing
        )
    ) {
        let map = status.as_object_mut();
        if let Some(map) = map {
            map.remove("containerID");
            map.insert("imageID".into(), "".into());
        }
    }
    status
}

/// A pod's status: phase, conditions, IPs and container states for `failure`.
pub(super) fn status(
    spec: &Value,
    failure: Option<Failure>,
    host_ip: Option<&str>,
    pod_ip: &str,
    age: u64,
    rng: &mut Rng,
) -> Value {
    let started = ago(age.saturating_sub(1));
    let containers = spec["containers"].as_array().map_or(&[][..], Vec::as_slice);
    if failure == Some(Failure::Unschedulable) || failure == Some(Failure::PvcPending) {
        let message = if failure == Some(Failure::PvcPending) {
            "0/40 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/40 nodes are available: 40 Preemption is not helpful for scheduling."
        } else {
            "0/40 nodes are available: 40 node(s) didn't match Pod's node affinity/selector. preemption: 0/40 nodes are available: 40 Preemption is not helpful for scheduling."
        };
        return json!({"phase": "Pending", "qosClass": "Burstable", "conditions": [
            {"type": "PodScheduled", "status": "False", "lastProbeTime": null, "lastTransitionTime": ago(age),
             "reason": "Unschedulable", "message": message}]});
    }
    if failure == Some(Failure::Evicted) {
        return json!({"phase": "Failed", "reason": "Evicted", "qosClass": "Burstable", "startTime": ago(age),
            "message": "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9812Mi. Container app was using 14Gi, request is 1Gi, has larger consumption of ephemeral-storage.",
            "hostIP": host_ip, "conditions": [
            {"type": "DisruptionTarget", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(40),
             "reason": "TerminationByKubelet", "message": "The node was low on resource: ephemeral-storage."}]});
    }
    let statuses: Vec<Value> = containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = c["name"].as_str().unwrap_or("app");
            let image = c["image"].as_str().unwrap_or("");
            container_status(
                name,
                image,
                if i == 0 { failure } else { None },
                &started,
                rng,
            )
        })
        .collect();
    let ready = failure.is_none();
    let condition = |kind: &str, ok: bool| {
        let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastProbeTime": null,
                           "lastTransitionTime": ago(if ok { age.saturating_sub(1) } else { 20 })});
        if !ok {
            c["reason"] = "ContainersNotReady".into();
            c["message"] = format!(
                "containers with unready status: [{}]",
                containers
                    .first()
                    .and_then(|c| c["name"].as_str())
                    .unwrap_or("app")
            )
            .into();
        }
        c
    };
    let phase = if matches!(
        failure,
        Some(
            Failure::ImagePull
                | Failure::ConfigError
                | Failure::StuckCreating
                | Failure::StartFailing
        )
    ) {
        "Pending"
    } else {
        "Running"
    };
    json!({
        "phase": phase,
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(age)},
            {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(age)},
            condition("Ready", ready),
            condition("ContainersReady", ready),
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(age)}
        ],
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": ago(age),
        "containerStatuses": statuses,
        "qosClass": "Burstable"
    })
}

/// The log a failing app container leaves, and whether it is the previous instance's.
pub(super) fn log(app: &str, failure: Failure) -> Option<(String, bool)> {
    let start = format!(
        "{{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"starting {app}\",\"version\":\"1.4.2\"}}\n\
         {{\"level\":\"info\",\"ts\":\"{}\",\"msg\":\"loaded config\",\"path\":\"/etc/app/config.yaml\"}}\n",
        ago(6),
        ago(6)
    );
    let end = match failure {
        Failure::CrashLoop | Failure::JobFailed => format!(
            "{{\"level\":\"info\",\"ts\":\"{0}\",\"msg\":\"connecting to database\",\"host\":\"{app}-db:5432\"}}\n\
             {{\"level\":\"error\",\"ts\":\"{0}\",\"msg\":\"cannot connect to database\",\"error\":\"dial tcp 10.96.14.7:5432: connect: connection refused\"}}\n\
             panic: cannot connect to database: dial tcp 10.96.14.7:5432: connect: connection refused\n\n\
             goroutine 1 [running]:\nmain.main()\n\t/src/cmd/server/main.go:48 +0x1c5\n",
            ago(5)
        ),
        Failure::OomKilled => format!(
            "{{\"level\":\"info\",\"ts\":\"{0}\",\"msg\":\"warming cache\",\"entries\":4194304}}\n\
             {{\"level\":\"warn\",\"ts\":\"{0}\",\"msg\":\"heap usage high\",\"heap_mib\":61}}\n",
            ago(5)
        ),
        Failure::NotReady => format!(
            "{{\"level\":\"warn\",\"ts\":\"{0}\",\"msg\":\"dependency not ready\",\"dependency\":\"http://{app}-cache:6379\"}}\n\
             {{\"level\":\"error\",\"ts\":\"{0}\",\"msg\":\"readiness check failed\",\"error\":\"redis: connection pool timeout\"}}\n",
            ago(1)
        ),
        _ => return None,
    };
    Some((
        start + &end,
        matches!(failure, Failure::CrashLoop | Failure::OomKilled),
    ))
}

/// The status of a Job's pod that ran to completion, or failed with exit code 1.
pub(super) fn finished_status(
    spec: &Value,
    failed: bool,
    host_ip: &str,
    pod_ip: &str,
    age: u64,
    rng: &mut Rng,
) -> Value {
    let containers = spec["containers"].as_array().map_or(&[][..], Vec::as_slice);
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let (code, reason) = if failed && c["name"] != "log-shipper" { (1, "Error") } else { (0, "Completed") };
            json!({"name": c["name"], "state": {"terminated": {"exitCode": code, "reason": reason,
                "startedAt": ago(age), "finishedAt": ago(age.saturating_sub(1)),
                "containerID": format!("containerd://{:016x}{:016x}", rng.next(), rng.next())}},
                "lastState": {}, "ready": false, "restartCount": 0, "image": c["image"],
                "imageID": format!("{}@sha256:{:016x}{:016x}", c["image"].as_str().unwrap_or(""), rng.next(), rng.next()),
                "started": false})
        })
        .collect();
    let reason = if failed { "PodFailed" } else { "PodCompleted" };
    json!({
        "phase": if failed { "Failed" } else { "Succeeded" },
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "False", "lastProbeTime": null, "lastTransitionTime": ago(age)},
            {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(age), "reason": reason},
            {"type": "Ready", "status": "False", "lastProbeTime": null, "lastTransitionTime": ago(age), "reason": reason},
            {"type": "ContainersReady", "status": "False", "lastProbeTime": null, "lastTransitionTime": ago(age), "reason": reason},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": ago(age)}
        ],
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": ago(age), "containerStatuses": statuses, "qosClass": "Burstable"
    })
}
