//! `-o text|json|yaml|markdown|sarif` on the demo, as snapshots, and SARIF that validates: against
//! the SARIF 2.1.0 JSON schema and with the SARIF SDK's multitool. `.ci/sarif-tools.sh` installs
//! the validators; the tests find them through `KUBEWHY_PYTHON` (a Python with `jsonschema`),
//! `KUBEWHY_SARIF_SCHEMA` and `KUBEWHY_SARIF_MULTITOOL`, or where that script puts them.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use serde_json::Value;

use crate::support::{Run, isolated, kubewhy};

#[test]
fn the_demo_renders_in_every_format() {
    for format in ["text", "json", "yaml", "markdown", "sarif"] {
        let run = kubewhy(&["demo", "-o", format, "--color", "never"]);
        assert_eq!(run.code, 1, "-o {format}: {}", run.stderr);
        let stdout = if format == "sarif" {
            stable_sarif(&run.stdout)
        } else {
            run.stdout
        };
        insta::assert_snapshot!(format!("demo_{format}"), stdout);
    }
}

#[test]
fn markdown_and_text_show_the_fix_and_the_log_tail() {
    let markdown = kubewhy(&["demo", "-o", "markdown"]).stdout;
    assert!(markdown.starts_with("# kubewhy report\n"), "{markdown}");
    assert!(markdown.contains("| **Total** | **"), "{markdown}");
    let checkout = markdown
        .split("\n### ")
        .find(|section| section.contains("`shop/Deployment/checkout`"))
        .expect("the checkout crash loop has a section");
    assert!(checkout.contains("```text\n"), "{checkout}");
    assert!(checkout.contains("OperationalError"), "{checkout}");
    let report = kubewhy(&["demo", "-o", "json"]).json();
    let fixes: Vec<&str> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["fix"].as_str())
        .collect();
    let text = kubewhy(&["demo", "--color", "never"]).stdout;
    for fix in fixes {
        assert!(markdown.contains(fix), "markdown lacks the fix {fix}");
        assert!(
            text.contains(&format!("fix: {fix}")),
            "text lacks the fix {fix}"
        );
    }
}

#[test]
fn demo_sarif_is_valid_with_one_result_per_issue() {
    let sarif = kubewhy(&["demo", "-o", "sarif"]);
    let json = kubewhy(&["demo", "-o", "json"]);
    check_sarif("demo", &sarif, &json);
}

#[test]
fn manifest_sarif_is_valid_with_one_result_per_issue() {
    // Run from the repository root with relative paths, as CI does, so that file locations are
    // relative URIs.
    for folder in ["analyzers/fixtures", "tests/fixtures"] {
        let sarif = kubewhy_in_repo(&["analyze", "-f", folder, "-o", "sarif"]);
        let json = kubewhy_in_repo(&["analyze", "-f", folder, "-o", "json"]);
        check_sarif(folder, &sarif, &json);
    }
}

#[test]
fn sarif_locations_of_every_shape_are_valid() {
    use kubewhy_model::{
        Category, CheckId, Evidence, Fingerprint, Issue, ObjectRef, Origin, Report, Severity,
        SourceInfo, SourceKind,
    };
    use kubewhy_report::Renderer as _;
    let issue = |name: &str, file: &str, member: Option<&str>| {
        let root = ObjectRef::new("apps/v1", "Deployment", Some("shop"), name);
        Issue {
            fingerprint: Fingerprint::new(&root, CheckId("pod-crash-looping"), name),
            check: CheckId("pod-crash-looping"),
            severity: Severity::Error,
            category: Category::Reliability,
            title: "Container is crash looping".into(),
            message: format!("{name} crashes"),
            objects: vec![root.clone()],
            root,
            related: Vec::new(),
            evidence: Evidence::default(),
            fix: None,
            origin: Some(Origin {
                file: file.into(),
                member: member.map(Into::into),
                line: 7,
            }),
            merged_checks: Vec::new(),
            caused_by: Vec::new(),
            chain: Vec::new(),
            explanation: None,
            cluster: None,
        }
    };
    let issues = vec![
        issue("plain", "deploy/shop.yaml", None),
        issue("odd", "deploy/my shop#1 (copy).yaml", None),
        issue("outside", "/srv/manifests/shop.yaml", None),
        issue(
            "member",
            "dumps/bundle.tar.gz",
            Some("cluster-resources/pods/shop.json"),
        ),
        issue("stdin", "<stdin>", None),
    ];
    let source = SourceInfo {
        kind: SourceKind::Files,
        context: None,
        server: None,
        observed_at: None,
        observed_at_inferred: false,
        kubernetes_version: None,
    };
    let report = Report::new(source, issues, Vec::new(), 5);
    let mut out = Vec::new();
    kubewhy_report::Sarif::relative_to("/srv/checkout")
        .render(&report, &mut out)
        .unwrap();
    let log: Value = serde_json::from_slice(&out).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    // Standard input is no file.
    let physical = results
        .iter()
        .filter(|r| r["locations"][0].get("physicalLocation").is_some())
        .count();
    assert_eq!(physical, 4, "{log:#}");
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locations.sarif");
    std::fs::write(&path, &out).unwrap();
    tools.validate_with_schema("locations", &path);
    tools.validate_with_multitool("locations", &path, dir.path());
}

