//! The snapshot of a cluster that every analyzer reads, and the sources that produce one:
//! files and dumps, the built-in demo, and live clusters.

mod aliases;
mod clock;
mod compact;
pub mod demo;
pub mod files;
mod graph;
mod kinds;
pub mod listing;
pub mod live;
mod reporter;
mod secret;
mod selector;
mod snapshot;
mod source;
mod store;

/// The Kubernetes API types kubewhy reads, re-exported so every crate uses the same version.
pub use aliases::{KindName, kind_names, resolve_kind};
pub use clock::Age;
pub use compact::Compact;
pub use k8s_openapi::api as k8s;
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
pub use kube::api::DynamicObject;
pub use listing::{Listing, Listings};
pub use reporter::{Progress, Reporter, SourceEvent};
pub use secret::SecretMeta;
pub use selector::{LabelSelector, SelectorError};
pub use snapshot::{Snapshot, dynamic_ref, event_last_seen};
pub use source::{Collected, Scope, Source};
pub use store::{Object, Store, object_ref};
