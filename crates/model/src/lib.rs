//! kubewhy's vocabulary: the objects it talks about, the checks it runs, what they find, and
//! the report it hands to every frontend. This crate does no I/O and depends on nothing of ours.

mod eval;
mod evidence;
mod explanation;
mod finding;
mod focus;
mod issue;
mod object;
mod report;
mod severity;
mod version;

pub use eval::{EvalReport, Score, Suite};
pub use evidence::{ConditionEvidence, ContainerEvidence, EventEvidence, Evidence, LogEvidence};
pub use explanation::{Confidence, Cost, Explanation, StructuredAnswer, SuggestedCommand};
pub use finding::{CheckId, Finding, LogTarget};
pub use focus::{FocusContext, PodSummary};
pub use issue::{ChainLink, Fingerprint, Issue, Origin};
pub use object::ObjectRef;
pub use report::{
    CheckCount, ClusterReport, Report, SCHEMA, SourceInfo, SourceKind, Summary, Warning,
    WarningKind,
};
pub use severity::{Category, Severity};
pub use version::{ClusterVersion, KubernetesVersion, VersionError, VersionFrom};
