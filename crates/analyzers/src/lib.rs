//! kubewhy's checks. Every analyzer is a pure function of a [`Snapshot`]: no I/O, no clock (the
//! snapshot carries its `observed_at`), no randomness, so the same snapshot always gives the
//! same findings. Analyzers run in parallel; their results are concatenated in registry order.

mod ai;
mod catalog;
mod context;
mod controllers;
mod events;
mod evidence;
mod exempt;
mod findings;
mod fix;
pub mod focus;
pub mod ids;
mod k8s;
mod needs;
mod network;
mod nodes;
mod pods;
mod references;
mod registry;
mod static_checks;
mod storage;
mod twins;
pub mod workload;

pub use catalog::{Applies, Catalog, CheckInfo, SECTIONS, catalog};
pub use context::Context;
pub use exempt::{Exemption, system_components};
pub use fix::{FIX_PLACEHOLDERS, fill_fix, unknown_placeholders};
pub use needs::unjudged;
pub use registry::{
    Analysis, Analyzer, Filter, all_checks, analyze, check, count_objects, registry, run, summarize,
};

#[cfg(test)]
mod layering {
    //! Check families import shared helpers from `k8s` (and the crate's own plumbing), never
    //! each other, and `k8s` imports nothing of the crate.

    use std::{fs, path::Path};

    const FAMILIES: [&str; 9] = [
        "ai",
        "controllers",
        "events",
        "network",
        "nodes",
        "pods",
        "references",
        "static_checks",
        "storage",
    ];

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap_or_default();
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// The crate paths a file names: `crate::x::...` and the items of `use crate::{...}`.
    fn crate_paths(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find(';').unwrap_or(group.len());
                out.extend(
                    group[..end]
                        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                        .filter(|s| !s.is_empty())
                        .map(|s| s.split("::").next().unwrap_or(s).to_owned()),
                );
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
            }
        }
        out
    }

    #[test]
    fn families_import_k8s_and_never_each_other() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let mut problems = Vec::new();
        for (path, text) in &files {
            let relative = path.trim_start_matches(&root.display().to_string());
            let own = relative
                .trim_start_matches('/')
                .split(['/', '.'])
                .next()
                .unwrap_or_default();
            for used in crate_paths(text) {
                let crosses =
                    FAMILIES.contains(&used.as_str()) && FAMILIES.contains(&own) && used != own;
                let leaf_leaks = own == "k8s" && used != "k8s";
                if crosses || leaf_leaks {
                    problems.push(format!("{relative} uses crate::{used}"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(
            files.len() > 40,
            "the sources were not found under {}",
            root.display()
        );
    }
}
