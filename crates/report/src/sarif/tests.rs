use serde_json::Value;

use super::*;
use crate::test_support::{crash_loop, deployment, issue, report};

fn sarif(report: &Report) -> Value {
    let mut out = Vec::new();
    Sarif::relative_to("/srv/checkout")
        .render(report, &mut out)
        .unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn two_issues() -> Report {
    let mut unready = issue(
        "pod-not-ready",
        deployment("search"),
        "Pod search-1 is running but not ready",
    );
    unready.objects = vec![crate::test_support::pod("search-1")];
    report(vec![crash_loop(), unready])
}

#[test]
fn the_log_names_its_schema_and_tool() {
    let log = sarif(&two_issues());
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["$schema"], schema::SCHEMA_URL);
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "kubewhy");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        driver["informationUri"],
        "https://github.com/kubewhy/kubewhy"
    );
}

#[test]
fn each_check_is_one_rule_documented_from_the_catalog() {
    let log = sarif(&two_issues());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["pod-crash-looping", "pod-not-ready"]);
    let crash = &rules[0];
    assert_eq!(crash["name"], "PodCrashLooping");
    assert_eq!(
        crash["shortDescription"]["text"],
        "Container is crash looping"
    );
    assert!(
        crash["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("A container starts, exits with an error")
    );
    let doc = kubewhy_analyzers::check("pod-crash-looping").unwrap().doc;
    assert_eq!(crash["help"]["markdown"], doc.trim_end());
    assert_eq!(crash["defaultConfiguration"]["level"], "error");
}

#[test]
fn each_issue_is_one_result_with_its_fingerprint_and_object() {
    let report = two_issues();
    let log = sarif(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.issues.len());
    for (result, issue) in results.iter().zip(&report.issues) {
        assert_eq!(result["ruleId"], issue.check.as_str());
        let rule = &log["runs"][0]["tool"]["driver"]["rules"]
            [result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        assert_eq!(
            result["partialFingerprints"]["kubewhyFingerprint/v1"],
            issue.fingerprint.to_string()
        );
        assert_eq!(result["message"]["text"], issue.message);
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["fullyQualifiedName"], qualified(&issue.root));
        assert_eq!(logical["name"], issue.root.name);
        assert_eq!(logical["kind"], "resource");
    }
    let crash = &results[0];
    assert_eq!(crash["level"], "error");
    assert_eq!(
        crash["properties"]["fix"],
        "kubectl logs -n shop deploy/checkout --previous"
    );
    let related: Vec<&str> = crash["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(related, ["shop/Pod/checkout-1", "shop/Pod/checkout-2"]);
}

#[test]
fn an_origin_is_a_physical_location_and_no_origin_is_none() {
    let log = sarif(&two_issues());
    let results = log["runs"][0]["results"].as_array().unwrap();
    let physical = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "deploy/shop.yaml");
    assert_eq!(physical["region"]["startLine"], 12);
    assert!(results[1]["locations"][0].get("physicalLocation").is_none());
    assert!(log["runs"][0].get("artifacts").is_none());
    assert!(results[1]["locations"][0]["logicalLocations"][0].is_object());
}

#[test]
fn archive_members_are_nested_artifacts_and_absolute_paths_relative() {
    let in_archive = |name: &str, member: &str| {
        let mut issue = issue("pod-not-ready", deployment(name), "not ready");
        issue.origin = Some(kubewhy_model::Origin {
            file: "/srv/checkout/dumps/bundle.tar.gz".into(),
            member: Some(member.into()),
            line: 3,
        });
        issue
    };
    let log = sarif(&report(vec![
        in_archive("a", "pods/shop.json"),
        in_archive("b", "pods/shop.json"),
        in_archive("c", "pods/other.json"),
    ]));
    let run = &log["runs"][0];
    let artifacts: Vec<(&str, &Value)> = run["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["location"]["uri"].as_str().unwrap(), &a["parentIndex"]))
        .collect();
    assert_eq!(
        artifacts,
        [
            ("dumps/bundle.tar.gz", &Value::Null),
            ("pods/shop.json", &Value::from(0)),
            ("pods/other.json", &Value::from(0)),
        ]
    );
    let locations: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"])
        .collect();
    assert_eq!(locations[0]["artifactLocation"]["uri"], "pods/shop.json");
    assert_eq!(locations[0]["artifactLocation"]["index"], 1);
    assert_eq!(locations[1]["artifactLocation"]["index"], 1);
    assert_eq!(locations[2]["artifactLocation"]["index"], 2);
    assert_eq!(locations[2]["region"]["startLine"], 3);
}

#[test]
fn standard_input_has_no_physical_location() {
    let mut issue = crash_loop();
    issue.origin = Some(kubewhy_model::Origin {
        file: "<stdin>".into(),
        member: None,
        line: 4,
    });
    let log = sarif(&report(vec![issue]));
    let location = &log["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none(), "{location}");
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        "shop/Deployment/checkout"
    );
}

#[test]
fn levels_follow_severity_and_warnings_are_notifications() {
    assert_eq!(level(Severity::Critical), "error");
    assert_eq!(level(Severity::Error), "error");
    assert_eq!(level(Severity::Warning), "warning");
    assert_eq!(level(Severity::Info), "note");
    let log = sarif(&report(Vec::new()));
    let run = &log["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 0);
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 0);
    let notification = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "warning");
    assert_eq!(notification["descriptor"]["id"], "skipped-kind");
    assert_eq!(
        notification["message"]["text"],
        "cannot list NetworkPolicy: forbidden"
    );
}
