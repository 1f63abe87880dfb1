//! The deployment files of `deploy/`: the manifests and the Helm chart pass kubewhy's own checks,
//! grant and run with no more than `kubewhy serve` needs, and the Dockerfile builds a non-root
//! image that runs kubewhy. The chart is rendered by a small renderer of the template subset it
//! keeps to, whose output is checked in as `rendered/default.yaml`; `KUBEWHY_BLESS=1` rewrites
//! that file after a change to the chart.

mod chart;

use std::{fs, path::Path};

use serde_yaml_ng::Value;

use crate::support::{kubewhy, repo_path};

const MANIFESTS: &str = "deploy/kubernetes";
const CHART: &str = "deploy/helm/kubewhy";
const RENDERED: &str = "deploy/helm/kubewhy/rendered/default.yaml";

/// The YAML documents of a stream, split at `---` lines, without the empty ones.
fn split_documents(text: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            documents.push(String::new());
        } else if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect()
}

/// Every object of a YAML file, or of the `.yaml` files directly in a folder.
fn objects(relative: &str) -> Vec<Value> {
    let path = repo_path(relative);
    let files: Vec<String> = if Path::new(&path).is_dir() {
        let mut names: Vec<String> = fs::read_dir(&path)
            .expect("the folder is readable")
            .map(|e| e.expect("a folder entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| p.display().to_string())
            .collect();
        names.sort();
        names
    } else {
        vec![path]
    };
    let mut out = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        for document in split_documents(&text) {
            let value: Value = serde_yaml_ng::from_str(&document)
                .unwrap_or_else(|e| panic!("{file}: invalid YAML: {e}"));
            if !value.is_null() {
                out.push(value);
            }
        }
    }
    out
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn only<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found = of_kind(objects, kind);
    assert_eq!(found.len(), 1, "exactly one {kind}: {found:?}");
    found[0]
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// `kubewhy analyze` on a path finds nothing: kubewhy's checks pass on its own deployment.
fn assert_clean(path: &str) {
    let run = kubewhy(&["analyze", "-f", path, "-o", "json"]);
    assert_eq!(run.code, 0, "{path}: {}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["summary"]["issues"], 0, "{path}: {}", run.stdout);
    assert!(
        report["issues"].as_array().is_some_and(Vec::is_empty),
        "{path}: {}",
        run.stdout
    );
    let unread: Vec<&serde_json::Value> = report["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["kind"] == "input")
        .collect();
    assert!(unread.is_empty(), "{path}: {unread:?}");
    assert!(
        report["summary"]["objects_scanned"].as_u64() >= Some(8),
        "{path}: every object is read: {}",
        run.stdout
    );
}

#[test]
fn the_manifests_pass_kubewhys_own_checks() {
    assert_clean(&repo_path(MANIFESTS));
}

#[test]
fn the_rendered_chart_is_checked_in_and_passes_kubewhys_own_checks() {
    let rendered = chart::render(Path::new(&repo_path(CHART)), None, "kubewhy", "kubewhy");
    let path = repo_path(RENDERED);
    if std::env::var_os("KUBEWHY_BLESS").is_some() {
        fs::write(&path, &rendered).expect("the rendered chart is written");
    }
    let checked_in = fs::read_to_string(&path).expect("the rendered chart is checked in");
    assert!(
        rendered == checked_in,
        "{RENDERED} is not what the chart renders to with its default values; rerun with \
         KUBEWHY_BLESS=1 to rewrite it. Rendered:\n{rendered}"
    );
    assert_clean(&path);
}

#[test]
fn the_chart_renders_the_objects_of_the_manifests() {
    // (kind, name) of every object but the Namespace, which Helm leaves to `--create-namespace`.
    let names = |objects: &[Value]| {
        let mut found: Vec<(String, String)> = objects
            .iter()
            .filter(|o| o["kind"] != "Namespace")
            .map(|o| {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (text(&o["kind"]), text(&o["metadata"]["name"]))
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(names(&objects(MANIFESTS)), names(&objects(RENDERED)));
}

/// The deployment reads and never writes: get, list and watch only, and no Secrets.
fn assert_read_only(objects: &[Value], source: &str) {
    let roles = of_kind(objects, "ClusterRole");
    assert!(!roles.is_empty(), "{source}: a ClusterRole");
    for role in roles {
        for rule in role["rules"].as_sequence().expect("rules") {
            for verb in strings(&rule["verbs"]) {
                assert!(
                    ["get", "list", "watch"].contains(&verb),
                    "{source}: verb {verb} in {rule:?}"
                );
            }
            let resources = strings(&rule["resources"]);
            assert!(!resources.contains(&"secrets"), "{source}: {rule:?}");
            assert!(!resources.contains(&"*"), "{source}: {rule:?}");
            assert!(
                !strings(&rule["apiGroups"]).contains(&"*"),
                "{source}: {rule:?}"
            );
        }
    }
    let binding = only(objects, "ClusterRoleBinding");
    let role = &only(objects, "ClusterRole")["metadata"]["name"];
    assert_eq!(&binding["roleRef"]["name"], role, "{source}");
    let account = only(objects, "ServiceAccount");
    let subject = &binding["subjects"][0];
    assert_eq!(subject["kind"], "ServiceAccount", "{source}");
    assert_eq!(subject["name"], account["metadata"]["name"], "{source}");
    assert_eq!(
        subject["namespace"], account["metadata"]["namespace"],
        "{source}"
    );
}

#[test]
fn kubewhy_is_granted_reads_only_and_no_secrets() {
    assert_read_only(&objects(MANIFESTS), MANIFESTS);
    assert_read_only(&objects(RENDERED), RENDERED);
}

#[test]
fn reading_secrets_is_an_opt_in_outside_the_manifests_folder() {
    let optional = objects("deploy/optional/secrets-read.yaml");
    let role = only(&optional, "ClusterRole");
    assert_eq!(role["rules"][0]["resources"], Value::from(vec!["secrets"]));
    assert_eq!(role["rules"][0]["verbs"], Value::from(vec!["list"]));
    let text = fs::read_to_string(repo_path("deploy/optional/secrets-read.yaml"))
        .expect("the opt-in file");
    assert!(
        text.contains("FULL READ OF EVERY SECRET'S VALUES"),
        "the header says what it grants"
    );
    // The chart's opt-in renders the same grant.
    let chart_dir = repo_path(CHART);
    let mut values: Value = serde_yaml_ng::from_str(
        &fs::read_to_string(Path::new(&chart_dir).join("values.yaml")).expect("values.yaml"),
    )
    .expect("values.yaml is YAML");
    values["secrets"]["read"] = Value::Bool(true);
    let rendered = chart::render(Path::new(&chart_dir), Some(values), "kubewhy", "kubewhy");
    let opted_in: Vec<Value> = split_documents(&rendered)
        .iter()
        .map(|d| serde_yaml_ng::from_str(d).expect("rendered YAML"))
        .collect();
    let granted = of_kind(&opted_in, "ClusterRole")
        .into_iter()
        .find(|r| r["metadata"]["name"] == "kubewhy-secrets-read")
        .expect("secrets.read adds a ClusterRole");
    assert_eq!(granted["rules"], role["rules"]);
    assert_eq!(of_kind(&opted_in, "ClusterRoleBinding").len(), 2);
}

/// One replica, never two side by side, as a non-root user without privileges.
fn assert_runs_confined(deployment: &Value, source: &str) {
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"].as_u64(), Some(1), "{source}");
    assert_eq!(spec["strategy"]["type"], "Recreate", "{source}");
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], true, "{source}");
    let pod_context = &pod["securityContext"];
    assert_eq!(pod_context["runAsNonRoot"], true, "{source}");
    for field in ["runAsUser", "runAsGroup", "fsGroup"] {
        assert!(
            pod_context[field].as_u64().is_some_and(|id| id > 0),
            "{source}: a numeric non-root {field}: {pod_context:?}"
        );
    }
    assert_eq!(
        pod_context["seccompProfile"]["type"], "RuntimeDefault",
        "{source}"
    );
    let containers = pod["containers"].as_sequence().expect("containers");
    for container in containers {
        let context = &container["securityContext"];
        assert_eq!(context["runAsNonRoot"], true, "{source}");
        assert_eq!(context["readOnlyRootFilesystem"], true, "{source}");
        assert_eq!(context["allowPrivilegeEscalation"], false, "{source}");
        assert!(
            strings(&context["capabilities"]["drop"]).contains(&"ALL"),
            "{source}"
        );
        assert_eq!(
            context["seccompProfile"]["type"], "RuntimeDefault",
            "{source}"
        );
        let image = container["image"].as_str().expect("an image");
        let tag = image
            .rsplit('/')
            .next()
            .and_then(|last| last.split_once(':'));
        assert!(
            tag.is_some_and(|(_, tag)| !tag.is_empty() && tag != "latest"),
            "{source}: {image} is pinned by tag"
        );
        for (kind, resource) in [
            ("requests", "cpu"),
            ("requests", "memory"),
            ("limits", "cpu"),
            ("limits", "memory"),
        ] {
            assert!(
                !container["resources"][kind][resource].is_null(),
                "{source}: {kind}.{resource}"
            );
        }
    }
}

/// Probes on /healthz and /readyz, the claim at /var/lib/kubewhy, /tmp writable, and the Slack
/// keys as files that only their owner may read, named by `*_FILE` variables.
fn assert_serves(deployment: &Value, objects: &[Value], source: &str) {
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path, "{source}");
        assert_eq!(
            container[probe]["httpGet"]["port"].as_u64(),
            Some(8080),
            "{source}"
        );
    }
    let args = strings(&container["args"]);
    assert_eq!(args.first(), Some(&"serve"), "{source}: {args:?}");
    assert!(
        args.windows(2).any(|w| w == ["--listen", "0.0.0.0:8080"]),
        "{source}"
    );
    assert!(
        args.windows(2)
            .any(|w| w == ["--state-dir", "/var/lib/kubewhy"]),
        "{source}"
    );
    let volumes = pod["volumes"].as_sequence().expect("volumes");
    let mount_of = |volume: &Value| {
        container["volumeMounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|m| m["name"] == volume["name"])
            .map(|m| m["mountPath"].as_str().unwrap_or_default().to_owned())
    };
    let claim = only(objects, "PersistentVolumeClaim");
    let state = volumes
        .iter()
        .find(|v| v["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"])
        .expect("the claim is a volume");
    assert_eq!(
        mount_of(state).as_deref(),
        Some("/var/lib/kubewhy"),
        "{source}"
    );
    let tmp = volumes
        .iter()
        .find(|v| !v["emptyDir"].is_null())
        .expect("an emptyDir");
    assert_eq!(mount_of(tmp).as_deref(), Some("/tmp"), "{source}");
    let secret_mounts: Vec<String> = volumes
        .iter()
        .filter(|v| !v["secret"].is_null())
        .map(|v| {
            // 0400: kubewhy refuses key files that others may read.
            assert_eq!(
                v["secret"]["defaultMode"].as_u64(),
                Some(0o400),
                "{source}: {v:?}"
            );
            mount_of(v).expect("each Secret volume is mounted")
        })
        .collect();
    assert!(
        !secret_mounts.is_empty(),
        "{source}: the Slack Secret is mounted"
    );
    let env = container["env"].as_sequence().expect("env");
    for name in ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"] {
        assert!(
            !env.iter().any(|e| e["name"] == name),
            "{source}: {name} as a value"
        );
        let file = env
            .iter()
            .find(|e| e["name"] == format!("{name}_FILE").as_str())
            .and_then(|e| e["value"].as_str())
            .unwrap_or_else(|| panic!("{source}: {name}_FILE"));
        assert!(
            secret_mounts
                .iter()
                .any(|m| file.starts_with(&format!("{m}/"))),
            "{source}: {file} is in a mounted Secret"
        );
    }
}

#[test]
fn the_server_runs_once_confined_and_reads_its_keys_from_files() {
    for source in [MANIFESTS, RENDERED] {
        let all = objects(source);
        let deployment = only(&all, "Deployment");
        assert_runs_confined(deployment, source);
        assert_serves(deployment, &all, source);
        let service = only(&all, "Service");
        assert_eq!(service["spec"]["type"], "ClusterIP", "{source}");
        assert_eq!(
            service["spec"]["ports"][0]["port"].as_u64(),
            Some(80),
            "{source}"
        );
    }
}

fn ports(rules: &Value) -> Vec<u64> {
    rules
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|rule| {
            let ports = rule["ports"].as_sequence();
            assert!(
                ports.is_some_and(|p| !p.is_empty()),
                "a rule for any port: {rule:?}"
            );
            ports
                .into_iter()
                .flatten()
                .map(|p| p["port"].as_u64().expect("a port number"))
        })
        .collect()
}

#[test]
fn the_network_policy_lets_in_8080_and_out_dns_and_https_only() {
    for source in [MANIFESTS, RENDERED] {
        let all = objects(source);
        let policy = only(&all, "NetworkPolicy");
        let spec = &policy["spec"];
        let selected = &only(&all, "Deployment")["spec"]["template"]["metadata"]["labels"];
        let selector = spec["podSelector"]["matchLabels"]
            .as_mapping()
            .expect("matchLabels");
        for (key, value) in selector {
            assert_eq!(&selected[key.as_str().expect("a label")], value, "{source}");
        }
        assert_eq!(
            strings(&spec["policyTypes"]),
            ["Ingress", "Egress"],
            "{source}"
        );
        assert_eq!(ports(&spec["ingress"]), [8080], "{source}");
        let egress = ports(&spec["egress"]);
        assert!(!egress.is_empty(), "{source}");
        for port in egress {
            assert!(
                [53, 443, 6443].contains(&port),
                "{source}: egress to {port}"
            );
        }
    }
}

/// The instructions of a Dockerfile, with continuation lines joined: `(FROM, rust:... AS build)`.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(start) = line.strip_suffix('\\') {
            pending.push_str(start);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let whole = std::mem::take(&mut pending);
        if let Some((instruction, rest)) = whole.split_once(char::is_whitespace) {
            out.push((instruction.to_ascii_uppercase(), rest.trim().to_owned()));
        }
    }
    out
}

