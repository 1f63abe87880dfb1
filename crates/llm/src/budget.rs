//! Fitting a prompt to the model's context. Tokens are counted with tiktoken for OpenAI's
//! models and estimated for others, the estimate calibrated against the server's own count.
//! The window comes from the server (Ollama's `/api/show`, llama.cpp's `/props`), the profile,
//! or a table of hosted models; room is kept for the answer. Evidence is filled by priority,
//! section by section, and whatever is left out is named in a marker.

use std::{
    fmt,
    sync::atomic::{AtomicU64, Ordering},
};

use kubewhy_scrub::{Part, ScrubError, Scrubbed, Scrubber, Template};
use tiktoken_rs::CoreBPE;

use crate::{BackendId, BackendKind, Message, ServerInfo};

/// The window assumed when nothing says: small, so that nothing is cut by a server.
pub const DEFAULT_CONTEXT_WINDOW: u32 = 4096;

/// Counts tokens: exactly with the model family's tiktoken encoding, or by an estimate that
/// starts pessimistic (three characters a token) and is calibrated by the server's counts.
pub struct TokenCounter {
    bpe: Option<&'static CoreBPE>,
    encoding: &'static str,
    /// Estimated tokens per character, as `f64` bits.
    ratio: AtomicU64,
}

impl fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCounter")
            .field("encoding", &self.encoding)
            .field("ratio", &self.ratio())
            .finish_non_exhaustive()
    }
}

const START_RATIO: f64 = 1.0 / 3.0;

impl TokenCounter {
    /// The counter for a backend's model: tiktoken for OpenAI and Azure models it knows, an
    /// estimate for every other.
    #[must_use]
    pub fn for_backend(id: &BackendId) -> Self {
        match id.kind {
            BackendKind::OpenAi | BackendKind::Azure => Self::for_openai_model(&id.model),
            BackendKind::Ollama | BackendKind::Local => Self::estimate(),
        }
    }

    /// tiktoken's encoding for an OpenAI model (`o200k_base` for gpt-4o, o-series and gpt-5,
    /// `cl100k_base` for gpt-4 and gpt-3.5), or an estimate for a name it does not know.
    #[must_use]
    pub fn for_openai_model(model: &str) -> Self {
        let model = model.rsplit('/').next().unwrap_or(model);
        match tiktoken_rs::tokenizer::get_tokenizer(model) {
            Some(tokenizer) => {
                let encoding = match tokenizer {
                    tiktoken_rs::tokenizer::Tokenizer::O200kBase => "o200k_base",
                    tiktoken_rs::tokenizer::Tokenizer::Cl100kBase => "cl100k_base",
                    _ => "tiktoken",
                };
                Self {
                    bpe: tiktoken_rs::bpe_for_tokenizer(tokenizer).ok(),
                    encoding,
                    ratio: AtomicU64::new(START_RATIO.to_bits()),
                }
            }
            None => Self::estimate(),
        }
    }

    /// An estimate, to be calibrated.
    #[must_use]
    pub fn estimate() -> Self {
        Self {
            bpe: None,
            encoding: "estimate",
            ratio: AtomicU64::new(START_RATIO.to_bits()),
        }
    }

