//! A generator of large clusters that a real one would be mistaken for: namespaces of
//! Deployments, StatefulSets with their volumes, DaemonSets, Jobs and CronJobs, their pods at
//! full size (specs, statuses, `managedFields`), Nodes, Services with Endpoints and
//! EndpointSlices, Ingresses, ConfigMaps, Secrets (metadata), HPAs, PDBs, NetworkPolicies and
//! events. A chosen fraction of the apps fail, spread over the failures the analyzers know, with
//! the logs failing containers leave. The same seed gives the same cluster, byte for byte.

mod batch;
mod cluster;
mod meta;
mod network;
mod pods;
mod workloads;

use std::{collections::BTreeMap, fmt::Write as _};

use serde_json::Value;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateOptions {
    /// How many pods in all.
    pub pods: usize,
    /// The fraction of apps that fail, between 0 and 1.
    pub failing: f64,
    /// The seed of the pseudo-random choices.
    pub seed: u64,
}

/// How a generated cluster is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One `kind: List` in JSON, as `kubectl get -o json` writes it.
    #[default]
    Json,
    /// A multi-document YAML stream, one object per document.
    Yaml,
}

/// Why a generated cluster could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The objects could not be written as YAML.
    #[error("cannot write the cluster as YAML: {0}")]
    Yaml(#[source] serde_yaml_ng::Error),
    /// The objects could not be written as JSON.
    #[error("cannot write the cluster as JSON: {0}")]
    Json(#[source] serde_json::Error),
}

/// A generated cluster.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// Every object, in the order a dump lists them.
    pub objects: Vec<Value>,
    /// Container logs in `kubectl cluster-info dump` blocks: the current instances'.
    pub logs: String,
    /// The same, of the previous instances of containers that crashed; a dump keeps them in
    /// `logs-previous.txt`.
    pub previous_logs: String,
    /// The check ids the generated failures should raise, with how many objects fail so.
    pub failures: BTreeMap<&'static str, usize>,
}

impl Generated {
    /// The objects as one document in `format`, followed by the current logs.
    ///
    /// # Errors
    ///
    /// When an object cannot be serialized, which generated objects never are.
    pub fn to_text(&self, format: Format) -> Result<String, GenerateError> {
        let mut text = match format {
            Format::Json => {
                // One item a line: half the size of pretty JSON, and still greppable.
                let mut text = String::with_capacity(self.objects.len() * 8192);
                text.push_str("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},\"items\":[\n");
                for (i, object) in self.objects.iter().enumerate() {
                    if i > 0 {
                        text.push_str(",\n");
                    }
                    text.push_str(&serde_json::to_string(object).map_err(GenerateError::Json)?);
                }
                text.push_str("\n]}\n");
                text
            }
            Format::Yaml => {
                let mut text = String::with_capacity(self.objects.len() * 4096);
                for object in &self.objects {
                    text.push_str("---\n");
                    text.push_str(&serde_yaml_ng::to_string(object).map_err(GenerateError::Yaml)?);
                }
                text
            }
        };
        text.push_str(&self.logs);
        Ok(text)
    }
}

/// Generates a cluster as a JSON `List` followed by the current containers' logs: what
/// `kubectl get -o json` and a cluster dump hold, readable by `kubewhy analyze -f` and
/// `kubewhy sim serve --snapshot`.
#[must_use]
pub fn generate(options: GenerateOptions) -> String {
    // Generated objects are plain JSON values: serializing them cannot fail.
    generate_cluster(options)
        .to_text(Format::Json)
        .unwrap_or_default()
}

/// Generates a cluster as objects and logs.
#[must_use]
pub fn generate_cluster(options: GenerateOptions) -> Generated {
    let mut cluster = Cluster::new(options);
    cluster::infrastructure(&mut cluster);
    workloads::daemon_sets(&mut cluster);
    let mut namespace = 0;
    while cluster.pods < options.pods {
        cluster::namespace(&mut cluster, namespace);
        namespace += 1;
    }
    cluster.finish()
}

