//! Which checks cannot judge without a kind: when a list fails, the report says which checks
//! stayed silent because of it, so silence is not mistaken for health.

use kubewhy_model::{Warning, WarningKind};
use kubewhy_source::Listings;

/// Kinds, and the checks that claim an object of that kind is missing or unused.
const NEEDS: &[(&str, &[&str])] = &[
    (
        "Secret",
        &["pod-reference-missing", "ingress-tls-secret-missing"],
    ),
    (
        "ConfigMap",
        &[
            "pod-reference-missing",
            "env-ref-missing",
            "configmap-unused",
        ],
    ),
    (
        "PersistentVolumeClaim",
        &["pod-reference-missing", "statefulset-replicas-not-ready"],
    ),
    (
        "ServiceAccount",
        &["pod-reference-missing", "pod-service-account-missing"],
    ),
    (
        "Service",
        &[
            "statefulset-service-missing",
            "ingress-backend-missing",
            "webhook-service-unavailable",
            "http-route-backend-missing",
        ],
    ),
    (
        "StorageClass",
        &["pvc-pending", "statefulset-storage-class-missing"],
    ),
    (
        "Pod",
        &[
            "service-selects-no-pods",
            "pdb-selects-no-pods",
            "network-policy-selects-no-pods",
        ],
    ),
    (
        "Deployment",
        &["hpa-target-not-found", "service-selects-no-workload"],
    ),
    ("StatefulSet", &["hpa-target-not-found"]),
    (
        "Event",
        &["event-warning-unexplained", "service-warning-events"],
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
                    checks.join(", ")
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_named_check_exists() {
        for (kind, checks) in super::NEEDS {
            for id in *checks {
                assert!(crate::check(id).is_some(), "{kind}: unknown check {id}");
            }
        }
    }
}