    /// The encoding's name, or `estimate`.
    #[must_use]
    pub fn encoding(&self) -> &'static str {
        if self.bpe.is_some() {
            self.encoding
        } else {
            "estimate"
        }
    }

    /// Whether counts are exact.
    #[must_use]
    pub fn is_exact(&self) -> bool {
        self.bpe.is_some()
    }

    fn ratio(&self) -> f64 {
        f64::from_bits(self.ratio.load(Ordering::Relaxed))
    }

    /// The tokens of a text.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // Character counts far below 2^52.
    pub fn count(&self, text: &str) -> u32 {
        if let Some(bpe) = self.bpe {
            return u32::try_from(bpe.encode_ordinary(text).len()).unwrap_or(u32::MAX);
        }
        let chars = text.chars().count() as f64;
        to_u32((chars * self.ratio()).ceil())
    }

    /// The tokens of a chat: each message's content plus its framing (about four tokens a
    /// message and three for the reply's start, as OpenAI counts them).
    #[must_use]
    pub fn count_messages(&self, messages: &[Message]) -> u32 {
        let content: u32 = messages
            .iter()
            .map(|m| self.count(m.content().as_str()).saturating_add(4))
            .fold(0, u32::saturating_add);
        content.saturating_add(3)
    }

    /// Learns from the server's count of a prompt this counter estimated at `estimated`.
    /// Exact counters ignore it. The ratio moves toward the observed one, and stays within
    /// one token per eight characters and one per character.
    pub fn calibrate(&self, estimated: u32, actual: u32) {
        if self.is_exact() || estimated == 0 || actual == 0 {
            return;
        }
        let observed = self.ratio() * f64::from(actual) / f64::from(estimated);
        // Half-way there: one odd prompt should not swing the estimate.
        let next = f64::midpoint(self.ratio(), observed);
        let next = next.clamp(1.0 / 8.0, 1.0);
        self.ratio.store(next.to_bits(), Ordering::Relaxed);
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // Clamped first.
fn to_u32(value: f64) -> u32 {
    value.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Where a context window came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSource {
    /// The server said (or, for Ollama, the `num_ctx` kubewhy sends).
    Server,
    /// The profile's `context_window`.
    Profile,
    /// kubewhy's table of hosted models.
    Table,
    /// Nothing said: [`DEFAULT_CONTEXT_WINDOW`].
    Default,
}

/// A model's context window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextWindow {
    /// Tokens, prompt and answer together.
    pub tokens: u32,
    /// Where the number came from.
    pub source: WindowSource,
}

/// The window for a backend: the server's, else the profile's, else the table's, else the
/// default.
#[must_use]
pub fn context_window(id: &BackendId, server: &ServerInfo, profile: Option<u32>) -> ContextWindow {
    let (tokens, source) = if let Some(tokens) = server.context_window {
        (tokens, WindowSource::Server)
    } else if let Some(tokens) = profile {
        (tokens, WindowSource::Profile)
    } else if let Some(tokens) = hosted_context_window(&id.model) {
        (tokens, WindowSource::Table)
    } else {
        (DEFAULT_CONTEXT_WINDOW, WindowSource::Default)
    };
    ContextWindow { tokens, source }
}

/// The context window of a common hosted model, by name.
#[must_use]
pub fn hosted_context_window(model: &str) -> Option<u32> {
    let model = model.rsplit('/').next().unwrap_or(model);
    tiktoken_rs::model::get_context_size(model).and_then(|n| u32::try_from(n).ok())
}

/// The room kept for the answer: `--max-tokens`, else a quarter of the window up to 1,024.
#[must_use]
pub fn answer_reserve(window: u32, max_tokens: Option<u32>) -> u32 {
    max_tokens.unwrap_or((window / 4).min(1024))
}

/// How evidence items compete for room within a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The first items first.
    First,
    /// The last items first (a log's tail).
    Last,
    /// Lines that read as errors first, then warnings, each group latest first.
    ErrorsFirst,
}

/// One kind of evidence, in priority order with the others.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading (`events`, `logs`).
    pub name: &'static str,
    /// What an item is, for the marker (`events`, `log lines`).
    pub unit: &'static str,
    /// The items, scrubbed, in their natural order.
    pub items: Vec<Scrubbed>,
    /// Which items win when not all fit.
    pub order: Order,
}

/// What a section lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Omission {
    /// The section.
    pub section: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Items left out.
    pub left_out: usize,
    /// Items there were.
    pub of: usize,
}

impl fmt::Display for Omission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.left_out == self.of {
            write!(f, "all {} {}", self.of, self.unit)
        } else {
            write!(f, "{} of {} {}", self.left_out, self.of, self.unit)
        }
    }
}

/// The evidence that fits, by section, in the items' natural order.
#[derive(Debug, Clone)]
pub struct Fitted {
    sections: Vec<(&'static str, Vec<Scrubbed>)>,
    omissions: Vec<Omission>,
    tokens: u32,
}

impl Fitted {
    /// What was left out, section by section.
    #[must_use]
    pub fn omissions(&self) -> &[Omission] {
        &self.omissions
    }

    /// The tokens the kept evidence takes.
    #[must_use]
    pub fn tokens(&self) -> u32 {
        self.tokens
    }

