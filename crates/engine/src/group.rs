//! Grouping findings into issues: one issue per root object, check and reason. Fifty pods of one
//! ReplicaSet in ImagePullBackOff are one issue with fifty affected objects.

use std::collections::{BTreeMap, HashSet};

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
    let grouped = groups
        .into_iter()
        .map(|(fingerprint, (root, mut findings))| {
            findings.sort_by(|a, b| a.object.cmp(&b.object));
            build(fingerprint, root, &findings)
        })
        .collect();
    fold_symptoms(snapshot, grouped)
}

type Key = (String, Option<String>, String);

fn key(object: &ObjectRef) -> Key {
    (
        object.kind.clone(),
        object.namespace.clone(),
        object.name.clone(),
    )
}

/// Folds symptom issues into the issues that cause them. A Deployment short of replicas because
/// its pods crash loop, and the Service those pods no longer back, are one problem: it is
/// reported once, where the cause is, with the symptoms' objects among its related objects.
fn fold_symptoms(snapshot: &Snapshot, grouped: Vec<Grouped>) -> Vec<Grouped> {
    let is_symptom =
        |g: &Grouped| kubewhy_analyzers::check(g.issue.check.as_str()).is_some_and(|c| c.symptom);
    // Only live problems explain live symptoms: a missing probe does not explain an outage.
    let can_cause = |g: &Grouped| {
        kubewhy_analyzers::check(g.issue.check.as_str())
            .is_some_and(|c| c.applies == kubewhy_analyzers::Applies::Live && !c.symptom)
    };
    let (symptoms, mut out): (Vec<Grouped>, Vec<Grouped>) =
        grouped.into_iter().partition(is_symptom);
    let cause_roots: HashSet<Key> = out
        .iter()
        .filter(|g| can_cause(g))
        .map(|g| key(&g.issue.root))
        .collect();
    for symptom in symptoms {
        let related_roots = symptom.issue.related.iter().map(|r| snapshot.root_of(r));
        let cause = std::iter::once(symptom.issue.root.clone())
            .chain(related_roots)
            .map(|r| key(&r))
            .find(|k| cause_roots.contains(k));
        let Some(cause) = cause else {
            out.push(symptom);
            continue;
        };
        // The worst problem of that root is the cause; it is at least as bad as what it causes.
        let target = out
            .iter_mut()
            .filter(|g| can_cause(g) && key(&g.issue.root) == cause)
            .max_by_key(|g| g.issue.severity);
        if let Some(target) = target {
            target.issue.severity = target.issue.severity.max(symptom.issue.severity);
            let object = &symptom.issue.root;
            if target.issue.root != *object && !target.issue.related.contains(object) {
                target.issue.related.push(object.clone());
                target.issue.related.sort();
            }
        }
    }
    out
}

fn build(fingerprint: Fingerprint, root: ObjectRef, findings: &[Finding]) -> Grouped {
    // Groups are created with their first finding, so none is empty.
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
    // One object can fail the same way for several reasons (two missing ConfigMaps): each is
    // counted, so none hides behind the first.
    let more = findings.len() - 1;
    let message = if more == 0 {
        first.message.clone()
    } else if objects.len() == findings.len() {
        format!(
            "{} (and {more} more {} like it)",
            first.message,
            noun(&first.object.kind, more)
        )
    } else {
        format!("{} (and {more} more like it)", first.message)
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

/// `Pod`/`Pods`, `Ingress`/`Ingresses`, `NetworkPolicy`/`NetworkPolicies`.
fn noun(kind: &str, count: usize) -> String {
    if count == 1 {
        kind.to_owned()
    } else if kind.ends_with('s') {
        format!("{kind}es")
    } else if let Some(stem) = kind.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{kind}s")
    }
}
