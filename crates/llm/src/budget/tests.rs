use super::*;
use crate::test_support::{scrubbed, scrubber};

fn id(kind: BackendKind, model: &str) -> BackendId {
    BackendId {
        name: "t".into(),
        kind,
        model: model.into(),
        endpoint: "http://127.0.0.1:1/v1".into(),
        local: true,
        trusted: false,
    }
}

#[test]
fn openai_models_count_with_their_familys_encoding() {
    let gpt4o = TokenCounter::for_backend(&id(BackendKind::OpenAi, "gpt-4o-mini"));
    assert_eq!(gpt4o.encoding(), "o200k_base");
    assert!(gpt4o.is_exact());
    assert_eq!(gpt4o.count("hello world"), 2);
    assert_eq!(
        TokenCounter::for_openai_model("gpt-4").encoding(),
        "cl100k_base"
    );
    assert_eq!(
        TokenCounter::for_backend(&id(BackendKind::Azure, "gpt-5")).encoding(),
        "o200k_base"
    );
    // A local server's model is estimated even when it borrows an OpenAI name.
    assert!(!TokenCounter::for_backend(&id(BackendKind::Local, "gpt-4o")).is_exact());
    assert!(!TokenCounter::for_openai_model("mistral-large-latest").is_exact());
}

#[test]
fn estimates_start_pessimistic_and_learn_from_the_server() {
    let counter = TokenCounter::estimate();
    let text = "x".repeat(3000);
    assert_eq!(counter.count(&text), 1000);
    // The server counted 750 tokens for what was estimated at 1000.
    counter.calibrate(1000, 750);
    let once = counter.count(&text);
    assert!(once < 1000 && once > 750, "{once}");
    for _ in 0..10 {
        let estimate = counter.count(&text);
        counter.calibrate(estimate, 750);
    }
    let settled = counter.count(&text);
    assert!((748..=760).contains(&settled), "{settled}");
    let exact = TokenCounter::for_openai_model("gpt-4o");
    let before = exact.count(&text);
    exact.calibrate(before, 1);
    assert_eq!(exact.count(&text), before);
}

#[test]
fn the_window_comes_from_the_server_then_the_profile_then_the_table() {
    let server = ServerInfo {
        context_window: Some(2048),
        slots: Some(2),
    };
    let model = id(BackendKind::OpenAi, "gpt-4o");
    assert_eq!(
        context_window(&model, &server, Some(9000)),
        ContextWindow {
            tokens: 2048,
            source: WindowSource::Server
        }
    );
    let none = ServerInfo::default();
    assert_eq!(
        context_window(&model, &none, Some(9000)).source,
        WindowSource::Profile
    );
    assert_eq!(
        context_window(&model, &none, None),
        ContextWindow {
            tokens: 128_000,
            source: WindowSource::Table
        }
    );
    let unknown = id(BackendKind::Local, "my-model");
    assert_eq!(
        context_window(&unknown, &none, None),
        ContextWindow {
            tokens: DEFAULT_CONTEXT_WINDOW,
            source: WindowSource::Default
        }
    );
    assert_eq!(answer_reserve(128_000, None), 1024);
    assert_eq!(answer_reserve(2048, None), 512);
    assert_eq!(answer_reserve(2048, Some(300)), 300);
}

fn lines(scrubber: &mut Scrubber, lines: &[&str]) -> Vec<Scrubbed> {
    lines.iter().map(|l| scrubbed(scrubber, l)).collect()
}

struct Evidence {
    events: Vec<Scrubbed>,
    logs: Vec<Scrubbed>,
    related: Vec<Scrubbed>,
}

impl Evidence {
    fn new(scrubber: &mut Scrubber) -> Self {
        Self {
            events: lines(
                scrubber,
                &[
                    "Back-off restarting failed container (x12)",
                    "Pulled image (x12)",
                ],
            ),
            logs: lines(
                scrubber,
                &[
                    "starting checkout on port 8080 with a long line of ordinary startup noise",
                    "loaded configuration from the usual place, nothing to see here at all",
                    "error: secret payments-stripe not found",
                    "connecting to the database, which takes a while on a cold start",
                    "warn: retrying in 5s",
                ],
            ),
            related: lines(
                scrubber,
                &[
                    "Service shop/checkout has no endpoints",
                    "ReplicaSet checkout-7d9f",
                ],
            ),
        }
    }

