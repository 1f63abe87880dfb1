//! Container logs: the tail a pod's `log` subresource gives for `tailLines` and `limitBytes`,
//! read as a stream and cut off where a server that ignores those limits would flood the run.

use futures::AsyncReadExt;
use kube::{Api, api::LogParams};
use kubewhy_model::LogTarget;

use super::{LiveSource, LogError};
use crate::k8s::core::v1::Pod;

/// Log lines asked for per container.
const TAIL_LINES: i64 = 100;
/// Log bytes asked for per container.
const LIMIT_BYTES: i64 = 64 * 1024;
/// The most read of one log whatever the server sends: four times what was asked for, so that
/// a server or proxy that drops `limitBytes` (and sends a 1 GiB line) costs no more than this.
const READ_CAP: usize = 4 * LIMIT_BYTES as usize;

/// A container's log as fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedLog {
    /// The text, lossily decoded.
    pub text: String,
    /// Set when the server sent more than it was asked for and the read stopped: what to tell
    /// the user.
    pub cut: Option<String>,
}

impl LiveSource {
    /// Fetches the tail of one container's log; `None` when there is none (no previous
    /// instance, or the pod is gone).
    pub async fn logs(&self, target: &LogTarget) -> Result<Option<FetchedLog>, LogError> {
        let error = |source| LogError {
            namespace: target.namespace.clone(),
            pod: target.pod.clone(),
            container: target.container.clone(),
            source,
        };
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &target.namespace);
        let params = LogParams {
            container: Some(target.container.clone()),
            tail_lines: Some(TAIL_LINES),
            limit_bytes: Some(LIMIT_BYTES),
            previous: target.previous,
            ..LogParams::default()
        };
        let stream = match pods.log_stream(&target.pod, &params).await {
            Ok(stream) => stream,
            Err(kube::Error::Api(status)) if status.code == 400 || status.code == 404 => {
                return Ok(None);
            }
            Err(source) => return Err(error(source)),
        };
        let mut bytes = Vec::new();
        stream
            .take(READ_CAP as u64 + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| error(kube::Error::ReadEvents(e)))?;
        let cut = (bytes.len() > READ_CAP).then(|| {
            bytes.truncate(READ_CAP);
            format!(
                "logs of {}/{} container {}: the API server sent more than the {} KiB asked \
                 for (`limitBytes`); read the first {} KiB and stopped",
                target.namespace,
                target.pod,
                target.container,
                LIMIT_BYTES / 1024,
                READ_CAP / 1024
            )
        });
        Ok(Some(FetchedLog {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            cut,
        }))
    }
}
