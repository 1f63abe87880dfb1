//! Folding issues into the issues that cause them. A Deployment short of replicas because its
//! pods crash loop, and the Service those pods no longer back, are one problem: it is reported
//! once, where the cause is. Pods stuck terminating on a node that is not ready, and containers
//! that restarted together when their node did, belong to the node's issue.

use std::collections::{HashMap, HashSet};

use kubewhy_analyzers::Applies;
use kubewhy_model::ObjectRef;
use kubewhy_source::Snapshot;

use crate::group::Grouped;

type Key = (String, Option<String>, String);

fn key(object: &ObjectRef) -> Key {
    (
        object.kind.clone(),
        object.namespace.clone(),
        object.name.clone(),
    )
}

/// Folds symptom issues into the worst live issue of the same root, or of a related object's
/// root, with the symptoms' objects among its related objects.
pub(crate) fn symptoms(snapshot: &Snapshot, grouped: Vec<Grouped>) -> Vec<Grouped> {
    let is_symptom =
        |g: &Grouped| kubewhy_analyzers::check(g.issue.check.as_str()).is_some_and(|c| c.symptom);
    // Only live problems explain live symptoms: a missing probe does not explain an outage.
    let can_cause = |g: &Grouped| {
        kubewhy_analyzers::check(g.issue.check.as_str())
            .is_some_and(|c| c.applies == Applies::Live && !c.symptom)
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

/// Moves issues of pods into the issue of the node that explains them, as affected objects:
/// pods stuck terminating on a node that is not ready (the node going away is why they cannot
/// finish), and restarts that a node's restart burst caused (one event, not one per pod).
pub(crate) fn into_nodes(snapshot: &Snapshot, grouped: Vec<Grouped>) -> Vec<Grouped> {
    let node_issues = |check: &str| -> HashMap<String, usize> {
        grouped
            .iter()
            .enumerate()
            .filter(|(_, g)| g.issue.check.as_str() == check)
            .map(|(i, g)| (g.issue.root.name.clone(), i))
            .collect()
    };
    let down = node_issues("node-not-ready");
    let bursts = node_issues("node-restart-burst");
    if down.is_empty() && bursts.is_empty() {
        return grouped;
    }
    let node_of = |pod: &ObjectRef| {
        snapshot
            .pods
            .get(pod.namespace.as_deref(), &pod.name)
            .and_then(|p| p.spec.as_ref()?.node_name.clone())
    };
    let mut pending: Vec<(usize, usize)> = Vec::new();
    for (i, g) in grouped.iter().enumerate() {
        // Only the pods a burst counted: a later restart of another pod is its own.
        let (targets, only_counted) = match g.issue.check.as_str() {
            "pod-stuck-terminating" => (&down, false),
            "pod-container-restarting" => (&bursts, true),
            _ => continue,
        };
        let nodes: HashSet<Option<String>> = g.issue.objects.iter().map(node_of).collect();
        if let [Some(node)] = nodes.into_iter().collect::<Vec<_>>().as_slice()
            && let Some(&target) = targets.get(node)
            && (!only_counted || {
                let burst = &grouped[target].issue;
                g.issue
                    .objects
                    .iter()
                    .all(|pod| burst.related.contains(pod) || burst.objects.contains(pod))
            })
        {
            pending.push((i, target));
        }
    }
    let mut grouped: Vec<Option<Grouped>> = grouped.into_iter().map(Some).collect();
    for (from, to) in pending {
        let Some(moved) = grouped[from].take() else {
            continue;
        };
        if let Some(target) = grouped[to].as_mut() {
            let issue = &mut target.issue;
            issue.objects.extend(moved.issue.objects);
            issue.objects.sort();
            issue.objects.dedup();
            issue.related.retain(|r| !issue.objects.contains(r));
            if !issue.merged_checks.contains(&moved.issue.check) {
                issue.merged_checks.push(moved.issue.check);
                issue.merged_checks.sort_unstable();
            }
        }
    }
    grouped.into_iter().flatten().collect()
}
