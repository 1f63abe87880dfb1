//! `kubewhy eval`: how good one backend's explanations are, scored deterministically on
//! scenarios whose right answers are known. The demo's scenarios (and, when given the folder,
//! the archive fixtures the signature library was not tuned on) run through the whole
//! pipeline, explanations included; each scenario's answer is checked for the expected root
//! cause and facts, commands that name real objects, a valid structure, and no planted secret
//! on the wire. The expectations are data (`eval/*.toml`), quoted from the scenarios.

mod expect;
mod score;
mod wire;

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use kubewhy_llm::Backend;
use kubewhy_model::{EvalReport, Suite};

use crate::{Engine, ExplainOptions, Options, RunError, SourceSpec};

pub use expect::ExpectationsError;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The explainer to score: its backend (`None`: the offline explainer) and settings.
    pub explain: ExplainOptions,
    /// The folder of the archive fixtures (`tests/fixtures/archives` in the repository);
    /// `None` scores the demo only.
    pub fixtures: Option<PathBuf>,
}

/// Why the eval could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// An embedded data file does not parse.
    #[error(transparent)]
    Expectations(#[from] ExpectationsError),
    /// A fixture the data file names is not in the folder given.
    #[error(
        "{} has no `{input}`: pass the repository's tests/fixtures/archives folder",
        dir.display()
    )]
    MissingFixture {
        /// The folder given.
        dir: PathBuf,
        /// The fixture missing from it.
        input: String,
    },
    /// A run failed.
    #[error("the eval's run on {input} failed: {source}")]
    Run {
        /// The input.
        input: String,
        /// Why.
        #[source]
        source: RunError,
    },
}

/// Runs the eval: the demo's suite, then the archive fixtures' when a folder is given.
pub async fn run(options: EvalOptions) -> Result<EvalReport, EvalError> {
    let recording = options
        .explain
        .backend
        .clone()
        .map(|b| Arc::new(wire::Recording::new(b)));
    let mut explain = options.explain.clone();
    if let Some(recording) = &recording {
        explain.backend = Some(Arc::clone(recording) as Arc<dyn Backend>);
    }
    let (backend, model) = match &options.explain.backend {
        Some(b) => (b.id().name.clone(), b.id().model.clone()),
        None => (
            kubewhy_llm::offline::BACKEND.to_owned(),
            "signatures".to_owned(),
        ),
    };
    let runner = Runner { explain, recording };
    let mut suites = vec![
        runner
            .suite("demo", &expect::demo()?, |_| Ok(SourceSpec::Demo))
            .await?,
    ];
    if let Some(dir) = &options.fixtures {
        let spec = |input: Option<&str>| {
            let input = input.unwrap_or_default();
            let path = dir.join(input);
            if !path.exists() {
                return Err(EvalError::MissingFixture {
                    dir: dir.clone(),
                    input: input.to_owned(),
                });
            }
            Ok(SourceSpec::Files {
                paths: vec![path],
                kubernetes_version: None,
            })
        };
        suites.push(runner.suite("archives", &expect::archives()?, spec).await?);
    }
    Ok(EvalReport {
        backend,
        model,
        suites,
    })
}

struct Runner {
    explain: ExplainOptions,
    recording: Option<Arc<wire::Recording>>,
}

impl Runner {
    /// Runs each input of a suite once and scores its scenarios, in the data file's order.
    async fn suite(
        &self,
        name: &str,
        expectations: &expect::Expectations,
        spec: impl Fn(Option<&str>) -> Result<SourceSpec, EvalError>,
    ) -> Result<Suite, EvalError> {
        let mut inputs: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (i, scenario) in expectations.scenarios.iter().enumerate() {
            inputs.entry(scenario.input.as_deref()).or_default().push(i);
        }
        let mut all = Vec::with_capacity(expectations.scenarios.len());
        for (input, scenarios) in inputs {
            tracing::info!(
                "eval {name}: explaining {}",
                input.unwrap_or("the demo cluster")
            );
            let options = Options {
                explain: Some(self.explain.clone()),
                ..Options::default()
            };
            let outcome = Engine::start(spec(input)?, options)
                .outcome()
                .await
                .map_err(|source| EvalError::Run {
                    input: input.unwrap_or(name).to_owned(),
                    source,
                })?;
            let wire = self
                .recording
                .as_ref()
                .map(|r| r.take())
                .unwrap_or_default();
            for i in scenarios {
                let scenario = &expectations.scenarios[i];
                let scored = score::score(scenario, &outcome.report, &wire, &expectations.secrets);
                all.push((i, scored));
            }
        }
        all.sort_by_key(|(i, _)| *i);
        Ok(Suite {
            name: name.to_owned(),
            about: expectations.about.clone(),
            scenarios: all.into_iter().map(|(_, s)| s).collect(),
        })
    }
}
