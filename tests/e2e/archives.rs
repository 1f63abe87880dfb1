//! The archives SREs actually have, through the binary: troubleshoot support bundles, sonobuoy
//! results and must-gathers as folders and as `.tar.gz`; Helm charts; objects written without
//! `kind`; cluster state in `kubectl get` lists; inferred clocks; removed API versions judged
//! by the cluster's release.

use std::{io::Write, path::Path};

use flate2::{Compression, write::GzEncoder};
use serde_json::Value;

use crate::support::{fixture, has_issue, kubewhy};

const BUNDLE: &str = "support-bundle-2026-11-20T09_30_00";

/// A tarball of the fixture folder `archives/name`, under its own name, plus raw `extra` members
/// (written as-is, so that hostile paths get in too).
fn tarball(name: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    tarball_of(&format!("archives/{name}"), extra)
}

fn tarball_of(name: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let dir = fixture(name);
    let top = Path::new(name).file_name().unwrap();
    builder.append_dir_all(top, &dir).unwrap();
    for (path, data) in extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Writes `bytes` as `file` in a fresh temporary folder.
fn temp_file(file: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    (dir, path.display().to_string())
}

fn warnings_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a str> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == kind)
        .map(|w| w["message"].as_str().unwrap())
        .collect()
}

fn issue<'a>(report: &'a Value, check: &str, root: &str) -> &'a Value {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["check"] == check
                && format!(
                    "{}/{}",
                    i["root"]["kind"].as_str().unwrap(),
                    i["root"]["name"].as_str().unwrap()
                ) == root
        })
        .unwrap_or_else(|| panic!("no {check} on {root}: {report}"))
}

