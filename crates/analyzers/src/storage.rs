//! Storage: PersistentVolumeClaims that stay Pending or were lost, PersistentVolumes released
//! or failed, and StorageClasses that compete to be the default.

use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{
        core::v1::{PersistentVolume, PersistentVolumeClaim},
        storage::v1::StorageClass,
    },
    object_ref,
};

use crate::{
    Analyzer, Context,
    findings::{Build, finding},
    ids,
    k8s::{is_default_class, since},
};

/// The storage analyzer.
pub struct StorageAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::PVC_PENDING,
    ids::PVC_LOST,
    ids::PV_RELEASED,
    ids::PV_FAILED,
    ids::STORAGE_CLASS_MULTIPLE_DEFAULTS,
];

const DEFAULT_CLASS_ANNOTATIONS: &[&str] = &[
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

/// How long a claim may stay Pending, or a volume Released under an automatic reclaim policy,
/// before it counts as stuck: binding and deletion normally take seconds.
const STUCK_SECONDS: i64 = 600;

impl Analyzer for StorageAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
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

fn claim(snapshot: &Snapshot, claim: &PersistentVolumeClaim) -> Option<Finding> {
    let object = object_ref(claim);
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
    class_not_found(snapshot, &object, class)
        .or_else(|| provisioning_failed(snapshot, &object))
        .or_else(|| unbound(snapshot, claim, &object, class))
}

fn class_not_found(
    snapshot: &Snapshot,
    object: &ObjectRef,
    class: Option<&str>,
) -> Option<Finding> {
    let class = class.filter(|c| !c.is_empty())?;
    if !snapshot.listed("StorageClass", None) || snapshot.storage_classes.get(None, class).is_some()
    {
        return None;
    }
    let message = format!(
        "PersistentVolumeClaim {} is Pending because its StorageClass {class} does not exist",
        object.name
    );
    let mut found =
        finding(ids::PVC_PENDING, object, "StorageClassNotFound", message).events(snapshot);
    found.related.push(ObjectRef::new(
        "storage.k8s.io/v1",
        "StorageClass",
        None,
        class,
    ));
    Some(found)
}

fn provisioning_failed(snapshot: &Snapshot, object: &ObjectRef) -> Option<Finding> {
    let failed = snapshot.events_for(object).find(|e| {
        e.type_.as_deref() == Some("Warning") && e.reason.as_deref() == Some("ProvisioningFailed")
    })?;
    let why = failed
        .message
        .as_deref()
        .unwrap_or("no message given")
        .trim();
    let message = format!(
        "PersistentVolumeClaim {} is Pending: provisioning failed: {why}",
        object.name
    );
    Some(finding(ids::PVC_PENDING, object, "ProvisioningFailed", message).events(snapshot))
}

/// A claim that nothing will ever bind, which the binder reports only with a Normal
/// `FailedBinding` event: no class and no default class, or static binding (an empty class)
/// with no PersistentVolume that fits. Claims pre-bound with `volumeName` wait for that volume.
fn unbound(
    snapshot: &Snapshot,
    claim: &PersistentVolumeClaim,
    object: &ObjectRef,
    class: Option<&str>,
) -> Option<Finding> {
    if claim.spec.as_ref().is_some_and(|s| s.volume_name.is_some()) {
        return None;
    }
    let age = since(snapshot, claim.metadata.creation_timestamp.as_ref())?;
    if age.seconds() <= STUCK_SECONDS {
        return None;
    }
    let (name, pending) = (&object.name, age.lasting());
    let (reason, message) = match class {
        None => {
            let classes = &snapshot.storage_classes;
            // No StorageClass at all may mean the kind was not collected; the binder's
            // FailedBinding event then tells that no class is set.
            let binder_says = snapshot.events_for(object).any(|e| {
                e.reason.as_deref() == Some("FailedBinding")
                    && e.message
                        .as_deref()
                        .is_some_and(|m| m.contains("no storage class"))
            });
            if classes.iter().any(is_default) || (classes.is_empty() && !binder_says) {
                return None;
            }
            let message = format!(
                "PersistentVolumeClaim {name} has been Pending {pending}: it sets no storageClassName and no StorageClass is marked as the default, so nothing provisions a volume for it"
            );
            ("NoDefaultStorageClass", message)
        }
        Some("") => {
            let message = format!(
                "PersistentVolumeClaim {name} has been Pending {pending}: its storageClassName is \"\" (static binding) and no PersistentVolume without a class matches its size, access modes and selector"
            );
            ("NoMatchingVolume", message)
        }
        Some(_) => return None,
    };
    Some(finding(ids::PVC_PENDING, object, reason, message).events(snapshot))
}

fn lost(snapshot: &Snapshot, claim: &PersistentVolumeClaim, object: &ObjectRef) -> Finding {
    let volume = claim
        .spec
        .as_ref()
        .and_then(|s| s.volume_name.as_deref())
        .filter(|v| !v.is_empty());
    let message = match volume {
        Some(volume) => format!(
            "PersistentVolumeClaim {} is Lost: its PersistentVolume {volume} no longer exists",
            object.name
        ),
        None => format!(
            "PersistentVolumeClaim {} is Lost: the PersistentVolume it was bound to no longer exists",
            object.name
        ),
    };
    finding(ids::PVC_LOST, object, "Lost", message).events(snapshot)
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
            "Released" => match released(snapshot, volume, &object, &claim_name, policy) {
                Some(found) => found,
                None => continue,
            },
            "Failed" => {
                let why = status
                    .and_then(|s| s.message.as_deref())
                    .unwrap_or("no message given");
                let message = format!(
                    "PersistentVolume {} is Failed: reclaiming it after claim {claim_name} was deleted failed: {}",
                    object.name,
                    why.trim()
                );
                finding(ids::PV_FAILED, &object, "Failed", message).events(snapshot)
            }
            _ => continue,
        };
        findings.push(found);
    }
    findings
}

