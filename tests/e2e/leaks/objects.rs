//! The objects, events and logs of the leak corpus, each made to set off analyzers: crash
//! loops with termination messages and logs, failing pulls of private images, missing
//! ConfigMaps, Secrets, claims, Services and service accounts, ingresses, autoscalers,
//! webhooks, bindings and a node that is not ready.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::corpus::{ALNUM, App, Gen, HEX, Planted};

const OBSERVED: &str = "2026-11-30T10:00:00Z";

fn event(ns: &str, kind: &str, name: &str, reason: &str, message: &str, n: usize) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{n:016x}"), "namespace": ns},
        "involvedObject": {"kind": kind, "namespace": ns, "name": name, "apiVersion": "v1"},
        "reason": reason, "message": message, "type": "Warning", "count": 7,
        "firstTimestamp": "2026-11-30T09:00:00Z", "lastTimestamp": OBSERVED,
        "source": {"component": "kubelet"},
    })
}

pub(super) fn node_doc(g: &mut Gen, node: &str, not_ready: bool) -> Value {
    let instance = format!("i-0{}", g.chars(HEX, 16));
    g.plant(&instance, "ec2 instance id", &[]);
    let ip = g.ip();
    let host = g.host("internal");
    let ready = if not_ready {
        json!({"type": "Ready", "status": "False", "reason": "KubeletNotReady",
               "lastTransitionTime": "2026-11-30T09:00:00Z",
               "message": format!("container runtime network not ready: cni plugin not initialized on {host} ({ip})")})
    } else {
        json!({"type": "Ready", "status": "True", "reason": "KubeletReady",
               "lastTransitionTime": "2026-11-01T09:00:00Z"})
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}},
        "spec": {"providerID": format!("aws:///eu-west-1a/{instance}")},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": host}],
            "conditions": [ready],
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
        }
    })
}

/// A namespace with one ConfigMap, Secret, service account and claim that exist, so that every
/// kind a reference names counts as listed.
pub(super) fn namespace_docs(g: &mut Gen, ns: &str) -> Vec<Value> {
    let cm = g.name("configmap", "");
    let secret = g.name("secret", "");
    let sa = g.name("service account", "");
    let pvc = g.name("pvc", "");
    let class = g.missing("missing storage class", "");
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm, "namespace": ns}, "data": {"LEVEL": "info"}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret, "namespace": ns}, "type": "Opaque"}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}}),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": pvc, "namespace": ns},
               "spec": {"storageClassName": class, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
               "status": {"phase": "Pending"}}),
    ]
}

