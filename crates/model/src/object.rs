//! References to Kubernetes objects, the unit every finding and issue points at.

use std::fmt;

use serde::Serialize;

/// Names one Kubernetes object. Ordering is namespace, kind, name: the order reports use.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ObjectRef {
    /// `v1`, `apps/v1`, ...
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `Pod`, `Deployment`, ...
    pub kind: String,
    /// `None` for cluster-scoped objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// The object's uid, when known.
    #[serde(skip)]
    pub uid: Option<String>,
}

impl ObjectRef {
    /// A reference without a uid.
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        namespace: Option<&str>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
            uid: None,
        }
    }

    /// Whether both name the same object: kind, namespace and name, whatever the uid and API
    /// version say.
    #[must_use]
    pub fn is(&self, other: &Self) -> bool {
        self.kind == other.kind && self.namespace == other.namespace && self.name == other.name
    }

    /// The key reports sort by.
    fn sort_key(&self) -> (&str, &str, &str) {
        (
            self.namespace.as_deref().unwrap_or(""),
            &self.kind,
            &self.name,
        )
    }
}

impl PartialOrd for ObjectRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ObjectRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key()
            .cmp(&other.sort_key())
            .then_with(|| self.api_version.cmp(&other.api_version))
    }
}

/// `kind/name` or `kind/namespace/name`, as kubectl users read it.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}
