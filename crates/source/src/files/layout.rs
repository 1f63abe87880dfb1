//! What each file of a folder or archive is, by where it sits. Besides manifests and
//! `kubectl cluster-info dump` folders, SREs receive troubleshoot support bundles
//! (`cluster-resources/`), sonobuoy results (`resources/`, `podlogs/`) and OpenShift
//! must-gathers (`namespaces/`, `cluster-scoped-resources/`). Each holds objects, pod logs in
//! its own layout, sometimes the cluster's version, and files that are not Kubernetes objects at
//! all; Helm charts hold templates, which are not manifests either.

use std::path::Path;

use kubewhy_model::LogTarget;

use super::{infer, logs};

/// What one file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// Objects (or `kubectl cluster-info dump` log blocks) to parse, with the kind the path
    /// suggests for objects written without one.
    Objects(Option<infer::Hint>),
    /// One container's log, as a file of its own.
    Log(LogTarget),
    /// A record of the cluster's version.
    Version,
    /// Not a Kubernetes object (collector output, discovery data, analysis results): counted in
    /// one line.
    Companion,
    /// Skipped without a word: files a folder walk never reads, and sonobuoy's own data.
    Ignored,
    /// Inside the Helm chart at this folder.
    Chart(String),
}

/// The layouts found in one folder or archive: each as the prefix of the paths it covers (empty,
/// or ending with `/`).
#[derive(Debug, Default)]
pub(crate) struct Layout {
    charts: Vec<String>,
    bundles: Vec<String>,
    sonobuoy: Vec<String>,
    must_gathers: Vec<String>,
}

/// The prefix of `path` before its segment `marker`, when it has one.
fn prefix_before<'a>(path: &'a str, marker: &str) -> Option<&'a str> {
    if path.starts_with(&format!("{marker}/")) {
        return Some("");
    }
    let at = path.find(&format!("/{marker}/"))?;
    Some(&path[..=at])
}

fn push_unique(list: &mut Vec<String>, prefix: &str) {
    if !list.iter().any(|p| p == prefix) {
        list.push(prefix.to_owned());
    }
}

impl Layout {
    /// Finds the layouts among `paths` (`/`-separated, relative to the folder or archive).
    pub(crate) fn detect<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut layout = Self::default();
        for path in paths {
            if let Some(dir) = path.strip_suffix("Chart.yaml")
                && (dir.is_empty() || dir.ends_with('/'))
            {
                push_unique(&mut layout.charts, dir);
            }
            if let Some(prefix) = prefix_before(path, "cluster-resources") {
                push_unique(&mut layout.bundles, prefix);
            }
            for marker in ["resources/ns", "resources/cluster", "podlogs"] {
                if let Some(prefix) = prefix_before(path, marker) {
                    push_unique(&mut layout.sonobuoy, prefix);
                }
            }
            if let Some(prefix) = prefix_before(path, "cluster-scoped-resources") {
                push_unique(&mut layout.must_gathers, prefix);
            }
            if let Some(prefix) = prefix_before(path, "namespaces")
                && must_gather_namespace(&path[prefix.len()..])
            {
                push_unique(&mut layout.must_gathers, prefix);
            }
        }
        // The longest prefix first, so nested layouts win over the ones around them.
        for list in [
            &mut layout.charts,
            &mut layout.bundles,
            &mut layout.sonobuoy,
            &mut layout.must_gathers,
        ] {
            list.sort_by_key(|p| std::cmp::Reverse(p.len()));
        }
        layout
    }

    /// What the file at `path` is.
    pub(crate) fn role(&self, path: &str) -> Role {
        let within = |list: &[String]| {
            list.iter()
                .find(|p| path.starts_with(p.as_str()))
                .map(|p| &path[p.len()..])
        };
        if let Some(chart) = self.charts.iter().find(|p| path.starts_with(p.as_str())) {
            return Role::Chart(chart.trim_end_matches('/').to_owned());
        }
        if let Some(rest) = within(&self.bundles) {
            return bundle(rest);
        }
        if let Some(rest) = within(&self.sonobuoy) {
            return sonobuoy(rest);
        }
        if let Some(rest) = within(&self.must_gathers) {
            return must_gather(rest);
        }
        plain(path)
    }
}

