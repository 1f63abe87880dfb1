//! Kind names as kubectl accepts them: `Deployment`, `deployment`, `deployments`, `deploy`,
//! `deployments.apps`, `deployment.v1.apps`. k9s hands plugins the plural.

use k8s_openapi::Resource;

/// A kind kubewhy reads as a typed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindName {
    /// `Deployment`.
    pub kind: &'static str,
    /// `apps/v1`.
    pub api_version: &'static str,
    /// `deployments`.
    pub plural: &'static str,
    /// `apps`; empty for the core group.
    pub group: &'static str,
    /// Whether objects of the kind live in namespaces.
    pub namespaced: bool,
}

/// kubectl's short names.
const SHORT: &[(&str, &str)] = &[
    ("po", "Pod"),
    ("ev", "Event"),
    ("no", "Node"),
    ("ns", "Namespace"),
    ("svc", "Service"),
    ("ep", "Endpoints"),
    ("rc", "ReplicationController"),
    ("cm", "ConfigMap"),
    ("pvc", "PersistentVolumeClaim"),
    ("pv", "PersistentVolume"),
    ("sa", "ServiceAccount"),
    ("deploy", "Deployment"),
    ("rs", "ReplicaSet"),
    ("sts", "StatefulSet"),
    ("ds", "DaemonSet"),
    ("cj", "CronJob"),
    ("ing", "Ingress"),
    ("netpol", "NetworkPolicy"),
    ("sc", "StorageClass"),
    ("hpa", "HorizontalPodAutoscaler"),
    ("pdb", "PodDisruptionBudget"),
];

macro_rules! define_kind_names {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Every typed kind.
        #[must_use]
        pub fn kind_names() -> Vec<KindName> {
            vec![$(KindName {
                kind: <$ty as Resource>::KIND,
                api_version: <$ty as Resource>::API_VERSION,
                plural: <$ty as Resource>::URL_PATH_SEGMENT,
                group: <$ty as Resource>::GROUP,
                namespaced: <$ty as crate::live::Namespaced>::NAMESPACED,
            },)*]
        }
    };
}

crate::for_each_kind!(define_kind_names);

/// Resolves a kind as a user or k9s writes it; `None` when it names no kind kubewhy reads.
#[must_use]
pub fn resolve_kind(text: &str) -> Option<KindName> {
    let lower = text.to_ascii_lowercase();
    let names = kind_names();
    let (name, group) = match lower.split_once('.') {
        Some((name, rest)) => {
            // `deployment.v1.apps` or `deployments.apps`.
            let group = rest
                .split_once('.')
                .filter(|(v, _)| {
                    v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit())
                })
                .map_or(rest, |(_, g)| g);
            (name.to_owned(), Some(group.to_owned()))
        }
        None => (lower.clone(), None),
    };
    let kind = SHORT
        .iter()
        .find(|(short, _)| *short == name)
        .map(|(_, kind)| *kind);
    names.into_iter().find(|k| {
        let by_name =
            kind == Some(k.kind) || k.kind.eq_ignore_ascii_case(&name) || k.plural == name;
        let in_group = group
            .as_deref()
            .is_none_or(|g| g == k.group || (g == "core" && k.group.is_empty()));
        by_name && in_group
    })
}

#[cfg(test)]
mod tests {
    use super::resolve_kind;

    #[test]
    fn every_kubectl_form_resolves() {
        for text in [
            "Deployment",
            "deployment",
            "deployments",
            "deploy",
            "deployments.apps",
            "deployment.v1.apps",
        ] {
            assert_eq!(
                resolve_kind(text).map(|k| k.kind),
                Some("Deployment"),
                "{text}"
            );
        }
        assert_eq!(resolve_kind("po").map(|k| k.kind), Some("Pod"));
        assert_eq!(resolve_kind("pods").map(|k| k.api_version), Some("v1"));
        assert_eq!(
            resolve_kind("ingresses.networking.k8s.io").map(|k| k.kind),
            Some("Ingress")
        );
        assert_eq!(resolve_kind("deployments.batch"), None);
        assert_eq!(resolve_kind("widgets"), None);
    }
}
