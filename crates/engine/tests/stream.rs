//! Streamed explanations show real names: an answer that names pseudonyms, streamed in chunks
//! that cut them in two, reaches the frontend restored, the same text the finished explanation
//! holds.

use std::{collections::BTreeMap, sync::Arc};

use kubewhy_engine::{Engine, EventKind, ExplainOptions, Options, SourceSpec};
use kubewhy_llm::{BackendKind, Profile, prompt::Prompts};
use kubewhy_model::{Fingerprint, ObjectRef};
use kubewhy_sim::{LlmSim, LlmSimOptions, SimAnswer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_deltas_are_unscrubbed_even_when_a_pseudonym_is_split() {
    let sim = LlmSim::start(LlmSimOptions {
        answer: SimAnswer::Template(
            "Restart {first_pseudonym} now, then watch {pseudonyms}.".into(),
        ),
        chunk_chars: 3,
        ..LlmSimOptions::default()
    })
    .await
    .unwrap();
    let mut profile = Profile::new(BackendKind::Local);
    profile.model = Some("any".into());
    profile.base_url = Some(format!("{}/v1", sim.url()));
    let backend = kubewhy_llm::build("local", &profile, &|_| None).unwrap();
    let explain = ExplainOptions::new(Some(backend), Arc::new(Prompts::embedded().unwrap()));
    let options = Options {
        focus: Some(ObjectRef::new("", "deploy", Some("shop"), "checkout")),
        explain: Some(explain),
        ..Options::default()
    };
    let mut run = Engine::start(SourceSpec::Demo, options);
    let mut streamed: BTreeMap<Fingerprint, String> = BTreeMap::new();
    let mut finished = BTreeMap::new();
    while let Some(event) = run.next().await {
        match event.kind {
            EventKind::Explanation { fingerprint, delta } => {
                streamed.entry(fingerprint).or_default().push_str(&delta);
            }
            EventKind::Explained {
                fingerprint,
                explanation,
            } => {
                finished.insert(fingerprint, explanation.text);
            }
            _ => {}
        }
    }
    assert!(!streamed.is_empty(), "the answer streamed");
    for (fingerprint, text) in &streamed {
        assert!(text.contains("checkout"), "{text}");
        assert!(
            !text.contains("deployment-"),
            "a pseudonym was streamed: {text}"
        );
        assert_eq!(
            Some(text.trim()),
            finished.get(fingerprint).map(|t| t.trim())
        );
    }
}
