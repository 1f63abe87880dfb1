use kubewhy_model::{
    CheckId, Evidence, Explanation, Fingerprint, Issue, ObjectRef, Report, Severity, SourceInfo,
    SourceKind, StructuredAnswer, SuggestedCommand,
};

use super::*;

fn scenario() -> Scenario {
    toml::from_str(
        r#"
        id = "demo-4"
        title = "missing Secret"
        object = "Deployment/payments"
        namespace = "shop"
        root_cause = ["payments-stripe"]
        facts = ["CreateContainerConfigError", "secret \"payments-stripe\" not found", "Available=False|unavailable"]
        "#,
    )
    .unwrap()
}

fn issue(explanation: Option<Explanation>) -> Issue {
    let root = ObjectRef::new("apps/v1", "Deployment", Some("shop"), "payments");
    Issue {
        fingerprint: Fingerprint::new(&root, CheckId("pod-reference-missing"), "x"),
        check: CheckId("pod-reference-missing"),
        severity: Severity::Error,
        category: Category::Reliability,
        title: "t".into(),
        message: "m".into(),
        objects: vec![root.clone()],
        root,
        related: Vec::new(),
        evidence: Evidence::default(),
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        fix: None,
        origin: None,
        explanation,
        cluster: None,
    }
}

fn report(issues: Vec<Issue>) -> Report {
    let info = SourceInfo {
        kind: SourceKind::Demo,
        context: None,
        server: None,
        observed_at: None,
        observed_at_inferred: false,
        kubernetes_version: None,
    };
    Report::new(info, issues, Vec::new(), 1)
}

fn good() -> Explanation {
    Explanation {
        text: "The pods wait in CreateContainerConfigError: secret 'payments-stripe'  not found."
            .into(),
        structured: Some(StructuredAnswer {
            summary: "payments cannot start".into(),
            root_cause: "The Secret payments-stripe does not exist.".into(),
            fix: vec!["Create it.".into()],
            commands: vec![SuggestedCommand {
                command: "kubectl get secret payments-stripe -n shop".into(),
                changes: false,
            }],
            ..StructuredAnswer::default()
        }),
        backend: "local".into(),
        tokens_in: 10,
        tokens_out: 5,
        latency_ms: Some(7),
        ..Explanation::default()
    }
}

#[test]
fn a_right_answer_passes_with_its_facts_counted_whatever_the_quoting() {
    let scored = score(&scenario(), &report(vec![issue(Some(good()))]), &[], &[]);
    assert!(scored.passed, "{:?}", scored.misses);
    assert_eq!((scored.facts_found, scored.facts), (2, 3));
    assert_eq!(
        scored.issue.as_deref(),
        Some("pod-reference-missing on Deployment/payments")
    );
    assert_eq!(
        (scored.tokens_in, scored.tokens_out, scored.latency_ms),
        (10, 5, Some(7))
    );
}

#[test]
fn each_miss_is_named() {
    let mut wrong = good();
    wrong.text = "Something is off.".into();
    wrong.structured = None;
    wrong.ungrounded = vec!["deployment/ghost".into()];
    let wire = vec!["the prompt held payments-stripe".to_owned()];
    let secrets = vec!["payments-stripe".to_owned()];
    let scored = score(
        &scenario(),
        &report(vec![issue(Some(wrong))]),
        &wire,
        &secrets,
    );
    assert!(!scored.passed);
    assert!(!scored.root_cause && !scored.grounded && !scored.structured && !scored.wire_clean);
    let misses = scored.misses.join("\n");
    for expected in [
        "planted secrets on the wire: payments-stripe",
        "root cause not named: payments-stripe",
        "0 of 3 facts",
        "commands name unknown objects: deployment/ghost",
        "no structured answer",
    ] {
        assert!(misses.contains(expected), "{expected}: {misses}");
    }
}

#[test]
fn a_missing_issue_fails_and_a_healthy_object_passes_only_without_one() {
    let scored = score(&scenario(), &report(Vec::new()), &[], &[]);
    assert_eq!(scored.misses, ["no issue found on Deployment/payments"]);
    let mut healthy = scenario();
    healthy.healthy = true;
    assert!(score(&healthy, &report(Vec::new()), &[], &[]).passed);
    let flagged = score(&healthy, &report(vec![issue(None)]), &[], &[]);
    assert!(!flagged.passed, "{flagged:?}");
}

#[test]
fn the_embedded_data_files_parse_and_quote_only_what_they_should() {
    for expectations in [expect::demo().unwrap(), expect::archives().unwrap()] {
        assert!(!expectations.scenarios.is_empty());
        for s in &expectations.scenarios {
            assert!(s.object.contains('/'), "{}", s.id);
            assert!(
                s.healthy || (!s.root_cause.is_empty() && !s.facts.is_empty()),
                "{}",
                s.id
            );
        }
    }
    let demo = expect::demo().unwrap();
    assert_eq!(demo.scenarios.len(), 20);
    // Every quote of the demo is in the scenarios' documentation, as written there.
    let doc = normalize(include_str!("../../../source/demo/SCENARIOS.md"));
    for s in &demo.scenarios {
        for quote in s.root_cause.iter().chain(&s.facts) {
            assert!(
                quote.split('|').any(|q| doc.contains(&normalize(q))),
                "{}: `{quote}` is not quoted from SCENARIOS.md",
                s.id
            );
        }
    }
}
