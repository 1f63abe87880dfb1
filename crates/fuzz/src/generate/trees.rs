//! The trees SREs receive: support bundles, sonobuoy results, must-gathers, `kubectl
//! cluster-info dump` folders, Helm charts and folders of manifests. A tree travels through the
//! fuzzer as one text, its files separated by `#@ PATH` lines ([`join_entries`]), so that byte
//! mutations reach both the paths and the contents.

use fastrand::Rng;
use serde_json::json;

use super::{NAMES, document, objects, pick};

/// One file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The `/`-separated path in the tree.
    pub path: String,
    /// The content.
    pub content: Vec<u8>,
}

const MARK: &[u8] = b"#@ ";

/// The files of a tree as one text.
#[must_use]
pub fn join_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(MARK);
        out.extend_from_slice(e.path.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&e.content);
        if !e.content.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// The files of a tree back from one text; bytes before the first `#@` line are a file named
/// `manifest.yaml`.
#[must_use]
pub fn split_entries(bytes: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut current = Entry {
        path: "manifest.yaml".to_owned(),
        content: Vec::new(),
    };
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if let Some(path) = line.strip_prefix(MARK) {
            if !current.content.is_empty() || !entries.is_empty() || current.path != "manifest.yaml"
            {
                entries.push(current);
            }
            let path = String::from_utf8_lossy(path).trim_end().to_owned();
            current = Entry {
                path,
                content: Vec::new(),
            };
        } else {
            current.content.extend_from_slice(line);
        }
    }
    entries.push(current);
    entries
}

/// The text of a few objects in one of the shapes users pass.
fn objects_text(rng: &mut Rng) -> Vec<u8> {
    let o = objects(rng);
    document(rng, &o).into_bytes()
}

/// A tree of one of the layouts kubewhy recognises.
#[allow(clippy::too_many_lines)] // One table of layouts, easier to read whole.
pub fn tree(rng: &mut Rng) -> Vec<Entry> {
    let ns = pick(rng, &NAMES[..6]);
    let pod = pick(rng, NAMES);
    let kind = pick(
        rng,
        &[
            "pods",
            "deployments",
            "services",
            "events",
            "nodes",
            "replicasets",
            "secrets",
            "configmaps",
            "custom-resources",
        ],
    );
    let log = b"2024-06-01T12:00:00Z panic: dial tcp 10.0.0.9:5432: connect: connection refused\n"
        .to_vec();
    let version = json!({ "info": { "major": "1", "minor": "29", "gitVersion": pick(rng, &["v1.29.3", "v1.19", "vX", ""]) }, "string": "v1.29.3" });
    let mut paths: Vec<(String, Vec<u8>)> = match rng.u8(0..7) {
        0 => vec![
            (
                format!("cluster-resources/{kind}/{ns}.json"),
                objects_text(rng),
            ),
            (format!("cluster-resources/{kind}.json"), objects_text(rng)),
            (
                format!("cluster-resources/pods/logs/{ns}/{pod}/app.log"),
                log.clone(),
            ),
            (
                format!("cluster-resources/pods/logs/{ns}/{pod}/app-previous.log"),
                log,
            ),
            (
                "cluster-info/cluster_version.json".into(),
                version.to_string().into_bytes(),
            ),
            (
                "cluster-resources/auth-cani-list/x.json".into(),
                b"{}".to_vec(),
            ),
            (
                format!("cluster-resources/{kind}-errors.json"),
                b"[\"forbidden\"]".to_vec(),
            ),
        ],
        1 => vec![
            (
                format!(
                    "resources/ns/{ns}/{}.json",
                    pick(rng, &["pods", "Pod", "deployments", "apps_v1_deployments"])
                ),
                objects_text(rng),
            ),
            ("resources/cluster/nodes.json".into(), objects_text(rng)),
            (format!("podlogs/{ns}/{pod}/logs/app.txt"), log),
            (
                "serverversion.json".into(),
                json!({ "major": "1", "minor": "2x" })
                    .to_string()
                    .into_bytes(),
            ),
            ("meta/config.json".into(), b"{}".to_vec()),
        ],
        2 => vec![
            (format!("namespaces/{ns}/core/pods.yaml"), objects_text(rng)),
            (format!("namespaces/{ns}/{ns}.yaml"), objects_text(rng)),
            (
                format!("namespaces/{ns}/pods/{pod}/{pod}.yaml"),
                objects_text(rng),
            ),
            (
                format!("namespaces/{ns}/pods/{pod}/app/app/logs/current.log"),
                log.clone(),
            ),
            (
                format!("namespaces/{ns}/pods/{pod}/app/app/logs/previous.log"),
                log,
            ),
            (
                "cluster-scoped-resources/core/nodes/node-a.yaml".into(),
                objects_text(rng),
            ),
            (
                "cluster-scoped-resources/storage.k8s.io/storageclasses.yaml".into(),
                objects_text(rng),
            ),
        ],
        3 => vec![
            (format!("{ns}/pods.json"), objects_text(rng)),
            (format!("{ns}/events.json"), objects_text(rng)),
            (format!("{ns}/{pod}/logs.txt"), log.clone()),
            (format!("{ns}/{pod}/logs-previous.txt"), log),
            ("nodes.json".into(), objects_text(rng)),
        ],
        4 => vec![
            ("Chart.yaml".into(), b"apiVersion: v2\nname: web\n".to_vec()),
            (
                "templates/deployment.yaml".into(),
                b"kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n".to_vec(),
            ),
            ("rendered/all.yaml".into(), objects_text(rng)),
        ],
        5 => vec![
            (
                "bundle/cluster-resources/pods/default.json".into(),
                objects_text(rng),
            ),
            (
                "bundle/must/namespaces/shop/core/pods.yaml".into(),
                objects_text(rng),
            ),
            (".hidden/pods.json".into(), objects_text(rng)),
            ("._pods.json".into(), b"\0\x05\x16\x07".to_vec()),
        ],
        _ => vec![
            ("a.yaml".into(), objects_text(rng)),
            ("sub/b.json".into(), objects_text(rng)),
            ("sub/deeper/c.yml".into(), objects_text(rng)),
            ("README.md".into(), b"# not read\n".to_vec()),
        ],
    };
    if rng.u8(0..4) == 0 {
        paths.push(("../escape.yaml".into(), b"kind: Pod\n".to_vec()));
    }
    rng.shuffle(&mut paths);
    paths.truncate(rng.usize(1..=paths.len()));
    paths
        .into_iter()
        .map(|(path, content)| Entry { path, content })
        .collect()
}