    /// The kept items of each section.
    #[must_use]
    pub fn sections(&self) -> &[(&'static str, Vec<Scrubbed>)] {
        &self.sections
    }

    /// The marker naming what was left out: `left out to fit the model's context: 12 of 40 log
    /// lines; all 3 related objects`. `None` when everything fits.
    #[must_use]
    pub fn marker(&self) -> Option<String> {
        if self.omissions.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.omissions.iter().map(ToString::to_string).collect();
        Some(format!(
            "left out to fit the model's context: {}",
            parts.join("; ")
        ))
    }

    /// The kept evidence as one scrubbed text, a `## name` heading per section and one line
    /// per item. Only kubewhy's headings join the scrubbed items, and the result is checked
    /// again by the scrubber.
    pub fn evidence(&self, scrubber: &Scrubber) -> Result<Scrubbed, ScrubError> {
        const HEADING: Template = kubewhy_scrub::template!("## ");
        const NEWLINE: Template = kubewhy_scrub::template!("\n");
        let mut parts: Vec<Part<'_>> = Vec::new();
        for (name, items) in &self.sections {
            if items.is_empty() {
                continue;
            }
            if !parts.is_empty() {
                parts.push(NEWLINE.into());
            }
            parts.extend::<[Part<'_>; 3]>([
                HEADING.into(),
                Template::new(name).into(),
                NEWLINE.into(),
            ]);
            for item in items {
                parts.push(item.into());
                if !item.as_str().ends_with('\n') {
                    parts.push(NEWLINE.into());
                }
            }
        }
        scrubber.assemble(&parts)
    }
}

/// The room a prompt has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The context window.
    pub window: u32,
    /// Kept for the answer.
    pub answer_reserve: u32,
    /// Taken by what is always sent: the system prompt, the template, the finding.
    pub fixed: u32,
}

impl Budget {
    /// The tokens left for evidence, less a safety margin of 3% and 32 tokens for what
    /// counting cannot see (a server's chat template).
    #[must_use]
    pub fn available(&self) -> u32 {
        let margin = self.window / 33 + 32;
        self.window
            .saturating_sub(self.answer_reserve)
            .saturating_sub(self.fixed)
            .saturating_sub(margin)
    }

    /// Keeps what fits, section by section in the order given; within a section by its
    /// [`Order`], skipping an item too large for what is left and trying the next.
    #[must_use]
    pub fn fit(&self, counter: &TokenCounter, sections: Vec<Section>) -> Fitted {
        let mut left = self.available();
        let mut fitted = Fitted {
            sections: Vec::new(),
            omissions: Vec::new(),
            tokens: 0,
        };
        for section in sections {
            let heading = counter.count(section.name) + 2;
            let mut kept = vec![false; section.items.len()];
            let mut heading_paid = false;
            for index in preference(&section) {
                let cost = counter.count(section.items[index].as_str()) + 1;
                let extra = if heading_paid { 0 } else { heading };
                if cost + extra <= left {
                    left -= cost + extra;
                    fitted.tokens += cost + extra;
                    heading_paid = true;
                    kept[index] = true;
                }
            }
            let of = section.items.len();
            let items: Vec<Scrubbed> = section
                .items
                .into_iter()
                .zip(&kept)
                .filter_map(|(item, keep)| keep.then_some(item))
                .collect();
            if items.len() < of {
                fitted.omissions.push(Omission {
                    section: section.name,
                    unit: section.unit,
                    left_out: of - items.len(),
                    of,
                });
            }
            fitted.sections.push((section.name, items));
        }
        fitted
    }
}

/// The items' indexes, the most wanted first.
fn preference(section: &Section) -> Vec<usize> {
    let n = section.items.len();
    match section.order {
        Order::First => (0..n).collect(),
        Order::Last => (0..n).rev().collect(),
        Order::ErrorsFirst => {
            let mut indexes: Vec<usize> = (0..n).rev().collect();
            // Stable: within a rank, the latest lines stay first.
            indexes.sort_by_key(|&i| std::cmp::Reverse(error_rank(section.items[i].as_str())));
            indexes
        }
    }
}

/// 2 for a line that reads as an error, 1 for a warning, 0 otherwise.
#[must_use]
pub fn error_rank(line: &str) -> u8 {
    const ERRORS: [&str; 12] = [
        "error",
        "fatal",
        "panic",
        "exception",
        "traceback",
        "failed",
        "failure",
        "refused",
        "denied",
        "killed",
        "out of memory",
        "cannot",
    ];
    let lower = line.to_ascii_lowercase();
    if ERRORS.iter().any(|w| lower.contains(w)) {
        2
    } else {
        u8::from(lower.contains("warn"))
    }
}

#[cfg(test)]
mod tests;
