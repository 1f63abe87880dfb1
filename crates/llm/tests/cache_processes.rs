//! Two processes explaining at once with one cache file: redb lets one process hold the file,
//! so each lookup and write opens it briefly and waits for the other. Neither loses a write,
//! neither goes uncached, and a second run makes no call at all.

mod common;

use std::{path::PathBuf, sync::Arc, time::Duration};

use common::{KEY, request, scrub, scrubber, start};
use kubewhy_llm::{
    ChatRequest, Dispatcher, Message, RetryPolicy,
    cache::{Cache, CacheKey, Lookup, Store},
    prompt::Language,
};
use kubewhy_scrub::Policy;
use kubewhy_sim::{LlmSimOptions, SimAnswer};

const ISSUES: usize = 15;

fn issue(who: &str, i: usize) -> ChatRequest {
    let mut scrubber = scrubber(Policy::Pseudonymize);
    let system = request().messages()[0].clone();
    ChatRequest::new(vec![
        system,
        Message::user(scrub(
            &mut scrubber,
            &format!("issue {who} number {i}: pod checkout-7d9f in shop crashes"),
        )),
    ])
}

/// Explains this process's issues: look up, call on a miss, store. Returns how often the cache
/// was unavailable.
async fn explain_share(who: &str, dir: PathBuf, url: String) -> usize {
    let backend = kubewhy_llm::build(who, &common::local_profile(&url), &common::env).unwrap();
    let dispatcher = Dispatcher::new(backend, RetryPolicy::default(), 2);
    let cache = Arc::new(Cache::in_dir(&dir));
    let mut unavailable = 0;
    for i in 0..ISSUES {
        let request = issue(who, i);
        let key = CacheKey::new(
            &request,
            dispatcher.backend().id(),
            "templates",
            &Language::default(),
        );
        let lookup = {
            let cache = Arc::clone(&cache);
            tokio::task::spawn_blocking(move || cache.get(&key))
                .await
                .unwrap()
        };
        match lookup {
            Lookup::Hit(_) => panic!("{who}-{i} was cached before it was asked"),
            Lookup::Miss => {}
            Lookup::Unavailable(_) => unavailable += 1,
        }
        let answer = dispatcher.complete(&request, |_| {}).await.unwrap();
        let id = dispatcher.backend().id().clone();
        let cache = Arc::clone(&cache);
        let stored = tokio::task::spawn_blocking(move || cache.put(&key, &answer, &id))
            .await
            .unwrap();
        match stored {
            Store::Written => {}
            Store::Skipped(why) => panic!("{who}-{i} skipped: {why}"),
            Store::Unavailable(_) => unavailable += 1,
        }
    }
    unavailable
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_explain_at_once_with_one_cache() {
    let sim = start(LlmSimOptions {
        answer: SimAnswer::Template("answer {n}: {first_pseudonym} crashes".into()),
        chunk_delay: Duration::from_millis(2),
        ..common::options()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let child = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "child_explains_its_share",
            "--ignored",
            "--nocapture",
        ])
        .env("KUBEWHY_TEST_CACHE_DIR", dir.path())
        .env("KUBEWHY_TEST_LLM_URL", sim.url())
        .env("LOCAL_KEY", KEY)
        .output();
    let (output, unavailable) =
        tokio::join!(child, explain_share("a", dir.path().to_owned(), sim.url()));
    let output = output.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "the child ran: {stdout}");
    assert_eq!(unavailable, 0, "this process went uncached");
    assert_eq!(sim.chat_requests().len(), 2 * ISSUES);

    // A second run: every answer from the file, no call.
    let cache = Cache::in_dir(dir.path());
    let backend =
        kubewhy_llm::build("b", &common::local_profile(&sim.url()), &common::env).unwrap();
    for who in ["a", "b"] {
        for i in 0..ISSUES {
            let key = CacheKey::new(
                &issue(who, i),
                backend.id(),
                "templates",
                &Language::default(),
            );
            let Lookup::Hit(hit) = cache.get(&key) else {
                panic!("{who}-{i} is not cached")
            };
            assert!(hit.text.contains("deployment-1-pod-1 crashes"), "{hit:?}");
        }
    }
    assert_eq!(sim.chat_requests().len(), 2 * ISSUES);
    assert_eq!(cache.stats().unwrap().entries, (2 * ISSUES) as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by two_processes_explain_at_once_with_one_cache in a process of its own"]
async fn child_explains_its_share() {
    let dir = PathBuf::from(std::env::var_os("KUBEWHY_TEST_CACHE_DIR").unwrap());
    let url = std::env::var("KUBEWHY_TEST_LLM_URL").unwrap();
    let unavailable = explain_share("b", dir, url).await;
    assert_eq!(unavailable, 0, "the child went uncached");
}