#[test]
fn the_image_builds_in_two_stages_and_runs_kubewhy_as_a_numeric_non_root_user() {
    let text = fs::read_to_string(repo_path("deploy/Dockerfile")).expect("the Dockerfile");
    let instructions = instructions(&text);
    let of = |name: &str| {
        instructions
            .iter()
            .filter(|(i, _)| i == name)
            .map(|(_, rest)| rest.as_str())
            .collect::<Vec<&str>>()
    };
    let stages = of("FROM");
    assert!(
        stages.len() >= 2,
        "a build stage and a runtime stage: {stages:?}"
    );
    for stage in &stages {
        let image = stage
            .split_whitespace()
            .find(|w| !w.starts_with("--"))
            .expect("an image");
        let tag = image
            .rsplit('/')
            .next()
            .and_then(|last| last.split_once(':'));
        assert!(
            tag.is_some_and(|(_, tag)| tag != "latest") || image.contains('@'),
            "{image} is pinned"
        );
    }
    assert!(!text.contains(":latest"), "no latest tag");
    assert!(stages[0].starts_with("rust:"), "{}", stages[0]);
    let build = of("RUN").join(" ");
    for flag in ["cargo build", "--release", "--locked", "-p kubewhy-cli"] {
        assert!(build.contains(flag), "the build runs {flag}: {build}");
    }
    let user = *of("USER").last().expect("a USER");
    for id in user.split(':') {
        let id: u32 = id
            .parse()
            .unwrap_or_else(|_| panic!("USER {user} is numeric"));
        assert!(id > 0, "USER {user} is not root");
    }
    assert_eq!(of("EXPOSE"), ["8080"]);
    let entrypoint: Vec<String> =
        serde_json::from_str(of("ENTRYPOINT").last().expect("an ENTRYPOINT")).expect("exec form");
    assert!(entrypoint[0].ends_with("/kubewhy"), "{entrypoint:?}");
    let command: Vec<String> =
        serde_json::from_str(of("CMD").last().expect("a CMD")).expect("exec form");
    assert_eq!(command, ["serve", "--listen", "0.0.0.0:8080"]);
    let ignored = fs::read_to_string(repo_path(".dockerignore")).expect("a .dockerignore");
    let ignored: Vec<&str> = ignored.lines().map(str::trim).collect();
    assert!(
        ignored.contains(&"target/") && ignored.contains(&".git/"),
        "{ignored:?}"
    );
}

#[test]
fn the_charts_values_hold_the_settings_and_create_no_secret() {
    let documents = objects(&format!("{CHART}/values.yaml"));
    let values = &documents[0];
    for key in [
        "image",
        "backend",
        "slack",
        "watch",
        "notify",
        "secrets",
        "resources",
    ] {
        assert!(!values[key].is_null(), "values.yaml has {key}");
    }
    assert_eq!(
        values["secrets"]["read"], false,
        "reading Secrets is an opt-in"
    );
    assert_ne!(values["image"]["tag"], "latest");
    // The Slack keys are in a Secret the chart refers to and never writes.
    assert!(values["slack"]["existingSecret"].is_string());
    assert!(of_kind(&objects(RENDERED), "Secret").is_empty());
}