/// Asserts that `sarif` has one result per issue of `json`, then validates it.
fn check_sarif(what: &str, sarif: &Run, json: &Run) {
    assert_ne!(sarif.stdout, "", "{what}: no SARIF: {}", sarif.stderr);
    let log: Value = serde_json::from_str(&sarif.stdout)
        .unwrap_or_else(|e| panic!("{what}: SARIF is not JSON ({e}):\n{}", sarif.stdout));
    let issues = json.json()["issues"].as_array().unwrap().clone();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!issues.is_empty(), "{what}: no issues");
    assert_eq!(results.len(), issues.len(), "{what}: one result per issue");
    for (result, issue) in results.iter().zip(&issues) {
        assert_eq!(result["ruleId"], issue["check"], "{what}");
        assert_eq!(
            result["partialFingerprints"]["kubewhyFingerprint/v1"], issue["fingerprint"],
            "{what}"
        );
        let logical = &result["locations"][0]["logicalLocations"][0];
        assert_eq!(logical["name"], issue["root"]["name"], "{what}");
        if let Some(origin) = issue.get("origin") {
            let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            let file = origin["file"].as_str().unwrap();
            assert!(
                uri.as_str().is_some_and(|uri| uri.starts_with(file)),
                "{what}: {uri} is not {file}"
            );
        }
    }
    let Some(tools) = Tools::find() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}.sarif", what.replace('/', "-")));
    std::fs::write(&path, &sarif.stdout).unwrap();
    tools.validate_with_schema(what, &path);
    tools.validate_with_multitool(what, &path, dir.path());
}

/// The validators, or `None` (after a note) when one is missing outside CI.
struct Tools {
    python: PathBuf,
    schema: PathBuf,
    multitool: PathBuf,
}

