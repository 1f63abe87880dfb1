//! End-to-end tests: the `kubewhy` binary against files, the demo, and the Kubernetes API
//! simulator over HTTPS with a generated kubeconfig.

mod demo;
mod engine;
mod files;
mod formats;
mod live;
mod support;
