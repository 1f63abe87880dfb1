//! The sources a run can read from, behind one enum so that frontends do not care which.

use std::path::PathBuf;

use kubewhy_model::{
    ClusterVersion, KubernetesVersion, LogTarget, SourceInfo, SourceKind, VersionFrom, Warning,
    WarningKind,
};

use crate::{
    Reporter, Snapshot, files,
    live::{FetchedLog, LiveSource, LogError},
};

/// Which objects a run reports on. `-n` also narrows what a live source lists (so a
/// namespace-scoped Role is enough); `-l` and `--exclude-namespace` select what is reported,
/// while the objects they refer to are still looked up.
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
    /// Files, folders, archives and `-` for stdin.
    Files {
        /// The paths, as given.
        paths: Vec<PathBuf>,
        /// The release the cluster runs (`--kubernetes-version`), for inputs that do not record
        /// it.
        kubernetes_version: Option<KubernetesVersion>,
    },
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
    pub errors: Vec<files::InputError>,
}

impl Source {
    /// Reads the objects, reporting progress and warnings as it goes. Files are read and parsed
    /// off the async runtime's workers.
    pub async fn collect(&self, scope: &Scope, reporter: &Reporter) -> Collected {
        let loaded = match self {
            Self::Files {
                paths,
                kubernetes_version,
            } => {
                let (paths, reporter) = (paths.clone(), reporter.clone());
                let namespace = scope.namespace.clone();
                let mut loaded = tokio::task::spawn_blocking(move || {
                    files::load_with(&paths, namespace.as_deref(), &reporter)
                })
                .await
                .unwrap_or_default();
                if let Some(version) = kubernetes_version {
                    loaded.snapshot.default_cluster_version(ClusterVersion {
                        version: *version,
                        from: VersionFrom::Option,
                        file: None,
                    });
                }
                loaded
            }
            Self::Live(live) => return live.collect(scope, reporter).await,
        };
        let kind = SourceKind::Files;
        let errors = loaded.errors;
        let mut warnings: Vec<Warning> = errors
            .iter()
            .map(|e| Warning::new(WarningKind::Input, e.to_string()))
            .collect();
        warnings.extend(loaded.notes);
        let snapshot = &loaded.snapshot;
        let info = SourceInfo {
            kind,
            context: None,
            server: None,
            observed_at: snapshot.observed_at().map(|t| t.to_string()),
            observed_at_inferred: snapshot.observed_inferred(),
            kubernetes_version: Some(snapshot.kubernetes_version()),
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
    ) -> Result<Option<FetchedLog>, LogError> {
        match self {
            Self::Live(live) => live.logs(target).await,
            Self::Files { .. } => Ok(snapshot.log(target).map(|text| FetchedLog {
                text: text.to_owned(),
                cut: None,
            })),
        }
    }
}