/// `namespaces/NS/NS.yaml` or `namespaces/NS/core/...`, as must-gather writes them.
fn must_gather_namespace(rest: &str) -> bool {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["namespaces", ns, file] => *file == format!("{ns}.yaml"),
        ["namespaces", _, "core", ..] => true,
        _ => false,
    }
}

fn is_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".json", ".yaml", ".yml"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// A log target from its parts; `-previous` in the file's stem marks a crashed instance.
fn log_target(namespace: &str, pod: &str, container_file: &str, ext: &str) -> Option<Role> {
    let stem = container_file.strip_suffix(ext)?;
    let (container, previous) = match stem.strip_suffix("-previous") {
        Some(container) => (container, true),
        None => (stem, false),
    };
    (!container.is_empty()).then(|| {
        Role::Log(LogTarget {
            namespace: namespace.to_owned(),
            pod: pod.to_owned(),
            container: container.to_owned(),
            previous,
        })
    })
}

/// troubleshoot: `cluster-resources/<kind>/<ns>.json` or `cluster-resources/<kind>.json`, pod
/// logs under `cluster-resources/pods/logs/<ns>/<pod>/<container>.log`, the version in
/// `cluster-info/cluster_version.json`; everything else is collector output.
fn bundle(rest: &str) -> Role {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["cluster-info", "cluster_version.json"] => Role::Version,
        ["cluster-resources", "pods", "logs", ns, pod, file] => {
            log_target(ns, pod, file, ".log").unwrap_or(Role::Companion)
        }
        [
            "cluster-resources",
            "auth-cani-list" | "image-pull-secrets",
            ..,
        ]
        | ["cluster-resources", "groups.json" | "resources.json"] => Role::Companion,
        ["cluster-resources", .., file] if file.ends_with("-errors.json") => Role::Companion,
        ["cluster-resources", first, ..] if is_manifest(rest) => {
            let hint = if *first == "custom-resources" {
                None
            } else {
                infer::by_name(first)
            };
            Role::Objects(hint)
        }
        _ => Role::Companion,
    }
}

/// sonobuoy: `resources/cluster/<Kind>.json`, `resources/ns/<ns>/<Kind>.json`, pod logs under
/// `podlogs/<ns>/<pod>/logs/<container>.txt`, the version in `serverversion.json`; the rest
/// (`meta/`, `plugins/`, `hosts/`) is sonobuoy's own.
fn sonobuoy(rest: &str) -> Role {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["serverversion.json"] | ["serverversion", "serverversion.json"] => Role::Version,
        ["resources", "cluster", file] | ["resources", "ns", _, file] if is_manifest(file) => {
            Role::Objects(infer::by_name(file))
        }
        ["podlogs", ns, pod, "logs", file] => {
            log_target(ns, pod, file, ".txt").unwrap_or(Role::Ignored)
        }
        _ => Role::Ignored,
    }
}

/// must-gather: `namespaces/<ns>/<group>/<kind>.yaml`, `namespaces/<ns>/pods/<pod>/<pod>.yaml`,
/// `cluster-scoped-resources/<group>/<kind>[/<name>].yaml`, pod logs under
/// `namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log`.
fn must_gather(rest: &str) -> Role {
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["namespaces", ns, "pods", pod, container, _, "logs", file] => {
            let previous = file.starts_with("previous");
            let log = Path::new(file)
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("log"));
            if log && (previous || file.starts_with("current")) {
                Role::Log(LogTarget {
                    namespace: (*ns).to_owned(),
                    pod: (*pod).to_owned(),
                    container: (*container).to_owned(),
                    previous,
                })
            } else {
                Role::Companion
            }
        }
        ["namespaces", _, "pods", _, file] if is_manifest(file) => {
            Role::Objects(infer::by_name("pods"))
        }
        ["namespaces", ns, file] if *file == format!("{ns}.yaml") => {
            Role::Objects(infer::by_name("namespaces"))
        }
        ["namespaces", _, _group, file] if is_manifest(file) => Role::Objects(infer::by_name(file)),
        ["cluster-scoped-resources", _group, file] if is_manifest(file) => {
            Role::Objects(infer::by_name(file))
        }
        ["cluster-scoped-resources", _group, kind, file] if is_manifest(file) => {
            Role::Objects(infer::by_name(kind))
        }
        _ => Role::Companion,
    }
}

