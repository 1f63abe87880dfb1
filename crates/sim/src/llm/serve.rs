//! Streamed bodies that pause between frames or break the connection midway.

use std::time::Duration;

use axum::body::Body;
use futures::StreamExt;

use super::LlmFault;

/// The frames of a streamed body, a pause between them, and whether the connection breaks
/// after the last one.
pub(super) struct Frames {
    items: Vec<String>,
    delay: Duration,
    cut: bool,
}

impl Frames {
    pub fn new(delay: Duration) -> Self {
        Self {
            items: Vec::new(),
            delay,
            cut: false,
        }
    }

    pub fn push(&mut self, frame: String) {
        self.items.push(frame);
    }

    /// A whole (not streamed) body, or its faulty forms: cut in half (cleanly, or by breaking
    /// the connection), or replaced by `error` for an error inside a 200.
    pub fn whole(&mut self, body: &str, fault: Option<LlmFault>, error: String) {
        let half = body.len() / 2;
        match fault {
            Some(LlmFault::MalformedJson | LlmFault::EndEarly { .. }) => {
                self.push(body[..half].to_owned());
            }
            Some(LlmFault::CutStream { .. }) => {
                self.push(body[..half].to_owned());
                self.cut();
            }
            Some(LlmFault::ErrorInStream) => self.push(error),
            _ => self.push(body.to_owned()),
        }
    }

    /// Breaks the connection after the frames pushed so far.
    pub fn cut(&mut self) {
        self.cut = true;
    }

    /// Applies a stream fault before content chunk `i` (`last`: after the final one). Returns
    /// true when the stream must end here.
    pub fn fault_at(
        &mut self,
        fault: Option<LlmFault>,
        i: usize,
        last: bool,
        malformed: &str,
    ) -> bool {
        let reached = |after: usize| after == i || (last && after >= i);
        match fault {
            Some(LlmFault::CutStream { after_chunks }) if reached(after_chunks) => {
                self.cut();
                true
            }
            Some(LlmFault::EndEarly { after_chunks }) if reached(after_chunks) => true,
            Some(LlmFault::MalformedJson) if i == 1 || (last && i == 0) => {
                self.push(malformed.to_owned());
                true
            }
            _ => false,
        }
    }
}

const CUT_PAUSE: Duration = Duration::from_millis(30);

/// A body that sends the frames one by one, pausing in between, and errors at the end when cut
/// (hyper then drops the connection without finishing the chunked encoding).
pub(super) fn stream_body(frames: Frames) -> Body {
    let Frames { items, delay, cut } = frames;
    let items = items
        .into_iter()
        .map(Ok)
        .chain(cut.then(|| Err(std::io::Error::other("stream cut by the simulator"))));
    let stream = futures::stream::iter(items).then(move |item| async move {
        // Before a cut, a pause lets hyper send what came before: a real cut happens after
        // the headers and some of the answer have gone out.
        let pause = if item.is_err() {
            delay.max(CUT_PAUSE)
        } else {
            delay
        };
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        item
    });
    Body::from_stream(stream)
}
