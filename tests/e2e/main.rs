//! End-to-end tests: the `kubewhy` binary against files, the demo, and the Kubernetes API
//! simulator over HTTPS with a generated kubeconfig.

mod accuracy;
mod archives;
mod demo;
mod deploy;
mod engine;
mod evidence;
mod explain;
mod extremes;
mod faults;
mod files;
mod fleet;
mod formats;
mod k9s;
mod leaks;
mod live;
mod llama;
mod scale;
mod serve;
mod support;
mod tui;