/// Anything else: what `kubectl apply -f DIR` reads, `kubectl cluster-info dump` logs, and pod
/// logs laid out as troubleshoot lays them (a bundle's `cluster-resources` folder given alone).
fn plain(path: &str) -> Role {
    let parts: Vec<&str> = path.split('/').collect();
    if let [.., "pods", "logs", ns, pod, file] = parts.as_slice()
        && let Some(log) = log_target(ns, pod, file, ".log")
    {
        return log;
    }
    let name = parts.last().copied().unwrap_or("");
    if is_manifest(name) || logs::is_log_file(name) {
        Role::Objects(infer::by_path(path))
    } else {
        Role::Ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(paths: &[&str]) -> Vec<Role> {
        let layout = Layout::detect(paths.iter().copied());
        paths.iter().map(|p| layout.role(p)).collect()
    }

    fn kind(role: &Role) -> Option<&'static str> {
        match role {
            Role::Objects(hint) => hint.map(|h| h.kind),
            _ => None,
        }
    }

    #[test]
    fn support_bundles() {
        let r = roles(&[
            "support-bundle-1/cluster-resources/pods/shop.json",
            "support-bundle-1/cluster-resources/pods/logs/shop/web-1/api-previous.log",
            "support-bundle-1/cluster-resources/nodes.json",
            "support-bundle-1/cluster-resources/auth-cani-list/shop.json",
            "support-bundle-1/cluster-resources/pods-errors.json",
            "support-bundle-1/cluster-info/cluster_version.json",
            "support-bundle-1/version.yaml",
            "support-bundle-1/cluster-resources/custom-resources/certificates.cert-manager.io/shop.yaml",
        ]);
        assert_eq!(kind(&r[0]), Some("Pod"));
        let Role::Log(target) = &r[1] else {
            panic!("{:?}", r[1])
        };
        assert_eq!((target.container.as_str(), target.previous), ("api", true));
        assert_eq!(kind(&r[2]), Some("Node"));
        assert_eq!(&r[3..5], [Role::Companion, Role::Companion]);
        assert_eq!(r[5], Role::Version);
        assert_eq!(r[6], Role::Companion);
        assert_eq!(r[7], Role::Objects(None));
    }

    #[test]
    fn sonobuoy_and_must_gather() {
        let r = roles(&[
            "resources/ns/shop/core_v1_pods.json",
            "podlogs/shop/web-1/logs/api.txt",
            "meta/config.json",
            "serverversion.json",
        ]);
        assert_eq!(kind(&r[0]), Some("Pod"));
        assert!(matches!(&r[1], Role::Log(t) if t.container == "api" && !t.previous));
        assert_eq!(r[2], Role::Ignored);
        assert_eq!(r[3], Role::Version);
        let r = roles(&[
            "mg/namespaces/shop/shop.yaml",
            "mg/namespaces/shop/apps/deployments.yaml",
            "mg/namespaces/shop/pods/web-1/api/api/logs/previous.log",
            "mg/cluster-scoped-resources/core/nodes/node-1.yaml",
            "mg/host_service_logs/masters/kubelet_service.log",
        ]);
        assert_eq!(kind(&r[0]), Some("Namespace"));
        assert_eq!(kind(&r[1]), Some("Deployment"));
        assert!(matches!(&r[2], Role::Log(t) if t.pod == "web-1" && t.previous));
        assert_eq!(kind(&r[3]), Some("Node"));
        assert_eq!(r[4], Role::Companion);
    }

    #[test]
    fn charts_and_plain_folders() {
        let r = roles(&[
            "web/Chart.yaml",
            "web/templates/deploy.yaml",
            "deploy.yaml",
            "README.md",
        ]);
        assert_eq!(r[1], Role::Chart("web".into()));
        assert_eq!(r[2], Role::Objects(None));
        assert_eq!(r[3], Role::Ignored);
    }
}
