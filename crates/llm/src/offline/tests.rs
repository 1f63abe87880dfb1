//! One test per signature family, from error text as real programs and the kubelet write it,
//! plus the library's own checks.

use kubewhy_model::{
    Category, ChainLink, CheckId, ContainerEvidence, EventEvidence, Evidence, Fingerprint, Issue,
    LogEvidence, ObjectRef, Severity,
};

use super::{Confidence, explain, library};

fn issue(check: &'static str, message: &str, evidence: Evidence) -> Issue {
    let root = ObjectRef::new("apps/v1", "Deployment", Some("shop"), "web");
    Issue {
        fingerprint: Fingerprint::new(&root, CheckId(check), "x"),
        check: CheckId(check),
        severity: Severity::Error,
        category: Category::Reliability,
        title: "Container is crash looping".into(),
        message: message.into(),
        objects: vec![
            root.clone(),
            ObjectRef::new("v1", "Pod", Some("shop"), "web-7d9f-abcde"),
        ],
        root,
        related: Vec::new(),
        evidence,
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        fix: None,
        origin: None,
        explanation: None,
        cluster: None,
    }
}

fn log(lines: &[&str]) -> Evidence {
    Evidence {
        logs: vec![LogEvidence {
            pod: "web-7d9f-abcde".into(),
            container: "app".into(),
            previous: true,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            first_error: None,
            truncated: false,
        }],
        ..Evidence::default()
    }
}

fn event(reason: &str, message: &str) -> Evidence {
    Evidence {
        events: vec![EventEvidence {
            object: "Pod/web-7d9f-abcde".into(),
            type_: "Warning".into(),
            reason: reason.into(),
            message: message.into(),
            count: 3,
            last_seen: None,
        }],
        ..Evidence::default()
    }
}

fn state(reason: &str, message: &str, exit_code: Option<i32>) -> Evidence {
    Evidence {
        containers: vec![ContainerEvidence {
            pod: "web-7d9f-abcde".into(),
            container: "app".into(),
            init: false,
            state: "waiting".into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            exit_code,
            last_termination: None,
            restarts: 4,
        }],
        ..Evidence::default()
    }
}

/// The signature that names the cause of a crash loop whose log is `lines`.
fn from_log(lines: &[&str]) -> String {
    primary(&issue(
        "pod-crash-looping",
        "Container app is crash looping",
        log(lines),
    ))
}

