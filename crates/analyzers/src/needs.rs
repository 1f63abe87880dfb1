//! Which checks cannot judge without a kind: when a list fails, the report says which checks
//! stayed silent because of it, so silence is not mistaken for health.

use kubewhy_model::{CheckId, Warning, WarningKind};
use kubewhy_source::Listings;

use crate::ids;

/// Kinds, and the checks that claim an object of that kind is missing or unused.
const NEEDS: &[(&str, &[CheckId])] = &[
    (
        "Secret",
        &[ids::POD_REFERENCE_MISSING, ids::INGRESS_TLS_SECRET_MISSING],
    ),
    (
        "ConfigMap",
        &[
            ids::POD_REFERENCE_MISSING,
            ids::ENV_REF_MISSING,
            ids::CONFIGMAP_UNUSED,
        ],
    ),
    (
        "PersistentVolumeClaim",
        &[
            ids::POD_REFERENCE_MISSING,
            ids::STATEFULSET_REPLICAS_NOT_READY,
        ],
    ),
    (
        "ServiceAccount",
        &[ids::POD_REFERENCE_MISSING, ids::POD_SERVICE_ACCOUNT_MISSING],
    ),
    (
        "Service",
        &[
            ids::STATEFULSET_SERVICE_MISSING,
            ids::INGRESS_BACKEND_MISSING,
            ids::WEBHOOK_SERVICE_UNAVAILABLE,
            ids::HTTP_ROUTE_BACKEND_MISSING,
        ],
    ),
    (
        "StorageClass",
        &[ids::PVC_PENDING, ids::STATEFULSET_STORAGE_CLASS_MISSING],
    ),
    (
        "Pod",
        &[
            ids::SERVICE_SELECTS_NO_PODS,
            ids::PDB_SELECTS_NO_PODS,
            ids::NETWORK_POLICY_SELECTS_NO_PODS,
            ids::CONFIGMAP_UNUSED,
        ],
    ),
    (
        "Deployment",
        &[ids::HPA_TARGET_NOT_FOUND, ids::SERVICE_SELECTS_NO_WORKLOAD],
    ),
    ("StatefulSet", &[ids::HPA_TARGET_NOT_FOUND]),
    ("IngressClass", &[ids::INGRESS_CLASS_MISSING]),
    (
        "NetworkPolicy",
        &[ids::MODEL_SERVER_EXPOSED, ids::POD_NOT_ISOLATED],
    ),
    (
        "Event",
        &[ids::EVENT_WARNING_UNEXPLAINED, ids::SERVICE_WARNING_EVENTS],
    ),
];

/// One warning per kind whose list failed, naming the checks that could not judge.
#[must_use]
pub fn unjudged(listings: &Listings) -> Vec<Warning> {
    listings
        .failed()
        .filter_map(|(kind, reason)| {
            let (_, checks) = NEEDS.iter().find(|(k, _)| *k == kind)?;
            Some(Warning::new(
                WarningKind::SkippedKind,
                format!(
                    "{kind} objects could not be listed ({reason}); these checks could not judge and report nothing about them: {}",
                    checks.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kubewhy_source::Listing;

    use super::*;

    #[test]
    fn a_failed_list_names_the_checks_that_could_not_judge() {
        let mut listings = Listings::default();
        listings.record(
            "Secret",
            Listing::Failed {
                reason: "403 Forbidden".into(),
            },
        );
        let warnings = unjudged(&listings);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .message
                .contains("pod-reference-missing, ingress-tls-secret-missing"),
            "{}",
            warnings[0].message
        );
    }
}
