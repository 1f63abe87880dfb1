//! Giving back the memory a parsed object holds but does not use.
//!
//! serde fills a `Vec` by pushing, so its capacity grows 4, 8, 16: two containers hold room
//! for four. The k8s-openapi types inline every optional field (a `Volume` is over 3 KB, a
//! `Container` over 2 KB), so that spare room is most of a parsed pod. [`Compact::compact`]
//! shrinks every list in a pod spec, a pod status and a node's status to its length, and drops
//! `managedFields`, which no check reads and which is half of a real object's bytes. Sources
//! call it on each object as soon as it is parsed, so a large cluster is held at its real size.
//!
//! Freeing `managedFields` after parsing is not enough: its thousands of small allocations sit
//! between the object's own, and the holes they leave keep the allocator from giving memory
//! back (10,000 pods: 1.2 GB of RSS for 0.7 GB of live heap). [`blank_managed_fields`] removes
//! it from the JSON text before parsing, so it is never allocated at all.

use k8s_openapi::{
    Metadata,
    api::core::v1::{Container, EphemeralContainer, PodSpec, PodStatus, PodTemplateSpec},
    apimachinery::pkg::apis::meta::v1::ObjectMeta,
};

use crate::k8s;

/// An object that can give back memory it holds but does not use.
pub trait Compact {
    /// Drops what no check reads and shrinks lists to their length.
    fn compact(&mut self);
}

fn shrink<T>(list: &mut Option<Vec<T>>) {
    if let Some(list) = list {
        list.shrink_to_fit();
    }
}

fn meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    shrink(&mut meta.owner_references);
    shrink(&mut meta.finalizers);
}

/// The lists of one container, whichever kind of container it is.
macro_rules! container {
    ($c:expr) => {{
        let c = $c;
        shrink(&mut c.command);
        shrink(&mut c.args);
        shrink(&mut c.env);
        shrink(&mut c.env_from);
        shrink(&mut c.ports);
        shrink(&mut c.volume_mounts);
        shrink(&mut c.volume_devices);
        shrink(&mut c.resize_policy);
    }};
}

fn containers(list: &mut Option<Vec<Container>>) {
    for c in list.iter_mut().flatten() {
        container!(c);
    }
    shrink(list);
}

fn ephemeral(list: &mut Option<Vec<EphemeralContainer>>) {
    for c in list.iter_mut().flatten() {
        container!(c);
    }
    shrink(list);
}

fn pod_spec(spec: &mut PodSpec) {
    spec.containers.shrink_to_fit();
    for c in &mut spec.containers {
        container!(c);
    }
    containers(&mut spec.init_containers);
    ephemeral(&mut spec.ephemeral_containers);
    for volume in spec.volumes.iter_mut().flatten() {
        if let Some(projected) = &mut volume.projected {
            shrink(&mut projected.sources);
        }
    }
    shrink(&mut spec.volumes);
    shrink(&mut spec.tolerations);
    shrink(&mut spec.image_pull_secrets);
    shrink(&mut spec.host_aliases);
    shrink(&mut spec.topology_spread_constraints);
    shrink(&mut spec.readiness_gates);
    shrink(&mut spec.resource_claims);
    shrink(&mut spec.scheduling_gates);
}

fn pod_status(status: &mut PodStatus) {
    shrink(&mut status.conditions);
    shrink(&mut status.container_statuses);
    shrink(&mut status.init_container_statuses);
    shrink(&mut status.ephemeral_container_statuses);
    shrink(&mut status.pod_ips);
    shrink(&mut status.host_ips);
}

fn template(template: &mut PodTemplateSpec) {
    if let Some(m) = &mut template.metadata {
        meta(m);
    }
    if let Some(spec) = &mut template.spec {
        pod_spec(spec);
    }
}

impl Compact for k8s::core::v1::Pod {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(spec) = &mut self.spec {
            pod_spec(spec);
        }
        if let Some(status) = &mut self.status {
            pod_status(status);
        }
    }
}