fn primary(issue: &Issue) -> String {
    explain(issue)
        .signatures
        .first()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_library_parses_compiles_and_uses_known_placeholders() {
    let signatures = library::library().expect("the embedded library parses");
    assert!(signatures.len() >= 50, "{} signatures", signatures.len());
    assert_eq!(super::check_library(), Vec::<String>::new());
}

#[test]
fn an_unknown_placeholder_is_reported() {
    let bad = "[[signature]]\nid='x.y'\nfamily='x'\ntitle='{hots}'\npatterns=['re:(?P<host>a)']\nexplanation=''\ncause='{host}'\nfix=['{pod}']\nverify=['v']\nconfidence='low'\n";
    let signatures = library::parse("bad.toml", bad).expect("parses");
    assert_eq!(
        super::matcher::template_problems(&signatures),
        vec!["x.y: unknown placeholder {hots}".to_owned()]
    );
    assert!(library::parse("bad.toml", &bad.replace("(?P<host>a)", "(unclosed")).is_err());
}

#[test]
fn network_refused_and_timeouts() {
    assert_eq!(
        from_log(&[
            "2024/05/02 10:11:12 failed to connect to redis: dial tcp 10.96.0.15:6379: connect: connection refused"
        ]),
        "network.connection-refused"
    );
    let e = explain(&issue(
        "pod-crash-looping",
        "m",
        log(&["Error: connect ECONNREFUSED 10.0.0.7:5432"]),
    ));
    assert!(e.structured.root_cause.contains("10.0.0.7"), "{}", e.text);
    assert_eq!(
        from_log(&[
            r#"{"level":"error","msg":"request failed","error":"Get \"https://es:443/_cluster/health\": dial tcp 10.0.4.87:443: i/o timeout"}"#
        ]),
        "network.timeout"
    );
    assert_eq!(
        from_log(&["read tcp 10.1.2.3:44566->10.1.2.9:8080: read: connection reset by peer"]),
        "network.connection-reset"
    );
}

#[test]
fn dns_failures_name_the_host() {
    let e = explain(&issue(
        "pod-crash-looping",
        "m",
        log(&["panic: dial tcp: lookup payments-api on 10.96.0.10:53: no such host"]),
    ));
    assert_eq!(e.signatures[0], "dns.no-such-host");
    assert!(e.structured.root_cause.contains("payments-api"));
    assert!(
        e.structured
            .commands
            .iter()
            .any(|c| c.command == "kubectl get service payments-api -n shop" && c.read_only)
    );
    assert_eq!(
        from_log(&["nc: bad address 'accounts-db'"]),
        "dns.bad-address"
    );
    assert_eq!(
        from_log(&["socket.gaierror: [Errno -3] Temporary failure in name resolution"]),
        "dns.no-such-host"
    );
    assert_eq!(
        from_log(&[";; connection timed out; no servers could be reached"]),
        "dns.server-unreachable"
    );
}

#[test]
fn tls_and_x509() {
    assert_eq!(
        from_log(&[
            r#"Get "https://vault.internal:8200/v1/sys/health": x509: certificate signed by unknown authority"#
        ]),
        "tls.unknown-authority"
    );
    assert_eq!(
        from_log(&[
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))"
        ]),
        "tls.unknown-authority"
    );
    assert_eq!(
        from_log(&[
            "x509: certificate has expired or is not yet valid: current time 2024-03-01T10:00:00Z is after 2024-02-28T23:59:59Z"
        ]),
        "tls.expired"
    );
    assert_eq!(
        from_log(&["x509: certificate is valid for ingress.local, not api.shop.svc"]),
        "tls.hostname-mismatch"
    );
}

#[test]
fn file_system_errors() {
    assert_eq!(
        from_log(&["OSError: [Errno 30] Read-only file system: '/app/cache'"]),
        "fs.read-only"
    );
    assert_eq!(
        from_log(&[
            "nginx: [emerg] mkdir() \"/var/cache/nginx/client_temp\" failed (13: Permission denied)"
        ]),
        "fs.permission-denied"
    );
    assert_eq!(
        from_log(&["ERROR:  could not extend file \"base/16384/2619\": No space left on device"]),
        "fs.no-space"
    );
    assert_eq!(
        from_log(&[
            "2024/01/01 http: Accept error: accept tcp [::]:8080: accept4: too many open files; retrying in 1s"
        ]),
        "fs.too-many-open-files"
    );
    assert_eq!(
        from_log(&[
            "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'"
        ]),
        "fs.file-not-found"
    );
}

#[test]
fn executables_and_architecture() {
    let missing = issue(
        "pod-container-start-failing",
        "Container app cannot be started (RunContainerError)",
        state(
            "RunContainerError",
            r#"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/server": stat /app/server: no such file or directory: unknown"#,
            Some(128),
        ),
    );
    let e = explain(&missing);
    assert_eq!(e.signatures[0], "exec.not-found");
    assert!(e.structured.root_cause.contains("/app/server"));
    assert_eq!(
        primary(&issue(
            "pod-crash-looping",
            "m",
            state(
                "Error",
                r#"exec: "python": executable file not found in $PATH"#,
                Some(128)
            )
        )),
        "exec.not-found"
    );
    assert_eq!(
        from_log(&["exec /usr/local/bin/docker-entrypoint.sh: exec format error"]),
        "exec.format-error"
    );
    assert_eq!(
        from_log(&[
            "error while loading shared libraries: libcudart.so.12: cannot open shared object file: No such file or directory"
        ]),
        "exec.shared-library"
    );
}

