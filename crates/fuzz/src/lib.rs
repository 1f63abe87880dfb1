//! kubewhy's fuzz harnesses, on the stable toolchain. A small mutational fuzzer
//! ([`campaign`]) feeds the targets ([`targets`]): the file source, the analyzers, the
//! anonymizer, the Slack request parsers and the MCP request parser. Each input runs under
//! `catch_unwind` on a worker thread with a time limit, so a panic or a hang is a finding, not
//! the end of the run. Without coverage instrumentation, an input joins the corpus when it
//! shows a behaviour no input showed before (an error of a new kind, a new count of objects,
//! a check that had not fired).
//!
//! The corpus under `corpus/<target>/` and the crashes fixed since, under `regressions/<target>/`,
//! are replayed by `cargo test`; inputs that still crash wait under `known/<target>/`.

pub mod campaign;
pub mod features;
pub mod generate;
pub mod mutate;
pub mod panics;
pub mod targets;

pub use campaign::{Campaign, Config, Crash, Stats};
pub use features::Features;
pub use targets::{TARGETS, Target, target};
