//! kubewhy's LLM layer: everything between a scrubbed issue and an answer.
//!
//! - [`Backend`]: one streaming trait, with OpenAI and Azure OpenAI (through async-openai),
//!   Ollama (native API) and `local` (any OpenAI-compatible server) behind it; [`build`] makes
//!   one from a [`Profile`] of the [`Config`].
//! - [`ChatRequest`]: messages whose content is a [`kubewhy_scrub::Scrubbed`] value and nothing
//!   else, so unscrubbed text cannot be sent.
//! - [`ChatStream`] and [`Answer`]: deltas, then a finish with the server's token usage; a cut
//!   stream is an error, never a complete answer.
//! - [`prompt`]: the templates of `prompts/` and the reading of answers; [`budget`]: token
//!   counts, context windows and fitting evidence; [`Dispatcher`]: concurrency, retries and
//!   rate-limit pauses; [`cache`]: answers on disk.

mod backend;
pub mod budget;
pub mod cache;
mod config;
mod dispatch;
mod error;
pub mod offline;
pub mod prompt;
mod request;
mod stream;

pub use backend::{Backend, BackendId, BuildError, ServerInfo, build, is_reasoning_model};
pub use config::{
    BackendKind, Config, ConfigError, ConfigLocation, Env, Price, Profile, Secret, cache_dir,
    config_dir, is_private, process_env,
};
pub use dispatch::{DEFAULT_CONCURRENCY, Dispatcher, Progress, RetryPolicy};
pub use error::LlmError;
pub use request::{AnswerFormat, ChatRequest, Message, Role};
pub use stream::{Answer, ChatStream, Finish, FinishReason, StreamEvent, Usage};

#[cfg(test)]
pub(crate) mod test_support {
    //! A scrubber over a small shop: `checkout` (a Deployment) with the pod `checkout-7d9f`,
    //! in the namespace `shop`, and the Secret `payments-stripe`.

    use std::sync::Arc;

    use kubewhy_scrub::{Category, DictionaryBuilder, Policy, ScrubConfig, Scrubbed, Scrubber};

    pub(crate) fn scrubber() -> Scrubber {
        let mut names = DictionaryBuilder::new();
        names
            .owned_name(
                "checkout-7d9f",
                Category::Pod,
                "checkout",
                Category::Deployment,
            )
            .name("shop", Category::Namespace)
            .name("payments-stripe", Category::Secret);
        let dictionary = names.build().expect("the dictionary builds");
        Scrubber::new(
            Arc::new(dictionary),
            &ScrubConfig::default(),
            Policy::Pseudonymize,
        )
        .expect("the scrubber builds")
    }

    pub(crate) fn scrubbed(scrubber: &mut Scrubber, text: &str) -> Scrubbed {
        scrubber.scrub_text(text).expect("scrubs")
    }
}
