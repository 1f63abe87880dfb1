//! What each kind refers to beyond its metadata: workloads' pod templates and selectors,
//! Services and their DNS names, Ingress hosts and backends, HPA targets, webhook services,
//! storage, RBAC subjects, endpoints, nodes and events.

use kubewhy_source::Snapshot;
use kubewhy_source::k8s::core::v1::{ObjectReference, Pod};
use kubewhy_source::k8s::networking::v1::IngressBackend;
use kubewhy_source::meta::LabelSelector;

use super::{DictionaryBuilder, collect, image, pod};
use crate::Category;

pub(super) fn collect(b: &mut DictionaryBuilder, s: &Snapshot) {
    for p in &s.pods {
        pod_names(b, p);
    }
    workloads(b, s);
    services(b, s);
    ingresses(b, s);
    for hpa in &s.horizontal_pod_autoscalers {
        let target = &hpa.spec.scale_target_ref;
        b.add(&target.name, Category::of_kind(&target.kind));
    }
    webhooks(b, s);
    storage(b, s);
    rbac(b, s);
    endpoints(b, s);
    nodes(b, s);
    events(b, s);
    for pdb in &s.pod_disruption_budgets {
        selector(b, pdb.spec.as_ref().and_then(|p| p.selector.as_ref()));
    }
    for policy in &s.network_policies {
        selector(
            b,
            policy.spec.as_ref().and_then(|p| p.pod_selector.as_ref()),
        );
    }
    for sa in &s.service_accounts {
        for secret in sa.secrets.iter().flatten() {
            b.add(secret.name.as_deref().unwrap_or(""), Category::SecretName);
        }
        for secret in sa.image_pull_secrets.iter().flatten() {
            b.add(&secret.name, Category::SecretName);
        }
    }
}

fn pod_names(b: &mut DictionaryBuilder, p: &Pod) {
    if let Some(spec) = &p.spec {
        pod::spec_names(b, spec);
    }
    let Some(status) = &p.status else { return };
    if let Some(node) = &status.nominated_node_name {
        b.add(node, Category::Node);
    }
    let statuses = [
        &status.container_statuses,
        &status.init_container_statuses,
        &status.ephemeral_container_statuses,
    ];
    for c in statuses.into_iter().flatten().flatten() {
        collect::container_name(b, &c.name);
        image::register(b, &c.image);
        image::register(b, &c.image_id);
    }
}

fn selector(b: &mut DictionaryBuilder, selector: Option<&LabelSelector>) {
    let Some(selector) = selector else { return };
    collect::labels(
        b,
        selector
            .match_labels
            .iter()
            .flatten()
            .map(|(_, v)| v.as_str()),
    );
    for expression in selector.match_expressions.iter().flatten() {
        collect::labels(b, expression.values.iter().flatten().map(String::as_str));
    }
}

fn workloads(b: &mut DictionaryBuilder, s: &Snapshot) {
    for d in s.deployments.iter().map(|d| &d.spec) {
        selector(b, Some(&d.selector));
        pod::template(b, &d.template);
    }
    for r in s.replica_sets.iter().map(|r| &r.spec) {
        selector(b, Some(&r.selector));
        if let Some(t) = &r.template {
            pod::template(b, t);
        }
    }
    for d in s.daemon_sets.iter().map(|d| &d.spec) {
        selector(b, Some(&d.selector));
        pod::template(b, &d.template);
    }
    for set in &s.stateful_sets {
        let spec = &set.spec;
        selector(b, Some(&spec.selector));
        pod::template(b, &spec.template);
        if let Some(service) = &spec.service_name {
            let ns = set.metadata.namespace.as_deref().unwrap_or("");
            b.service(service, ns);
        }
        for claim in spec.volume_claim_templates.iter().flatten() {
            b.add(claim.metadata.name.as_deref().unwrap_or(""), Category::Pvc);
            let class = claim
                .spec
                .as_ref()
                .and_then(|c| c.storage_class_name.as_ref());
            b.add(class.map_or("", String::as_str), Category::StorageClass);
        }
    }
    for job in s.jobs.iter().filter_map(|j| j.spec.as_ref()) {
        pod::template(b, &job.template);
    }
    for cron in s.cron_jobs.iter().map(|c| &c.spec) {
        if let Some(job) = &cron.job_template.spec {
            pod::template(b, &job.template);
        }
    }
    for rc in s
        .replication_controllers
        .iter()
        .filter_map(|r| r.spec.as_ref())
    {
        collect::labels(b, rc.selector.iter().flatten().map(|(_, v)| v.as_str()));
        if let Some(t) = &rc.template {
            pod::template(b, t);
        }
    }
}

