//! Reports built by hand for the renderers' tests.

use kubewhy_model::{
    Category, CheckId, ConditionEvidence, ContainerEvidence, EventEvidence, Evidence, Fingerprint,
    Issue, LogEvidence, ObjectRef, Origin, Report, SourceInfo, SourceKind, Warning, WarningKind,
};

pub(crate) fn deployment(name: &str) -> ObjectRef {
    ObjectRef::new("apps/v1", "Deployment", Some("shop"), name)
}

pub(crate) fn pod(name: &str) -> ObjectRef {
    ObjectRef::new("v1", "Pod", Some("shop"), name)
}

/// An issue of `check` on `root`, with nothing but its message.
pub(crate) fn issue(check: &'static str, root: ObjectRef, message: &str) -> Issue {
    let info = kubewhy_analyzers::check(check);
    Issue {
        fingerprint: Fingerprint::new(&root, CheckId(check), message),
        check: CheckId(check),
        severity: info.map_or(kubewhy_model::Severity::Error, |i| i.severity),
        category: info.map_or(Category::Reliability, |i| i.category),
        title: info.map_or("A problem", |i| i.title).to_owned(),
        message: message.to_owned(),
        objects: vec![root.clone()],
        root,
        related: Vec::new(),
        evidence: Evidence::default(),
        fix: None,
        origin: None,
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        explanation: None,
        cluster: None,
    }
}

/// A crash loop of two pods with every kind of evidence, a fix and a file origin.
pub(crate) fn crash_loop() -> Issue {
    let mut issue = issue(
        "pod-crash-looping",
        deployment("checkout"),
        "Container api is crash looping (9 restarts; last exit code 1 (Error))",
    );
    issue.objects = vec![pod("checkout-1"), pod("checkout-2")];
    issue.evidence = Evidence {
        conditions: vec![ConditionEvidence {
            object: "Pod/checkout-1".into(),
            type_: "Ready".into(),
            status: "False".into(),
            reason: Some("ContainersNotReady".into()),
            message: None,
        }],
        containers: vec![ContainerEvidence {
            pod: "checkout-1".into(),
            container: "api".into(),
            init: false,
            state: "waiting".into(),
            reason: Some("CrashLoopBackOff".into()),
            message: None,
            exit_code: Some(1),
            last_termination: Some("Error".into()),
            restarts: 9,
        }],
        events: vec![EventEvidence {
            object: "Pod/checkout-1".into(),
            type_: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container api".into(),
            count: 189,
            last_seen: None,
        }],
        logs: vec![LogEvidence {
            pod: "checkout-1".into(),
            container: "api".into(),
            previous: true,
            lines: vec![
                "starting".into(),
                "psycopg2.OperationalError: could not connect to server".into(),
                "exiting".into(),
            ],
            first_error: Some(1),
            truncated: false,
        }],
    };
    issue.fix = Some("kubectl logs -n shop deploy/checkout --previous".into());
    issue.origin = Some(Origin {
        file: "deploy/shop.yaml".into(),
        member: None,
        line: 12,
    });
    issue
}

pub(crate) fn report(issues: Vec<Issue>) -> Report {
    Report::new(
        SourceInfo {
            kind: SourceKind::Files,
            context: None,
            server: None,
            observed_at: Some("2026-11-20T09:30:00Z".into()),
            observed_at_inferred: false,
            kubernetes_version: None,
        },
        issues,
        vec![Warning::new(
            WarningKind::SkippedKind,
            "cannot list NetworkPolicy: forbidden",
        )],
        42,
    )
}
