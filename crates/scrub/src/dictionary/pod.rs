//! The names a pod spec refers to: containers and their images, env values and the Secrets and
//! ConfigMaps they read, volumes and their sources, image pull secrets, the service account and
//! the node. Pod templates of workloads are read the same way.

use kubewhy_source::k8s::core::v1::{
    Container, EnvFromSource, EnvVar, EphemeralContainer, PodSpec, PodTemplateSpec, Volume,
};

use super::{DictionaryBuilder, collect, image};
use crate::Category;
use crate::detect::{key_looks_secret, value_is_placeholder};

/// Env var names whose values are secrets even when the generic rule would not say so.
const SECRET_SEGMENTS: &[&str] = &[
    "KEY",
    "PASS",
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "PWD",
    "CREDENTIALS",
    "AUTH",
    "PRIVATE",
    "DSN",
    "SALT",
    "SIGNING",
    "WEBHOOK",
];

/// A pod template: its labels and its spec.
pub(super) fn template(b: &mut DictionaryBuilder, template: &PodTemplateSpec) {
    if let Some(meta) = &template.metadata {
        collect::labels(b, meta.labels.iter().flatten().map(|(_, v)| v.as_str()));
    }
    if let Some(spec) = &template.spec {
        spec_names(b, spec);
    }
}

/// Everything a pod spec names.
pub(super) fn spec_names(b: &mut DictionaryBuilder, spec: &PodSpec) {
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        container(b, c);
    }
    for c in spec.ephemeral_containers.iter().flatten() {
        ephemeral(b, c);
    }
    for volume in spec.volumes.iter().flatten() {
        volume_names(b, volume);
    }
    for secret in spec.image_pull_secrets.iter().flatten() {
        b.add(&secret.name, Category::SecretName);
    }
    let service_accounts = [&spec.service_account_name, &spec.service_account];
    for sa in service_accounts.into_iter().flatten() {
        b.add(sa, Category::ServiceAccount);
    }
    if let Some(node) = &spec.node_name {
        b.add(node, Category::Node);
    }
    collect::labels(
        b,
        spec.node_selector.iter().flatten().map(|(_, v)| v.as_str()),
    );
    let objects = [
        &spec.priority_class_name,
        &spec.runtime_class_name,
        &spec.hostname,
    ];
    for name in objects.into_iter().flatten() {
        b.add(name, Category::Object);
    }
    if let Some(subdomain) = &spec.subdomain {
        b.add(subdomain, Category::Service);
    }
}

fn container(b: &mut DictionaryBuilder, c: &Container) {
    collect::container_name(b, &c.name);
    if let Some(image) = &c.image {
        image::register(b, image);
    }
    env(b, c.env.as_deref(), c.env_from.as_deref());
}

fn ephemeral(b: &mut DictionaryBuilder, c: &EphemeralContainer) {
    collect::container_name(b, &c.name);
    if let Some(image) = &c.image {
        image::register(b, image);
    }
    env(b, c.env.as_deref(), c.env_from.as_deref());
}

fn env(b: &mut DictionaryBuilder, env: Option<&[EnvVar]>, env_from: Option<&[EnvFromSource]>) {
    for var in env.into_iter().flatten() {
        if let Some(from) = &var.value_from {
            if let Some(s) = &from.secret_key_ref {
                b.add(&s.name, Category::SecretName);
            }
            if let Some(c) = &from.config_map_key_ref {
                b.add(&c.name, Category::ConfigMap);
            }
        }
        if let Some(value) = &var.value {
            env_value(b, &var.name, value);
        }
    }
    for source in env_from.into_iter().flatten() {
        if let Some(s) = &source.secret_ref {
            b.add(&s.name, Category::SecretName);
        }
        if let Some(c) = &source.config_map_ref {
            b.add(&c.name, Category::ConfigMap);
        }
    }
}

/// An env value is a secret when its name looks secret; otherwise it is a value, and its
/// host-like tokens are hosts.
pub(super) fn env_value(b: &mut DictionaryBuilder, name: &str, value: &str) {
    if b.env_name_is_secret(name, env_name_looks_secret) {
        if b.contains(value) || !value_is_placeholder(value) {
            b.add(value, Category::Secret);
        }
        return;
    }
    // A value seen before was classified then (pods repeat their template's env).
    if !b.first_look(value) || value.trim().is_empty() || value_is_placeholder(value) {
        return;
    }
    // A value that holds a secret (a URL with credentials, a random key under an innocent
    // name) is still safe as a name: the detectors run over every text, and a secret they find
    // swallows any name it overlaps.
    collect::free_value(b, value, Category::Value);
}

fn env_name_looks_secret(name: &str) -> bool {
    key_looks_secret(name)
        || name
            .split(['_', '-', '.'])
            .any(|segment| SECRET_SEGMENTS.contains(&segment.to_ascii_uppercase().as_str()))
}

fn volume_names(b: &mut DictionaryBuilder, volume: &Volume) {
    if !crate::vocab::vocabulary().is_weak_word(&volume.name) {
        b.add(&volume.name, Category::Volume);
    }
    if let Some(name) = volume.secret.as_ref().and_then(|s| s.secret_name.as_ref()) {
        b.add(name, Category::SecretName);
    }
    if let Some(cm) = &volume.config_map {
        b.add(&cm.name, Category::ConfigMap);
    }
    if let Some(pvc) = &volume.persistent_volume_claim {
        b.add(&pvc.claim_name, Category::Pvc);
    }
    for source in volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
    {
        if let Some(s) = &source.secret {
            b.add(&s.name, Category::SecretName);
        }
        if let Some(c) = &source.config_map {
            b.add(&c.name, Category::ConfigMap);
        }
    }
    if let Some(secret) = volume
        .csi
        .as_ref()
        .and_then(|csi| csi.node_publish_secret_ref.as_ref())
    {
        b.add(&secret.name, Category::SecretName);
    }
    if let Some(nfs) = &volume.nfs {
        b.add(&nfs.server, Category::Host);
    }
}