impl Compact for k8s::core::v1::Node {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(status) = &mut self.status {
            shrink(&mut status.conditions);
            shrink(&mut status.addresses);
            for image in status.images.iter_mut().flatten() {
                shrink(&mut image.names);
            }
            shrink(&mut status.images);
            shrink(&mut status.volumes_attached);
        }
        if let Some(spec) = &mut self.spec {
            shrink(&mut spec.taints);
        }
    }
}

/// Kinds whose lists are small: only their metadata is compacted.
macro_rules! metadata_only {
    ($($ty:ty),* $(,)?) => {$(
        impl Compact for $ty {
            fn compact(&mut self) {
                meta(self.metadata_mut());
            }
        }
    )*};
}

metadata_only!(
    k8s::core::v1::Event,
    k8s::core::v1::Namespace,
    k8s::core::v1::Service,
    k8s::core::v1::Endpoints,
    k8s::core::v1::ConfigMap,
    crate::SecretMeta,
    k8s::core::v1::PersistentVolumeClaim,
    k8s::core::v1::PersistentVolume,
    k8s::core::v1::ServiceAccount,
    k8s::networking::v1::Ingress,
    k8s::networking::v1::IngressClass,
    k8s::networking::v1::NetworkPolicy,
    k8s::discovery::v1::EndpointSlice,
    k8s::storage::v1::StorageClass,
    k8s::autoscaling::v2::HorizontalPodAutoscaler,
    k8s::policy::v1::PodDisruptionBudget,
    k8s::admissionregistration::v1::ValidatingWebhookConfiguration,
    k8s::admissionregistration::v1::MutatingWebhookConfiguration,
    k8s::rbac::v1::Role,
    k8s::rbac::v1::ClusterRole,
    k8s::rbac::v1::RoleBinding,
    k8s::rbac::v1::ClusterRoleBinding,
);

/// Kinds that carry a pod template at `spec.template`.
macro_rules! with_template {
    ($($ty:ty),* $(,)?) => {$(
        impl Compact for $ty {
            fn compact(&mut self) {
                meta(&mut self.metadata);
                template(&mut self.spec.template);
            }
        }
    )*};
}

with_template!(
    k8s::apps::v1::Deployment,
    k8s::apps::v1::StatefulSet,
    k8s::apps::v1::DaemonSet,
);

impl Compact for k8s::apps::v1::ReplicaSet {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(t) = &mut self.spec.template {
            template(t);
        }
    }
}

impl Compact for k8s::core::v1::ReplicationController {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(t) = self.spec.as_mut().and_then(|s| s.template.as_mut()) {
            template(t);
        }
    }
}

impl Compact for k8s::batch::v1::Job {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(spec) = &mut self.spec {
            template(&mut spec.template);
        }
    }
}

impl Compact for k8s::batch::v1::CronJob {
    fn compact(&mut self) {
        meta(&mut self.metadata);
        if let Some(job) = &mut self.spec.job_template.spec {
            template(&mut job.template);
        }
    }
}

impl Compact for kube::api::DynamicObject {
    fn compact(&mut self) {
        meta(&mut self.metadata);
    }
}

impl<K> Compact for kube::api::PartialObjectMeta<K> {
    fn compact(&mut self) {
        meta(&mut self.metadata);
    }
}

/// The key [`blank_managed_fields`] looks for, quoted as it is in JSON text.
pub(crate) const MANAGED_FIELDS: &[u8] = b"\"managedFields\"";

