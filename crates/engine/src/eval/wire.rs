//! A backend that keeps a copy of every message it sends, for the eval's check that no planted
//! secret reaches the wire. It only wraps: the request goes to the real backend unchanged.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use kubewhy_llm::{Backend, BackendId, ChatRequest, ChatStream, LlmError, ServerInfo};
use kubewhy_scrub::Scrubbed;

/// Records what `inner` is sent.
#[derive(Debug)]
pub(crate) struct Recording {
    inner: Arc<dyn Backend>,
    sent: Mutex<Vec<String>>,
}

impl Recording {
    pub(crate) fn new(inner: Arc<dyn Backend>) -> Self {
        Self {
            inner,
            sent: Mutex::new(Vec::new()),
        }
    }

    /// Every message sent so far, and forgets them.
    pub(crate) fn take(&self) -> Vec<String> {
        self.sent
            .lock()
            .map(|mut sent| std::mem::take(&mut *sent))
            .unwrap_or_default()
    }
}

impl Backend for Recording {
    fn id(&self) -> &BackendId {
        self.inner.id()
    }

    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<ChatStream, LlmError>> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.extend(
                request
                    .messages()
                    .iter()
                    .map(|m| m.content().as_str().to_owned()),
            );
        }
        self.inner.chat(request)
    }

    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, LlmError>> {
        self.inner.server_info()
    }

    fn count_tokens<'a>(
        &'a self,
        text: &'a Scrubbed,
    ) -> BoxFuture<'a, Result<Option<u32>, LlmError>> {
        self.inner.count_tokens(text)
    }
}
