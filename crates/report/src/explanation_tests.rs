//! An explanation with every field filled in, through the formats: the structured answer, the
//! fallback and its reason, the call's figures and the objects nobody saw.

use kubewhy_model::{Confidence, Cost, Explanation, StructuredAnswer, SuggestedCommand};

use crate::{Format, render, test_support};

fn explained() -> kubewhy_model::Report {
    let mut issue = test_support::crash_loop();
    issue.explanation = Some(Explanation {
        text: "web cannot reach its database.\nRoot cause: the Service has no endpoints.\n\
               $ kubectl rollout restart deployment/ghost -n shop  (changes the cluster)\n"
            .into(),
        structured: Some(StructuredAnswer {
            summary: "web cannot reach its database.".into(),
            root_cause: "the Service has no endpoints.".into(),
            commands: vec![
                SuggestedCommand {
                    command: "kubectl get endpoints db -n shop | grep db".into(),
                    changes: false,
                },
                SuggestedCommand {
                    command: "kubectl rollout restart deployment/ghost -n shop".into(),
                    changes: true,
                },
            ],
            confidence: Some(Confidence::Medium),
            ..StructuredAnswer::default()
        }),
        backend: "local".into(),
        model: "m".into(),
        tokens_in: 900,
        tokens_out: 120,
        latency_ms: Some(1500),
        cost: Some(Cost::new(0.0021)),
        ungrounded: vec!["deployment/ghost -n shop".into()],
        ..Explanation::default()
    });
    test_support::report(vec![issue])
}

fn output(report: &kubewhy_model::Report, format: Format) -> String {
    let mut out = Vec::new();
    render(report, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn text_shows_how_it_was_made_and_warns_about_unknown_objects() {
    let text = output(&explained(), Format::Text);
    assert!(
        text.contains(
            "(local, m, confidence medium, 900 tokens in, 120 out, 1500 ms, cost 0.0021)"
        ),
        "{text}"
    );
    assert!(
        text.contains("neither in the issue nor in the cluster: deployment/ghost -n shop"),
        "{text}"
    );
    assert!(
        text.contains("Root cause: the Service has no endpoints."),
        "{text}"
    );
}

#[test]
fn markdown_lists_the_commands_and_the_warning() {
    let text = output(&explained(), Format::Markdown);
    assert!(
        text.contains("- `kubectl get endpoints db -n shop | grep db` (read-only)"),
        "{text}"
    );
    // A command the text already shows is not listed twice.
    assert!(!text.contains("- `kubectl rollout restart"), "{text}");
    assert!(
        text.contains("> **Warning:** the suggested commands"),
        "{text}"
    );
}

#[test]
fn json_carries_every_field_and_skips_the_empty_ones() {
    let json: serde_json::Value =
        serde_json::from_str(&output(&explained(), Format::Json)).unwrap();
    let explanation = &json["issues"][0]["explanation"];
    assert_eq!(explanation["structured"]["confidence"], "medium");
    assert_eq!(explanation["structured"]["commands"][1]["changes"], true);
    assert!(
        explanation["structured"].get("fix").is_none(),
        "{explanation}"
    );
    assert_eq!(explanation["latency_ms"], 1500);
    assert_eq!(explanation["cost"], 0.0021);
    assert_eq!(explanation["ungrounded"][0], "deployment/ghost -n shop");
    assert!(
        explanation.get("fallback_reason").is_none(),
        "{explanation}"
    );

    let mut fallback = explained();
    fallback.issues[0].explanation = Some(Explanation {
        text: "offline".into(),
        backend: "offline".into(),
        fallback: true,
        fallback_reason: Some("429 after 4 attempts".into()),
        ..Explanation::default()
    });
    let json: serde_json::Value = serde_json::from_str(&output(&fallback, Format::Json)).unwrap();
    let explanation = &json["issues"][0]["explanation"];
    assert_eq!(explanation["fallback_reason"], "429 after 4 attempts");
    for absent in ["structured", "latency_ms", "cost", "ungrounded"] {
        assert!(explanation.get(absent).is_none(), "{absent}: {explanation}");
    }
    let yaml = output(&fallback, Format::Yaml);
    assert!(
        yaml.contains("fallback_reason: 429 after 4 attempts"),
        "{yaml}"
    );
    let text = output(&fallback, Format::Text);
    assert!(
        text.contains("(offline, offline fallback: 429 after 4 attempts)"),
        "{text}"
    );
}
