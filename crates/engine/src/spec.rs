//! Where a run reads from, and opening it. Every frontend names a [`SourceSpec`] and calls
//! [`SourceSpec::open`]; none builds a source, or starts the demo's simulator, by hand.

use std::{path::PathBuf, time::Duration};

use kubewhy_model::{KubernetesVersion, SourceKind};
use kubewhy_sim::{KubeSim, KubeSimOptions};
use kubewhy_source::{
    Source,
    live::{LiveOptions, LiveSource},
};

use crate::OpenError;

/// kubectl's connection flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// `--request-timeout`: how long one request, or an exec credential plugin, may take.
    pub request_timeout: Option<Duration>,
    /// `--as`: the user to impersonate.
    pub impersonate: Option<String>,
    /// `--as-group`: groups to impersonate.
    pub impersonate_groups: Vec<String>,
}

/// Where a run reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Clusters, through the kubeconfig.
    Live {
        /// `--kubeconfig`; otherwise `KUBECONFIG`, `~/.kube/config` or in-cluster config.
        kubeconfig: Option<PathBuf>,
        /// `--context`, repeatable; empty means the current context. One context per run for
        /// now.
        contexts: Vec<String>,
        /// kubectl's connection flags.
        connection: Connection,
    },
    /// Files, folders, archives and `-` for stdin.
    Files {
        /// The paths, as given.
        paths: Vec<PathBuf>,
        /// `--kubernetes-version`: the release to judge the files against when they do not
        /// record one (support bundles do).
        kubernetes_version: Option<KubernetesVersion>,
    },
    /// The built-in demo cluster, served by the Kubernetes API simulator on loopback and read
    /// through the live path.
    Demo,
}

impl Default for SourceSpec {
    fn default() -> Self {
        Self::Live {
            kubeconfig: None,
            contexts: Vec::new(),
            connection: Connection::default(),
        }
    }
}

/// An opened source, with whatever must stay alive while it is read (the demo's simulator).
pub struct Opened {
    pub(crate) source: Source,
    /// The cluster (kubeconfig context) the source reads, for live sources.
    pub(crate) cluster: Option<String>,
    /// The namespace the context defaults to (`default` when it names none).
    pub(crate) default_namespace: String,
    _sim: Option<KubeSim>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("source", &self.source)
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

impl Opened {
    /// The cluster (kubeconfig context) this source reads, for live sources.
    #[must_use]
    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// The namespace a command without `-n` means, as kubectl takes it from the context.
    #[must_use]
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }
}

impl SourceSpec {
    /// Opens the source: connects to the cluster (checking it answers), or starts the demo's
    /// simulator. Files are read later, by the run, so that reading them reports progress.
    pub async fn open(&self) -> Result<Opened, OpenError> {
        match self {
            Self::Files {
                paths,
                kubernetes_version,
            } => Ok(Opened {
                source: Source::Files {
                    paths: paths.clone(),
                    kubernetes_version: *kubernetes_version,
                },
                cluster: None,
                default_namespace: "default".to_owned(),
                _sim: None,
            }),
            Self::Demo => {
                let loaded = kubewhy_source::demo::load();
                let sim = KubeSim::start(&loaded.snapshot, KubeSimOptions::default())
                    .await
                    .map_err(OpenError::Demo)?;
                let options = LiveOptions {
                    kubeconfig_yaml: Some(sim.kubeconfig()),
                    kind: Some(SourceKind::Demo),
                    ..LiveOptions::default()
                };
                let live = LiveSource::connect(options).await?;
                Ok(Opened {
                    cluster: Some(live.context().to_owned()),
                    default_namespace: live.default_namespace().to_owned(),
                    source: Source::Live(Box::new(live)),
                    _sim: Some(sim),
                })
            }
            Self::Live {
                kubeconfig,
                contexts,
                connection,
            } => {
                if contexts.len() > 1 {
                    return Err(OpenError::SeveralContexts(contexts.clone()));
                }
                let options = LiveOptions {
                    kubeconfig: kubeconfig.clone(),
                    context: contexts.first().cloned(),
                    request_timeout: connection.request_timeout,
                    impersonate: connection.impersonate.clone(),
                    impersonate_groups: connection.impersonate_groups.clone(),
                    ..LiveOptions::default()
                };
                let live = LiveSource::connect(options).await?;
                Ok(Opened {
                    cluster: Some(live.context().to_owned()),
                    default_namespace: live.default_namespace().to_owned(),
                    source: Source::Live(Box::new(live)),
                    _sim: None,
                })
            }
        }
    }
}
