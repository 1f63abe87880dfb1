//! The demo's issues as the analyzers report them: each scenario's root object, the check's
//! message, and the evidence `SCENARIOS.md` lists (container states, events, log lines, the
//! causal chain).

use kubewhy_model::{
    Category, ChainLink, CheckId, ContainerEvidence, EventEvidence, Evidence, Fingerprint, Issue,
    LogEvidence, ObjectRef, Severity,
};

struct Build(Issue);

fn object(kind: &str, ns: Option<&str>, name: &str) -> ObjectRef {
    let api = match kind {
        "Deployment" | "StatefulSet" | "ReplicaSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        _ => "v1",
    };
    ObjectRef::new(api, kind, ns, name)
}

fn build(
    check: &'static str,
    title: &str,
    kind: &str,
    ns: Option<&str>,
    name: &str,
    message: &str,
) -> Build {
    let root = object(kind, ns, name);
    Build(Issue {
        fingerprint: Fingerprint::new(&root, CheckId(check), "demo"),
        check: CheckId(check),
        severity: Severity::Error,
        category: Category::Reliability,
        title: title.into(),
        message: message.into(),
        objects: vec![root.clone()],
        root,
        related: Vec::new(),
        evidence: Evidence::default(),
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        fix: None,
        origin: None,
        explanation: None,
        cluster: None,
    })
}

impl Build {
    fn pod(mut self, name: &str) -> Self {
        let ns = self.0.root.namespace.clone();
        self.0.objects.push(object("Pod", ns.as_deref(), name));
        self
    }

    fn state(
        mut self,
        container: &str,
        state: &str,
        reason: &str,
        message: Option<&str>,
        exit: Option<i32>,
        last: Option<&str>,
    ) -> Self {
        let pod = self.first_pod();
        self.0.evidence.containers.push(ContainerEvidence {
            pod,
            container: container.into(),
            init: false,
            state: state.into(),
            reason: Some(reason.into()),
            message: message.map(str::to_owned),
            exit_code: exit,
            last_termination: last.map(str::to_owned),
            restarts: 7,
        });
        self
    }

    fn event(mut self, object: &str, reason: &str, message: &str) -> Self {
        self.0.evidence.events.push(EventEvidence {
            object: object.into(),
            type_: "Warning".into(),
            reason: reason.into(),
            message: message.into(),
            count: 5,
            last_seen: None,
        });
        self
    }

    fn log(mut self, container: &str, lines: &[&str]) -> Self {
        let pod = self.first_pod();
        self.0.evidence.logs.push(LogEvidence {
            pod,
            container: container.into(),
            previous: true,
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
            first_error: None,
            truncated: false,
        });
        self
    }

    fn link(
        mut self,
        kind: &str,
        ns: Option<&str>,
        name: &str,
        problem: &str,
        evidence: Option<&str>,
        root: bool,
    ) -> Self {
        self.0.chain.push(ChainLink {
            object: object(kind, ns, name),
            problem: problem.into(),
            evidence: evidence.map(str::to_owned),
            root_cause: root,
        });
        self
    }

    fn first_pod(&self) -> String {
        self.0
            .objects
            .iter()
            .find(|o| o.kind == "Pod")
            .map_or_else(String::new, |o| o.name.clone())
    }
}

const SHOP: Option<&str> = Some("shop");
const ML: Option<&str> = Some("ml-inference");
const CRASH: &str = "Container is crash looping";

