//! Grouping findings into issues: one issue per root cause. Fifty pods of one ReplicaSet in
//! ImagePullBackOff are one issue with fifty affected objects; the missing Secret that one
//! check sees in the pod spec and another in the container state is one issue too.

use std::collections::{BTreeMap, HashSet};

use kubewhy_model::{
    Category, CheckId, Evidence, Finding, Fingerprint, Issue, LogTarget, ObjectRef,
};
use kubewhy_source::Snapshot;

use crate::{cause, chain::Member, fold};

/// Bounds on the evidence merged into one issue.
const MAX_CONTAINERS: usize = 5;
const MAX_CONDITIONS: usize = 5;
const MAX_EVENTS: usize = 8;

/// An issue under construction, with the log targets its findings asked for.
pub(crate) struct Grouped {
    pub issue: Issue,
    pub logs: Vec<LogTarget>,
    /// The findings merged into it, as causal chains show them.
    pub members: Vec<Member>,
}

/// Groups findings into issues. Live failure findings with a nameable cause (the missing
/// object, the container error, the unschedulable pod) group by their root and that cause,
/// whatever check saw them; the others by root, check and reason. The result is in fingerprint
/// order; the report sorts it.
pub(crate) fn issues(snapshot: &Snapshot, findings: Vec<Finding>) -> Vec<Grouped> {
    let mounts = cause::Mounts::new(snapshot);
    let claim_causes = cause::ClaimCauses::new(&findings, snapshot);
    let mut groups: BTreeMap<Fingerprint, (ObjectRef, Vec<Finding>)> = BTreeMap::new();
    for finding in findings {
        let (root, fingerprint) =
            if let Some(cause) = cause::cause(snapshot, &finding, &claim_causes) {
                let root = mounts.root(snapshot, &finding.object);
                let fingerprint = Fingerprint::new(&root, CAUSE, &cause);
                (root, fingerprint)
            } else {
                let root = snapshot.root_of(&finding.object);
                let fingerprint = Fingerprint::new(&root, finding.check, &finding.reason);
                (root, fingerprint)
            };
        groups
            .entry(fingerprint)
            .or_insert_with(|| (root, Vec::new()))
            .1
            .push(finding);
    }
    let grouped = groups
        .into_iter()
        .map(|(fingerprint, (root, mut findings))| {
            // The most specific check leads: it is the one the issue is reported under.
            findings.sort_by(|a, b| {
                cause::specificity(a.check)
                    .cmp(&cause::specificity(b.check))
                    .then_with(|| a.check.cmp(&b.check))
                    .then_with(|| a.object.cmp(&b.object))
            });
            build(fingerprint, root, &findings)
        })
        .collect();
    let grouped = fold::symptoms(snapshot, grouped);
    fold::into_nodes(snapshot, grouped)
}

/// What a cause-keyed fingerprint hashes in place of a check: the check shown may change as
/// findings come and go, the cause does not.
const CAUSE: CheckId = CheckId("cause");

fn build(fingerprint: Fingerprint, root: ObjectRef, findings: &[Finding]) -> Grouped {
    // Groups are created with their first finding, so none is empty.
    let first = &findings[0];
    let info = kubewhy_analyzers::check(first.check.as_str());
    let mut merged_checks: Vec<CheckId> = findings
        .iter()
        .map(|f| f.check)
        .filter(|c| *c != first.check)
        .collect();
    merged_checks.sort_unstable();
    merged_checks.dedup();
    let shown: Vec<Finding> = findings
        .iter()
        .filter(|f| f.check == first.check)
        .cloned()
        .collect();
    let mut objects: Vec<ObjectRef> = findings.iter().map(|f| f.object.clone()).collect();
    objects.dedup();
    let mut related: Vec<ObjectRef> = findings
        .iter()
        .flat_map(|f| f.related.iter().cloned())
        .collect();
    related.sort();
    related.dedup();
    objects.sort();
    objects.dedup();
    let shown_objects = shown
        .iter()
        .map(|f| &f.object)
        .collect::<HashSet<_>>()
        .len();
    let message = message(&shown, shown_objects);
    // One log per container name: the pods of one owner crash the same way.
    let mut logs: Vec<LogTarget> = Vec::new();
    for target in findings.iter().flat_map(|f| &f.logs) {
        if !logs.iter().any(|seen| seen.container == target.container) {
            logs.push(target.clone());
        }
    }
    let mut issue = Issue {
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
        fix: None,
        origin: None,
        merged_checks,
        caused_by: Vec::new(),
        chain: Vec::new(),
        explanation: None,
        cluster: None,
    };
    // Filled before symptoms fold in, so `{related}` names what the cause's findings point at
    // (the missing Secret), not a symptom's Service.
    issue.fix = info
        .map(|i| i.fix)
        .filter(|fix| !fix.is_empty())
        .map(|fix| kubewhy_analyzers::fill_fix(fix, &issue));
    let members = findings
        .iter()
        .map(|f| Member {
            check: f.check,
            object: f.object.clone(),
        })
        .collect();
    Grouped {
        issue,
        logs,
        members,
    }
}