/// A Released volume. `Retain` keeps it on purpose; under `Delete` (or the old `Recycle`) the
/// controller reclaims it within seconds, so one still Released after [`STUCK_SECONDS`] means
/// the reclaim is failing. The phase's age is known only from `lastPhaseTransitionTime`.
fn released(
    snapshot: &Snapshot,
    volume: &PersistentVolume,
    object: &ObjectRef,
    claim_name: &str,
    policy: &str,
) -> Option<Finding> {
    let name = &object.name;
    if policy == "Retain" {
        let message = format!(
            "PersistentVolume {name} is Released: its claim {claim_name} was deleted and reclaim policy {policy} keeps the volume and its data unbound"
        );
        return Some(finding(ids::PV_RELEASED, object, "Released", message).events(snapshot));
    }
    let released_at = volume
        .status
        .as_ref()
        .and_then(|s| s.last_phase_transition_time.as_ref());
    let age = since(snapshot, released_at)?;
    if age.seconds() <= STUCK_SECONDS {
        return None;
    }
    let message = format!(
        "PersistentVolume {name} has been Released {}: its claim {claim_name} was deleted and reclaim policy {policy} should have removed it, so deletion is failing",
        age.lasting()
    );
    Some(finding(ids::PV_RELEASED, object, "ReclaimFailing", message).events(snapshot))
}

fn is_default(class: &StorageClass) -> bool {
    is_default_class(&class.metadata, DEFAULT_CLASS_ANNOTATIONS)
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
                ids::STORAGE_CLASS_MULTIPLE_DEFAULTS,
                &object,
                "MultipleDefaults",
                message,
            )
            .events(snapshot);
            found.related = defaults
                .iter()
                .map(|c| object_ref(*c))
                .filter(|r| *r != object)
                .collect();
            found
        })
        .collect()
}