#[allow(clippy::too_many_lines)] // One scenario after another; splitting them would not help.
pub fn all() -> Vec<Issue> {
    let refused = "psycopg2.OperationalError: could not connect to server: Connection refused";
    vec![
        build("pod-crash-looping", CRASH, "Deployment", SHOP, "checkout", "Container api is crash looping (11 restarts); its last instance ended with exit code 1 (Error)")
            .pod("checkout-scqh4cv65d-9blcg")
            .state("api", "waiting", "CrashLoopBackOff", Some("back-off 5m0s restarting failed container=api"), Some(1), Some("Error"))
            .event("Pod/checkout-scqh4cv65d-9blcg", "BackOff", "Back-off restarting failed container api in pod checkout-scqh4cv65d-9blcg_shop")
            .log("api", &["Traceback (most recent call last):", "  File \"/app/db.py\", line 12, in connect", refused, "\tIs the server running on host \"orders-db\" (10.96.12.40) and accepting", "\tTCP/IP connections on port 5432?"])
            .link("Service", SHOP, "orders-db", "has no ready endpoints", Some(refused), false)
            .link("Pod", SHOP, "orders-db-0", "cannot be scheduled", None, false)
            .link("PersistentVolumeClaim", SHOP, "orders-db-data", "is stuck Pending", None, false)
            .link("StorageClass", None, "fast-ssd", "does not exist", None, true)
            .0,
        build("pod-image-pull-failing", "Container image cannot be pulled", "Deployment", SHOP, "frontend", "Container frontend cannot pull image ghcr.io/acme/frontend:v3.0.0-rc1 (ImagePullBackOff)")
            .pod("frontend-xs5gjhjvb9-qqrwq")
            .state("frontend", "waiting", "ImagePullBackOff", Some("Back-off pulling image \"ghcr.io/acme/frontend:v3.0.0-rc1\""), None, None)
            .event("Pod/frontend-xs5gjhjvb9-qqrwq", "Failed", "Failed to pull image \"ghcr.io/acme/frontend:v3.0.0-rc1\": rpc error: code = NotFound desc = failed to pull and unpack image \"ghcr.io/acme/frontend:v3.0.0-rc1\": failed to resolve reference \"ghcr.io/acme/frontend:v3.0.0-rc1\": ghcr.io/acme/frontend:v3.0.0-rc1: not found")
            .event("Pod/frontend-xs5gjhjvb9-qqrwq", "Failed", "Error: ErrImagePull")
            .0,
        build("pod-oom-killed", "Container was killed for exceeding its memory limit", "Deployment", SHOP, "recommendations", "Container recommender is crash looping after being killed for exceeding its memory limit of 256Mi (OOMKilled, exit code 137; 7 restarts)")
            .pod("recommendations-qkc855znxd-fgrd4")
            .state("recommender", "waiting", "CrashLoopBackOff", None, Some(137), Some("OOMKilled"))
            .log("recommender", &["INFO recommendations.store: loaded shard 08/12 rss=231.4MiB", "INFO recommendations.store: loaded shard 09/12 rss=253.1MiB"])
            .0,
        build("pod-reference-missing", "Pod refers to an object that does not exist", "Deployment", SHOP, "payments", "Deployment payments refers to Secret payments-stripe, which does not exist in namespace shop")
            .pod("payments-4pxjflnl7r-khsft")
            .state("api", "waiting", "CreateContainerConfigError", Some("secret \"payments-stripe\" not found"), None, None)
            .event("Pod/payments-4pxjflnl7r-khsft", "Failed", "Error: secret \"payments-stripe\" not found")
            .0,
        build("pod-not-ready", "Pod is running but not ready", "Deployment", SHOP, "search", "Container search is running but not ready: Readiness probe failed: HTTP probe failed with statuscode: 503")
            .pod("search-djm2djdx2f-9z4v5")
            .event("Pod/search-djm2djdx2f-9z4v5", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503")
            .log("search", &[r#"{"level":"error","msg":"elasticsearch request failed","error":"dial tcp 10.0.4.87:443: i/o timeout"}"#])
            .0,
        build("service-selects-no-pods", "Service selector matches no pods", "Service", SHOP, "inventory", "Service inventory selects pods labelled app=inventory-api, but no pod or pod template in namespace shop carries these labels").0,
        build("ingress-backend-missing", "Ingress backend Service or port is missing", "Ingress", SHOP, "storefront", "Ingress storefront routes to Service storefront-web, which does not exist in namespace shop").0,
        build("statefulset-storage-class-missing", "StatefulSet's claims use a StorageClass that does not exist", "StatefulSet", SHOP, "orders-db", "StatefulSet orders-db uses PersistentVolumeClaim orders-db-data with StorageClass fast-ssd, which does not exist")
            .pod("orders-db-0")
            .event("PersistentVolumeClaim/orders-db-data", "ProvisioningFailed", "storageclass.storage.k8s.io \"fast-ssd\" not found")
            .event("Pod/orders-db-0", "FailedScheduling", "0/5 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.")
            .0,
        build("pod-container-failed", "Container exited with an error", "Job", SHOP, "db-migrate", "Container migrate ended with exit code 2 (Error)")
            .pod("db-migrate-4rnkj")
            .state("migrate", "terminated", "Error", None, Some(2), None)
            .log("migrate", &["INFO migrate: applying 0042_normalize_sku", "ERROR migrate: 0042_normalize_sku: ERROR: could not create unique index \"products_sku_normalized_key\" (SQLSTATE 23505)", "DETAIL: Key (sku_normalized)=(abc-123) is duplicated."])
            .0,
        build("cronjob-invalid-schedule", "CronJob schedule is invalid", "CronJob", SHOP, "nightly-report", "CronJob nightly-report has an invalid schedule \"0 25 * * *\"")
            .event("CronJob/nightly-report", "UnparseableSchedule", "unparseable schedule: \"0 25 * * *\" : end of range (25) above maximum (23): 25")
            .0,
        build("hpa-target-not-found", "HorizontalPodAutoscaler target does not exist", "HorizontalPodAutoscaler", SHOP, "cart", "HorizontalPodAutoscaler cart targets Deployment cart, which does not exist")
            .event("HorizontalPodAutoscaler/cart", "FailedGetScale", "deployments/scale.apps \"cart\" not found")
            .0,
        build("pod-container-start-failing", "Container cannot be created or started", "Deployment", SHOP, "notifications", "Container worker cannot be started (RunContainerError)")
            .pod("notifications-2ntp9fwrdf-8mr6t")
            .state("worker", "waiting", "RunContainerError", Some("failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app/notify\": stat /app/notify: no such file or directory: unknown"), Some(128), Some("StartError"))
            .0,
        build("pod-reference-missing", "Pod refers to an object that does not exist", "Deployment", SHOP, "reviews", "Deployment reviews refers to ConfigMap reviews-config, which does not exist in namespace shop (volume config)")
            .pod("reviews-8vjtlpvbzp-2s6jh")
            .event("Pod/reviews-8vjtlpvbzp-2s6jh", "FailedMount", "MountVolume.SetUp failed for volume \"config\" : configmap \"reviews-config\" not found")
            .event("Pod/reviews-8vjtlpvbzp-2s6jh", "FailedMount", "Unable to attach or mount volumes: unmounted volumes=[config], unattached volumes=[], failed to process volumes=[]: timed out waiting for the condition")
            .0,
        build("pod-crash-looping", CRASH, "Deployment", SHOP, "accounts", "Init container wait-for-db is crash looping (7 restarts); its last instance ended with exit code 1 (Error)")
            .pod("accounts-qdkqfklxnd-btq4r")
            .state("wait-for-db", "waiting", "CrashLoopBackOff", None, Some(1), Some("Error"))
            .log("wait-for-db", &["nc: bad address 'accounts-db'"])
            .link("Service", SHOP, "accounts-db", "does not exist", Some("nc: bad address 'accounts-db'"), true)
            .0,
        build("pod-evicted", "Pod was evicted", "Deployment", SHOP, "image-resizer", "Pod image-resizer-cmkwtdp9d2-9cjnj was evicted: The node was low on resource: ephemeral-storage. Threshold quantity: 10736157900, available: 9883412Ki.")
            .pod("image-resizer-cmkwtdp9d2-9cjnj")
            .event("Pod/image-resizer-cmkwtdp9d2-9cjnj", "Evicted", "The node was low on resource: ephemeral-storage. Threshold quantity: 10736157900, available: 9883412Ki.")
            .0,
        build("gpu-pod-unschedulable", "GPU pod cannot be placed on any GPU node", "Deployment", ML, "llm-70b", "Pod llm-70b-fl6zlfv9gf-zcvcf requests 8 nvidia.com/gpu and is Pending")
            .pod("llm-70b-fl6zlfv9gf-zcvcf")
            .event("Pod/llm-70b-fl6zlfv9gf-zcvcf", "FailedScheduling", "0/5 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.")
            .0,
        build("pod-crash-looping", CRASH, "Deployment", ML, "triton-embeddings", "Container triton is crash looping (10 restarts); its last instance ended with exit code 1 (Error)")
            .pod("triton-embeddings-6qgqxdt5nk-55xfv")
            .state("triton", "waiting", "CrashLoopBackOff", None, Some(1), Some("Error"))
            .log("triton", &["torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 12.00 GiB (GPU 0; 22.06 GiB total capacity)", "error: creating server: Internal - failed to load all models"])
            .0,
        build("node-not-ready", "Node is not ready", "Node", None, "node-cpu-c", "Node node-cpu-c is not ready (Ready=Unknown: NodeStatusUnknown: Kubelet stopped posting node status.)")
            .event("Node/node-cpu-c", "NodeNotReady", "Node node-cpu-c status is now: NodeNotReady")
            .0,
        build("webhook-service-unavailable", "Admission webhook Service is unavailable", "ValidatingWebhookConfiguration", None, "policy-guard", "ValidatingWebhookConfiguration policy-guard: webhook validate.policy-guard.acme.io calls Service monitoring/policy-guard, which does not exist; with failurePolicy Fail, every matching request is rejected")
            .0,
    ]
}
