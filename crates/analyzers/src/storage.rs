//! Storage: PersistentVolumeClaims that stay Pending or were lost, PersistentVolumes released
//! or failed, and StorageClasses that compete to be the default.

use kubewhy_model::{CheckId, Finding, ObjectRef, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::{core::v1::PersistentVolumeClaim, storage::v1::StorageClass},
    object_ref,
};

use crate::{Analyzer, Context, evidence};

/// The storage analyzer.
pub struct StorageAnalyzer;

const CHECKS: &[&str] = &[
    "pvc-pending",
    "pvc-lost",
    "pv-released",
    "pv-failed",
    "storage-class-multiple-defaults",
];

const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

impl Analyzer for StorageAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings: Vec<Finding> = snapshot
            .persistent_volume_claims
            .iter()
            .filter_map(|c| claim(snapshot, c))
            .collect();
        findings.extend(volumes(snapshot));
        findings.extend(default_classes(snapshot));
        findings
    }
}

fn finding(
    snapshot: &Snapshot,
    check: &'static str,
    object: &ObjectRef,
    reason: &str,
    message: String,
) -> Finding {
    let severity = crate::check(check).map_or(Severity::Warning, |c| c.severity);
    let mut finding = Finding::new(CheckId(check), severity, object.clone(), reason, message);
    finding.evidence.events = evidence::events(snapshot, object);
    finding
}

fn claim(snapshot: &Snapshot, claim: &PersistentVolumeClaim) -> Option<Finding> {
    let object = object_ref(claim);
    let name = &object.name;
    let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref())?;
    if phase == "Lost" {
        return Some(lost(snapshot, claim, &object));
    }
    if phase != "Pending" {
        return None;
    }
    let class = claim
        .spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref());
    let class = class.filter(|c| !c.is_empty());
    // Without any StorageClass in the snapshot the kind was not collected.
    if let Some(class) = class
        && !snapshot.storage_classes.is_empty()
        && snapshot.storage_classes.get(None, class).is_none()
    {
        let message = format!(
            "PersistentVolumeClaim {name} is Pending because its StorageClass {class} does not exist"
        );
        let mut found = finding(
            snapshot,
            "pvc-pending",
            &object,
            "StorageClassNotFound",
            message,
        );
        found.related.push(ObjectRef {
            api_version: "storage.k8s.io/v1".into(),
            kind: "StorageClass".into(),
            namespace: None,
            name: class.to_owned(),
            uid: None,
        });
        return Some(found);
    }
    let failed = snapshot.events_for(&object).find(|e| {
        e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some("ProvisioningFailed")
    })?;
    let why = failed
        .message
        .as_deref()
        .unwrap_or("no message given")
        .trim();
    let message = format!("PersistentVolumeClaim {name} is Pending: provisioning failed: {why}");
    Some(finding(
        snapshot,
        "pvc-pending",
        &object,
        "ProvisioningFailed",
        message,
    ))
}

fn lost(snapshot: &Snapshot, claim: &PersistentVolumeClaim, object: &ObjectRef) -> Finding {
    let volume = claim
        .spec
        .as_ref()
        .and_then(|s| s.volume_name.as_deref())
        .unwrap_or("");
    let message = format!(
        "PersistentVolumeClaim {} is Lost: its PersistentVolume {volume} no longer exists",
        object.name
    );
    finding(snapshot, "pvc-lost", object, "Lost", message)
}

fn volumes(snapshot: &Snapshot) -> Vec<Finding> {
    let mut findings = Vec::new();
    for volume in &snapshot.persistent_volumes {
        let object = object_ref(volume);
        let status = volume.status.as_ref();
        let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
        let claim = volume.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
        let claim_name = claim.map_or_else(String::new, |c| {
            format!(
                "{}/{}",
                c.namespace.as_deref().unwrap_or(""),
                c.name.as_deref().unwrap_or("")
            )
        });
        let policy = volume
            .spec
            .as_ref()
            .and_then(|s| s.persistent_volume_reclaim_policy.as_deref())
            .unwrap_or("Retain");
        let found = match phase {
            "Released" => {
                let message = format!(
                    "PersistentVolume {} is Released: its claim {claim_name} was deleted and reclaim policy {policy} keeps the volume and its data unbound",
                    object.name
                );
                finding(snapshot, "pv-released", &object, "Released", message)
            }
            "Failed" => {
                let why = status
                    .and_then(|s| s.message.as_deref())
                    .unwrap_or("no message given");
                let message = format!(
                    "PersistentVolume {} is Failed: reclaiming it after claim {claim_name} was deleted failed: {}",
                    object.name,
                    why.trim()
                );
                finding(snapshot, "pv-failed", &object, "Failed", message)
            }
            _ => continue,
        };
        findings.push(found);
    }
    findings
}

fn is_default(class: &StorageClass) -> bool {
    let annotations = class.metadata.annotations.as_ref();
    DEFAULT_CLASS_ANNOTATIONS
        .iter()
        .any(|key| annotations.and_then(|a| a.get(*key)).map(String::as_str) == Some("true"))
}

fn default_classes(snapshot: &Snapshot) -> Vec<Finding> {
    let defaults: Vec<&StorageClass> = snapshot
        .storage_classes
        .iter()
        .filter(|c| is_default(c))
        .collect();
    if defaults.len() < 2 {
        return Vec::new();
    }
    let names: Vec<&str> = defaults
        .iter()
        .filter_map(|c| c.metadata.name.as_deref())
        .collect();
    defaults
        .iter()
        .map(|class| {
            let object = object_ref(*class);
            let message = format!(
                "StorageClass {} is one of {} StorageClasses marked as the default ({})",
                object.name,
                defaults.len(),
                names.join(", ")
            );
            let mut found = finding(
                snapshot,
                "storage-class-multiple-defaults",
                &object,
                "MultipleDefaults",
                message,
            );
            found.related = defaults
                .iter()
                .map(|c| object_ref(*c))
                .filter(|r| *r != object)
                .collect();
            found
        })
        .collect()
}
