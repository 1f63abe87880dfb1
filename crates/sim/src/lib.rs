//! Simulators that speak real wire protocols over loopback, for tests, benchmarks and the demo.
//! [`KubeSim`] is a Kubernetes API server that serves a snapshot: discovery, list (selectors,
//! pagination), get, watch, pod logs, metadata-only lists, and injected faults.

mod generate;
mod kube;
mod llm;
mod tls;

pub use generate::{GenerateOptions, generate};
pub use kube::{Fault, KubeSim, KubeSimOptions, RecordedRequest, SimError};
pub use llm::{Flavor, LlmFault, LlmSim, LlmSimOptions, RecordedLlmRequest, SimAnswer, SimModel};
