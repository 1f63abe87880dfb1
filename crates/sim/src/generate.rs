//! A generator of large, realistic clusters for benchmarks and load tests: namespaces of
//! Deployments with their ReplicaSets, Pods, Services, EndpointSlices and events, where a chosen
//! fraction of the pods fail in the ways real pods fail. The same seed gives the same cluster.

use std::fmt::Write;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// How many pods in all.
    pub pods: usize,
    /// The fraction of pods that fail, between 0 and 1.
    pub failing: f64,
    /// The seed of the pseudo-random choices.
    pub seed: u64,
}

/// xorshift64*: tiny, fast and stable across versions, which is all a generator needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        // Truncation keeps the low bits; for n far below 2^32 the bias is negligible.
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        #[allow(clippy::cast_precision_loss)] // 53 bits of precision are plenty for a coin.
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }
}

const PODS_PER_DEPLOYMENT: usize = 4;
const DEPLOYMENTS_PER_NAMESPACE: usize = 25;
const FAILURES: [&str; 5] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "OOMKilled",
    "Pending",
    "CreateContainerConfigError",
];

/// Generates a multi-document YAML stream (what `kubectl get -o yaml` of each object would
/// show), readable by `kubewhy analyze -f` and `kubewhy sim serve --snapshot`.
#[must_use]
pub fn generate(options: GenerateOptions) -> String {
    let mut rng = Rng(options.seed.max(1));
    let mut out = String::with_capacity(options.pods * 2600);
    let deployments = options.pods.div_ceil(PODS_PER_DEPLOYMENT);
    for d in 0..deployments {
        let ns = format!("team-{:03}", d / DEPLOYMENTS_PER_NAMESPACE);
        if d % DEPLOYMENTS_PER_NAMESPACE == 0 {
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, uid: ns-{ns}}}\n"
            );
        }
        let app = format!("svc-{d:05}");
        let hash = format!("{:010x}", rng.next() & 0xff_ffff_ffff);
        let pods = PODS_PER_DEPLOYMENT.min(options.pods - d * PODS_PER_DEPLOYMENT);
        let failure = rng
            .chance(options.failing)
            .then(|| FAILURES[rng.below(FAILURES.len())]);
        deployment(&mut out, &ns, &app, &hash, pods, failure.is_some());
        for p in 0..pods {
            let suffix = format!("{:05x}", rng.next() & 0xfffff);
            pod(&mut out, &ns, &app, &hash, &suffix, p, failure);
        }
    }
    out
}

fn deployment(out: &mut String, ns: &str, app: &str, hash: &str, pods: usize, failing: bool) {
    let ready = if failing { 0 } else { pods };
    let _ = write!(
        out,
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app}\n  namespace: {ns}\n  uid: d-{ns}-{app}\n  labels: {{app: {app}}}\n\
         spec:\n  replicas: {pods}\n  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n\
         \x20   spec:\n      containers:\n      - name: app\n        image: registry.example/{app}:1.{pods}\n        ports: [{{containerPort: 8080, name: http}}]\n\
         \x20       resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}\n\
         \x20       readinessProbe: {{httpGet: {{path: /healthz, port: http}}}}\n\
         status:\n  replicas: {pods}\n  readyReplicas: {ready}\n  availableReplicas: {ready}\n  observedGeneration: 1\n\
         ---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {app}-{hash}\n  namespace: {ns}\n  uid: rs-{ns}-{app}\n\
         \x20 labels: {{app: {app}, pod-template-hash: '{hash}'}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {app}, uid: d-{ns}-{app}, controller: true}}]\n\
         spec:\n  replicas: {pods}\n  selector: {{matchLabels: {{app: {app}, pod-template-hash: '{hash}'}}}}\n\
         status: {{replicas: {pods}, readyReplicas: {ready}}}\n\
         ---\napiVersion: v1\nkind: Service\nmetadata: {{name: {app}, namespace: {ns}, uid: s-{ns}-{app}}}\n\
         spec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80, targetPort: http}}]\n"
    );
}

fn pod(
    out: &mut String,
    ns: &str,
    app: &str,
    hash: &str,
    suffix: &str,
    index: usize,
    failure: Option<&str>,
) {
    let name = format!("{app}-{hash}-{suffix}");
    let _ = write!(
        out,
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  uid: p-{name}\n  creationTimestamp: '2026-11-20T08:00:00Z'\n\
         \x20 labels: {{app: {app}, pod-template-hash: '{hash}'}}\n\
         \x20 ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {app}-{hash}, uid: rs-{ns}-{app}, controller: true}}]\n\
         spec:\n  nodeName: node-{node}\n  containers:\n  - name: app\n    image: registry.example/{app}:1.0\n    ports: [{{containerPort: 8080, name: http}}]\n\
         \x20   resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{memory: 256Mi}}}}\n",
        node = index % 50
    );
    let status = match failure {
        None => "status:\n  phase: Running\n  conditions: [{type: Ready, status: 'True'}]\n  containerStatuses:\n  - {name: app, image: app, imageID: '', ready: true, restartCount: 0, state: {running: {startedAt: '2026-11-20T08:01:00Z'}}}\n".to_owned(),
        Some("Pending") => "status:\n  phase: Pending\n  conditions:\n  - {type: PodScheduled, status: 'False', reason: Unschedulable, message: '0/50 nodes are available: 50 Insufficient cpu.'}\n".to_owned(),
        Some("OOMKilled") => "status:\n  phase: Running\n  containerStatuses:\n  - {name: app, image: app, imageID: '', ready: false, restartCount: 6, state: {waiting: {reason: CrashLoopBackOff}}, lastState: {terminated: {reason: OOMKilled, exitCode: 137}}}\n".to_owned(),
        Some("CrashLoopBackOff") => "status:\n  phase: Running\n  containerStatuses:\n  - {name: app, image: app, imageID: '', ready: false, restartCount: 9, state: {waiting: {reason: CrashLoopBackOff}}, lastState: {terminated: {reason: Error, exitCode: 1}}}\n".to_owned(),
        Some(reason) => format!("status:\n  phase: Pending\n  containerStatuses:\n  - {{name: app, image: app, imageID: '', ready: false, restartCount: 0, state: {{waiting: {{reason: {reason}, message: 'see events'}}}}}}\n"),
    };
    out.push_str(&status);
    if failure.is_some() {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Event\nmetadata: {{name: {name}.1, namespace: {ns}}}\n\
             involvedObject: {{kind: Pod, namespace: {ns}, name: {name}, uid: p-{name}, apiVersion: v1}}\n\
             reason: BackOff\nmessage: Back-off restarting failed container app in pod {name}\ntype: Warning\ncount: 7\nlastTimestamp: '2026-11-20T09:29:00Z'\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cluster_and_failures_follow_the_fraction() {
        let options = GenerateOptions {
            pods: 400,
            failing: 0.25,
            seed: 7,
        };
        let text = generate(options);
        assert_eq!(text, generate(options));
        assert_eq!(text.matches("\nkind: Pod\n").count(), 400);
        let failing = text.matches("ready: false").count();
        assert!(
            (40..=160).contains(&failing),
            "{failing} failing pods of 400 at 25%"
        );
        let loaded = kubewhy_source::files::parse([kubewhy_source::files::Input {
            name: "gen.yaml".into(),
            text,
        }]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
        assert_eq!(loaded.snapshot.pods.len(), 400);
    }
}
