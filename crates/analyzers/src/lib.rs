//! kubewhy's checks. Every analyzer is a pure function of a [`Snapshot`]: no I/O, no clock (the
//! snapshot carries its `observed_at`), no randomness, so the same snapshot always gives the
//! same findings. Analyzers run in parallel; their results are concatenated in registry order.

mod evidence;
mod pods;
mod registry;

pub use registry::{Analyzer, Applies, CheckInfo, Filter, all_checks, check, registry, run};