fn env(g: &mut Gen, app: &App) -> Value {
    let db = g.word();
    g.plant(&db, "database name", &[]);
    let upstream = g.host("com");
    let path = g.word();
    let upstream_url = g.plant(&format!("https://{upstream}/v2/{path}"), "url", &[&path]);
    let cidr = g.cidr(10, 16);
    let (bucket_a, bucket_b) = (g.word(), g.word());
    let bucket = g.plant(
        &format!("{bucket_a}-{bucket_b}-bucket"),
        "bucket",
        &[&bucket_a, &bucket_b],
    );
    json!([
        {"name": "DATABASE_URL", "value": format!("postgres://{}:{}@{}:5432/{db}", app.db_user, app.db_pass, app.db_host)},
        {"name": "API_TOKEN", "value": app.token},
        {"name": "NOTIFY_EMAIL", "value": app.email},
        {"name": "UPSTREAM_URL", "value": upstream_url},
        {"name": "PEER_ADDR", "value": format!("{}:7443", app.ip)},
        {"name": "POD_CIDR", "value": cidr},
        {"name": "SETTINGS_JSON", "value": format!("{{\"region\":\"eu-west-1\",\"bucket\":\"{bucket}\"}}")},
        {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": app.missing_cm, "key": "LEVEL"}}},
        {"name": "SIGNING_KEY", "valueFrom": {"secretKeyRef": {"name": app.missing_secret, "key": "key"}}},
    ])
}

fn pod_spec(g: &mut Gen, app: &App) -> Value {
    let volume = g.word();
    g.plant(&volume, "volume", &[]);
    let mut spec = json!({
        "serviceAccountName": app.missing_sa,
        "imagePullSecrets": [{"name": app.missing_pull}],
        "containers": [{
            "name": app.container, "image": app.image,
            "env": env(g, app),
            "envFrom": [{"configMapRef": {"name": app.missing_env_from}}],
            "volumeMounts": [{"name": volume, "mountPath": "/etc/tls"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        }],
        "volumes": [
            {"name": volume, "secret": {"secretName": app.missing_tls}},
            {"name": "data", "persistentVolumeClaim": {"claimName": app.missing_pvc}},
        ],
    });
    spec["nodeName"] = json!(app.node);
    spec
}

/// A crash loop (or, for scenario 4, an OOM kill) with a termination message full of
/// credentials and addresses.
fn crash(app: &App) -> (Value, Value, Vec<Value>) {
    let (ns, pod, c) = (&app.ns, &app.pod, &app.container);
    let ev = |reason: &str, message: String, n: usize| event(ns, "Pod", pod, reason, &message, n);
    let oom = app.scenario == 4;
    let (reason, code) = if oom {
        ("OOMKilled", 137)
    } else {
        ("Error", 1)
    };
    let message = format!(
        "panic: dial {}:5432: password authentication failed for user \"{}\" ({}); DSN postgres://{}:{}@{}:5432",
        app.db_host, app.db_user, app.email, app.db_user, app.db_pass, app.db_host
    );
    let status = json!({"name": c, "image": app.image, "imageID": "", "ready": false, "restartCount": 12,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 5m0s restarting failed container={c} pod={pod}_{ns}({})", app.uid)}},
        "lastState": {"terminated": {"reason": reason, "exitCode": code, "message": message,
            "startedAt": "2026-11-30T09:58:00Z", "finishedAt": "2026-11-30T09:59:00Z"}}});
    let events = vec![
        ev(
            "BackOff",
            format!(
                "Back-off restarting failed container {c} in pod {pod}_{ns}({})",
                app.uid
            ),
            1,
        ),
        ev(
            "Unhealthy",
            format!(
                "Readiness probe failed: Get \"http://{}:8080/healthz\": dial tcp {}:8080: connect: connection refused",
                app.ip, app.ip
            ),
            2,
        ),
    ];
    (json!({"phase": "Running"}), status, events)
}

/// The container status and events of an app's scenario.
fn scenario(g: &mut Gen, app: &App) -> (Value, Value, Vec<Value>) {
    let (ns, pod, c) = (&app.ns, &app.pod, &app.container);
    let ev = |reason: &str, message: String, n: usize| event(ns, "Pod", pod, reason, &message, n);
    match app.scenario {
        0 | 4 => crash(app),
        1 => {
            let registry = app.image.split('/').next().unwrap_or("");
            let status = json!({"name": c, "image": app.image, "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{}\"", app.image)}}});
            let events = vec![
                ev(
                    "Failed",
                    format!(
                        "Failed to pull image \"{0}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": pulling from host {registry} failed with status code [manifests 1.0]: 401 Unauthorized",
                        app.image
                    ),
                    1,
                ),
                ev(
                    "Failed",
                    format!(
                        "Error: ErrImagePull; pull secret \"{}\" not found for {}",
                        app.missing_pull, app.email
                    ),
                    2,
                ),
            ];
            (json!({"phase": "Pending"}), status, events)
        }
        2 => {
            let status = json!({"name": c, "image": app.image, "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "CreateContainerConfigError", "message": format!("configmap \"{}\" not found", app.missing_cm)}}});
            let events = vec![
                ev(
                    "Failed",
                    format!("Error: configmap \"{}\" not found", app.missing_cm),
                    1,
                ),
                ev(
                    "Failed",
                    format!("Error: secret \"{}\" not found", app.missing_secret),
                    2,
                ),
            ];
            (json!({"phase": "Pending"}), status, events)
        }
        _ => {
            let volume = g.word();
            g.plant(&volume, "volume in an event", &[]);
            let status = json!({"name": c, "image": app.image, "imageID": "", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}}});
            let events = vec![
                ev(
                    "FailedScheduling",
                    format!(
                        "0/3 nodes are available: persistentvolumeclaim \"{}\" not found. preemption: 0/3 nodes are available",
                        app.missing_pvc
                    ),
                    1,
                ),
                ev(
                    "FailedMount",
                    format!(
                        "MountVolume.SetUp failed for volume \"{volume}\" : secret \"{}\" not found",
                        app.missing_tls
                    ),
                    2,
                ),
            ];
            (json!({"phase": "Pending"}), status, events)
        }
    }
}

