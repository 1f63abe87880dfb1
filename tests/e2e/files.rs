//! The file source through the binary: every input shape, malformed input, determinism and
//! exit codes.

use crate::support::{catalog_fixture, fixture, has_issue, kubewhy, kubewhy_with_stdin};

#[test]
fn every_input_shape_is_read() {
    let shapes = fixture("shapes");
    let run = kubewhy(&["analyze", "-f", &shapes, "-o", "json"]);
    assert_eq!(
        run.code, 1,
        "issues found means exit 1; stderr: {}",
        run.stderr
    );
    let report = run.json();
    for (check, root) in [
        ("pod-crash-looping", "Pod/single-crash"), // one YAML document
        ("pod-crash-looping", "Pod/multi-crash"),  // multi-document YAML
        ("pod-image-pull-failing", "Pod/multi-pull"),
        ("pod-crash-looping", "Pod/list-crash"), // kind: List, JSON
        ("pod-image-pull-failing", "Pod/podlist-pull"), // PodList whose items have no kind
        ("pod-crash-looping", "Pod/yamllist-crash"), // kind: List, YAML
        ("pod-image-pull-failing", "Pod/nested-pull"), // a .yml file in a subfolder
    ] {
        assert!(
            has_issue(&report, check, root),
            "missing {check} on {root}: {}",
            run.stdout
        );
    }
    // 9 pods, plus the Certificate kept as a dynamic object rather than dropped.
    assert_eq!(report["summary"]["objects_scanned"], 10, "{}", run.stdout);
    assert!(report["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read_to_string(fixture("shapes/single.yaml")).unwrap();
    let run = kubewhy_with_stdin(&["analyze", "-f", "-", "-o", "json"], Some(&text));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(has_issue(
        &run.json(),
        "pod-crash-looping",
        "Pod/single-crash"
    ));
}

#[test]
fn cluster_info_dump_folders_give_issues_with_logs() {
    let run = kubewhy(&["analyze", "-f", &fixture("dump"), "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let issues = report["issues"].as_array().unwrap();
    assert_eq!(
        issues.len(),
        1,
        "two pods of one ReplicaSet are one issue: {}",
        run.stdout
    );
    let issue = &issues[0];
    // The ReplicaSet is not in the dump; its pods' pod-template-hash names the Deployment.
    assert_eq!(issue["root"]["kind"], "Deployment");
    assert_eq!(issue["root"]["name"], "dump-crash");
    assert_eq!(issue["objects"].as_array().unwrap().len(), 2);
    let log = &issue["evidence"]["logs"][0];
    assert_eq!(log["container"], "api");
    let lines: Vec<&str> = log["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        lines.last(),
        Some(&"2026-03-01T10:59:00Z FATAL giving up after 3 attempts")
    );
    assert_eq!(
        lines[log["first_error"].as_u64().unwrap() as usize],
        "2026-03-01T10:59:00Z ERROR connection refused: orders-db:5432"
    );
    assert_eq!(issue["evidence"]["events"][0]["reason"], "BackOff");
}

#[test]
fn malformed_yaml_names_file_and_line_and_keeps_the_rest() {
    let bad = fixture("malformed/bad.yaml");
    let run = kubewhy(&["analyze", "-f", &bad, "-o", "json"]);
    assert_eq!(run.code, 2, "malformed input exits 2");
    assert!(
        run.stderr.contains(&format!("{bad}:36: invalid YAML")),
        "stderr: {}",
        run.stderr
    );
    // The valid document before the broken one is still analyzed and reported.
    let report = run.json();
    assert!(has_issue(
        &report,
        "pod-crash-looping",
        "Pod/before-the-error"
    ));
    assert_eq!(report["warnings"][0]["kind"], "input");
}

#[test]
fn truncated_json_says_so_with_file_and_line() {
    let truncated = fixture("malformed/truncated.json");
    let run = kubewhy(&["analyze", "-f", &truncated]);
    assert_eq!(run.code, 2);
    // The file ends without a newline inside its 29th line.
    let expected = format!("{truncated}:29: invalid JSON: EOF while parsing");
    assert!(run.stderr.contains(&expected), "stderr: {}", run.stderr);
    assert!(run.stderr.contains("truncated"), "stderr: {}", run.stderr);
}

#[test]
fn non_kubernetes_yaml_and_missing_files_are_errors() {
    let run = kubewhy(&["analyze", "-f", &fixture("malformed/notk8s.yaml")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("notk8s.yaml:1: object has no `kind`"),
        "{}",
        run.stderr
    );
    let run = kubewhy(&["analyze", "-f", "does/not/exist.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("does/not/exist.yaml: no such file or folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn output_is_byte_identical_across_runs() {
    let args = [
        "analyze",
        "-f",
        &catalog_fixture(""),
        "-f",
        &fixture("dump"),
        "-o",
        "json",
    ];
    let first = kubewhy(&args);
    let second = kubewhy(&args);
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout);
    let text_args = ["analyze", "-f", &catalog_fixture("")];
    assert_eq!(kubewhy(&text_args).stdout, kubewhy(&text_args).stdout);
}

#[test]
fn exit_codes_follow_fail_on() {
    let shapes = fixture("shapes");
    assert_eq!(kubewhy(&["analyze", "-f", &shapes]).code, 1);
    assert_eq!(
        kubewhy(&["analyze", "-f", &shapes, "--fail-on", "critical"]).code,
        0
    );
    // Filtered down to nothing: exit 0 and says so.
    let none = kubewhy(&["analyze", "-f", &shapes, "--check", "pod-evicted"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.contains("No issues found."), "{}", none.stdout);
    let bad_check = kubewhy(&["analyze", "-f", &shapes, "--check", "pod-crashloop"]);
    assert_eq!(bad_check.code, 2);
    assert!(
        bad_check
            .stderr
            .contains("unknown check or category `pod-crashloop`"),
        "{}",
        bad_check.stderr
    );
    assert_eq!(kubewhy(&["analyze", "--min-severity", "fatal"]).code, 2);
}

#[test]
fn filters_select_checks_and_severities() {
    let fixtures = catalog_fixture("");
    let only = kubewhy(&[
        "analyze",
        "-f",
        &fixtures,
        "--check",
        "pod-oom-killed",
        "-o",
        "json",
    ])
    .json();
    let checks: Vec<&str> = only["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["check"].as_str().unwrap())
        .collect();
    assert!(
        !checks.is_empty() && checks.iter().all(|c| *c == "pod-oom-killed"),
        "{checks:?}"
    );
    let skipped = kubewhy(&[
        "analyze",
        "-f",
        &fixtures,
        "--skip",
        "pod-oom-killed",
        "--min-severity",
        "error",
        "-o",
        "json",
    ])
    .json();
    for issue in skipped["issues"].as_array().unwrap() {
        assert_ne!(issue["check"], "pod-oom-killed");
        assert!(
            issue["severity"] == "error" || issue["severity"] == "critical",
            "{issue}"
        );
    }
}

#[test]
fn text_output_is_plain_when_piped_and_groups_by_namespace() {
    let run = kubewhy(&["analyze", "-f", &fixture("shapes")]);
    assert!(!run.stdout.contains('\u{1b}'), "no colour codes when piped");
    assert!(run.stdout.contains("namespace shop"));
    assert!(
        run.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("ERROR") && l.contains("Pod/single-crash"))
    );
    let coloured = kubewhy(&["analyze", "-f", &fixture("shapes"), "--color", "always"]);
    assert!(
        coloured.stdout.contains('\u{1b}'),
        "--color always colours even when piped"
    );
}

#[test]
fn a_closed_pipe_exits_quietly() {
    use std::{
        io::Read,
        process::{Command, Stdio},
    };
    // Far more output than a pipe buffers, so the writer really meets the closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pods.yaml");
    std::fs::write(&input, crate::support::many_pods(3000, 7)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewhy"))
        .args(["analyze", "-f", input.to_str().unwrap(), "-o", "yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then hang up, like `| head -c1`.
    let mut stdout = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    stdout.read_exact(&mut byte).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        stderr.is_empty(),
        "nothing on stderr after a broken pipe: {stderr}"
    );
    assert_ne!(status.code(), Some(2));
    assert_ne!(status.code(), Some(101), "no panic");
}

#[test]
fn the_catalog_lists_and_explains_every_check() {
    let list = kubewhy(&["checks"]);
    assert_eq!(list.code, 0);
    assert!(list.stdout.lines().count() > 100, "{}", list.stdout);
    assert!(list.stdout.contains("pod-crash-looping") && list.stdout.contains("(off by default)"));
    let one = kubewhy(&["checks", "pod-oom-killed"]);
    assert_eq!(one.code, 0);
    for section in [
        "## What it means",
        "## When it fires",
        "## How to fix",
        "kubectl",
    ] {
        assert!(
            one.stdout.contains(section),
            "{section} missing:\n{}",
            one.stdout
        );
    }
    let unknown = kubewhy(&["checks", "pod-oom"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown check `pod-oom`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn static_checks_judge_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deploy.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:latest\n        securityContext: {privileged: true}\n",
    )
    .unwrap();
    let report = kubewhy(&["analyze", "-f", manifest.to_str().unwrap(), "-o", "json"]).json();
    assert!(
        has_issue(&report, "container-privileged", "Deployment/web"),
        "{report}"
    );
    assert!(
        has_issue(&report, "image-tag-latest", "Deployment/web"),
        "{report}"
    );
    // Off by default: only when named.
    assert!(!has_issue(
        &report,
        "replicas-below-three",
        "Deployment/web"
    ));
    let named = kubewhy(&[
        "analyze",
        "-f",
        manifest.to_str().unwrap(),
        "--check",
        "replicas-below-three",
        "-o",
        "json",
    ])
    .json();
    assert!(
        has_issue(&named, "replicas-below-three", "Deployment/web"),
        "{named}"
    );
}

#[test]
fn generated_clusters_are_reproducible_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen.yaml");
    let path = out.to_str().unwrap();
    assert_eq!(
        kubewhy(&[
            "sim",
            "generate",
            "--pods",
            "200",
            "--failing",
            "0.5",
            "--seed",
            "3",
            "-o",
            path
        ])
        .code,
        0
    );
    let first = std::fs::read_to_string(&out).unwrap();
    let again = kubewhy(&[
        "sim",
        "generate",
        "--pods",
        "200",
        "--failing",
        "0.5",
        "--seed",
        "3",
    ]);
    assert_eq!(again.stdout, first);
    let report = kubewhy(&["analyze", "-f", path, "-o", "json"]).json();
    assert_eq!(report["warnings"].as_array().unwrap().len(), 0);
    assert!(
        report["summary"]["issues"].as_u64().unwrap() > 5,
        "{}",
        report["summary"]
    );
    assert_eq!(
        kubewhy(&["sim", "generate", "--pods", "10", "--failing", "2"]).code,
        2
    );
}
