//! An issue: findings that share one root cause, with a fingerprint that stays put while pods
//! come and go.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::{Category, CheckId, Evidence, Explanation, ObjectRef, Severity};

/// A stable id for an issue: a hash of the root object, the check and the normalized reason.
/// It drives deduplication, the explanation cache and new/resolved diffs, so its recipe must not
/// change within a schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// Fingerprints an issue of `check` on `root` for `reason`. The root's uid is left out on
    /// purpose: a Deployment deleted and re-applied is still the same problem.
    #[must_use]
    pub fn new(root: &ObjectRef, check: CheckId, reason: &str) -> Self {
        let namespace = root.namespace.as_deref().unwrap_or("");
        let mut hash = Fnv1a::default();
        for part in [&root.kind, namespace, &root.name, check.as_str(), reason] {
            hash.write(part.as_bytes());
            // A separator that cannot appear in names, so ("ab","c") differs from ("a","bc").
            hash.write(&[0]);
        }
        Self(hash.0)
    }
}

impl Fingerprint {
    /// This fingerprint in `cluster`: a run over several clusters keeps two clusters'
    /// `deploy/web` apart.
    #[must_use]
    pub fn in_cluster(self, cluster: &str) -> Self {
        let mut hash = Fnv1a::default();
        hash.write(&self.0.to_le_bytes());
        hash.write(&[0]);
        hash.write(cluster.as_bytes());
        Self(hash.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// 64-bit FNV-1a: tiny, fast, and fixed forever, unlike `std`'s hashers.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Findings grouped by root cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// See [`Fingerprint`].
    pub fingerprint: Fingerprint,
    /// The check that fired.
    pub check: CheckId,
    /// The worst severity among the findings.
    pub severity: Severity,
    /// The check's category.
    pub category: Category,
    /// The check's title.
    pub title: String,
    /// What is wrong, for the root object.
    pub message: String,
    /// The top owner of the affected objects (a Deployment for its pods).
    pub root: ObjectRef,
    /// Every affected object, sorted.
    pub objects: Vec<ObjectRef>,
    /// Other objects involved, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<ObjectRef>,
    /// The merged, bounded evidence.
    pub evidence: Evidence,
    /// Other checks whose findings are about the same failure and were merged into this issue
    /// (the missing Secret that one check sees in the spec and another in the container state).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged_checks: Vec<CheckId>,
    /// The issues that cause this one: a crash loop caused by a database whose pods are Pending.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caused_by: Vec<Fingerprint>,
    /// The causal chain from this issue to its likely root cause, one link per object, each with
    /// the evidence that made it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<ChainLink>,
    /// How to fix it: the catalog's one-line fix, filled in with the issue's objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Where the root object (or, when it was not read, the first affected object) was read
    /// from, for file inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Filled in by `--explain`.
    pub explanation: Option<Explanation>,
    /// The kubeconfig context it was found in, when a run covers several clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// One link of a causal chain: an object, what is wrong with it, and what showed the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    /// The object.
    pub object: ObjectRef,
    /// What is wrong with it, in a few words: `has no ready endpoints`, `does not exist`.
    pub problem: String,
    /// The evidence line that made the link (a log line naming the Service), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// True for the link the chain ends at: the likely root cause.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub root_cause: bool,
}

/// Where an object was read from: a file (or a member of an archive) and the line its document
/// starts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// The path as the user gave it (relative paths stay relative), or `<stdin>`.
    pub file: String,
    /// The path inside an archive, when the file is one (`bundle.tar.gz#cluster-resources/pods/shop.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The 1-based line the object's document starts on.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            Some(member) => write!(f, "{}#{member}:{}", self.file, self.line),
            None => write!(f, "{}:{}", self.file, self.line),
        }
    }
}

impl Issue {
    /// The order reports list issues in: severity (worst first), then namespace, kind, name and
    /// check, so that output is deterministic.
    #[must_use]
    pub fn report_order(&self, other: &Self) -> std::cmp::Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then_with(|| self.root.cmp(&other.root))
            .then_with(|| self.check.cmp(&other.check))
            .then_with(|| self.fingerprint.cmp(&other.fingerprint))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(name: &str) -> ObjectRef {
        ObjectRef::new("apps/v1", "Deployment", Some("shop"), name)
    }

    #[test]
    fn fingerprint_ignores_uid_but_not_name_check_or_reason() {
        let check = CheckId("pod-crash-looping");
        let mut with_uid = deployment("web");
        with_uid.uid = Some("1234".into());
        let base = Fingerprint::new(&deployment("web"), check, "CrashLoopBackOff");
        assert_eq!(base, Fingerprint::new(&with_uid, check, "CrashLoopBackOff"));
        assert_ne!(
            base,
            Fingerprint::new(&deployment("api"), check, "CrashLoopBackOff")
        );
        assert_ne!(
            base,
            Fingerprint::new(
                &deployment("web"),
                CheckId("pod-oom-killed"),
                "CrashLoopBackOff"
            )
        );
        assert_ne!(base, Fingerprint::new(&deployment("web"), check, "Error"));
        assert_eq!(base.to_string().len(), 16);
    }
}