#[test]
fn memory_and_gpu() {
    let e = explain(&issue(
        "pod-crash-looping",
        "m",
        log(&[
            "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity; 13.02 GiB already allocated; 1.02 GiB free)",
        ]),
    ));
    assert_eq!(e.signatures[0], "memory.cuda-oom");
    assert_eq!(e.structured.confidence, Confidence::High);
    assert_eq!(
        from_log(&["Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space"]),
        "memory.jvm-heap"
    );
    assert_eq!(from_log(&["MemoryError"]), "memory.python");
    assert_eq!(
        from_log(&[
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
        ]),
        "memory.node-heap"
    );
    let oom = issue(
        "pod-oom-killed",
        "Container app is crash looping after being killed for exceeding its memory limit of 1Gi (OOMKilled, exit code 137; 3 restarts)",
        state(
            "CrashLoopBackOff",
            "back-off 40s restarting failed container",
            Some(137),
        ),
    );
    let e = explain(&oom);
    assert_eq!(e.signatures[0], "memory.oom-killed");
    assert!(
        e.structured.root_cause.contains("1Gi"),
        "{}",
        e.structured.root_cause
    );
    assert_eq!(
        from_log(&["RuntimeError: Found no NVIDIA driver on your system."]),
        "gpu.no-device"
    );
}

#[test]
fn missing_modules_and_classes() {
    let e = explain(&issue(
        "pod-crash-looping",
        "m",
        log(&[
            "Traceback (most recent call last):",
            "  File \"/app/main.py\", line 3, in <module>",
            "ModuleNotFoundError: No module named 'flask_cors'",
        ]),
    ));
    assert_eq!(e.signatures[0], "modules.python");
    assert!(e.structured.summary.contains("flask_cors"));
    assert_eq!(
        from_log(&["Caused by: java.lang.ClassNotFoundException: org.postgresql.Driver"]),
        "modules.java"
    );
    assert_eq!(
        from_log(&["Error: Cannot find module 'express'", "Require stack:"]),
        "modules.node"
    );
}

#[test]
fn missing_env_and_config_keys() {
    let e = explain(&issue(
        "pod-crash-looping",
        "m",
        log(&[
            "    raise KeyError(key) from None",
            "KeyError: 'DATABASE_URL'",
        ]),
    ));
    assert_eq!(e.signatures[0], "config.env-missing");
    assert!(
        e.structured
            .commands
            .iter()
            .any(|c| c.command.contains("DATABASE_URL=<value>") && !c.read_only)
    );
    assert_eq!(
        from_log(&["level=fatal msg=\"environment variable REDIS_URL is not set\""]),
        "config.env-missing"
    );
    let key = issue(
        "pod-create-config-failing",
        "m",
        state(
            "CreateContainerConfigError",
            "couldn't find key LOG_LEVEL in ConfigMap shop/web-config",
            None,
        ),
    );
    assert_eq!(primary(&key), "config.key-missing");
    assert_eq!(
        from_log(&["Error: listen EADDRINUSE: address already in use :::3000"]),
        "config.port-in-use"
    );
    assert_eq!(
        from_log(&["2024/02/02 listen tcp :8080: bind: address already in use"]),
        "config.port-in-use"
    );
}

#[test]
fn probes_by_status_code() {
    let e = explain(&issue(
        "pod-not-ready",
        "m",
        event(
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
        ),
    ));
    assert_eq!(e.signatures[0], "probe.readiness-status");
    assert!(e.structured.root_cause.contains("503"));
    assert_eq!(
        primary(&issue(
            "pod-crash-looping",
            "m",
            event(
                "Unhealthy",
                "Liveness probe failed: HTTP probe failed with statuscode: 500"
            )
        )),
        "probe.liveness-status"
    );
    assert_eq!(
        primary(&issue(
            "pod-crash-looping",
            "m",
            event(
                "Unhealthy",
                r#"Liveness probe failed: Get "http://10.244.1.7:8080/healthz": dial tcp 10.244.1.7:8080: connect: connection refused"#
            )
        )),
        "probe.refused"
    );
    assert_eq!(
        primary(&issue(
            "pod-not-ready",
            "m",
            event(
                "Unhealthy",
                r#"Readiness probe failed: Get "http://10.244.1.7:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#
            )
        )),
        "probe.timeout"
    );
}

