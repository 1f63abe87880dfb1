//! The audit log (`--audit-log PATH`): one JSON line per request sent, with the time, the
//! endpoint, the model, byte and token counts and a hash of what was sent. Never the content.

use std::{fmt::Write as _, io::Write as _, path::Path};

use kubewhy_llm::{BackendId, ChatRequest, Usage};

/// Appends one record. A log that cannot be written is a warning, never a failed run.
pub(crate) fn record(
    path: &Path,
    backend: &BackendId,
    request: &ChatRequest,
    usage: Option<Usage>,
) {
    let digest = request.digest();
    let hash = digest.iter().fold(String::with_capacity(64), |mut hex, b| {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let usage = usage.unwrap_or_default();
    let line = serde_json::json!({
        "time": jiff::Timestamp::now().to_string(),
        "endpoint": backend.endpoint,
        "backend": backend.name,
        "model": backend.model,
        "bytes": request.text_len(),
        "tokens_in": usage.prompt_tokens,
        "tokens_out": usage.completion_tokens,
        "sha256": hash,
    });
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{line}"));
    if let Err(error) = written {
        tracing::warn!("cannot write the audit log {}: {error}", path.display());
    }
}
