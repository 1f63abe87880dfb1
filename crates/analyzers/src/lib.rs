//! kubewhy's checks. Every analyzer is a pure function of a [`Snapshot`]: no I/O, no clock (the
//! snapshot carries its `observed_at`), no randomness, so the same snapshot always gives the
//! same findings. Analyzers run in parallel; their results are concatenated in registry order.

mod ai;
mod catalog;
mod context;
mod controllers;
mod events;
mod evidence;
mod findings;
mod fix;
pub mod focus;
mod needs;
mod network;
mod nodes;
mod pods;
mod references;
mod registry;
mod static_checks;
mod storage;
pub mod workload;

pub use catalog::{Applies, Catalog, CheckInfo, SECTIONS, catalog};
pub use context::Context;
pub use fix::{FIX_PLACEHOLDERS, fill_fix, unknown_placeholders};
pub use needs::unjudged;
pub use registry::{Analyzer, Filter, all_checks, check, registry, run};
