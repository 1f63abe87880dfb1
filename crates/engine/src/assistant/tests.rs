use std::sync::Arc;

use futures::StreamExt;
use kubewhy_llm::{BackendKind, Profile, prompt::Prompts};
use kubewhy_model::Issue;
use kubewhy_sim::{LlmSim, LlmSimOptions, SimAnswer};

use super::*;
use crate::{Options, SourceSpec};

async fn demo() -> (Engine, Vec<Issue>) {
    let engine = Engine::open(&SourceSpec::Demo)
        .await
        .expect("the demo opens");
    let report = engine
        .run(Options::default())
        .outcome()
        .await
        .expect("a report")
        .report;
    (engine, report.issues)
}

fn assistant(sim: &LlmSim, engine: &Engine) -> Arc<Assistant> {
    let mut profile = Profile::new(BackendKind::Local);
    profile.model = Some("x".to_owned());
    profile.base_url = Some(format!("{}/v1", sim.url()));
    let backend = kubewhy_llm::build("local", &profile, &|_| None).expect("a backend");
    let prompts = Arc::new(Prompts::embedded().expect("the prompts"));
    let assistant = Assistant::new(ExplainOptions::new(Some(backend), prompts));
    assistant.attach(engine);
    assistant
}

async fn replies(stream: BoxStream<'static, Reply>) -> Vec<Reply> {
    stream.collect().await
}

#[tokio::test]
async fn an_explanation_streams_with_names_restored_and_a_chat_keeps_the_pseudonyms() {
    let sim = LlmSim::start(LlmSimOptions {
        chunk_chars: 5,
        ..LlmSimOptions::default()
    })
    .await
    .expect("the simulator");
    let (engine, issues) = demo().await;
    let issue = issues
        .iter()
        .find(|i| i.root.name == "checkout")
        .expect("the checkout issue")
        .clone();
    let assistant = assistant(&sim, &engine);

    let got = replies(assistant.explain(issue.clone(), false)).await;
    let deltas: String = got
        .iter()
        .filter_map(|r| match r {
            Reply::Delta(d) => Some(d.as_str()),
            _ => None,
        })
        .collect();
    assert!(deltas.contains("checkout"), "{deltas}");
    assert!(!deltas.contains("deployment-1"), "{deltas}");
    let Some(Reply::Done(done)) = got.last() else {
        panic!("no answer: {got:?}");
    };
    assert!(done.text.contains("checkout"), "{}", done.text);
    assert!(!done.cached && !done.offline && done.tokens_in > 0);

    let again = replies(assistant.explain(issue.clone(), false)).await;
    assert!(
        matches!(again.last(), Some(Reply::Done(d)) if d.cached) || sim.chat_requests().len() == 2,
        "{again:?}"
    );

    let chat = replies(assistant.chat(Conversation {
        issue: issue.clone(),
        explanation: Some(done.text.clone()),
        history: vec![(Speaker::User, "Is checkout in shop?".to_owned())],
        question: "Why does checkout crash?".to_owned(),
    }))
    .await;
    assert!(matches!(chat.last(), Some(Reply::Done(_))), "{chat:?}");
    let last = sim
        .chat_requests()
        .pop()
        .expect("the chat request")
        .body_text();
    assert!(last.contains("follow-up"), "{last}");
    assert!(!last.contains("checkout"), "a name went out: {last}");

    let preview = replies(assistant.preview(issue)).await;
    let Some(Reply::Preview(text)) = preview.first() else {
        panic!("no preview: {preview:?}");
    };
    assert!(
        text.contains("nothing was sent") && text.contains("--- user"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failing_backend_gives_the_error_and_the_offline_explanation() {
    let sim = LlmSim::start(LlmSimOptions {
        answer: SimAnswer::Fixed("x".to_owned()),
        ..LlmSimOptions::default()
    })
    .await
    .expect("the simulator");
    sim.set_persistent_fault(Some(kubewhy_sim::LlmFault::Status(401)));
    let (engine, issues) = demo().await;
    let assistant = assistant(&sim, &engine);
    let got = replies(assistant.explain(issues[0].clone(), true)).await;
    match got.last() {
        Some(Reply::Failed { error, offline }) => {
            assert!(error.contains("401"), "{error}");
            assert!(offline.as_deref().is_some_and(|t| !t.is_empty()));
        }
        other => panic!("not a failure: {other:?}"),
    }
}

#[tokio::test]
async fn asking_before_the_source_is_open_says_so() {
    let prompts = Arc::new(Prompts::embedded().expect("the prompts"));
    let assistant = Assistant::new(ExplainOptions::new(None, prompts));
    let (_, issues) = demo().await;
    let got = replies(assistant.preview(issues[0].clone())).await;
    assert!(
        matches!(got.as_slice(), [Reply::Failed { error, .. }] if error.contains("not open")),
        "{got:?}"
    );
}