fn services(b: &mut DictionaryBuilder, s: &Snapshot) {
    for service in &s.services {
        let name = service.metadata.name.as_deref().unwrap_or("");
        let ns = service.metadata.namespace.as_deref().unwrap_or("");
        b.service(name, ns);
        if let Some(spec) = &service.spec {
            collect::labels(b, spec.selector.iter().flatten().map(|(_, v)| v.as_str()));
            if let Some(external) = &spec.external_name {
                b.add(external, Category::Host);
            }
        }
        let balancers = service
            .status
            .iter()
            .filter_map(|st| st.load_balancer.as_ref())
            .flat_map(|lb| lb.ingress.iter().flatten());
        for lb in balancers {
            b.add(lb.hostname.as_deref().unwrap_or(""), Category::Host);
        }
    }
}

fn ingresses(b: &mut DictionaryBuilder, s: &Snapshot) {
    for ingress in &s.ingresses {
        let ns = ingress.metadata.namespace.as_deref().unwrap_or("");
        if let Some(spec) = &ingress.spec {
            if let Some(class) = &spec.ingress_class_name {
                b.add(class, Category::IngressClass);
            }
            if let Some(backend) = &spec.default_backend {
                backend_names(b, backend, ns);
            }
            for rule in spec.rules.iter().flatten() {
                host(b, rule.host.as_deref());
                let paths = rule.http.iter().flat_map(|h| h.paths.iter());
                for path in paths {
                    backend_names(b, &path.backend, ns);
                }
            }
            for tls in spec.tls.iter().flatten() {
                b.add(
                    tls.secret_name.as_deref().unwrap_or(""),
                    Category::SecretName,
                );
                for h in tls.hosts.iter().flatten() {
                    host(b, Some(h));
                }
            }
        }
        let balancers = ingress
            .status
            .iter()
            .filter_map(|st| st.load_balancer.as_ref())
            .flat_map(|lb| lb.ingress.iter().flatten());
        for lb in balancers {
            host(b, lb.hostname.as_deref());
        }
    }
}

fn host(b: &mut DictionaryBuilder, host: Option<&str>) {
    if let Some(h) = host {
        // A wildcard host names its domain.
        b.add(h.strip_prefix("*.").unwrap_or(h), Category::Host);
    }
}

fn backend_names(b: &mut DictionaryBuilder, backend: &IngressBackend, ns: &str) {
    if let Some(service) = &backend.service {
        b.service(&service.name, ns);
    }
    if let Some(resource) = &backend.resource {
        b.add(&resource.name, Category::of_kind(&resource.kind));
    }
}

fn webhooks(b: &mut DictionaryBuilder, s: &Snapshot) {
    let validating = s
        .validating_webhook_configurations
        .iter()
        .flat_map(|c| c.webhooks.iter().flatten())
        .map(|w| (&w.name, &w.client_config));
    let mutating = s
        .mutating_webhook_configurations
        .iter()
        .flat_map(|c| c.webhooks.iter().flatten())
        .map(|w| (&w.name, &w.client_config));
    for (name, client) in validating.chain(mutating) {
        b.add(name, Category::Webhook);
        if let Some(service) = &client.service {
            b.service(&service.name, &service.namespace);
        }
        if let Some(url) = &client.url {
            let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or(authority);
            b.add(host.split(':').next().unwrap_or(host), Category::Host);
        }
    }
}