#[test]
fn image_pulls() {
    let e = explain(&issue(
        "pod-image-pull-failing",
        "m",
        event(
            "Failed",
            r#"Failed to pull image "ghcr.io/acme/web:v9": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/web:v9": failed to resolve reference "ghcr.io/acme/web:v9": ghcr.io/acme/web:v9: not found"#,
        ),
    ));
    assert_eq!(e.signatures[0], "image.not-found");
    assert!(e.structured.summary.contains("ghcr.io/acme/web:v9"));
    assert_eq!(
        primary(&issue(
            "pod-image-pull-failing",
            "m",
            event(
                "Failed",
                r#"Failed to pull image "registry.acme.io/web:1.2": rpc error: code = Unknown desc = failed to pull and unpack image "registry.acme.io/web:1.2": failed to resolve reference "registry.acme.io/web:1.2": pulling from host registry.acme.io failed with status code [manifests 1.2]: 401 Unauthorized"#
            )
        )),
        "image.unauthorized"
    );
    assert_eq!(
        primary(&issue(
            "pod-image-pull-failing",
            "m",
            event(
                "Failed",
                r#"Failed to pull image "nginx:1.25": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1.25": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit."#
            )
        )),
        "image.rate-limited"
    );
    assert_eq!(
        primary(&issue(
            "pod-image-pull-failing",
            "m",
            state(
                "InvalidImageName",
                "Failed to apply default image tag \"Acme/Web:latest\": couldn't parse image reference \"Acme/Web:latest\": invalid reference format: repository name must be lowercase",
                None
            )
        )),
        "image.invalid-name"
    );
}

#[test]
fn missing_references() {
    let e = explain(&issue(
        "pod-reference-missing",
        "m",
        state(
            "CreateContainerConfigError",
            r#"secret "db-creds" not found"#,
            None,
        ),
    ));
    assert_eq!(e.signatures[0], "refs.secret-missing");
    assert!(
        e.structured
            .commands
            .iter()
            .any(|c| c.command == "kubectl get secrets -n shop")
    );
    assert_eq!(
        primary(&issue(
            "pod-reference-missing",
            "m",
            event(
                "FailedMount",
                r#"MountVolume.SetUp failed for volume "cfg" : configmap "web-config" not found"#
            )
        )),
        "refs.configmap-missing"
    );
    assert_eq!(
        primary(&issue(
            "replicaset-create-failing",
            "m",
            event(
                "FailedCreate",
                r#"Error creating: pods "web-7d9f-" is forbidden: error looking up service account shop/web-sa: serviceaccount "web-sa" not found"#
            )
        )),
        "refs.serviceaccount-missing"
    );
}

#[test]
fn storage_and_scheduling() {
    assert_eq!(
        primary(&issue(
            "pvc-pending",
            "m",
            event(
                "ProvisioningFailed",
                r#"storageclass.storage.k8s.io "gp3" not found"#
            )
        )),
        "storage.class-missing"
    );
    assert_eq!(
        primary(&issue(
            "pod-unschedulable",
            "m",
            event(
                "FailedScheduling",
                "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
            )
        )),
        "storage.unbound-claim"
    );
    assert_eq!(
        primary(&issue(
            "pod-unschedulable",
            "m",
            event(
                "FailedAttachVolume",
                "Multi-Attach error for volume \"pvc-123\" Volume is already exclusively attached to one node and can't be attached to another"
            )
        )),
        "storage.multi-attach"
    );
    let e = explain(&issue(
        "pod-unschedulable",
        "m",
        event(
            "FailedScheduling",
            "0/6 nodes are available: 3 Insufficient memory, 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.",
        ),
    ));
    assert_eq!(e.signatures[0], "scheduling.insufficient");
    assert!(e.structured.summary.contains("memory"));
    assert!(
        e.signatures
            .contains(&"scheduling.untolerated-taint".to_owned())
    );
    assert_eq!(
        primary(&issue(
            "pod-unschedulable",
            "m",
            event(
                "FailedScheduling",
                "0/4 nodes are available: 4 Insufficient nvidia.com/gpu."
            )
        )),
        "scheduling.insufficient-gpu"
    );
    assert_eq!(
        primary(&issue(
            "pod-unschedulable",
            "m",
            event(
                "FailedScheduling",
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
            )
        )),
        "scheduling.affinity"
    );
}