    fn sections(&self) -> Vec<Section> {
        vec![
            Section {
                name: "events",
                unit: "events",
                items: self.events.clone(),
                order: Order::First,
            },
            Section {
                name: "logs",
                unit: "log lines",
                items: self.logs.clone(),
                order: Order::ErrorsFirst,
            },
            Section {
                name: "related objects",
                unit: "related objects",
                items: self.related.clone(),
                order: Order::First,
            },
        ]
    }
}

/// The smallest window whose room is at least `needed`.
fn window_for(needed: u32) -> Budget {
    let mut budget = Budget {
        window: needed,
        answer_reserve: 0,
        fixed: 0,
    };
    while budget.available() < needed {
        budget.window += 1;
    }
    budget
}

#[test]
fn evidence_fills_by_priority_and_names_what_was_left_out() {
    let mut scrubber = scrubber();
    let counter = TokenCounter::estimate();
    let evidence = Evidence::new(&mut scrubber);
    let roomy = Budget {
        window: 10_000,
        answer_reserve: 1000,
        fixed: 500,
    };
    let all = roomy.fit(&counter, evidence.sections());
    assert!(all.marker().is_none());
    assert_eq!(all.sections()[1].1.len(), 5);
    // Room for the events, the error and warning lines, and nothing else.
    let cost = |items: &[&Scrubbed]| {
        items
            .iter()
            .map(|i| counter.count(i.as_str()) + 1)
            .sum::<u32>()
    };
    let needed = counter.count("events")
        + 2
        + cost(&evidence.events.iter().collect::<Vec<_>>())
        + counter.count("logs")
        + 2
        + cost(&[&evidence.logs[2], &evidence.logs[4]]);
    let budget = window_for(needed);
    let fitted = budget.fit(&counter, evidence.sections());
    let kept: Vec<&str> = fitted.sections()[1]
        .1
        .iter()
        .map(Scrubbed::as_str)
        .collect();
    assert_eq!(
        kept,
        [evidence.logs[2].as_str(), evidence.logs[4].as_str()],
        "errors first, in their order"
    );
    assert_eq!(fitted.sections()[0].1.len(), 2);
    assert_eq!(
        fitted.marker().as_deref(),
        Some("left out to fit the model's context: 3 of 5 log lines; all 2 related objects")
    );
    assert!(fitted.tokens() <= budget.available());
}

#[test]
fn an_item_too_large_is_skipped_for_a_smaller_one() {
    let mut scrubber = scrubber();
    let counter = TokenCounter::estimate();
    let big = "y".repeat(3000);
    let items = lines(&mut scrubber, &[&big, "short line"]);
    let budget = Budget {
        window: 200,
        answer_reserve: 0,
        fixed: 0,
    };
    let fitted = budget.fit(
        &counter,
        vec![Section {
            name: "logs",
            unit: "log lines",
            items,
            order: Order::First,
        }],
    );
    assert_eq!(fitted.sections()[0].1.len(), 1);
    assert_eq!(fitted.sections()[0].1[0].as_str(), "short line");
    assert_eq!(fitted.omissions()[0].to_string(), "1 of 2 log lines");
}

#[test]
fn kept_evidence_becomes_one_scrubbed_text_with_headings() {
    let mut scrubber = scrubber();
    let counter = TokenCounter::estimate();
    let events = lines(&mut scrubber, &["BackOff in checkout-7d9f"]);
    let logs = lines(&mut scrubber, &["line one", "line two"]);
    let budget = Budget {
        window: 10_000,
        answer_reserve: 0,
        fixed: 0,
    };
    let fitted = budget.fit(
        &counter,
        vec![
            Section {
                name: "events",
                unit: "events",
                items: events,
                order: Order::First,
            },
            Section {
                name: "empty",
                unit: "things",
                items: Vec::new(),
                order: Order::First,
            },
            Section {
                name: "logs",
                unit: "log lines",
                items: logs,
                order: Order::Last,
            },
        ],
    );
    let evidence = fitted.evidence(&scrubber).unwrap();
    assert_eq!(
        evidence.as_str(),
        "## events\nBackOff in deployment-1-pod-1\n\n## logs\nline one\nline two\n"
    );
}

#[test]
fn error_lines_rank_above_warnings_and_noise() {
    assert_eq!(error_rank("FATAL: out of memory"), 2);
    assert_eq!(error_rank("Connection refused"), 2);
    assert_eq!(error_rank("WARN slow"), 1);
    assert_eq!(error_rank("GET /health 200"), 0);
}