/// The first finding's message, with how many more there are.
fn message(findings: &[Finding], objects: usize) -> String {
    let first = &findings[0];
    // One object can fail the same way for several reasons (two missing ConfigMaps): each is
    // counted, so none hides behind the first.
    let more = findings.len() - 1;
    if more == 0 {
        first.message.clone()
    } else if objects == findings.len() {
        format!(
            "{} (and {more} more {} like it)",
            first.message,
            noun(&first.object.kind, more)
        )
    } else {
        format!("{} (and {more} more like it)", first.message)
    }
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

#[cfg(test)]
mod tests {
    use kubewhy_analyzers::Filter;
    use kubewhy_model::{CheckId, ConditionEvidence, ContainerEvidence, EventEvidence, Severity};
    use kubewhy_source::files::{Input, parse};
    use std::fmt::Write;

    use super::*;

    fn snapshot(yaml: &str) -> Snapshot {
        let loaded = parse(vec![Input {
            name: "test.yaml".into(),
            text: yaml.to_owned(),
        }]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.snapshot
    }

    /// What the engine does with a cluster's findings.
    fn analyze(snapshot: &Snapshot) -> Vec<Issue> {
        let filter = Filter {
            live: true,
            ..Filter::default()
        };
        let findings = kubewhy_analyzers::run(snapshot, &filter);
        issues(snapshot, findings)
            .into_iter()
            .map(|g| g.issue)
            .collect()
    }

    const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: uid-deploy-web}
spec:
  replicas: 50
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: registry.example/web:1.0}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d9f
  namespace: shop
  uid: uid-rs-web
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: uid-deploy-web, controller: true}]
spec:
  replicas: 50
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: registry.example/web:1.0}]
";

    /// `count` pods of the ReplicaSet above whose container `app` crash loops.
    fn crash_looping_pods(count: usize) -> String {
        let mut yaml = String::new();
        for i in 0..count {
            // Writing to a String cannot fail.
            let _ = write!(
                yaml,
                    "---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f-{i:05}
  namespace: shop
  uid: uid-pod-{i}
  labels: {{app: web}}
  creationTimestamp: '2026-01-01T09:00:00Z'
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9f, uid: uid-rs-web, controller: true}}]
spec:
  containers: [{{name: app, image: registry.example/web:1.0}}]
status:
  phase: Running
  conditions:
  - {{type: Ready, status: 'False', reason: ContainersNotReady, lastTransitionTime: '2026-01-01T09:05:00Z'}}
  containerStatuses:
  - name: app
    image: registry.example/web:1.0
    imageID: ''
    ready: false
    restartCount: 12
    state: {{waiting: {{reason: CrashLoopBackOff}}}}
    lastState: {{terminated: {{reason: Error, exitCode: 1, finishedAt: '2026-01-01T09:58:00Z'}}}}
