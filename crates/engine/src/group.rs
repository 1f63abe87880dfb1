//! Grouping findings into issues: one issue per root object, check and reason. Fifty pods of one
//! ReplicaSet in ImagePullBackOff are one issue with fifty affected objects.

use std::collections::BTreeMap;

use kubewhy_model::{Category, Evidence, Finding, Fingerprint, Issue, LogTarget, ObjectRef};
use kubewhy_source::Snapshot;

/// Bounds on the evidence merged into one issue.
const MAX_CONTAINERS: usize = 5;
const MAX_CONDITIONS: usize = 5;
const MAX_EVENTS: usize = 8;

/// An issue under construction, with the log targets its findings asked for.
pub(crate) struct Grouped {
    pub issue: Issue,
    pub logs: Vec<LogTarget>,
}

/// Groups findings by fingerprint. The result is in fingerprint order; the report sorts it.
pub(crate) fn issues(snapshot: &Snapshot, findings: Vec<Finding>) -> Vec<Grouped> {
    let mut groups: BTreeMap<Fingerprint, (ObjectRef, Vec<Finding>)> = BTreeMap::new();
    for finding in findings {
        let root = snapshot.root_of(&finding.object);
        let fingerprint = Fingerprint::new(&root, finding.check, &finding.reason);
        groups
            .entry(fingerprint)
            .or_insert_with(|| (root, Vec::new()))
            .1
            .push(finding);
    }
    groups
        .into_iter()
        .map(|(fingerprint, (root, mut findings))| {
            findings.sort_by(|a, b| a.object.cmp(&b.object));
            build(fingerprint, root, &findings)
        })
        .collect()
}

fn build(fingerprint: Fingerprint, root: ObjectRef, findings: &[Finding]) -> Grouped {
    let first = &findings[0];
    let info = kubewhy_analyzers::check(first.check.as_str());
    let mut objects: Vec<ObjectRef> = findings.iter().map(|f| f.object.clone()).collect();
    objects.dedup();
    let mut related: Vec<ObjectRef> = findings
        .iter()
        .flat_map(|f| f.related.iter().cloned())
        .collect();
    related.sort();
    related.dedup();
    let message = match objects.len() {
        1 => first.message.clone(),
        n => format!(
            "{} (and {} more {}s like it)",
            first.message,
            n - 1,
            first.object.kind
        ),
    };
    // One log per container name: the pods of one owner crash the same way.
    let mut logs: Vec<LogTarget> = Vec::new();
    for target in findings.iter().flat_map(|f| &f.logs) {
        if !logs.iter().any(|seen| seen.container == target.container) {
            logs.push(target.clone());
        }
    }
    let issue = Issue {
        fingerprint,
        check: first.check,
        severity: findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(first.severity),
        category: info.map_or(Category::Reliability, |i| i.category),
        title: info.map_or_else(|| first.check.to_string(), |i| i.title.to_owned()),
        message,
        root,
        objects,
        related,
        evidence: merge(findings),
        explanation: None,
    };
    Grouped { issue, logs }
}

/// Merges evidence, dropping repeats and keeping the bounds. Fifty pods log the same events
/// with their own names in them, so after the first object only new event reasons are added.
fn merge(findings: &[Finding]) -> Evidence {
    let mut evidence = Evidence::default();
    for (i, f) in findings.iter().enumerate() {
        let e = &f.evidence;
        push_unique(
            &mut evidence.containers,
            &e.containers,
            MAX_CONTAINERS,
            |a, b| {
                a.container == b.container
                    && a.reason == b.reason
                    && a.last_termination == b.last_termination
            },
        );
        push_unique(
            &mut evidence.conditions,
            &e.conditions,
            MAX_CONDITIONS,
            |a, b| a.type_ == b.type_ && a.message == b.message,
        );
        push_unique(&mut evidence.events, &e.events, MAX_EVENTS, |a, b| {
            a.reason == b.reason && (i > 0 || a.message == b.message)
        });
    }
    evidence
}

fn push_unique<T: Clone>(into: &mut Vec<T>, from: &[T], max: usize, same: impl Fn(&T, &T) -> bool) {
    for item in from {
        if into.len() >= max {
            return;
        }
        if !into.iter().any(|seen| same(seen, item)) {
            into.push(item.clone());
        }
    }
}
