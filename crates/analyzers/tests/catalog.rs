//! The catalog and the registry agree: every registered check has a complete entry (with a
//! one-line `fix:` that uses only known placeholders) and a fixture, and every entry belongs to a
//! registered check.

use std::path::PathBuf;

use kubewhy_analyzers::{SECTIONS, catalog, registry, unknown_placeholders};

#[test]
fn every_check_has_a_complete_entry_and_a_fixture() {
    let catalog = catalog();
    assert!(
        catalog.errors.is_empty(),
        "unreadable catalog entries: {:#?}",
        catalog.errors
    );
    let registered: Vec<&str> = registry()
        .iter()
        .flat_map(|a| a.checks().iter().map(|c| c.as_str()))
        .collect();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../analyzers/fixtures");
    let mut problems = Vec::new();
    for id in &registered {
        let Some(entry) = catalog.entries.get(id) else {
            problems.push(format!("{id}: registered but has no analyzers/{id}.md"));
            continue;
        };
        let mut at = 0;
        for section in SECTIONS {
            match entry.doc[at..].find(section) {
                Some(i) => at += i + section.len(),
                None => problems.push(format!("{id}: missing or misplaced section `{section}`")),
            }
        }
        if entry.fix.is_empty() {
            problems.push(format!("{id}: front matter has no `fix:` line"));
        }
        for unknown in unknown_placeholders(entry.fix) {
            problems.push(format!(
                "{id}: `fix:` uses the unknown placeholder {unknown} (see FIX_PLACEHOLDERS)"
            ));
        }
        if !entry.doc.contains("https://") {
            problems.push(format!("{id}: References has no link"));
        }
        if !fixtures.join(format!("{id}.yaml")).exists() {
            problems.push(format!("{id}: no fixture analyzers/fixtures/{id}.yaml"));
        }
    }
    for id in catalog.entries.keys() {
        if !registered.contains(id) {
            problems.push(format!(
                "analyzers/{id}.md describes a check no analyzer registers"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
