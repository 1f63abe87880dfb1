use std::time::Duration;

use super::*;
use crate::{
    Message,
    test_support::{scrubbed, scrubber},
};

fn backend(model: &str) -> BackendId {
    BackendId {
        name: "work".into(),
        kind: crate::BackendKind::Local,
        model: model.into(),
        endpoint: "http://127.0.0.1:8080/v1/chat/completions".into(),
        local: true,
        trusted: false,
    }
}

fn request(text: &str) -> ChatRequest {
    let mut scrubber = scrubber();
    ChatRequest::new(vec![Message::user(scrubbed(&mut scrubber, text))])
}

fn answer(text: &str, finish: FinishReason) -> Answer {
    Answer {
        text: text.into(),
        finish,
        usage: Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 3,
        }),
        attempts: 1,
        latency: Duration::ZERO,
        time_to_first_token: None,
    }
}

#[test]
fn the_key_changes_with_everything_that_changes_the_answer() {
    let english = Language::default();
    let base = CacheKey::new(&request("checkout crashes"), &backend("m"), "t1", &english);
    assert_eq!(
        base,
        CacheKey::new(&request("checkout crashes"), &backend("m"), "t1", &english)
    );
    let variants = [
        CacheKey::new(&request("checkout crashes!"), &backend("m"), "t1", &english),
        CacheKey::new(
            &request("checkout crashes"),
            &backend("other"),
            "t1",
            &english,
        ),
        CacheKey::new(&request("checkout crashes"), &backend("m"), "t2", &english),
        CacheKey::new(
            &request("checkout crashes"),
            &backend("m"),
            "t1",
            &Language::new("Deutsch").unwrap(),
        ),
        CacheKey::new(
            &request("checkout crashes").with_max_tokens(10),
            &backend("m"),
            "t1",
            &english,
        ),
    ];
    for variant in variants {
        assert_ne!(variant, base);
    }
    let mut endpoint = backend("m");
    endpoint.endpoint = "http://127.0.0.1:9090/v1/chat/completions".into();
    assert_ne!(
        CacheKey::new(&request("checkout crashes"), &endpoint, "t1", &english),
        base
    );
    assert_eq!(base.to_hex().len(), 64);
}

#[test]
fn answers_round_trip_and_partial_ones_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path());
    let key = CacheKey::new(&request("a"), &backend("m"), "t", &Language::default());
    assert!(matches!(cache.get(&key), Lookup::Miss));
    assert!(matches!(
        cache.put(
            &key,
            &answer("cut off", FinishReason::Length),
            &backend("m")
        ),
        Store::Skipped(_)
    ));
    assert!(matches!(
        cache.put(&key, &answer("  ", FinishReason::Stop), &backend("m")),
        Store::Skipped(_)
    ));
    assert!(matches!(cache.get(&key), Lookup::Miss));
    assert!(matches!(
        cache.put(
            &key,
            &answer("the Secret is missing", FinishReason::Stop),
            &backend("m")
        ),
        Store::Written
    ));
    let Lookup::Hit(hit) = cache.get(&key) else {
        panic!("no hit")
    };
    assert_eq!(hit.text, "the Secret is missing");
    assert_eq!(
        hit.usage,
        Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 3
        })
    );
    assert_eq!((hit.backend.as_str(), hit.model.as_str()), ("work", "m"));
    let other = CacheKey::new(&request("b"), &backend("m"), "t", &Language::default());
    assert!(matches!(cache.get(&other), Lookup::Miss));
}

#[test]
fn old_answers_expire_and_stats_count_them() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path()).with_ttl(Duration::from_hours(1));
    let fresh = CacheKey::new(&request("fresh"), &backend("m"), "t", &Language::default());
    let old = CacheKey::new(&request("old"), &backend("m"), "t", &Language::default());
    assert!(matches!(
        cache.put(&fresh, &answer("new", FinishReason::Stop), &backend("m")),
        Store::Written
    ));
    let stale = CachedAnswer {
        text: "old".into(),
        finish: FinishReason::Stop,
        usage: None,
        backend: "work".into(),
        model: "m".into(),
        stored_at: now() - 7200,
    };
    cache.write(&old, &stale).unwrap();
    assert!(matches!(cache.get(&old), Lookup::Miss));
    assert!(matches!(cache.get(&fresh), Lookup::Hit(_)));
    let stats = cache.stats().unwrap();
    assert_eq!((stats.entries, stats.expired), (2, 1));
    assert!(stats.bytes > 0);
    assert_eq!(cache.clear().unwrap(), 2);
    assert!(matches!(cache.get(&fresh), Lookup::Miss));
    assert_eq!(cache.stats().unwrap().entries, 0);
    let empty = Cache::in_dir(&dir.path().join("never"));
    assert_eq!(empty.stats().unwrap().entries, 0);
    assert_eq!(empty.clear().unwrap(), 0);
}

#[test]
fn a_held_file_means_uncached_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path()).with_lock_wait(Duration::from_millis(100));
    let key = CacheKey::new(&request("a"), &backend("m"), "t", &Language::default());
    assert!(matches!(
        cache.put(&key, &answer("x", FinishReason::Stop), &backend("m")),
        Store::Written
    ));
    let holder = redb::Database::create(cache.path()).unwrap();
    let started = Instant::now();
    let Lookup::Unavailable(Some(warning)) = cache.get(&key) else {
        panic!("expected a warning")
    };
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "it waited first"
    );
    assert!(
        warning
            .to_string()
            .contains("in use by another kubewhy process"),
        "{warning}"
    );
    assert!(
        matches!(cache.get(&key), Lookup::Unavailable(None)),
        "one warning only"
    );
    assert!(matches!(
        cache.put(&key, &answer("y", FinishReason::Stop), &backend("m")),
        Store::Unavailable(None)
    ));
    drop(holder);
    let Lookup::Hit(hit) = cache.get(&key) else {
        panic!("the cache is back")
    };
    assert_eq!(hit.text, "x");
}

#[test]
fn a_file_that_is_not_a_cache_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::in_dir(dir.path());
    std::fs::write(
        cache.path(),
        b"this is not a redb file at all, not even close to one",
    )
    .unwrap();
    let key = CacheKey::new(&request("a"), &backend("m"), "t", &Language::default());
    let Lookup::Unavailable(Some(warning)) = cache.get(&key) else {
        panic!("expected a warning")
    };
    assert!(
        warning.to_string().contains("kubewhy cache clear"),
        "{warning}"
    );
}
