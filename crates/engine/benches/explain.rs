//! What explaining costs: a cluster with many failing pods from a few root causes, explained
//! through the LLM simulator (each answer delayed as a real backend's would be) as every
//! frontend explains, against the same pods explained one prompt per failing object, as peers
//! do.
//!
//! `cargo bench -p kubewhy-engine --bench explain -- [CAUSES] [PODS_PER_CAUSE] [DELAY_MS]`
//! (default 20 causes, 25 pods each: 500 failing pods; 200 ms per call). It prints the calls
//! and prompt tokens of both ways, their ratio, the wall time at concurrency 1 and 4, and the
//! calls of a second run with the cache.

use std::{fmt::Write, sync::Arc, time::Duration, time::Instant};

use kubewhy_engine::{Engine, ExplainOptions, Options, SourceSpec};
use kubewhy_llm::{BackendKind, Profile, cache::Cache, prompt::Prompts};
use kubewhy_sim::{LlmFault, LlmSim, LlmSimOptions};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let causes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let pods: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(25);
    let delay: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let numbers = runtime.block_on(bench(causes, pods, Duration::from_millis(delay)));
    println!("{numbers}");
}

/// What one benchmark run measured.
#[derive(Debug)]
pub struct Numbers {
    pub failing_pods: usize,
    pub grouped_calls: usize,
    pub grouped_tokens: u64,
    pub per_object_calls: usize,
    pub per_object_tokens: u64,
    pub wall_1: Duration,
    pub wall_4: Duration,
    pub second_run_calls: usize,
}

impl std::fmt::Display for Numbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[allow(clippy::cast_precision_loss)]
        let ratio = self.grouped_tokens as f64 / self.per_object_tokens.max(1) as f64 * 100.0;
        writeln!(f, "{} failing pods", self.failing_pods)?;
        writeln!(
            f,
            "one call per root cause: {} calls, {} prompt tokens",
            self.grouped_calls, self.grouped_tokens
        )?;
        writeln!(
            f,
            "one call per failing object: {} calls, {} prompt tokens",
            self.per_object_calls, self.per_object_tokens
        )?;
        writeln!(f, "prompt tokens: {ratio:.1}% of one prompt per object")?;
        writeln!(
            f,
            "wall time: {:.2} s at concurrency 1, {:.2} s at concurrency 4",
            self.wall_1.as_secs_f64(),
            self.wall_4.as_secs_f64()
        )?;
        write!(f, "second run: {} calls", self.second_run_calls)
    }
}

/// `causes` Deployments of `pods` crash-looping pods each, every Deployment with its own error;
/// with `owned` false, the same pods without owners, so that each is its own root.
fn cluster(causes: usize, pods: usize, owned: bool) -> String {
    let mut out = String::new();
    for c in 0..causes {
        if owned {
            let _ = write!(
                out,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{c}, namespace: shop, uid: d-{c}}}\n\
                 spec:\n  replicas: {pods}\n  selector: {{matchLabels: {{app: app-{c}}}}}\n  template:\n    metadata: {{labels: {{app: app-{c}}}}}\n    spec: {{containers: [{{name: app, image: registry.example.com/app-{c}:1.0}}]}}\n\
                 status: {{replicas: {pods}, unavailableReplicas: {pods}}}\n"
            );
        }
        for p in 0..pods {
            let labels = if owned {
                format!(
                    "labels: {{app: app-{c}, pod-template-hash: 5d8f{c}}}, ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: app-{c}-5d8f{c}, uid: rs-{c}, controller: true}}], "
                )
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: app-{c}-5d8f{c}-p{p}, namespace: shop, {labels}uid: p-{c}-{p}}}\n\
                 spec: {{nodeName: node-1, containers: [{{name: app, image: registry.example.com/app-{c}:1.0}}]}}\n\
                 status:\n  phase: Running\n  containerStatuses:\n  - name: app\n    image: registry.example.com/app-{c}:1.0\n    imageID: ''\n    ready: false\n    restartCount: 9\n\
                 \x20   state: {{waiting: {{reason: CrashLoopBackOff, message: back-off 5m0s restarting failed container}}}}\n\
                 \x20   lastState: {{terminated: {{exitCode: 1, reason: Error, message: 'cause {c}: open /etc/app-{c}/config.yaml: no such file or directory', finishedAt: '2026-11-20T09:20:00Z'}}}}\n"
            );
        }
    }
    out
}

/// Explains the cluster in `file` against `sim` and returns the calls it made and the prompt
/// tokens of its explanations.
async fn explain(
    file: &std::path::Path,
    sim: &LlmSim,
    concurrency: usize,
    cache: Option<Arc<Cache>>,
) -> (usize, u64, Duration) {
    let mut profile = Profile::new(BackendKind::Local);
    profile.base_url = Some(format!("{}/v1", sim.url()));
    profile.model = Some("bench".into());
    let backend = kubewhy_llm::build("bench", &profile, &|_| None).expect("the backend builds");
    let prompts = Arc::new(Prompts::embedded().expect("the prompts render"));
    let mut explain = ExplainOptions::new(Some(backend), prompts);
    explain.max_concurrency = Some(concurrency);
    explain.cache = cache;
    let options = Options {
        explain: Some(explain),
        ..Options::default()
    };
    let spec = SourceSpec::Files {
        paths: vec![file.to_owned()],
        kubernetes_version: None,
    };
    sim.clear_requests();
    let started = Instant::now();
    let outcome = Engine::start(spec, options)
        .outcome()
        .await
        .expect("the run ends with a report");
    let wall = started.elapsed();
    let tokens = outcome
        .report
        .issues
        .iter()
        .filter_map(|i| i.explanation.as_ref())
        .filter(|e| !e.cached)
        .map(|e| u64::from(e.tokens_in))
        .sum();
    (sim.chat_requests().len(), tokens, wall)
}

/// Runs the benchmark.
///
/// # Panics
///
/// When the simulator cannot start or a run fails: a benchmark has nothing to measure then.
pub async fn bench(causes: usize, pods: usize, delay: Duration) -> Numbers {
    let sim = LlmSim::start(LlmSimOptions::default())
        .await
        .expect("the LLM simulator starts");
    sim.set_persistent_fault(Some(LlmFault::Delay(delay)));
    let dir = tempfile::tempdir().expect("a temp dir");
    let grouped = dir.path().join("grouped.yaml");
    let alone = dir.path().join("per-object.yaml");
    std::fs::write(&grouped, cluster(causes, pods, true)).expect("written");
    std::fs::write(&alone, cluster(causes, pods, false)).expect("written");

    let (grouped_calls, grouped_tokens, wall_1) = explain(&grouped, &sim, 1, None).await;
    let (_, _, wall_4) = explain(&grouped, &sim, 4, None).await;
    let (per_object_calls, per_object_tokens, _) = explain(&alone, &sim, 4, None).await;
    let cache = Arc::new(Cache::in_dir(dir.path()));
    explain(&grouped, &sim, 4, Some(Arc::clone(&cache))).await;
    let (second_run_calls, _, _) = explain(&grouped, &sim, 4, Some(cache)).await;
    Numbers {
        failing_pods: causes * pods,
        grouped_calls,
        grouped_tokens,
        per_object_calls,
        per_object_tokens,
        wall_1,
        wall_4,
        second_run_calls,
    }
}