"
            );
        }
        yaml
    }

    #[test]
    fn fifty_crash_looping_pods_of_one_deployment_are_one_issue() {
        let snapshot = snapshot(&(DEPLOYMENT.to_owned() + &crash_looping_pods(50)));
        let crashes: Vec<Issue> = analyze(&snapshot)
            .into_iter()
            .filter(|i| i.check.as_str() == "pod-crash-looping")
            .collect();
        assert_eq!(crashes.len(), 1, "{crashes:#?}");
        let issue = &crashes[0];
        assert_eq!(
            (issue.root.kind.as_str(), issue.root.name.as_str()),
            ("Deployment", "web")
        );
        assert_eq!(issue.objects.len(), 50);
        assert!(issue.objects.iter().all(|o| o.kind == "Pod"));
        assert!(
            issue.message.contains("(and 49 more Pods like it)"),
            "{}",
            issue.message
        );
        // One container state stands for all fifty: they crash the same way.
        assert_eq!(issue.evidence.containers.len(), 1);
        assert_eq!(
            issue.fix.as_deref(),
            Some("kubectl logs web-7d9f-00000 -c app --previous -n shop")
        );
    }

    #[test]
    fn symptoms_fold_into_the_crash_loop_that_causes_them() {
        let unavailable = DEPLOYMENT.replace(
            "kind: Deployment\nmetadata: {name: web, namespace: shop, uid: uid-deploy-web}\nspec:\n  replicas: 50",
            "kind: Deployment\nmetadata: {name: web, namespace: shop, uid: uid-deploy-web}\nstatus:
  replicas: 3
  unavailableReplicas: 3
  conditions:
  - {type: Available, status: 'False', reason: MinimumReplicasUnavailable, lastTransitionTime: '2026-01-01T09:05:00Z'}
spec:\n  replicas: 3",
        );
        let service = "---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, uid: uid-svc-web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";
        let yaml = unavailable + service + &crash_looping_pods(3);
        let snapshot = snapshot(&yaml);
        // Each symptom fires on its own; together with the cause they are one problem.
        let filter = Filter {
            live: true,
            ..Filter::default()
        };
        let checks: HashSet<&str> = kubewhy_analyzers::run(&snapshot, &filter)
            .iter()
            .map(|f| f.check.as_str())
            .collect();
        for check in [
            "pod-crash-looping",
            "deployment-unavailable",
            "service-no-ready-endpoints",
        ] {
            assert!(checks.contains(check), "{check} did not fire: {checks:?}");
        }
        let issues = analyze(&snapshot);
        assert_eq!(issues.len(), 1, "{issues:#?}");
        let issue = &issues[0];
        assert_eq!(issue.check.as_str(), "pod-crash-looping");
        assert_eq!(issue.root.kind, "Deployment");
        assert_eq!(issue.objects.len(), 3);
        assert!(
            issue
                .related
                .iter()
                .any(|r| r.kind == "Service" && r.name == "web"),
            "{:?}",
            issue.related
        );
    }

    fn finding_with_evidence(pod: &str, n: usize) -> Finding {
        let mut finding = Finding::new(
            CheckId("pod-crash-looping"),
            Severity::Error,
            ObjectRef::new("v1", "Pod", Some("shop"), pod),
            "CrashLoopBackOff",
            format!("Container app of pod {pod} is crash looping"),
        );
        let e = &mut finding.evidence;
        for i in 0..n {
            e.containers.push(ContainerEvidence {
                pod: pod.to_owned(),
                container: format!("c{i}"),
                init: false,
                state: "waiting".into(),
                reason: Some("CrashLoopBackOff".into()),
                message: None,
                exit_code: Some(1),
                last_termination: Some("Error".into()),
                restarts: 3,
            });
            e.conditions.push(ConditionEvidence {
                object: format!("Pod/{pod}"),
                type_: format!("Condition{i}"),
                status: "False".into(),
                reason: None,
                message: Some(format!("condition {i}")),
            });
            e.events.push(EventEvidence {
                object: format!("Pod/{pod}"),
                type_: "Warning".into(),
                reason: format!("Reason{i}"),
                message: format!("event {i} of {pod}"),
                count: 1,
                last_seen: None,
            });
        }
        finding
    }

    #[test]
    fn merged_evidence_stays_within_its_bounds() {
        let snapshot = snapshot(&(DEPLOYMENT.to_owned() + &crash_looping_pods(3)));
        let findings = (0..3)
            .map(|i| finding_with_evidence(&format!("web-7d9f-{i:05}"), 20))
            .collect();
        let grouped = issues(&snapshot, findings);
        assert_eq!(grouped.len(), 1);
        let evidence = &grouped[0].issue.evidence;
        assert_eq!(evidence.containers.len(), MAX_CONTAINERS);
        assert_eq!(evidence.conditions.len(), MAX_CONDITIONS);
        assert_eq!(evidence.events.len(), MAX_EVENTS);
        // What is kept is the first object's evidence, in its order.
        assert_eq!(evidence.containers[0].container, "c0");
        assert_eq!(evidence.events[0].message, "event 0 of web-7d9f-00000");
    }

    #[test]
    fn a_missing_secret_gets_a_fix_naming_it_and_its_namespace() {
        let snapshot = snapshot(
            "
apiVersion: v1
kind: Pod
metadata: {name: payments, namespace: shop, uid: uid-pod-payments}
spec:
  containers:
  - name: api
    image: registry.example/payments:1.0
    env:
    - name: STRIPE_API_KEY
      valueFrom: {secretKeyRef: {name: payments-stripe, key: api-key}}
status:
  phase: Pending
---
apiVersion: v1
kind: Secret
metadata: {name: other, namespace: shop}
type: Opaque
",
        );
        let issues = analyze(&snapshot);
        let issue = issues
            .iter()
            .find(|i| i.check.as_str() == "pod-reference-missing")
            .unwrap_or_else(|| panic!("no missing reference found: {issues:#?}"));
        let fix = issue.fix.as_deref().unwrap_or_default();
        assert!(fix.contains("secret/payments-stripe"), "{fix}");
        assert!(fix.contains(" -n shop"), "{fix}");
        assert!(!fix.contains('<') && !fix.contains('{'), "{fix}");
    }

    #[test]
    fn every_fixture_issue_gets_its_catalog_fix_filled_in() {
        let fixtures =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../analyzers/fixtures");
        for info in kubewhy_analyzers::all_checks() {
            let id = info.id.as_str();
            let loaded = kubewhy_source::files::load(&[fixtures.join(format!("{id}.yaml"))]);
            let filter = Filter {
                only: vec![id.to_owned()],
                ..Filter::default()
            };
            let findings = kubewhy_analyzers::run(&loaded.snapshot, &filter);
            for group in issues(&loaded.snapshot, findings) {
                let issue = group.issue;
                let Some(fix) = issue.fix.as_deref() else {
                    panic!("{} on {} has no fix", issue.check, issue.root);
                };
                // Filling it again changes nothing: no placeholder was left behind.
                assert_eq!(kubewhy_analyzers::fill_fix(fix, &issue), fix, "{id}");
            }
        }
    }
}
