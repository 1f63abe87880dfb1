//! Simulators that speak real wire protocols over loopback, for tests, benchmarks and the demo.
//! [`KubeSim`] is a Kubernetes API server that serves a snapshot: discovery, list (selectors,
//! pagination), get, watch, pod logs, metadata-only lists, and injected faults. [`LlmSim`]
//! speaks the LLM wire formats; [`OllamaProxy`] puts Ollama's API in front of a real
//! llama.cpp server.

mod generate;
mod kube;
mod llm;
mod tls;

pub use generate::{GenerateOptions, generate};
pub use kube::{Fault, KubeSim, KubeSimOptions, RecordedRequest, SimError};
pub use llm::{
    Flavor, LlmFault, LlmSim, LlmSimOptions, OllamaProxy, OllamaProxyOptions, RecordedLlmRequest,
    SimAnswer, SimModel,
};
