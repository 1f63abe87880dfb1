//! The sources a run can read from, behind one enum so that frontends do not care which.

use std::path::PathBuf;

use kubewhy_model::{LogTarget, SourceInfo, SourceKind, Warning, WarningKind};

use crate::{Snapshot, files, live::LiveSource};

/// Which objects a run looks at. Live sources apply it on the server; file sources filter
/// findings by namespace.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this namespace (`-n`); `None` means all.
    pub namespace: Option<String>,
    /// A label selector (`-l`), in Kubernetes syntax.
    pub selector: Option<String>,
    /// Namespaces to leave out (`--exclude-namespace`).
    pub exclude_namespaces: Vec<String>,
}

impl Scope {
    /// Whether an object in `namespace` (`None` for cluster-scoped) is in scope.
    #[must_use]
    pub fn includes_namespace(&self, namespace: Option<&str>) -> bool {
        match namespace {
            Some(ns) => {
                self.namespace.as_deref().is_none_or(|wanted| wanted == ns)
                    && !self.exclude_namespaces.iter().any(|x| x == ns)
            }
            // Cluster-scoped objects belong to no namespace; `-n` narrows them away.
            None => self.namespace.is_none(),
        }
    }
}

/// Where objects come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Files, folders and `-` for stdin.
    Files(Vec<PathBuf>),
    /// A cluster (or the simulator serving the demo).
    Live(Box<LiveSource>),
}

/// What a source produced.
#[derive(Debug)]
pub struct Collected {
    /// The objects.
    pub snapshot: Snapshot,
    /// Where they came from.
    pub info: SourceInfo,
    /// What was skipped.
    pub warnings: Vec<Warning>,
    /// Inputs that could not be read: the run goes on, but exits with an error.
    pub errors: Vec<String>,
}

impl Source {
    /// Reads the objects.
    pub async fn collect(&self, scope: &Scope) -> Collected {
        let (kind, loaded) = match self {
            Self::Files(paths) => (SourceKind::Files, files::load(paths)),
            Self::Live(live) => return live.collect(scope).await,
        };
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        let warnings = errors
            .iter()
            .map(|e| Warning::new(WarningKind::Input, e.clone()))
            .collect();
        let info = SourceInfo {
            kind,
            context: None,
            observed_at: loaded.snapshot.observed_at().map(|t| t.to_string()),
        };
        Collected {
            snapshot: loaded.snapshot,
            info,
            warnings,
            errors,
        }
    }

    /// The log of one container, if the source has it.
    pub async fn logs(
        &self,
        snapshot: &Snapshot,
        target: &LogTarget,
    ) -> Result<Option<String>, String> {
        match self {
            Self::Live(live) => live.logs(target).await,
            Self::Files(_) => Ok(snapshot.log(target).map(str::to_owned)),
        }
    }
}