/// The ways an app is generated failing, each with the check that should find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    CrashLoop,
    ImagePull,
    OomKilled,
    Unschedulable,
    ConfigError,
    NotReady,
    Evicted,
    StuckCreating,
    StartFailing,
    PvcPending,
    JobFailed,
    ServiceNoPods,
    IngressBackendMissing,
    HpaTargetMissing,
    NodeNotReady,
    NodePressure,
}

impl Failure {
    /// The failures of a Deployment's app, in the order failing apps take them.
    const DEPLOYMENT: [Self; 12] = [
        Self::CrashLoop,
        Self::ImagePull,
        Self::OomKilled,
        Self::Unschedulable,
        Self::ConfigError,
        Self::NotReady,
        Self::Evicted,
        Self::StuckCreating,
        Self::StartFailing,
        Self::ServiceNoPods,
        Self::IngressBackendMissing,
        Self::HpaTargetMissing,
    ];

    /// The check that finds it.
    pub(crate) fn check(self) -> &'static str {
        match self {
            Self::CrashLoop => "pod-crash-looping",
            Self::ImagePull => "pod-image-pull-failing",
            Self::OomKilled => "pod-oom-killed",
            Self::Unschedulable => "pod-unschedulable",
            Self::ConfigError => "pod-container-config-error",
            Self::NotReady => "pod-not-ready",
            Self::Evicted => "pod-evicted",
            Self::StuckCreating => "pod-stuck-creating",
            Self::StartFailing => "pod-container-start-failing",
            Self::PvcPending => "pvc-pending",
            // A failed Job is reported as the failure of its pod, which says why.
            Self::JobFailed => "pod-container-failed",
            Self::ServiceNoPods => "service-selects-no-pods",
            Self::IngressBackendMissing => "ingress-backend-missing",
            Self::HpaTargetMissing => "hpa-target-not-found",
            Self::NodeNotReady => "node-not-ready",
            Self::NodePressure => "node-pressure",
        }
    }

    /// Whether the app's pods themselves fail.
    pub(crate) fn in_pods(self) -> bool {
        !matches!(
            self,
            Self::ServiceNoPods
                | Self::IngressBackendMissing
                | Self::HpaTargetMissing
                | Self::NodeNotReady
                | Self::NodePressure
        )
    }
}

/// xorshift64*: tiny, fast and stable across versions, which is all a generator needs.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        // Truncation keeps the low bits; for n far below 2^32 the bias is negligible.
        #[allow(clippy::cast_possible_truncation)]
        let n = (self.next() % n.max(1) as u64) as usize;
        n
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        #[allow(clippy::cast_precision_loss)] // 53 bits of precision are plenty for a coin.
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }

    /// `n` lowercase hex digits, as controllers suffix names.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let text = format!("{:016x}", self.next());
        text[..n.min(16)].to_owned()
    }

    /// `n` characters from the alphabet Kubernetes uses for generated name suffixes.
    pub(crate) fn suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len())]))
            .collect()
    }
}

/// A node pods are placed on.
pub(crate) struct Node {
    pub name: String,
    pub ip: String,
    pub ready: bool,
}

/// The generator's state while it builds a cluster.
pub(crate) struct Cluster {
    pub options: GenerateOptions,
    pub rng: Rng,
    pub objects: Vec<Value>,
    pub logs: String,
    pub previous_logs: String,
    pub failures: BTreeMap<&'static str, usize>,
    pub nodes: Vec<Node>,
    /// Pods generated so far.
    pub pods: usize,
    next_ip: u32,
    next_node: usize,
    /// Failing apps so far, by the first of their choices.
    failing_apps: BTreeMap<&'static str, usize>,
}

impl Cluster {
    fn new(options: GenerateOptions) -> Self {
        Self {
            options,
            rng: Rng(options.seed.max(1)),
            objects: Vec::with_capacity(options.pods * 3),
            logs: String::new(),
            previous_logs: String::new(),
            failures: BTreeMap::new(),
            nodes: Vec::new(),
            pods: 0,
            next_ip: 0,
            next_node: 0,
            failing_apps: BTreeMap::new(),
        }
    }

