//! The one table of object kinds kubewhy reads as typed objects. Everything that must handle
//! every kind (the snapshot's stores, the file parser, the live lister, the simulator) expands
//! this table through [`for_each_kind!`], so adding a kind is one line here.

/// Calls `$m! { field: Type, ... }` with every typed kind. Anything not listed here is kept as a
/// dynamic object.
#[macro_export]
macro_rules! for_each_kind {
    ($m:ident) => {
        $m! {
            pods: $crate::k8s::core::v1::Pod,
            events: $crate::k8s::core::v1::Event,
            nodes: $crate::k8s::core::v1::Node,
            namespaces: $crate::k8s::core::v1::Namespace,
            services: $crate::k8s::core::v1::Service,
            endpoints: $crate::k8s::core::v1::Endpoints,
            replication_controllers: $crate::k8s::core::v1::ReplicationController,
            config_maps: $crate::k8s::core::v1::ConfigMap,
            secrets: $crate::SecretMeta,
            persistent_volume_claims: $crate::k8s::core::v1::PersistentVolumeClaim,
            persistent_volumes: $crate::k8s::core::v1::PersistentVolume,
            service_accounts: $crate::k8s::core::v1::ServiceAccount,
            deployments: $crate::k8s::apps::v1::Deployment,
            replica_sets: $crate::k8s::apps::v1::ReplicaSet,
            stateful_sets: $crate::k8s::apps::v1::StatefulSet,
            daemon_sets: $crate::k8s::apps::v1::DaemonSet,
            jobs: $crate::k8s::batch::v1::Job,
            cron_jobs: $crate::k8s::batch::v1::CronJob,
            ingresses: $crate::k8s::networking::v1::Ingress,
            ingress_classes: $crate::k8s::networking::v1::IngressClass,
            network_policies: $crate::k8s::networking::v1::NetworkPolicy,
            endpoint_slices: $crate::k8s::discovery::v1::EndpointSlice,
            storage_classes: $crate::k8s::storage::v1::StorageClass,
            horizontal_pod_autoscalers: $crate::k8s::autoscaling::v2::HorizontalPodAutoscaler,
            pod_disruption_budgets: $crate::k8s::policy::v1::PodDisruptionBudget,
            validating_webhook_configurations:
                $crate::k8s::admissionregistration::v1::ValidatingWebhookConfiguration,
            mutating_webhook_configurations:
                $crate::k8s::admissionregistration::v1::MutatingWebhookConfiguration,
            roles: $crate::k8s::rbac::v1::Role,
            cluster_roles: $crate::k8s::rbac::v1::ClusterRole,
            role_bindings: $crate::k8s::rbac::v1::RoleBinding,
            cluster_role_bindings: $crate::k8s::rbac::v1::ClusterRoleBinding,
        }
    };
}