#[test]
fn nodes_evictions_admission_and_jobs() {
    assert_eq!(
        primary(&issue(
            "pod-evicted",
            "Pod web was evicted: The node was low on resource: memory. Threshold quantity: 100Mi, available: 91040Ki.",
            Evidence::default()
        )),
        "node.disk-pressure-eviction"
    );
    assert_eq!(
        primary(&issue(
            "node-not-ready",
            "m",
            event(
                "NodeNotReady",
                "Node ip-10-0-1-5 status is now: NodeNotReady"
            )
        )),
        "node.not-ready"
    );
    assert_eq!(
        primary(&issue(
            "replicaset-create-failing",
            "m",
            event(
                "FailedCreate",
                r#"Error creating: Internal error occurred: failed calling webhook "mpod.kb.io": failed to call webhook: Post "https://webhook-svc.system.svc:443/mutate?timeout=10s": dial tcp 10.96.5.5:443: connect: connection refused"#
            )
        )),
        "admission.webhook-failed"
    );
    assert_eq!(
        primary(&issue(
            "replicaset-create-failing",
            "m",
            event(
                "FailedCreate",
                r#"Error creating: pods "web-1" is forbidden: exceeded quota: compute, requested: limits.cpu=2, used: limits.cpu=8, limited: limits.cpu=8"#
            )
        )),
        "admission.quota"
    );
    let cron = explain(&issue(
        "cronjob-invalid-schedule",
        "m",
        event(
            "UnparseableSchedule",
            r#"unparseable schedule: "*/5 * * * * *" : expected exactly 5 fields, found 6: [*/5 * * * * *]"#,
        ),
    ));
    assert_eq!(cron.signatures[0], "jobs.cron-invalid");
    assert!(cron.structured.root_cause.contains("*/5 * * * * *"));
    assert_eq!(
        from_log(&[r#"ERROR:  duplicate key value violates unique constraint "users_email_key""#]),
        "db.unique-violation"
    );
    assert_eq!(
        from_log(&[r#"FATAL:  password authentication failed for user "app""#]),
        "db.auth-failed"
    );
    assert_eq!(
        from_log(&[
            r#"E0101 reflector.go:138] Failed to watch *v1.Pod: failed to list *v1.Pod: pods is forbidden: User "system:serviceaccount:shop:web" cannot list resource "pods" in API group "" in the namespace "shop""#
        ]),
        "rbac.forbidden"
    );
}

#[test]
fn chains_name_the_root_and_the_service() {
    let mut i = issue(
        "pod-crash-looping",
        "m",
        log(&["psycopg2.OperationalError: could not connect to server: Connection refused"]),
    );
    i.chain = vec![
        ChainLink {
            object: ObjectRef::new("v1", "Service", Some("shop"), "db"),
            problem: "has no ready endpoints".into(),
            evidence: None,
            root_cause: false,
        },
        ChainLink {
            object: ObjectRef::new("storage.k8s.io/v1", "StorageClass", None, "fast"),
            problem: "does not exist".into(),
            evidence: None,
            root_cause: true,
        },
    ];
    let e = explain(&i);
    assert_eq!(
        e.structured.summary,
        "Container is crash looping: connection refused by db"
    );
    assert!(
        e.structured
            .root_cause
            .contains("StorageClass fast: does not exist")
    );
    assert!(e.structured.fix[0].contains("StorageClass fast"));
    assert!(e.text.contains("How to verify:"));
}

#[test]
fn no_match_falls_back_to_the_catalog() {
    let e = explain(&issue(
        "service-selects-no-pods",
        "Service web selects pods labelled app=web-api, but no pod carries these labels",
        Evidence::default(),
    ));
    assert!(e.signatures.is_empty());
    assert_eq!(e.structured.confidence, Confidence::Low);
    assert!(e.structured.root_cause.contains("app=web-api"));
    assert!(!e.structured.fix.is_empty(), "{}", e.text);
}