fn log_lines(issue: &Value) -> String {
    issue["evidence"]["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["lines"].as_array().unwrap())
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a support bundle should give, read as a folder or as an archive.
fn assert_bundle_report(report: &Value, stdout: &str) {
    let crash = issue(report, "pod-crash-looping", "Deployment/checkout");
    assert!(
        log_lines(crash).contains("FATAL giving up after 3 attempts"),
        "the bundle's pod log is the evidence: {crash}"
    );
    assert!(warnings_of(report, "input").is_empty(), "{stdout}");
    let notes = warnings_of(report, "info");
    let companions: Vec<&&str> = notes
        .iter()
        .filter(|n| n.contains("not Kubernetes objects"))
        .collect();
    assert_eq!(
        companions.len(),
        1,
        "one line for every companion file: {notes:?}"
    );
    assert!(companions[0].contains("skipped 8 files"), "{notes:?}");
    let inferred: Vec<&&str> = notes
        .iter()
        .filter(|n| n.contains("without `kind`"))
        .collect();
    assert_eq!(
        inferred.len(),
        1,
        "one line for the whole bundle: {notes:?}"
    );
    assert!(
        inferred[0].contains("read 6 objects without `kind` in 5 files, taking the kind from the files' paths: 2 Pod, "),
        "{notes:?}"
    );
    let version = &report["source"]["kubernetes_version"];
    assert_eq!(version["version"], "1.25", "{version}");
    assert_eq!(version["from"], "input");
    assert!(
        version["file"]
            .as_str()
            .unwrap()
            .ends_with("cluster-info/cluster_version.json"),
        "{version}"
    );
}

#[test]
fn support_bundles_are_read_as_folders_and_as_archives() {
    let folder = kubewhy(&[
        "analyze",
        "-f",
        &fixture(&format!("archives/{BUNDLE}")),
        "-o",
        "json",
    ]);
    assert_eq!(folder.code, 1, "{}", folder.stderr);
    assert_bundle_report(&folder.json(), &folder.stdout);

    let (_dir, archive) = temp_file("bundle.tar.gz", &gzip(&tarball(BUNDLE, &[])));
    let run = kubewhy(&["analyze", "-f", &archive, "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_bundle_report(&report, &run.stdout);
    let origin = &issue(&report, "pod-crash-looping", "Deployment/checkout")["origin"];
    assert_eq!(origin["file"], archive.as_str(), "{origin}");
    assert!(
        origin["member"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{BUNDLE}/cluster-resources/")),
        "{origin}"
    );
    // The same issues either way.
    let keys = |r: &Value| crate::support::issue_keys(r);
    assert_eq!(keys(&folder.json()), keys(&report));
    // A plain tar and stdin are archives too.
    let (_dir, tar) = temp_file("bundle.tar", &tarball(BUNDLE, &[]));
    assert_eq!(
        keys(&kubewhy(&["analyze", "-f", &tar, "-o", "json"]).json()),
        keys(&report)
    );
}

#[test]
fn dumps_and_single_files_are_read_compressed_too() {
    let keys = |r: &Value| crate::support::issue_keys(r);
    let folder = kubewhy(&["analyze", "-f", &fixture("dump"), "-o", "json"]).json();
    let (_dir, dump) = temp_file("dump.tgz", &gzip(&tarball_of("dump", &[])));
    let run = kubewhy(&["analyze", "-f", &dump, "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(keys(&report), keys(&folder));
    let logs = &report["issues"][0]["evidence"]["logs"];
    assert!(
        !logs.as_array().unwrap().is_empty(),
        "the dump's logs.txt is read from the archive: {report}"
    );
    let pods = std::fs::read(fixture("dump/shop/pods.json")).unwrap();
    let (_dir, gz) = temp_file("pods.json.gz", &gzip(&pods));
    let run = kubewhy(&["analyze", "-f", &gz, "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        has_issue(&run.json(), "pod-crash-looping", "Deployment/dump-crash"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_members_give_one_error_per_file_and_cause_and_the_run_goes_on() {
    let broken: Vec<Value> = (0..30)
        .map(|i| {
            serde_json::json!({
                "metadata": {"name": format!("broken-{i}"), "namespace": "shop"},
                "spec": {"containers": [{"name": "a", "image": "a:1"}]},
                "status": {"phase": "Running", "containerStatuses": [
                    {"name": "a", "image": "a:1", "imageID": "", "ready": true, "restartCount": "many"}]}
            })
        })
        .collect();
    let broken = serde_json::to_vec_pretty(&broken).unwrap();
    let member = format!("{BUNDLE}/cluster-resources/pods/broken.json");
    let tar = tarball(
        BUNDLE,
        &[
            (member.as_str(), &broken),
            ("../escape.yaml", b"kind: Pod\n"),
        ],
    );
    let (_dir, archive) = temp_file("bundle.tgz", &gzip(&tar));
    let run = kubewhy(&["analyze", "-f", &archive]);
    assert_eq!(run.code, 2, "unreadable input exits 2: {}", run.stderr);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 2, "one error per file and cause: {errors:?}");
    assert!(
        errors.iter().any(|e| e.starts_with(&format!("error: {archive}#{member}:1: Pod shop/broken-0: field `status.containerStatuses[0].restartCount`"))
            && e.ends_with("(and 29 more objects in this file)")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains(&format!(
            "{archive}#../escape.yaml: the member's path leaves the archive"
        ))),
        "{errors:?}"
    );
    // What could be read is still reported, and the summary says it reaches --fail-on.
    assert!(run.stdout.contains("Deployment/checkout"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "at or above --fail-on error in what could be read; 2 inputs could not be read"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn sonobuoy_results_are_read_and_their_own_data_skipped_quietly() {
    let run = kubewhy(&["analyze", "-f", &fixture("archives/sonobuoy"), "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    // Killed for memory and restarted: whichever check the issue is shown under.
    let oom = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["root"]["name"] == "web"
                && (i["check"] == "pod-oom-killed" || i["check"] == "pod-crash-looping")
        })
        .unwrap_or_else(|| panic!("no OOM issue on Deployment/web: {report}"));
    assert!(log_lines(oom).contains("heap at 98% of limit"), "{oom}");
    assert!(
        report["warnings"].as_array().unwrap().is_empty(),
        "meta/, plugins/ and hosts/ say nothing: {}",
        report["warnings"]
    );
    assert_eq!(report["source"]["kubernetes_version"]["version"], "1.20");
}

#[test]
fn must_gathers_are_read_with_their_pod_logs() {
    let run = kubewhy(&[
        "analyze",
        "-f",
        &fixture("archives/must-gather.local.5216"),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let crash = issue(&report, "pod-crash-looping", "Deployment/api");
    assert!(
        log_lines(crash).contains("panic: open /etc/api/config.yaml"),
        "{crash}"
    );
    let notes = warnings_of(&report, "info");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("skipped 4 files that are not Kubernetes objects"),
        "{notes:?}"
    );
    assert!(warnings_of(&report, "input").is_empty());
}

#[test]
fn helm_charts_are_skipped_with_one_note() {
    let run = kubewhy(&["analyze", "-f", &fixture("archives/helm")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "templates are not errors: {}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("Nothing could be analysed: the input holds no Kubernetes objects"),
        "{}",
        run.stdout
    );
    let notes: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("note:"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", run.stdout);
    assert!(
        notes[0].contains("helm/web: skipped a Helm chart") && notes[0].contains("helm template"),
        "{notes:?}"
    );
    // `helm package` output, too.
    let (_dir, package) = temp_file("web-0.1.0.tgz", &gzip(&tarball("helm/web", &[])));
    let report = kubewhy(&["analyze", "-f", &package, "-o", "json"]).json();
    let notes = warnings_of(&report, "info");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with(&format!("{package}#web: skipped a Helm chart")),
        "{notes:?}"
    );
}

#[test]
fn objects_without_kind_are_inferred_and_said_so() {
    let run = kubewhy(&["analyze", "-f", &fixture("archives/kindless"), "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert!(
        has_issue(&report, "pod-crash-looping", "Deployment/cart"),
        "{}",
        run.stdout
    );
    assert!(
        has_issue(&report, "pod-image-pull-failing", "Deployment/search"),
        "{}",
        run.stdout
    );
    let notes = warnings_of(&report, "info");
    assert!(
        notes.iter().any(|n| n.ends_with(
            "pods/shop.json: read 1 object without `kind` as Pod (from the file's path)"
        )),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.ends_with(
            "captured/search.json: read 1 object without `kind` as Pod (from its fields)"
        )),
        "{notes:?}"
    );
}

#[test]
fn a_file_with_nothing_readable_never_ends_in_no_issues_found() {
    let settings = fixture("archives/unreadable/settings.json");
    let run = kubewhy(&["analyze", "-f", &settings]);
    assert_eq!(run.code, 2);
    assert!(!run.stdout.contains("No issues found"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "Nothing could be analysed: no Kubernetes object could be read from the input"
        ),
        "{}",
        run.stdout
    );
    let errors: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        errors,
        [format!(
            "error: {settings}:1: object has no `kind`; is this a Kubernetes manifest? (and 2 more objects in this file)"
        )],
    );
}

#[test]
fn cluster_state_lists_are_not_flooded_with_static_checks() {
    let state = fixture("archives/state/deployments.json");
    let report = kubewhy(&["analyze", "-f", &state, "-o", "json"]).json();
    assert!(
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["check"] != "image-tag-latest"),
        "{report}"
    );
    let asked = kubewhy(&[
        "analyze",
        "-f",
        &state,
        "--check",
        "image-tag-latest",
        "-o",
        "json",
    ])
    .json();
    assert_eq!(asked["summary"]["issues"], 6, "{asked}");
}

#[test]
fn an_inferred_clock_is_the_newest_timestamp_of_any_kind_and_says_so() {
    let report = kubewhy(&["analyze", "-f", &fixture("archives/clock"), "-o", "json"]).json();
    // The Deployment's condition is newer than anything the pod or an event says.
    assert_eq!(
        report["source"]["observed_at"], "2026-11-17T08:10:00Z",
        "{}",
        report["source"]
    );
    assert_eq!(report["source"]["observed_at_inferred"], true);
    let demo = kubewhy(&["demo", "-o", "json"]).json();
    assert!(
        demo["source"].get("observed_at_inferred").is_none(),
        "the demo's clock is fixed: {}",
        demo["source"]
    );
    assert_eq!(demo["source"]["kubernetes_version"]["from"], "cluster");
}

#[test]
fn removed_api_versions_are_analysed_as_current_and_judged_by_release() {
    let legacy = fixture("archives/legacy/legacy.yaml");
    let run = |extra: &[&str]| {
        let mut args = vec!["analyze", "-f", legacy.as_str(), "-o", "json"];
        args.extend(extra);
        kubewhy(&args).json()
    };
    let latest = run(&[]);
    // Every check sees the converted objects, and what selects them is not dangling.
    assert!(
        has_issue(&latest, "image-tag-latest", "Deployment/web"),
        "{latest}"
    );
    assert!(
        !has_issue(&latest, "service-selects-no-workload", "Service/web"),
        "{latest}"
    );
    assert!(
        !has_issue(&latest, "ingress-backend-dangling", "Ingress/web"),
        "{latest}"
    );
    for root in [
        "Deployment/web",
        "Ingress/web",
        "CronJob/nightly-report",
        "PodDisruptionBudget/web",
    ] {
        assert!(
            has_issue(&latest, "api-version-removed", root),
            "{root}: {latest}"
        );
    }
    let message = issue(&latest, "api-version-removed", "Deployment/web")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("uses the API version extensions/v1beta1, which Kubernetes 1.16 removed"),
        "{message}"
    );
    assert!(
        message.contains("judged against the latest release"),
        "{message}"
    );
    assert_eq!(latest["source"]["kubernetes_version"]["from"], "latest");

    let old = run(&["--kubernetes-version", "1.20"]);
    assert!(
        has_issue(&old, "api-version-removed", "Deployment/web"),
        "{old}"
    );
    assert!(
        !has_issue(&old, "api-version-removed", "CronJob/nightly-report"),
        "fine on 1.20: {old}"
    );
    assert!(
        !has_issue(&old, "api-version-removed", "Ingress/web"),
        "{old}"
    );
    let new = run(&["--kubernetes-version", "v1.25.3"]);
    let cron = issue(&new, "api-version-removed", "CronJob/nightly-report")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        cron.contains("the cluster runs 1.25 (from --kubernetes-version)"),
        "{cron}"
    );

    // A bundle records its cluster's release, and that wins over the option.
    let bundle = fixture(&format!("archives/{BUNDLE}"));
    let report = kubewhy(&[
        "analyze",
        "-f",
        &bundle,
        "--check",
        "api-version-removed",
        "--kubernetes-version",
        "1.20",
        "-o",
        "json",
    ])
    .json();
    let cron = issue(&report, "api-version-removed", "CronJob/nightly-report")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        cron.contains("the cluster runs 1.25 (as recorded in")
            && cron.contains("cluster_version.json"),
        "{cron}"
    );

    let bad = kubewhy(&["analyze", "-f", &legacy, "--kubernetes-version", "newest"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("`newest` is not a Kubernetes version"),
        "{}",
        bad.stderr
    );
}
