//! The built-in demo cluster: a web shop and an ML-inference namespace on GPU nodes, with the
//! failures SREs meet every week, embedded in the binary in the layout of
//! `kubectl cluster-info dump --output-directory` (see `demo/SCENARIOS.md`).

use include_dir::{Dir, include_dir};
use jiff::Timestamp;

use crate::files::{Input, Loaded, parse, wanted};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// When the demo cluster was "observed": fixed, so demo output never changes between runs.
pub const OBSERVED_AT: &str = "2026-11-20T09:30:00Z";

/// The demo's files as inputs, in path order.
#[must_use]
pub fn inputs() -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut dirs = vec![&DEMO];
    while let Some(dir) = dirs.pop() {
        dirs.extend(dir.dirs());
        inputs.extend(dir.files().filter(|f| wanted(f.path())).filter_map(|file| {
            Some(Input {
                name: format!("demo/{}", file.path().display()),
                text: file.contents_utf8()?.to_owned(),
            })
        }));
    }
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    inputs
}

/// Parses the embedded demo cluster.
#[must_use]
pub fn load() -> Loaded {
    let mut loaded = parse(inputs());
    // The demo's clock is fixed, not inferred: its ages are exact.
    if let Ok(now) = OBSERVED_AT.parse::<Timestamp>() {
        loaded.snapshot.set_clock(now);
    }
    loaded
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_parses_without_errors() {
        let loaded = super::load();
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert!(loaded.snapshot.pods.len() > 20);
        assert!(!loaded.snapshot.observed_inferred());
        assert_eq!(
            loaded
                .snapshot
                .observed_at()
                .map(|t| t.to_string())
                .as_deref(),
            Some(super::OBSERVED_AT)
        );
        assert!(loaded.snapshot.log(&first_log_target(&loaded)).is_some());
    }

    fn first_log_target(loaded: &crate::files::Loaded) -> kubewhy_model::LogTarget {
        let pod = loaded
            .snapshot
            .pods
            .iter()
            .find(|p| {
                p.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| n.starts_with("checkout-"))
            })
            .unwrap();
        kubewhy_model::LogTarget {
            namespace: "shop".into(),
            pod: pod.metadata.name.clone().unwrap(),
            container: "api".into(),
            previous: true,
        }
    }
}