pub(super) fn app_docs(g: &mut Gen, app: &App) -> Vec<Value> {
    let (ns, deploy) = (&app.ns, &app.deploy);
    let runbook = g.host("com");
    let team = g.word();
    g.plant(&team, "annotation key domain", &[]);
    let labels = json!({"app": deploy, "pod-template-hash": app.rs.rsplit('-').next()});
    let spec = pod_spec(g, app);
    let annotations = json!({
        "owner": app.email,
        format!("{team}.io/runbook"): format!("https://{runbook}/runbooks/{deploy}"),
    });
    let (phase, status, events) = scenario(g, app);
    let mut pod_status = phase;
    pod_status["containerStatuses"] = json!([status]);
    pod_status["podIP"] = json!(app.ip);
    pod_status["startTime"] = json!("2026-11-30T08:00:00Z");
    let rs_uid = g.uuid("replicaset uid");
    let deploy_uid = g.uuid("deployment uid");
    let mut docs = vec![
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": deploy, "namespace": ns, "uid": deploy_uid, "annotations": annotations, "labels": {"app": deploy}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deploy}},
                "template": {"metadata": {"labels": {"app": deploy}}, "spec": spec}},
            "status": {"replicas": 1, "unavailableReplicas": 1, "observedGeneration": 1,
                "conditions": [
                    {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability.", "lastTransitionTime": "2026-11-30T08:00:00Z"},
                    {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": format!("ReplicaSet \"{}\" has timed out progressing.", app.rs), "lastTransitionTime": "2026-11-30T08:10:00Z"}]}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": app.rs, "namespace": ns, "uid": rs_uid, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy, "uid": deploy_uid, "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deploy}}, "template": {"metadata": {"labels": {"app": deploy}}, "spec": spec}},
            "status": {"replicas": 1, "readyReplicas": 0}}),
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": app.pod, "namespace": ns, "uid": app.uid, "labels": labels, "creationTimestamp": "2026-11-30T08:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": app.rs, "uid": rs_uid, "controller": true}]},
            "spec": spec, "status": pod_status}),
    ];
    docs.extend(events);
    docs
}

/// The current and previous logs of a crashing app, full of addresses, ids and credentials.
pub(super) fn app_logs(g: &mut Gen, app: &App) -> (String, String) {
    let account = g.account();
    let (role_a, role_b) = (g.word(), g.word());
    let role = g.plant(
        &format!("{role_a}-{role_b}"),
        "iam role",
        &[&role_a, &role_b],
    );
    let (proj_a, proj_b) = (g.word(), g.word());
    let project = g.plant(
        &format!("{proj_a}-{proj_b}"),
        "gcp project id",
        &[&proj_a, &proj_b],
    );
    let subscription = g.uuid("azure subscription id");
    let (rg_a, rg_b) = (g.word(), g.word());
    let group = g.plant(
        &format!("{rg_a}-{rg_b}-rg"),
        "azure resource group",
        &[&rg_a, &rg_b],
    );
    let jwt = g.token(4);
    let slack = g.token(1);
    let openai = g.token(2);
    let github = g.token(5);
    let aws_key = g.token(3);
    let aws_secret = g.chars(ALNUM, 40);
    g.plant_secret(&aws_secret, "aws secret key", &[&aws_secret]);
    let hook = format!(
        "T{}/B{}/{}",
        g.chars(HEX, 8).to_uppercase(),
        g.chars(HEX, 9).to_uppercase(),
        g.chars(ALNUM, 24)
    );
    let hook_url = g.plant_secret(
        &format!("https://hooks.slack.com/services/{hook}"),
        "slack webhook",
        &[&hook],
    );
    let pem = g.pem();
    let peer = g.ip();
    let client = g.email();
    let cidr = g.cidr(172, 24);
    let lines = [
        format!(
            "INFO {} starting on node {} ({})",
            app.container, app.node, app.ip
        ),
        format!("INFO connecting to {}:5432 as {}", app.db_host, app.db_user),
        format!("DEBUG Authorization: Bearer {jwt}"),
        format!("INFO assumed role arn:aws:iam::{account}:role/{role} in project {project}"),
        format!("INFO azure scope /subscriptions/{subscription}/resourceGroups/{group}"),
        format!("WARN slack token={slack} webhook {hook_url}"),
        format!("WARN OPENAI_API_KEY={openai} github {github}"),
        format!("WARN aws_access_key_id={aws_key} aws_secret_access_key={aws_secret}"),
        format!("ERROR request from {client} at {peer} (allowed {cidr}) denied"),
        format!("ERROR cannot load signing key:\n{pem}"),
        format!(
            "FATAL {} exiting: token {} rejected by {}",
            app.pod, app.token, app.db_host
        ),
    ];
    let block = |previous: bool| {
        let mut out = format!(
            "==== START logs for container {} of pod {}/{} ====\n",
            app.container, app.ns, app.pod
        );
        for (i, line) in lines.iter().enumerate() {
            if !previous && i > 2 {
                break;
            }
            let _ = writeln!(out, "2026-11-30T09:58:{i:02}Z {line}");
        }
        let _ = writeln!(
            out,
            "==== END logs for container {} of pod {}/{} ====",
            app.container, app.ns, app.pod
        );
        out
    };
    (block(false), block(true))
}

