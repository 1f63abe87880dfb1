use kubewhy_model::{Explanation, ObjectRef};

use super::*;
use crate::test_support::{crash_loop, deployment, issue, pod, report};

fn markdown(report: &Report) -> String {
    let mut out = Vec::new();
    Markdown.render(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_report_reads_as_a_ticket() {
    let mut issue = crash_loop();
    issue.explanation = Some(Explanation {
        text: "The database is **not reachable**.\n".into(),
        backend: "offline".into(),
        ..Explanation::default()
    });
    insta::assert_snapshot!(markdown(&report(vec![issue])));
}

#[test]
fn names_and_messages_cannot_break_the_markup() {
    let mut odd = issue(
        "pod-crash-looping",
        deployment("web"),
        "exit | code *1* in `main` <script> #42",
    );
    odd.title = "A | title".into();
    let text = markdown(&report(vec![odd]));
    assert!(
        text.contains(r"exit \| code \*1\* in \`main\` \<script\> \#42"),
        "{text}"
    );
    assert!(
        text.contains(r"### 1. Error · A \| title · `shop/Deployment/web`"),
        "{text}"
    );
    // The summary table keeps its two columns.
    for row in text.lines().filter(|l| l.starts_with('|')) {
        assert_eq!(row.matches(" | ").count(), 1, "{row}");
    }
}

#[test]
fn a_log_with_a_fence_gets_a_longer_fence() {
    let mut issue = crash_loop();
    issue.evidence.logs[0].lines = vec!["```".into(), "boom".into()];
    issue.evidence.logs[0].first_error = Some(1);
    let text = markdown(&report(vec![issue]));
    assert!(text.contains("````text\n  ```\n> boom\n````\n"), "{text}");
}

#[test]
fn many_objects_end_with_a_count() {
    let mut issue = crash_loop();
    issue.objects = (0..13).map(|i| pod(&format!("checkout-{i}"))).collect();
    issue.related = vec![ObjectRef::new("v1", "Service", Some("other"), "db")];
    let text = markdown(&report(vec![issue]));
    let affects = text.lines().find(|l| l.starts_with("- Affects:")).unwrap();
    assert!(
        affects.ends_with("`Pod/checkout-9`, and 3 more"),
        "{affects}"
    );
    assert!(text.contains("- Related: `other/Service/db`"), "{text}");
}

#[test]
fn an_empty_report_says_so() {
    let text = markdown(&report(Vec::new()));
    assert!(
        text.contains("| **Total** | **0** |\n\nNo issues found.\n"),
        "{text}"
    );
    assert!(!text.contains("## Issues"));
    assert!(text.ends_with("## Warnings\n\n- cannot list NetworkPolicy: forbidden\n"));
}

#[test]
fn a_container_of_a_pod_template_is_named_without_a_pod() {
    let mut issue = issue("container-privileged", deployment("web"), "runs privileged");
    let template = kubewhy_model::ContainerEvidence {
        pod: String::new(),
        container: "app".into(),
        init: false,
        state: "spec".into(),
        reason: None,
        message: None,
        exit_code: None,
        last_termination: None,
        restarts: 0,
    };
    issue.evidence.containers.push(template);
    let text = markdown(&report(vec![issue]));
    assert!(
        text.contains("- Container `app` (as written in the pod spec)"),
        "{text}"
    );
    assert!(!text.contains("Pod/`"), "{text}");
}