fn storage(b: &mut DictionaryBuilder, s: &Snapshot) {
    for claim in s
        .persistent_volume_claims
        .iter()
        .filter_map(|c| c.spec.as_ref())
    {
        b.add(
            claim.storage_class_name.as_deref().unwrap_or(""),
            Category::StorageClass,
        );
        b.add(claim.volume_name.as_deref().unwrap_or(""), Category::Pv);
        if let Some(source) = &claim.data_source {
            b.add(&source.name, Category::of_kind(&source.kind));
        }
    }
    for volume in s.persistent_volumes.iter().filter_map(|v| v.spec.as_ref()) {
        b.add(
            volume.storage_class_name.as_deref().unwrap_or(""),
            Category::StorageClass,
        );
        if let Some(claim) = &volume.claim_ref {
            object_reference(b, claim, Category::Pvc);
        }
        if let Some(csi) = &volume.csi {
            b.add(&csi.volume_handle, Category::Id);
            let refs = [
                &csi.node_publish_secret_ref,
                &csi.node_stage_secret_ref,
                &csi.controller_publish_secret_ref,
                &csi.controller_expand_secret_ref,
                &csi.node_expand_secret_ref,
            ];
            for secret in refs.into_iter().flatten() {
                b.add(secret.name.as_deref().unwrap_or(""), Category::SecretName);
            }
        }
        if let Some(nfs) = &volume.nfs {
            b.add(&nfs.server, Category::Host);
        }
    }
}

fn rbac(b: &mut DictionaryBuilder, s: &Snapshot) {
    let bindings = s
        .role_bindings
        .iter()
        .map(|r| (&r.role_ref, &r.subjects))
        .chain(
            s.cluster_role_bindings
                .iter()
                .map(|r| (&r.role_ref, &r.subjects)),
        );
    for (role, subjects) in bindings {
        b.add(&role.name, Category::of_kind(&role.kind));
        for subject in subjects.iter().flatten() {
            b.add(&subject.name, Category::of_kind(&subject.kind));
            b.add(
                subject.namespace.as_deref().unwrap_or(""),
                Category::Namespace,
            );
        }
    }
}

fn endpoints(b: &mut DictionaryBuilder, s: &Snapshot) {
    let addresses = s
        .endpoints
        .iter()
        .flat_map(|e| e.subsets.iter().flatten())
        .flat_map(|subset| {
            subset
                .addresses
                .iter()
                .flatten()
                .chain(subset.not_ready_addresses.iter().flatten())
        });
    for address in addresses {
        b.add(address.node_name.as_deref().unwrap_or(""), Category::Node);
        b.add(address.hostname.as_deref().unwrap_or(""), Category::Name);
        if let Some(target) = &address.target_ref {
            object_reference(b, target, Category::Name);
        }
    }
    for endpoint in s
        .endpoint_slices
        .iter()
        .flat_map(|e| e.endpoints.iter().flatten())
    {
        b.add(endpoint.node_name.as_deref().unwrap_or(""), Category::Node);
        b.add(endpoint.hostname.as_deref().unwrap_or(""), Category::Name);
        if let Some(target) = &endpoint.target_ref {
            object_reference(b, target, Category::Name);
        }
    }
}

fn nodes(b: &mut DictionaryBuilder, s: &Snapshot) {
    for node in &s.nodes {
        if let Some(provider) = node.spec.as_ref().and_then(|n| n.provider_id.as_ref()) {
            // `aws:///us-east-1a/i-0abc...`: the instance id is the last segment.
            let id = provider.rsplit('/').next().unwrap_or(provider);
            b.add(id, Category::Id);
        }
        let addresses = node
            .status
            .iter()
            .flat_map(|st| st.addresses.iter().flatten());
        for address in addresses {
            if matches!(
                address.type_.as_str(),
                "Hostname" | "InternalDNS" | "ExternalDNS"
            ) {
                b.add(&address.address, Category::Host);
            }
        }
    }
}

fn events(b: &mut DictionaryBuilder, s: &Snapshot) {
    for event in &s.events {
        object_reference(b, &event.involved_object, Category::Name);
        if let Some(related) = &event.related {
            object_reference(b, related, Category::Name);
        }
        if let Some(host) = event.source.as_ref().and_then(|src| src.host.as_ref()) {
            b.add(host, Category::Node);
        }
    }
}

fn object_reference(b: &mut DictionaryBuilder, r: &ObjectReference, default: Category) {
    let category = r.kind.as_deref().map_or(default, Category::of_kind);
    b.add(r.name.as_deref().unwrap_or(""), category);
    b.add(r.namespace.as_deref().unwrap_or(""), Category::Namespace);
}
