//! Runs every analyzer over the fixture manifests of the catalog (`analyzers/fixtures/`, one file
//! per check) and snapshots what they find. In each file, the check it is named after must fire,
//! and must not fire on any object whose name starts with `ok-`.

use std::{fmt::Write, path::PathBuf};

use kubewhy_analyzers::{Filter, all_checks, run};
use kubewhy_model::Finding;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../analyzers/fixtures")
}

fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "{} {} {} [{}]\n  {}",
            f.severity, f.check, f.object, f.reason, f.message
        );
        for c in &f.evidence.containers {
            let _ = writeln!(
                out,
                "  container {}{} {} {:?} exit={:?} last={:?} restarts={}",
                c.container,
                if c.init { " (init)" } else { "" },
                c.state,
                c.reason,
                c.exit_code,
                c.last_termination,
                c.restarts
            );
        }
        for c in &f.evidence.conditions {
            let _ = writeln!(out, "  condition {}={} {:?}", c.type_, c.status, c.reason);
        }
        for e in &f.evidence.events {
            let _ = writeln!(
                out,
                "  event {} {} x{}: {}",
                e.object, e.reason, e.count, e.message
            );
        }
        for l in &f.logs {
            let _ = writeln!(
                out,
                "  wants log {}/{} previous={}",
                l.pod, l.container, l.previous
            );
        }
    }
    out
}

/// `KUBEWHY_FIXTURES=prefix` limits the run to checks whose id starts with it.
#[test]
fn every_check_fires_on_its_fixture_and_spares_ok_objects() {
    let only = std::env::var("KUBEWHY_FIXTURES").unwrap_or_default();
    for info in all_checks().filter(|info| info.id.as_str().starts_with(&only)) {
        let id = info.id.as_str();
        let path = fixtures_dir().join(format!("{id}.yaml"));
        assert!(
            path.exists(),
            "check {id} has no fixture at {}",
            path.display()
        );
        let loaded = kubewhy_source::files::load(&[path]);
        assert!(loaded.errors.is_empty(), "{id}: {:?}", loaded.errors);
        // Name the check so that checks off by default run too.
        let filter = Filter {
            only: vec![id.to_owned()],
            ..Filter::default()
        };
        let findings = run(&loaded.snapshot, &filter);
        assert!(
            findings.iter().any(|f| f.check == info.id),
            "{id} did not fire on its fixture"
        );
        for f in &findings {
            assert!(
                !f.object.name.starts_with("ok-"),
                "{id} fixture: {} fired on {}",
                f.check,
                f.object
            );
        }
        insta::assert_snapshot!(id, render(&findings));
    }
}
