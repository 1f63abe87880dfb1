//! Warning events that no other finding explains, grouped by involved object and reason. A pod
//! in CrashLoopBackOff already shows its BackOff events; this catches the rest (a Service's
//! failed load balancer, a volume that cannot be attached to a node, a DNS config warning).

use std::collections::{BTreeMap, HashSet};

use kubewhy_model::{CheckId, EventEvidence, Finding, ObjectRef};
use kubewhy_source::{event_last_seen, k8s::core::v1::Event};

use crate::{
    Analyzer, Context,
    findings::{Build, finding},
    ids,
    k8s::recent,
};

/// Events last seen longer ago than this before the snapshot are history, not problems.
const RECENT_SECONDS: i64 = 3600;

/// The event analyzer.
pub struct EventAnalyzer;

impl Analyzer for EventAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        &[ids::EVENT_WARNING_UNEXPLAINED]
    }

    fn analyze(&self, _snapshot: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }

    fn analyze_rest(&self, snapshot: &Context<'_>, found: &[Finding]) -> Vec<Finding> {
        let warnings: Vec<&Event> = snapshot
            .events
            .iter()
            .filter(|e| e.type_.as_deref() == Some("Warning"))
            .collect();
        if warnings.is_empty() {
            return Vec::new();
        }
        // A finding explains the events of its object and of the objects it names as related
        // (a NotReady node explains its pods' NodeNotReady events).
        let explained: HashSet<(&str, Option<&str>, &str)> = found
            .iter()
            .flat_map(|f| std::iter::once(&f.object).chain(&f.related))
            .map(|o| (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str()))
            .collect();
        // An issue about a Deployment also covers the events of its other pods. Many findings
        // share an object: each object's owners are walked once.
        let objects: HashSet<&ObjectRef> = found.iter().map(|f| &f.object).collect();
        let explained_roots: HashSet<ObjectRef> =
            objects.into_iter().map(|o| snapshot.root_of(o)).collect();
        let mut groups: BTreeMap<(ObjectRef, String), Vec<&Event>> = BTreeMap::new();
        for event in warnings {
            let object = involved(event);
            let key = (
                object.kind.as_str(),
                object.namespace.as_deref(),
                object.name.as_str(),
            );
            // Without a clock that can tell (none, or one inferred from the input), every
            // event counts as recent.
            let recent = event_last_seen(event)
                .and_then(|seen| recent(snapshot, seen, RECENT_SECONDS))
                .unwrap_or(true);
            // Events of deleted objects (an old pod) describe nothing that is still there.
            if recent
                && !explained.contains(&key)
                && snapshot.contains(&object)
                && !explained_roots.contains(&snapshot.root_of(&object))
            {
                let reason = event.reason.clone().unwrap_or_default();
                groups.entry((object, reason)).or_default().push(event);
            }
        }
        groups
            .into_iter()
            .map(|((object, reason), events)| unexplained(&object, &reason, &events))
            .collect()
    }
}

fn involved(event: &Event) -> ObjectRef {
    let o = &event.involved_object;
    ObjectRef {
        api_version: o.api_version.clone().unwrap_or_default(),
        kind: o.kind.clone().unwrap_or_default(),
        // Events about cluster-scoped objects (Nodes) carry no namespace, or an empty one.
        namespace: o.namespace.clone().filter(|ns| !ns.is_empty()),
        name: o.name.clone().unwrap_or_default(),
        uid: o.uid.clone(),
    }
}

fn unexplained(object: &ObjectRef, reason: &str, events: &[&Event]) -> Finding {
    let count: i32 = events.iter().map(|e| e.count.unwrap_or(1)).sum();
    let latest = events.iter().max_by_key(|e| event_last_seen(e)).copied();
    let message = latest
        .and_then(|e| e.message.as_deref())
        .unwrap_or("")
        .trim()
        .to_owned();
    let text = format!(
        "{}/{} has {count} {reason} warning event(s): {message}",
        object.kind, object.name
    );
    let evidence = events
        .iter()
        .map(|e| EventEvidence {
            object: format!("{}/{}", object.kind, object.name),
            type_: "Warning".to_owned(),
            reason: reason.to_owned(),
            message: e.message.clone().unwrap_or_default().trim().to_owned(),
            count: e.count.unwrap_or(1),
            last_seen: event_last_seen(e).map(|t| t.to_string()),
        })
        .collect();
    finding(ids::EVENT_WARNING_UNEXPLAINED, object, reason, text).with_events(evidence)
}
