//! The fuzz targets. Each is a function of bytes that feeds one of kubewhy's parsers the way a
//! user (or an attacker on the network) could, then checks what must hold whatever the input:
//! nothing panics, secrets do not survive, answers keep their shape. A broken invariant panics,
//! so the fuzzer reports it like a crash.

mod analyzers;
mod files;
mod mcp;
mod scratch;
mod scrub;
mod slack;

use fastrand::Rng;

use crate::Features;

/// One fuzz target.
#[derive(Debug)]
pub struct Target {
    /// Its name on the command line and under `corpus/`.
    pub name: &'static str,
    /// What it exercises.
    pub about: &'static str,
    /// Runs one input, recording what it did.
    pub run: fn(&[u8], &mut Features),
    /// A new input, generated.
    pub generate: fn(&mut Rng) -> Vec<u8>,
    /// Tokens the mutator inserts.
    pub tokens: &'static [&'static str],
}

/// Every target.
pub static TARGETS: [Target; 5] = [
    files::TARGET,
    analyzers::TARGET,
    scrub::TARGET,
    slack::TARGET,
    mcp::TARGET,
];

/// The target named `name`.
#[must_use]
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Tokens of Kubernetes manifests, shared by the targets that read them.
pub(crate) const MANIFEST_TOKENS: &[&str] = &[
    "apiVersion: ",
    "kind: ",
    "metadata:\n",
    "  name: ",
    "  namespace: ",
    "spec:\n",
    "status:\n",
    "\"apiVersion\"",
    "\"kind\"",
    "\"metadata\"",
    "\"items\"",
    "\"spec\"",
    "\"status\"",
    "\"containers\"",
    "\"containerStatuses\"",
    "\"ownerReferences\"",
    "\"conditions\"",
    "\"selector\"",
    "\"matchLabels\"",
    "\"replicas\"",
    "\"uid\"",
    "\"List\"",
    "\"Pod\"",
    "v1",
    "apps/v1",
    "Deployment",
    "ReplicaSet",
    "Secret",
    "List",
    "---\n",
    "==== START logs for container ",
    "==== END logs for container ",
    " of pod ",
    "#@ ",
    "cluster-resources/",
    "namespaces/",
    "podlogs/",
    "/logs/",
    ".json\n",
    ".yaml\n",
    "Chart.yaml\n",
    "0400",
    "\\u0000",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "OOMKilled",
    "2024-06-01T12:00:00Z",
];
