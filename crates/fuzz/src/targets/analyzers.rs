//! The analyzers over objects of every kind with values of every type in every place: the
//! input is read through the file source into a snapshot, then analyzed with the default
//! checks, with every check, and as a cluster would be. Analysis must be deterministic (the
//! same snapshot gives the same findings), and no finding may carry a Secret's value. Now and
//! then an input also goes through the whole engine (grouping, folding, the report) from a
//! file on disk.

use std::{
    cell::RefCell,
    hash::{DefaultHasher, Hash, Hasher},
    path::PathBuf,
    sync::OnceLock,
};

use fastrand::Rng;
use kubewhy_analyzers::{Filter, analyze, catalog};
use kubewhy_engine::{Engine, Options, SourceSpec};
use kubewhy_source::files::{self, Input};

use super::{MANIFEST_TOKENS, Target, files::PLANTED, scratch};
use crate::{Features, generate};

pub(crate) const TARGET: Target = Target {
    name: "analyzers",
    about: "every check over arbitrary objects of every kind, and the engine's grouping",
    run,
    generate: generate_input,
    tokens: MANIFEST_TOKENS,
};

/// One input in this many also runs through the engine.
const ENGINE_EVERY: u64 = 16;

fn every_check() -> &'static Filter {
    static ALL: OnceLock<Filter> = OnceLock::new();
    ALL.get_or_init(|| Filter {
        only: catalog()
            .entries
            .keys()
            .map(|id| (*id).to_owned())
            .collect(),
        ..Filter::default()
    })
}

fn run(input: &[u8], features: &mut Features) {
    let text = String::from_utf8_lossy(input).into_owned();
    let loaded = files::parse([Input {
        name: "objects.yaml".to_owned(),
        text,
    }]);
    let snapshot = &loaded.snapshot;
    features.add_count("objects", snapshot.objects_scanned());
    let digest = hash(input);
    let live = Filter {
        live: true,
        ..Filter::default()
    };
    for (tag, filter) in [
        ("default", &Filter::default()),
        ("all", every_check()),
        ("live", &live),
    ] {
        let analysis = analyze(snapshot, filter);
        features.add_count(tag, analysis.findings.len());
        for finding in analysis.findings.iter().chain(&analysis.held_back) {
            features.add((tag, finding.check.as_str(), finding.severity.as_str()));
            features.add_message(finding.check.as_str(), &finding.reason);
        }
        if tag == "all" {
            let shown = format!("{:?}", analysis.findings);
            for p in PLANTED {
                assert!(
                    !shown.contains(p),
                    "a finding carries a Secret's value: {p}"
                );
            }
            if digest.is_multiple_of(4) {
                let again = format!("{:?}", analyze(snapshot, filter).findings);
                assert!(shown == again, "the same snapshot gave different findings");
            }
        }
    }
    if digest.is_multiple_of(ENGINE_EVERY) {
        through_engine(input, features);
    }
}

fn hash(input: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.hash(&mut hasher);
    hasher.finish()
}

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// The whole pipeline, from a file: the report's issues, grouped.
fn through_engine(input: &[u8], features: &mut Features) {
    let outcome = scratch::with_scratch(|dir| {
        let path: PathBuf = dir.join("objects.yaml");
        std::fs::write(&path, input).ok()?;
        RUNTIME.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok();
            }
            let runtime = slot.as_ref()?;
            let spec = SourceSpec::Files {
                paths: vec![path],
                kubernetes_version: None,
            };
            runtime.block_on(async { Engine::start(spec, Options::default()).outcome().await.ok() })
        })
    });
    let Ok(Some(outcome)) = outcome else {
        features.add("engine failed");
        return;
    };
    features.add_count("issues", outcome.report.issues.len());
    for issue in &outcome.report.issues {
        features.add(("issue", issue.check.as_str(), issue.objects.len().min(4)));
    }
}

fn generate_input(rng: &mut Rng) -> Vec<u8> {
    let objects = generate::objects(rng);
    generate::document(rng, &objects).into_bytes()
}
