//! Conformance with kube-linter: kubewhy's static checks run on kube-linter's own fixtures
//! (`tests/conformance/kube-linter/`), each kube-linter check through the kubewhy checks whose
//! catalog entry names it (`kube-linter:` in the front matter). Findings are compared per object
//! (kind, name when kube-linter gives it, container when its message names one). Objects named
//! `dont-fire*` must stay clean. The test prints the agreement per check.

use std::{fmt::Write, path::PathBuf};

use kubewhy_analyzers::{Filter, all_checks, run};
use kubewhy_model::Finding;
use serde::Deserialize;

/// The share of kube-linter's expected findings kubewhy must reproduce, in percent.
const TARGET_PERCENT: usize = 95;

#[derive(Deserialize)]
struct Record {
    check: String,
    fixture: String,
    expected_count: Option<usize>,
    expected: Vec<Expected>,
}

#[derive(Deserialize)]
struct Expected {
    kind: String,
    message: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/kube-linter")
}

/// The container a kube-linter message names, as in `container "app" is not ...`.
fn container_of(message: &str) -> Option<&str> {
    let start = message.find("container \"")? + "container \"".len();
    let len = message[start..].find('"')?;
    Some(&message[start..start + len])
}

fn matches(expected: &Expected, finding: &Finding) -> bool {
    let (kind, name) = match expected.kind.split_once(' ') {
        Some((kind, name)) => (kind, Some(name)),
        None => (expected.kind.as_str(), None),
    };
    finding.object.kind == kind
        && name.is_none_or(|n| finding.object.name == n)
        && container_of(&expected.message)
            .is_none_or(|c| finding.container.as_deref().is_none_or(|ours| ours == c))
}

#[test]
fn static_checks_agree_with_kube_linter() {
    let text = std::fs::read_to_string(root().join("expectations.json"))
        .expect("the conformance data is in the repository");
    let records: Vec<Record> = serde_json::from_str(&text).expect("expectations.json parses");
    let (mut expected_total, mut matched_total) = (0, 0);
    let mut report = String::new();
    let mut unmapped = Vec::new();
    let mut violations = Vec::new();
    for record in &records {
        let expected_count = record.expected_count.unwrap_or(record.expected.len());
        expected_total += expected_count;
        let ours: Vec<String> = all_checks()
            .filter(|c| c.kube_linter.split(',').any(|k| k.trim() == record.check))
            .map(|c| c.id.as_str().to_owned())
            .collect();
        if ours.is_empty() {
            unmapped.push(record.check.as_str());
            let _ = writeln!(
                report,
                "{:<40} {:>3}/{:<3} (not mapped)",
                record.check, 0, expected_count
            );
            continue;
        }
        let loaded = kubewhy_source::files::load(&[root().join(&record.fixture)]);
        let filter = Filter {
            only: ours.clone(),
            ..Filter::default()
        };
        let mut findings = run(&loaded.snapshot, &filter);
        for f in findings
            .iter()
            .filter(|f| f.object.name.starts_with("dont-fire"))
        {
            violations.push(format!(
                "{}: {} fired on {} ({})",
                record.check, f.check, f.object, f.message
            ));
        }
        findings.retain(|f| !f.object.name.starts_with("dont-fire"));
        let mut matched = 0;
        for expected in &record.expected {
            if let Some(i) = findings.iter().position(|f| matches(expected, f)) {
                findings.remove(i);
                matched += 1;
            }
        }
        // Some records detail fewer reports than kube-linter's count: the rest are compared by
        // number.
        let undetailed = expected_count
            .saturating_sub(record.expected.len())
            .min(findings.len());
        matched += undetailed;
        findings.drain(..undetailed);
        let matched = matched.min(expected_count);
        matched_total += matched;
        let extra = if findings.is_empty() {
            String::new()
        } else {
            format!(", {} more", findings.len())
        };
        let errors = if loaded.errors.is_empty() {
            String::new()
        } else {
            format!(", input errors: {:?}", loaded.errors)
        };
        let _ = writeln!(
            report,
            "{:<40} {matched:>3}/{expected_count:<3} via {}{extra}{errors}",
            record.check,
            ours.join(", ")
        );
    }
    let percent = matched_total * 100 / expected_total.max(1);
    println!(
        "{report}\nkube-linter conformance: {matched_total}/{expected_total} expected findings ({percent}%)"
    );
    println!("unmapped: {}", unmapped.join(", "));
    assert!(
        violations.is_empty(),
        "findings on dont-fire objects:\n{}",
        violations.join("\n")
    );
    assert!(
        percent >= TARGET_PERCENT,
        "conformance {percent}% is below {TARGET_PERCENT}%\n{report}"
    );
}
