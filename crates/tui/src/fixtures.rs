//! Issues made up for tests and benchmarks: one with every kind of evidence, and lists of any
//! length with causes, symptoms, namespaces and ages spread out.

use kubewhy_engine::{Options, SourceSpec};
use kubewhy_model::{
    Category, ChainLink, CheckId, ConditionEvidence, ContainerEvidence, EventEvidence, Evidence,
    Fingerprint, Issue, LogEvidence, ObjectRef, Severity,
};

use crate::state::{RunStatus, Settings, State};

/// An issue of `check` on `kind/namespace/name`, with no evidence.
#[must_use]
pub fn issue(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    check: &'static str,
    severity: Severity,
) -> Issue {
    let root = ObjectRef::new("apps/v1", kind, namespace, name);
    let catalog = kubewhy_analyzers::check(check);
    Issue {
        fingerprint: Fingerprint::new(&root, CheckId(check), ""),
        check: CheckId(check),
        severity,
        category: catalog.map_or(Category::Reliability, |c| c.category),
        title: catalog.map_or_else(|| check.to_owned(), |c| c.title.to_owned()),
        message: format!("{kind} {name} has a problem"),
        objects: vec![root.clone()],
        root,
        related: Vec::new(),
        evidence: Evidence::default(),
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        fix: None,
        origin: None,
        explanation: None,
        cluster: None,
    }
}

/// A crash loop with conditions, container states, events, a log tail and a chain.
#[must_use]
pub fn crash_loop(namespace: &str, name: &str) -> Issue {
    let mut issue = issue(
        "Deployment",
        Some(namespace),
        name,
        "pod-crash-looping",
        Severity::Error,
    );
    let pod = format!("{name}-7d9f-x2x");
    issue.message = format!("container app of pod {pod} is crash looping (exit code 1)");
    issue.objects = vec![ObjectRef::new("v1", "Pod", Some(namespace), pod.clone())];
    issue.evidence = Evidence {
        conditions: vec![ConditionEvidence {
            object: format!("Pod/{pod}"),
            type_: "Ready".into(),
            status: "False".into(),
            reason: Some("ContainersNotReady".into()),
            message: Some("containers with unready status: [app]".into()),
        }],
        containers: vec![ContainerEvidence {
            pod: pod.clone(),
            container: "app".into(),
            init: false,
            state: "waiting".into(),
            reason: Some("CrashLoopBackOff".into()),
            message: None,
            exit_code: Some(1),
            last_termination: Some("Error".into()),
            restarts: 7,
        }],
        events: vec![EventEvidence {
            object: format!("Pod/{pod}"),
            type_: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container app".into(),
            count: 12,
            last_seen: Some("2026-11-20T09:25:00Z".into()),
        }],
        logs: vec![LogEvidence {
            pod,
            container: "app".into(),
            previous: true,
            lines: vec![
                "starting app".into(),
                "connecting to db:5432".into(),
                "OperationalError: could not connect to db".into(),
                "exiting".into(),
            ],
            first_error: Some(2),
            truncated: false,
        }],
    };
    issue.chain = vec![
        ChainLink {
            object: issue.root.clone(),
            problem: "crash loops".into(),
            evidence: None,
            root_cause: false,
        },
        ChainLink {
            object: ObjectRef::new("v1", "Service", Some(namespace), "db"),
            problem: "has no ready endpoints".into(),
            evidence: Some("OperationalError: could not connect to db".into()),
            root_cause: true,
        },
    ];
    issue.fix = Some(format!(
        "kubectl logs {name}-7d9f-x2x -c app --previous -n {namespace}"
    ));
    issue
}

/// `n` issues over ten namespaces, every severity, every fifth a symptom of the one before.
#[must_use]
pub fn many(n: usize) -> Vec<Issue> {
    let checks = [
        ("pod-crash-looping", Severity::Error),
        ("pod-image-pull-failing", Severity::Error),
        ("pod-unschedulable", Severity::Warning),
        ("node-not-ready", Severity::Critical),
        ("pod-not-ready", Severity::Info),
    ];
    let mut issues: Vec<Issue> = (0..n)
        .map(|i| {
            let (check, severity) = checks[i % checks.len()];
            let namespace = format!("team-{}", i % 10);
            let mut issue = if i % 7 == 0 {
                crash_loop(&namespace, &format!("service-{i}"))
            } else {
                issue(
                    "Deployment",
                    Some(&namespace),
                    &format!("service-{i}"),
                    check,
                    severity,
                )
            };
            issue.evidence.events.push(EventEvidence {
                object: format!("Pod/service-{i}"),
                type_: "Warning".into(),
                reason: "BackOff".into(),
                message: "Back-off".into(),
                count: 1,
                last_seen: Some(format!("2026-11-20T0{}:{:02}:00Z", i % 10, i % 60)),
            });
            issue
        })
        .collect();
    for i in (5..n).step_by(5) {
        let cause = issues[i - 1].fingerprint;
        issues[i].caused_by.push(cause);
    }
    issues.sort_by(Issue::report_order);
    issues
}

/// A state whose run is done with these issues, on the demo source.
#[must_use]
pub fn state(issues: Vec<Issue>, settings: Settings) -> State {
    let mut state = State::new(SourceSpec::Demo, Options::default(), settings);
    state.context = Some("kubewhy-demo".to_owned());
    state.observed_at = Some("2026-11-20T09:30:00Z".to_owned());
    state.list.set_issues(issues);
    state.loaded = true;
    state.run = RunStatus::Done;
    state
}