/// Per namespace: a Service that selects nothing, an Ingress whose backends, TLS Secret and
/// class are missing, an autoscaler with no target, and a StatefulSet with no Service.
pub(super) fn shared_docs(g: &mut Gen, ns: &str, node: &str) -> Vec<Value> {
    let service = g.name("service", "");
    let selector = g.name("label value", "");
    let ingress = g.name("ingress", "");
    let host = g.host("com");
    let wildcard = g.host("net");
    let backend = g.missing("missing backend service", "-svc");
    let tls = g.missing("missing tls secret", "-cert");
    let class = g.missing("missing ingress class", "-class");
    let hpa = g.name("hpa", "");
    let target = g.missing("missing hpa target", "");
    let sts = g.name("statefulset", "");
    let headless = g.missing("missing statefulset service", "-headless");
    let claim_class = g.missing("missing storage class", "-ssd");
    let lb_ip = g.ip();
    vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": service, "namespace": ns},
            "spec": {"selector": {"app": selector}, "ports": [{"port": 80, "targetPort": 8080}], "clusterIP": lb_ip}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": ingress, "namespace": ns},
            "spec": {"ingressClassName": class,
                "tls": [{"hosts": [host], "secretName": tls}],
                "rules": [
                    {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": {"number": 80}}}}]}},
                    {"host": format!("*.{wildcard}"), "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": hpa, "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "minReplicas": 1, "maxReplicas": 4},
            "status": {"desiredReplicas": 0, "conditions": [{"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
                "lastTransitionTime": "2026-11-30T09:00:00Z",
                "message": format!("the HPA controller was unable to get the target's current scale: deployments/scale.apps \"{target}\" not found")}]}}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": sts, "namespace": ns},
            "spec": {"serviceName": headless, "replicas": 1, "selector": {"matchLabels": {"app": sts}},
                "template": {"metadata": {"labels": {"app": sts}}, "spec": {"nodeName": node, "containers": [{"name": "db", "image": "postgres:16"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"storageClassName": claim_class, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]},
            "status": {"replicas": 1, "readyReplicas": 0}}),
        event(
            ns,
            "Ingress",
            &ingress,
            "Sync",
            &format!(
                "error obtaining TLS certificate for {host}: secret \"{tls}\" not found; backend {backend} has no endpoints"
            ),
            3,
        ),
        event(
            ns,
            "Service",
            &service,
            "FailedToUpdateEndpoint",
            &format!(
                "Failed to update endpoint {ns}/{service}: no pods match app={selector} (load balancer {lb_ip})"
            ),
            4,
        ),
    ]
}

/// Cluster-scoped objects: a webhook whose Service is missing, and cluster-admin bound to a
/// person.
pub(super) fn cluster_docs(g: &mut Gen, ns: &str) -> Vec<Value> {
    let config = g.name("webhook configuration", "");
    let (hook_a, hook_b) = (g.word(), g.word());
    let hook = g.plant(
        &format!("validate.{hook_a}.{hook_b}.io"),
        "webhook",
        &[&hook_a, &hook_b],
    );
    let service = g.missing("missing webhook service", "-hook");
    let binding = g.name("cluster role binding", "");
    let person = g.email();
    let group = g.name("group", "-admins");
    vec![
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": config},
            "webhooks": [{"name": hook, "clientConfig": {"service": {"name": service, "namespace": ns, "port": 443}},
                "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
                "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": binding},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "User", "name": person, "apiGroup": "rbac.authorization.k8s.io"},
                         {"kind": "Group", "name": group, "apiGroup": "rbac.authorization.k8s.io"}]}),
    ]
}