impl Tools {
    fn find() -> Option<Self> {
        let cache =
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kubewhy");
        let package = cache.join("npm/node_modules/@microsoft/sarif-multitool-linux");
        let from_env = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let tools = Self {
            python: from_env("KUBEWHY_PYTHON").unwrap_or_else(|| cache.join("venv/bin/python")),
            schema: from_env("KUBEWHY_SARIF_SCHEMA")
                .unwrap_or_else(|| package.join("sarif-2.1.0.json")),
            multitool: from_env("KUBEWHY_SARIF_MULTITOOL")
                .unwrap_or_else(|| package.join("Sarif.Multitool")),
        };
        let mut missing = Vec::new();
        if !tools.schema.is_file() {
            missing.push(format!("the SARIF schema {}", tools.schema.display()));
        }
        if !tools.multitool.is_file() {
            missing.push(format!("the SARIF multitool {}", tools.multitool.display()));
        }
        if !has_jsonschema(&tools.python) {
            missing.push(format!(
                "a Python with jsonschema at {}",
                tools.python.display()
            ));
        }
        if missing.is_empty() {
            return Some(tools);
        }
        let note = format!(
            "SARIF validation needs {}: run `bash .ci/sarif-tools.sh FILE` and source FILE \
             (or set KUBEWHY_PYTHON, KUBEWHY_SARIF_SCHEMA and KUBEWHY_SARIF_MULTITOOL)",
            missing.join(", ")
        );
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "{note}"
        );
        eprintln!("note: skipping SARIF validation. {note}");
        None
    }

    /// Validates against the schema with the JSON Schema draft that its `$schema` names.
    fn validate_with_schema(&self, what: &str, sarif: &Path) {
        let out = Command::new(&self.python)
            .args(["-c", VALIDATE_PY])
            .arg(&self.schema)
            .arg(sarif)
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{what}: SARIF does not match {}:\n{stdout}{}",
            self.schema.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("draft 2020-12"), "{what}: {stdout}");
    }

    /// `Sarif.Multitool validate`: the schema plus the SDK's rules; no result may be an error.
    /// It exits 0 whatever it finds, so its own SARIF report is read.
    fn validate_with_multitool(&self, what: &str, sarif: &Path, dir: &Path) {
        let report = dir.join("validation.sarif");
        let out = Command::new(&self.multitool)
            .arg("validate")
            .arg(sarif)
            .arg("--output")
            .arg(&report)
            .args(["--level", "Error;Warning;Note"])
            // Validation needs no culture data, so a machine without ICU can run it.
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .stdin(Stdio::null())
            .output()
            .expect("the SARIF multitool runs");
        let console = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "{what}: the multitool failed:\n{console}"
        );
        let text = std::fs::read_to_string(&report)
            .unwrap_or_else(|e| panic!("{what}: the multitool wrote no report ({e}):\n{console}"));
        let validation: Value = serde_json::from_str(&text).unwrap();
        let results: Vec<&Value> = validation["runs"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|run| run["results"].as_array().into_iter().flatten())
            .collect();
        // A log it cannot read gets no result at all, not even the notes every log gets.
        assert!(
            !results.is_empty(),
            "{what}: the multitool did not read the log:\n{console}"
        );
        // A result without a level is a warning.
        let level = |r: &Value| r["level"].as_str().unwrap_or("warning").to_owned();
        let errors: Vec<&str> = console.lines().filter(|l| l.contains(": error ")).collect();
        assert!(
            errors.is_empty() && !results.iter().any(|r| level(r) == "error"),
            "{what}: the multitool reports errors:\n{}",
            errors.join("\n")
        );
        for line in console.lines().filter(|l| l.contains(": warning ")) {
            eprintln!("{what}: {line}");
        }
    }
}

fn has_jsonschema(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import jsonschema"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Prints the draft it validated with, then every error, and exits 1 on any.
const VALIDATE_PY: &str = r#"
import json, sys
from jsonschema import validators
schema = json.load(open(sys.argv[1], encoding="utf-8"))
log = json.load(open(sys.argv[2], encoding="utf-8"))
cls = validators.validator_for(schema, default=None)
if cls is None:
    sys.exit(f"no validator for {schema.get('$schema')}")
cls.check_schema(schema)
print("validating with draft", cls.META_SCHEMA["$schema"].split("/draft/")[-1].split("/")[0])
errors = list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(log))
for e in errors[:20]:
    print("/" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
"#;

/// `kubewhy` run from the repository root.
fn kubewhy_in_repo(args: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = isolated(&std::env::temp_dir(), args)
        .current_dir(root)
        .output()
        .expect("the kubewhy binary runs");
    Run::from(out)
}

/// The SARIF log with the tool's version and each rule's help (the whole catalog entry, checked
/// by the report crate's tests) replaced, so that a release or an edit of the catalog does not
/// change the snapshot.
fn stable_sarif(sarif: &str) -> String {
    let mut log: Value = serde_json::from_str(sarif).unwrap();
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    for rule in driver["rules"].as_array_mut().unwrap() {
        let id = rule["id"].as_str().unwrap().to_owned();
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## How to fix"),
            "{id}: {}",
            rule["help"]
        );
        rule["help"] = serde_json::json!({
            "text": format!("[analyzers/{id}.md]"),
            "markdown": format!("[analyzers/{id}.md]"),
        });
    }
    serde_json::to_string_pretty(&log).unwrap() + "\n"
}
