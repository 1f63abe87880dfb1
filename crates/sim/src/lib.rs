//! Simulators that speak real wire protocols over loopback, for tests, benchmarks and the demo.
//! [`KubeSim`] is a Kubernetes API server that serves a snapshot: discovery, list (selectors,
//! pagination), get, watch, pod logs, metadata-only lists, and injected faults. [`LlmSim`]
//! speaks the LLM wire formats; [`OllamaProxy`] puts Ollama's API in front of a real
//! llama.cpp server. [`SlackSim`] speaks Slack's Web API, `response_url`s, incoming webhooks,
//! Block Kit validation and Socket Mode.

mod generate;
mod kube;
mod llm;
pub mod slack;
pub mod soak;
mod tls;

pub use generate::{Format, GenerateError, GenerateOptions, Generated, generate, generate_cluster};
pub use kube::{
    Fault, KubeSim, KubeSimOptions, RETRY_AFTER_SECONDS, RecordedRequest, SimError, json_objects,
};
pub use llm::{
    Flavor, LlmFault, LlmSim, LlmSimOptions, OllamaProxy, OllamaProxyOptions, RecordedLlmRequest,
    SimAnswer, SimModel,
};
pub use slack::{
    Post, Rejection, SlackFault, SlackSim, SlackSimOptions, Target, Via, sign, signed_headers,
};