fn hard(value: &str, what: &'static str) -> Planted {
    Planted {
        value: value.to_owned(),
        what,
        secret: false,
        refs_only: false,
        fragments: Vec::new(),
        windows: Vec::new(),
    }
}

/// Ordinary words as names: namespace `shop`, Deployment `cart` crashing with logs that name
/// `shop/cart`, `Checkout` in another case than the Service `checkout`, and an account-id-like
/// number glued to a name.
pub(super) fn hard_cases(docs: &mut Vec<Value>, logs: &mut String) -> Vec<Planted> {
    let (ns, pod) = ("shop", "cart-6f7d8c9b5-k2m4p");
    let spec = json!({"containers": [{"name": "app", "image": "nginx:1.27"}]});
    docs.extend([
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cart", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "cart"}}, "template": {"metadata": {"labels": {"app": "cart"}}, "spec": spec}},
            "status": {"replicas": 1, "unavailableReplicas": 1}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "cart-6f7d8c9b5", "namespace": ns, "labels": {"app": "cart"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart", "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "cart"}}, "template": {"metadata": {"labels": {"app": "cart"}}, "spec": spec}},
            "status": {"replicas": 1, "readyReplicas": 0}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop-search", "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "shop-search"}}, "template": {"metadata": {"labels": {"app": "shop-search"}}, "spec": spec}},
            "status": {"replicas": 1, "availableReplicas": 1, "readyReplicas": 1}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "checkout", "namespace": ns},
            "spec": {"selector": {"app": "checkout"}, "ports": [{"port": 8080}]}}),
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": ns, "labels": {"app": "cart"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-6f7d8c9b5", "controller": true}]},
            "spec": spec,
            "status": {"phase": "Running", "containerStatuses": [{"name": "app", "image": "nginx:1.27", "imageID": "", "ready": false, "restartCount": 9,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 2, "message": "Checkout unreachable from shop/cart"}}}]}}),
        event(ns, "Pod", pod, "BackOff", "Back-off restarting failed container app in pod shop/cart-6f7d8c9b5-k2m4p: Checkout down", 9),
    ]);
    let lines = [
        "INFO shop/cart starting",
        "INFO assumed role 123456789012:shop-search",
        "ERROR POST http://checkout:8080/pay failed: Checkout returned 503 to shop/cart",
        r#"ERROR {"msg":"upstream checkout failed","namespace":"shop","app":"cart"}"#,
        "ERROR Shop/Cart: timeout calling Checkout.shop.svc.cluster.local",
        "FATAL cart giving up on CHECKOUT",
    ];
    let _ = writeln!(
        logs,
        "==== START logs for container app of pod {ns}/{pod} ===="
    );
    for line in lines {
        let _ = writeln!(logs, "2026-11-30T09:59:00Z {line}");
    }
    let _ = writeln!(
        logs,
        "==== END logs for container app of pod {ns}/{pod} ===="
    );
    vec![
        hard("shop", "namespace (ordinary word)"),
        hard("cart", "deployment (ordinary word)"),
        hard("checkout", "service (ordinary word, other case)"),
        hard("shop-search", "deployment (after an account id)"),
        hard("123456789012", "account-id-like number"),
    ]
}
