//! What a pseudonym stands for. The category gives the pseudonym its readable prefix (`pod-3`,
//! `namespace-1`, `ip-4`), so that a model can still reason about what it is reading.

use serde::{Deserialize, Serialize};

macro_rules! categories {
    ($($(#[$doc:meta])* $variant:ident => $prefix:literal,)*) => {
        /// What a scrubbed value is. When one string names several things, the category listed
        /// first here wins (a Deployment and its Service usually share a name).
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(rename_all = "kebab-case")]
        pub enum Category {
            $($(#[$doc])* $variant,)*
        }

        impl Category {
            /// Every category, in priority order.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The prefix of this category's pseudonyms: `pod` in `pod-3`.
            #[must_use]
            pub fn prefix(self) -> &'static str {
                match self {
                    $(Category::$variant => $prefix,)*
                }
            }
        }
    };
}

categories! {
    /// A Deployment.
    Deployment => "deployment",
    /// A StatefulSet.
    StatefulSet => "statefulset",
    /// A DaemonSet.
    DaemonSet => "daemonset",
    /// A CronJob.
    CronJob => "cronjob",
    /// A Job.
    Job => "job",
    /// A ReplicationController.
    ReplicationController => "replicationcontroller",
    /// A ReplicaSet.
    ReplicaSet => "replicaset",
    /// A Pod.
    Pod => "pod",
    /// A Service.
    Service => "service",
    /// An Ingress.
    Ingress => "ingress",
    /// An IngressClass.
    IngressClass => "ingressclass",
    /// A ConfigMap.
    ConfigMap => "configmap",
    /// The name of a Secret object (the name, never a value: values are [`Category::Secret`]).
    SecretName => "secretname",
    /// A PersistentVolumeClaim.
    Pvc => "pvc",
    /// A PersistentVolume.
    Pv => "pv",
    /// A ServiceAccount.
    ServiceAccount => "serviceaccount",
    /// A StorageClass.
    StorageClass => "storageclass",
    /// A HorizontalPodAutoscaler.
    Hpa => "hpa",
    /// A PodDisruptionBudget.
    Pdb => "pdb",
    /// A NetworkPolicy.
    NetworkPolicy => "networkpolicy",
    /// A Role.
    Role => "role",
    /// A ClusterRole.
    ClusterRole => "clusterrole",
    /// A RoleBinding.
    RoleBinding => "rolebinding",
    /// A ClusterRoleBinding.
    ClusterRoleBinding => "clusterrolebinding",
    /// An admission webhook or its configuration.
    Webhook => "webhook",
    /// An object of another kind (custom resources).
    Object => "object",
    /// A namespace.
    Namespace => "namespace",
    /// A node.
    Node => "node",
    /// A container.
    Container => "container",
    /// A pod volume.
    Volume => "volume",
    /// A user or group named in a binding.
    User => "user",
    /// A label value.
    Label => "label",
    /// An annotation value.
    Annotation => "annotation",
    /// An environment variable's value (one whose name does not look secret).
    Value => "value",
    /// A name of unknown kind, such as one pulled from evidence.
    Name => "name",
    /// An image repository.
    Image => "image",
    /// The organisation part of an image or code repository.
    Org => "org",
    /// A code repository on a public host.
    Repo => "repo",
    /// An image digest.
    Digest => "digest",
    /// A hostname or FQDN.
    Host => "host",
    /// An IP address.
    Ip => "ip",
    /// A CIDR block.
    Cidr => "cidr",
    /// An email address.
    Email => "email",
    /// An object uid.
    Uid => "uid",
    /// A cloud resource or container id (`i-0abc...`, `containerd://...`).
    Id => "id",
    /// A cloud account id (AWS).
    Account => "account",
    /// A GCP project id.
    Project => "project",
    /// An Azure subscription id.
    Subscription => "subscription",
    /// An Azure resource group.
    ResourceGroup => "resourcegroup",
    /// The resource part of an ARN.
    Resource => "resource",
    /// A value matched by a user pattern from `[scrub] patterns`.
    Custom => "custom",
    /// A credential, token, key or other secret value. Never restored.
    Secret => "secret",
}

impl Category {
    /// Whether the value is a secret: replaced under every policy, never restored.
    #[must_use]
    pub fn is_secret(self) -> bool {
        self == Category::Secret
    }

    /// The category of an object of `kind` (as Kubernetes spells it: `Deployment`).
    #[must_use]
    pub fn of_kind(kind: &str) -> Category {
        match kind {
            "Pod" => Category::Pod,
            "Deployment" => Category::Deployment,
            "ReplicaSet" => Category::ReplicaSet,
            "StatefulSet" => Category::StatefulSet,
            "DaemonSet" => Category::DaemonSet,
            "Job" => Category::Job,
            "CronJob" => Category::CronJob,
            "ReplicationController" => Category::ReplicationController,
            "Service" | "Endpoints" | "EndpointSlice" => Category::Service,
            "Ingress" => Category::Ingress,
            "IngressClass" => Category::IngressClass,
            "ConfigMap" => Category::ConfigMap,
            "Secret" => Category::SecretName,
            "PersistentVolumeClaim" => Category::Pvc,
            "PersistentVolume" => Category::Pv,
            "ServiceAccount" => Category::ServiceAccount,
            "StorageClass" => Category::StorageClass,
            "HorizontalPodAutoscaler" => Category::Hpa,
            "PodDisruptionBudget" => Category::Pdb,
            "NetworkPolicy" => Category::NetworkPolicy,
            "Role" => Category::Role,
            "ClusterRole" => Category::ClusterRole,
            "RoleBinding" => Category::RoleBinding,
            "ClusterRoleBinding" => Category::ClusterRoleBinding,
            "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => Category::Webhook,
            "Namespace" => Category::Namespace,
            "Node" => Category::Node,
            "User" | "Group" => Category::User,
            _ => Category::Object,
        }
    }
}

/// Whether `text` has the shape of a pseudonym (`pod-3`, `deployment-1-pod-2`), whoever
/// issued it.
pub(crate) fn is_pseudonym_shaped(text: &str) -> bool {
    let last = text.as_bytes().last();
    if !last.is_some_and(u8::is_ascii_digit) || !text.contains('-') {
        return false;
    }
    let mut parts = text.split('-');
    let mut pairs = 0;
    while let Some(word) = parts.next() {
        let Some(number) = parts.next() else {
            return false;
        };
        let typed = Category::ALL
            .iter()
            .any(|c| c.prefix().eq_ignore_ascii_case(word));
        if !typed || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        pairs += 1;
    }
    pairs > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonym_shapes() {
        for p in ["pod-3", "Deployment-1-pod-2", "secretname-12"] {
            assert!(is_pseudonym_shaped(p), "{p}");
        }
        for p in ["pod", "pod-x", "web-1", "pod-1-", "checkout-7d4-x2x"] {
            assert!(!is_pseudonym_shaped(p), "{p}");
        }
    }

    #[test]
    fn prefixes_are_distinct_lowercase_words() {
        let mut seen = std::collections::HashSet::new();
        for c in Category::ALL {
            let p = c.prefix();
            assert!(p.bytes().all(|b| b.is_ascii_lowercase()), "{p}");
            assert!(seen.insert(p), "{p} twice");
        }
    }

    #[test]
    fn workloads_outrank_the_services_that_share_their_names() {
        assert!(Category::Deployment < Category::Service);
        assert!(Category::Service < Category::Label);
        assert_eq!(Category::of_kind("Secret"), Category::SecretName);
        assert!(!Category::SecretName.is_secret() && Category::Secret.is_secret());
    }
}
