//! The demo cluster's events and logs, scrubbed: realistic text must pass the final check (no
//! false alarms), lose every strong name of the snapshot, and come back intact when unscrubbed.

use std::sync::Arc;

use kubewhy_scrub::{Category, Dictionary, Policy, ScrubConfig, Scrubber, unscrub};

fn texts(snapshot: &kubewhy_source::Snapshot) -> Vec<String> {
    let mut texts: Vec<String> = snapshot
        .events
        .iter()
        .filter_map(|e| e.message.clone())
        .collect();
    texts.extend(snapshot.logs().map(|(_, log)| log.to_owned()));
    texts
}

#[test]
fn the_demo_cluster_scrubs_cleanly_and_round_trips() {
    let loaded = kubewhy_source::demo::load();
    let snapshot = loaded.snapshot;
    let dictionary = Arc::new(Dictionary::from_snapshot(&snapshot).unwrap());
    assert!(dictionary.len() > 50, "{} names", dictionary.len());
    let texts = texts(&snapshot);
    assert!(texts.len() > 20, "{} texts", texts.len());
    let mut scrubber = Scrubber::new(
        dictionary.clone(),
        &ScrubConfig::default(),
        Policy::Pseudonymize,
    )
    .unwrap();
    let mut replaced = 0;
    for text in &texts {
        let out = scrubber
            .scrub_text(text)
            .unwrap_or_else(|e| panic!("{e}\nin: {text}"));
        if out.as_str() != text {
            replaced += 1;
        }
        // Secrets never come back; texts with none must come back whole.
        if !has_secret_pseudonym(out.as_str()) {
            let back = unscrub(scrubber.table(), out.as_str()).unwrap();
            assert_eq!(&back.text, text);
            assert!(back.unknown.is_empty(), "{:?}", back.unknown);
        }
    }
    assert!(
        replaced * 2 > texts.len(),
        "only {replaced} of {} texts changed",
        texts.len()
    );
    let pods: Vec<&str> = snapshot
        .pods
        .iter()
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    let joined: String = texts
        .iter()
        .map(|t| scrubber.scrub_text(t).unwrap().as_str().to_owned())
        .collect();
    for pod in pods {
        if dictionary.category(pod) == Some(Category::Pod) {
            assert!(!joined.contains(pod), "{pod} survived");
        }
    }
}

fn has_secret_pseudonym(text: &str) -> bool {
    text.match_indices("secret-")
        .any(|(i, _)| text[i + 7..].starts_with(|c: char| c.is_ascii_digit()))
}
