//! Properties of scrubbing, over random names and random text made of names, prose, addresses,
//! punctuation and strings that merely look like pseudonyms (but no secrets):
//! - unscrubbing a scrubbed text gives the text back, and reports nothing unknown;
//! - no pseudonym clashes with a real name or with the text, and no two real values share one;
//! - the same input gives the same bytes.

use std::collections::HashSet;
use std::sync::Arc;

use kubewhy_scrub::{Category, Dictionary, Policy, ScrubConfig, Scrubber, unscrub};
use proptest::prelude::*;

const CATEGORIES: [Category; 6] = [
    Category::Deployment,
    Category::Pod,
    Category::Namespace,
    Category::Service,
    Category::Node,
    Category::SecretName,
];

/// Names as clusters have them: strong (`svc-ab12`, `payments-db`) and word-like (`web`).
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{3,8}(-[a-z0-9]{2,6}){0,2}",
        "[a-z]{2,6}[0-9]{1,3}",
        prop::sample::select(vec![
            "web", "api", "cache", "db", "worker", "shop", "node-2", "pod-9"
        ])
        .prop_map(str::to_owned),
    ]
}

fn names() -> impl Strategy<Value = Vec<(String, Category)>> {
    prop::collection::vec((name(), prop::sample::select(CATEGORIES.to_vec())), 1..12)
}

/// A piece of text that is not a name: prose, an address, or a pseudonym look-alike.
fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "the",
            "failed",
            "to",
            "reach",
            "connection",
            "refused",
            "is",
            "not",
            "ready",
            "Back-off",
            "restarting",
            "CrashLoopBackOff",
            "exit",
            "code",
            "137",
            "server",
            "a",
        ])
        .prop_map(str::to_owned),
        (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=254)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "[a-z]{3,8}\\.(acme|example)\\.(com|io)",
        "[a-z]{2,6}@acme\\.com",
        prop::sample::select(vec![
            "pod-3",
            "POD-4",
            "deployment-1-pod-2",
            "ip-7",
            "node-5"
        ])
        .prop_map(str::to_owned),
    ]
}

const SEPARATORS: [&str; 10] = [" ", " ", ", ", ": ", "/", "\"", "'", "=", "\n", "."];

fn text(
    names: Vec<(String, Category)>,
) -> impl Strategy<Value = (Vec<(String, Category)>, String)> {
    let pool: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    let piece = prop_oneof![prop::sample::select(pool), filler(),];
    prop::collection::vec((piece, prop::sample::select(SEPARATORS.to_vec())), 1..40)
        .prop_map(move |pieces| {
            let text: String = pieces.into_iter().map(|(piece, sep)| piece + sep).collect();
            (names.clone(), text)
        })
        .prop_filter("no secret keywords", |(_, text): &(_, String)| {
            !has_secret_keyword(text)
        })
}

/// Texts with a secret keyword are left out: `pwd1: x` is a secret assignment, and secrets
/// never come back.
fn has_secret_keyword(text: &str) -> bool {
    ["pass", "pwd", "secret", "token", "key", "credential"]
        .iter()
        .any(|k| text.to_ascii_lowercase().contains(k))
}

fn scrubber(names: &[(String, Category)]) -> Scrubber {
    let mut builder = Dictionary::builder();
    for (n, c) in names {
        builder.name(n, *c);
    }
    let dictionary = Arc::new(builder.build().unwrap());
    Scrubber::new(dictionary, &ScrubConfig::default(), Policy::Pseudonymize).unwrap()
}

fn tokens(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_ascii_lowercase)
        .collect()
}

proptest! {
    // 256 cases unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn unscrubbing_a_scrubbed_text_gives_it_back((names, text) in names().prop_flat_map(text)) {
        let mut s = scrubber(&names);
        let scrubbed = s.scrub_text(&text).unwrap();
        let back = unscrub(s.table(), scrubbed.as_str()).unwrap();
        prop_assert_eq!(&back.text, &text);
        prop_assert!(back.unknown.is_empty(), "{:?}", back.unknown);
    }

    #[test]
    fn pseudonyms_never_clash((names, text) in names().prop_flat_map(text)) {
        let mut s = scrubber(&names);
        s.scrub_text(&text).unwrap();
        let real: HashSet<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        let in_text = tokens(&text);
        let mut seen = HashSet::new();
        for entry in s.table().entries() {
            prop_assert!(!real.contains(entry.pseudonym.as_str()), "{} is a name", entry.pseudonym);
            prop_assert!(!in_text.contains(&entry.pseudonym), "{} is in the text", entry.pseudonym);
            prop_assert!(seen.insert(entry.pseudonym.clone()), "{} issued twice", entry.pseudonym);
        }
    }

    #[test]
    fn the_same_input_gives_the_same_bytes((names, text) in names().prop_flat_map(text)) {
        let first = scrubber(&names).scrub_text(&text).unwrap();
        let second = scrubber(&names).scrub_text(&text).unwrap();
        prop_assert_eq!(first.as_str(), second.as_str());
    }
}