    fn finish(self) -> Generated {
        Generated {
            objects: self.objects,
            logs: self.logs,
            previous_logs: self.previous_logs,
            failures: self.failures,
        }
    }

    /// Pods still to generate.
    pub fn remaining(&self) -> usize {
        self.options.pods.saturating_sub(self.pods)
    }

    /// Whether the next app fails, and how: the failing ones take `choices` in turn, so that
    /// every kind of failure shows up even in a small cluster.
    pub fn failure(&mut self, choices: &'static [Failure]) -> Option<Failure> {
        let first = *choices.first()?;
        if !self.rng.chance(self.options.failing) {
            return None;
        }
        let turn = self.failing_apps.entry(first.check()).or_default();
        let failure = choices[*turn % choices.len()];
        *turn += 1;
        Some(failure)
    }

    /// Records that `failure` was generated.
    pub fn record(&mut self, failure: Failure) {
        *self.failures.entry(failure.check()).or_default() += 1;
    }

    /// A fresh pod IP in 10.244.0.0/16.
    pub fn pod_ip(&mut self) -> String {
        self.next_ip += 1;
        format!(
            "10.{}.{}.{}",
            244 + (self.next_ip >> 16) % 8,
            (self.next_ip >> 8) & 0xff,
            self.next_ip & 0xff
        )
    }

    /// The next node, round-robin, and its IP.
    pub fn place(&mut self) -> (String, String) {
        let node = &self.nodes[self.next_node % self.nodes.len().max(1)];
        self.next_node += 1;
        (node.name.clone(), node.ip.clone())
    }

    /// Adds an object, with the `managedFields` its managers would have left.
    pub fn push(&mut self, object: Value, spec_manager: &str, status_manager: Option<&str>) {
        self.objects.push(meta::with_managed_fields(
            object,
            spec_manager,
            status_manager,
        ));
    }

    /// Adds a container's log.
    pub fn log(&mut self, namespace: &str, pod: &str, container: &str, text: &str, previous: bool) {
        let out = if previous {
            &mut self.previous_logs
        } else {
            &mut self.logs
        };
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "==== START logs for container {container} of pod {namespace}/{pod} ====\n{text}==== END logs for container {container} of pod {namespace}/{pod} ====\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cluster_and_every_failure_is_recorded() {
        let options = GenerateOptions {
            pods: 600,
            failing: 0.3,
            seed: 7,
        };
        let text = generate(options);
        assert_eq!(text, generate(options));
        let cluster = generate_cluster(options);
        let kinds = |kind: &str| cluster.objects.iter().filter(|o| o["kind"] == kind).count();
        assert_eq!(kinds("Pod"), 600);
        assert!(kinds("Node") >= 600 / 30);
        for kind in [
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "EndpointSlice",
            "Endpoints",
            "Ingress",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "ConfigMap",
            "Secret",
            "Event",
        ] {
            assert!(kinds(kind) > 0, "no {kind}");
        }
        assert!(cluster.failures.len() >= 12, "{:?}", cluster.failures);
        let loaded = kubewhy_source::files::parse([kubewhy_source::files::Input {
            name: "gen.json".into(),
            text,
        }]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
        assert_eq!(loaded.snapshot.pods.len(), 600);
    }

    #[test]
    fn a_pod_is_as_large_as_a_real_one() {
        let cluster = generate_cluster(GenerateOptions {
            pods: 100,
            failing: 0.0,
            seed: 1,
        });
        let pod = cluster
            .objects
            .iter()
            .find(|o| o["kind"] == "Pod")
            .map(Value::to_string)
            .unwrap_or_default();
        assert!(pod.len() > 6000, "a pod of {} bytes", pod.len());
        assert!(pod.contains("managedFields"));
    }
}
