//! The demo's scenarios, explained offline: each must name the root cause that the demo's
//! `SCENARIOS.md` says an SRE should see. The expected facts quote that file, not this
//! explainer's output. The issues are built in [`super::demo_issues`] from the evidence the
//! file lists (kubewhy-engine depends on this crate, so it cannot run here).

use kubewhy_model::Issue;

use super::explain;

/// A scenario: its number in `SCENARIOS.md`, the root object's kind and name, and the facts its
/// root cause (the summary and the most likely cause together) must name, case-insensitive.
struct Scenario {
    number: u32,
    kind: &'static str,
    name: &'static str,
    facts: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        number: 1,
        kind: "Deployment",
        name: "checkout",
        facts: &["connection refused", "orders-db", "fast-ssd"],
    },
    Scenario {
        number: 2,
        kind: "Deployment",
        name: "frontend",
        facts: &["ghcr.io/acme/frontend:v3.0.0-rc1", "not exist"],
    },
    Scenario {
        number: 3,
        kind: "Deployment",
        name: "recommendations",
        facts: &["OOMKilled", "256Mi"],
    },
    Scenario {
        number: 4,
        kind: "Deployment",
        name: "payments",
        facts: &["Secret payments-stripe", "does not exist"],
    },
    Scenario {
        number: 5,
        kind: "Deployment",
        name: "search",
        facts: &["503", "timeout"],
    },
    Scenario {
        number: 6,
        kind: "Service",
        name: "inventory",
        facts: &["app=inventory-api"],
    },
    Scenario {
        number: 7,
        kind: "Ingress",
        name: "storefront",
        facts: &["storefront-web", "does not exist"],
    },
    Scenario {
        number: 8,
        kind: "StatefulSet",
        name: "orders-db",
        facts: &["StorageClass fast-ssd", "does not exist"],
    },
    Scenario {
        number: 9,
        kind: "Job",
        name: "db-migrate",
        facts: &["duplicate key"],
    },
    Scenario {
        number: 10,
        kind: "CronJob",
        name: "nightly-report",
        facts: &["0 25 * * *"],
    },
    Scenario {
        number: 11,
        kind: "HorizontalPodAutoscaler",
        name: "cart",
        facts: &["Deployment cart", "does not exist"],
    },
    Scenario {
        number: 12,
        kind: "Deployment",
        name: "notifications",
        facts: &["/app/notify", "not in the image"],
    },
    Scenario {
        number: 13,
        kind: "Deployment",
        name: "reviews",
        facts: &["ConfigMap reviews-config", "does not exist"],
    },
    Scenario {
        number: 14,
        kind: "Deployment",
        name: "accounts",
        facts: &["accounts-db", "bad address"],
    },
    Scenario {
        number: 15,
        kind: "Deployment",
        name: "image-resizer",
        facts: &["ephemeral-storage"],
    },
    Scenario {
        number: 16,
        kind: "Deployment",
        name: "llm-70b",
        facts: &["nvidia.com/gpu"],
    },
    Scenario {
        number: 18,
        kind: "Deployment",
        name: "triton-embeddings",
        facts: &["CUDA out of memory", "batch size"],
    },
    Scenario {
        number: 19,
        kind: "Node",
        name: "node-cpu-c",
        facts: &["node-cpu-c", "kubelet stopped posting"],
    },
    Scenario {
        number: 20,
        kind: "ValidatingWebhookConfiguration",
        name: "policy-guard",
        facts: &["monitoring/policy-guard", "does not exist"],
    },
];

fn misses(issues: &[Issue]) -> Vec<String> {
    let mut misses = Vec::new();
    for scenario in SCENARIOS {
        let found = issues
            .iter()
            .find(|i| i.root.kind == scenario.kind && i.root.name == scenario.name);
        let Some(issue) = found else {
            misses.push(format!("#{} {}: no issue", scenario.number, scenario.name));
            continue;
        };
        let e = explain(issue);
        let root_cause =
            format!("{} {}", e.structured.summary, e.structured.root_cause).to_lowercase();
        let missing: Vec<&str> = scenario
            .facts
            .iter()
            .copied()
            .filter(|fact| !root_cause.contains(&fact.to_lowercase()))
            .collect();
        if !missing.is_empty() {
            misses.push(format!(
                "#{} {}: the root cause does not name {missing:?}: {}",
                scenario.number, scenario.name, e.structured.root_cause
            ));
        }
    }
    misses
}

#[test]
fn the_demo_scenarios_get_their_root_cause_named() {
    let issues = super::demo_issues::all();
    let misses = misses(&issues);
    let passed = SCENARIOS.len() - misses.len();
    eprintln!(
        "offline explainer: {passed}/{} demo scenarios pass; misses: {misses:#?}",
        SCENARIOS.len()
    );
    // Every explanation is deterministic and has something to do.
    for issue in &issues {
        let e = explain(issue);
        assert_eq!(e, explain(issue));
        assert!(
            !e.structured.fix.is_empty(),
            "{}: no fix\n{}",
            issue.root,
            e.text
        );
        assert!(
            !e.structured.commands.is_empty(),
            "{}: no command",
            issue.root
        );
    }
    assert!(misses.is_empty(), "{misses:#?}");
}
