use kubewhy_model::Report;
use serde_json::Value;

use super::{Budget, MAX_BLOCKS, MAX_HEADER, MAX_SECTION, long_text, summary, violations};
use crate::test_support::{crash_loop, report};

fn sections(message: &Value) -> Vec<String> {
    message["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "section")
        .map(|b| b["text"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn an_answer_of_20000_characters_arrives_whole_within_the_limits() {
    let answer = "Restarting will not help: the Secret the pod mounts was deleted. ".repeat(308);
    assert!(answer.len() > 20_000);
    let messages = long_text("Why deploy/web fails", &answer, Budget::default());
    assert!(messages.len() >= 3, "{} messages", messages.len());
    for message in &messages {
        let json = message.to_json();
        assert_eq!(violations(&json), Vec::<String>::new());
        assert!(
            !message.text.is_empty(),
            "every message has a fallback text"
        );
    }
    let words: Vec<String> = messages
        .iter()
        .flat_map(|m| sections(&m.to_json()))
        .flat_map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert_eq!(words, answer.split_whitespace().collect::<Vec<_>>());
    assert!(
        messages[1].blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("(2/")
    );
}

#[test]
fn the_summary_of_a_large_report_fits_one_message_and_counts_what_it_leaves_out() {
    let mut report: Report = report(vec![crash_loop()]);
    let one = report.issues[0].clone();
    report.issues = (0..300)
        .map(|i| {
            let mut issue = one.clone();
            issue.root.name = format!("web-{i}");
            issue
        })
        .collect();
    let message = summary(&report, "all namespaces", Budget::default()).to_json();
    assert_eq!(violations(&message), Vec::<String>::new());
    let blocks = message["blocks"].as_array().unwrap();
    assert!(blocks.len() <= MAX_BLOCKS);
    let footer = blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(footer.contains("more not shown"), "{footer}");
    assert!(
        sections(&message)
            .iter()
            .any(|s| s.contains("/kubewhy explain"))
    );
}

#[test]
fn violations_name_what_slack_would_refuse() {
    let long = "x".repeat(MAX_SECTION + 1);
    let message = serde_json::json!({ "text": "t", "blocks": [
        { "type": "header", "text": { "type": "plain_text", "text": "h".repeat(MAX_HEADER + 1) } },
        { "type": "section", "text": { "type": "mrkdwn", "text": long } },
    ]});
    let found = violations(&message);
    assert_eq!(found.len(), 2, "{found:?}");
}