/// Overwrites the value of every `"managedFields"` key in a JSON text with `null` and spaces,
/// in place: the text stays the same length, so a parse error's line and column still point
/// at the bytes as received. A text that is not well-formed JSON where the scan looks is left
/// as it is, for the parser to report.
pub(crate) fn blank_managed_fields(json: &mut [u8]) {
    // `at` is always outside any string.
    let mut at = 0;
    while let Some(found) = memchr::memmem::find(&json[at..], MANAGED_FIELDS) {
        let start = at + found;
        // Only a key counts: a match inside another string (an annotation, a message) is
        // passed over with that string.
        if let Some(open) = open_quote(json, at, start) {
            match string_end(json, open) {
                Some(end) => at = end,
                None => return,
            }
            continue;
        }
        let Some(end) = string_end(json, start) else {
            return;
        };
        at = end;
        let colon = skip_space(json, end);
        if json.get(colon) != Some(&b':') {
            continue;
        }
        let value = skip_space(json, colon + 1);
        let Some(value_end) = value_end(json, value) else {
            return;
        };
        json[value..value + 4].copy_from_slice(b"null");
        json[value + 4..value_end].fill(b' ');
        at = value_end;
    }
}

/// Where the string still open at `to` opened, scanning from `from`, which is outside any.
fn open_quote(json: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut open = None;
    let mut i = from;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &json[i..to]) {
        i += found;
        if json[i] == b'\\' {
            i += 2;
            if i >= to {
                break;
            }
            continue;
        }
        open = match open {
            None => Some(i),
            Some(_) => None,
        };
        i += 1;
    }
    open
}

/// The index just past the string that opens at `start`.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', json.get(i..)?)?;
        if json[i] == b'\\' {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

fn skip_space(json: &[u8], mut i: usize) -> usize {
    while json
        .get(i)
        .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

/// The index just past the JSON value that starts at `start`, if it is whole and at least
/// four bytes long (room for `null`).
fn value_end(json: &[u8], start: usize) -> Option<usize> {
    let end = match json.get(start)? {
        b'"' => string_end(json, start)?,
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match json.get(i)? {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = json[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(json.len() - start);
            start + len
        }
    };
    (end - start >= 4).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanked(text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        blank_managed_fields(&mut bytes);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn managed_fields_are_blanked_before_parsing_and_nothing_else_changes() {
        let text = r#"{"items":[{"metadata":{"name":"a","managedFields":[{"manager":"k","fieldsV1":{"f:x":{"\"]":{}}}}],"labels":{"app":"web"}}},
            {"metadata":{"managedFields" : [{}], "annotations":{"note":"\"managedFields\": [1]"}}},
            {"metadata":{"annotations":{"path":"C:\\"},"managedFields":[{"manager":"x"}]}}]}"#;
        let out = blanked(text);
        assert_eq!(out.len(), text.len());
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut expected: serde_json::Value = serde_json::from_str(text).unwrap();
        expected["items"][0]["metadata"]["managedFields"] = serde_json::Value::Null;
        expected["items"][1]["metadata"]["managedFields"] = serde_json::Value::Null;
        expected["items"][2]["metadata"]["managedFields"] = serde_json::Value::Null;
        assert_eq!(parsed, expected);
    }

    #[test]
    fn text_that_is_not_json_is_left_for_the_parser_to_report() {
        for text in [
            r#"{"metadata":{"managedFields":[{"manager":"#,
            r#"{"managedFields""#,
            r#"{"managedFields":[]}"#,
            "<html>managedFields</html>",
        ] {
            assert_eq!(blanked(text), text);
        }
    }

    #[test]
    fn a_parsed_pod_holds_room_for_what_it_has_and_no_managed_fields() {
        let mut pod: k8s::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "managedFields": [{"manager": "kubectl"}]},
            "spec": {
                "containers": [
                    {"name": "app", "env": [{"name": "A"}, {"name": "B"}, {"name": "C"}]},
                    {"name": "sidecar"}
                ],
                "volumes": [{"name": "a"}, {"name": "b"}, {"name": "c"}]
            },
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap();
        let before = pod.clone();
        pod.compact();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.containers.capacity(), 2);
        assert_eq!(spec.containers[0].env.as_ref().unwrap().capacity(), 3);
        assert_eq!(spec.volumes.as_ref().unwrap().capacity(), 3);
        assert!(pod.metadata.managed_fields.is_none());
        // Nothing a check reads changed.
        let mut expected = before;
        expected.metadata.managed_fields = None;
        assert_eq!(pod, expected);
    }
}
