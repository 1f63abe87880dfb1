//! Shared by the tests: a scrubber over a small shop, a chat request made only of scrubbed
//! text, profiles of every kind pointing at an [`LlmSim`], and the simulator's token count.

#![allow(dead_code)] // Each test binary uses its own part.

use std::{collections::HashMap, ffi::OsString, sync::Arc};

use futures::StreamExt;
use kubewhy_llm::{
    BackendKind, ChatRequest, ChatStream, Finish, LlmError, Message, Profile, StreamEvent,
};
use kubewhy_scrub::{Category, DictionaryBuilder, Policy, ScrubConfig, Scrubbed, Scrubber};
use kubewhy_sim::{LlmSim, LlmSimOptions, SimModel};

/// The key the simulator wants.
pub const KEY: &str = "sk-kubewhy-test-0123456789abcdef";

/// Real names that must never reach the wire.
pub const REAL_NAMES: [&str; 4] = ["checkout", "shop", "payments-stripe", "10.1.2.3"];

pub fn scrubber(policy: Policy) -> Scrubber {
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
    Scrubber::new(Arc::new(dictionary), &ScrubConfig::default(), policy)
        .expect("the scrubber builds")
}

pub fn scrub(scrubber: &mut Scrubber, text: &str) -> Scrubbed {
    scrubber.scrub_text(text).expect("scrubs")
}

/// A system and a user message, both scrubbed.
pub fn request() -> ChatRequest {
    let mut scrubber = scrubber(Policy::Pseudonymize);
    ChatRequest::new(vec![
        Message::system(scrub(&mut scrubber, "You explain Kubernetes problems.")),
        Message::user(scrub(
            &mut scrubber,
            "Deployment shop/checkout: pod checkout-7d9f is in CrashLoopBackOff.\n\
             log: secret \"payments-stripe\" not found; dial tcp 10.1.2.3:5432: connection refused",
        )),
    ])
}

/// The simulator's prompt count for a request: a quarter token a character, four a message,
/// three more.
pub fn sim_prompt_tokens(request: &ChatRequest) -> u32 {
    request
        .messages()
        .iter()
        .map(|m| sim_tokens(m.content().as_str()) + 4)
        .sum::<u32>()
        + 3
}

pub fn sim_tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count().div_ceil(4)).unwrap()
}

pub fn models() -> Vec<SimModel> {
    vec![
        SimModel::new("gpt-4o-mini", 128_000),
        SimModel::new("gpt-4o", 128_000),
        SimModel::new("o3-mini", 200_000),
        SimModel::new("llama3.2:latest", 131_072),
        SimModel::new("tinyllama", 2048),
        SimModel::new("local-model", 32_768),
    ]
}

pub fn options() -> LlmSimOptions {
    LlmSimOptions {
        models: models(),
        api_key: Some(KEY.to_owned()),
        ..LlmSimOptions::default()
    }
}

pub async fn start(options: LlmSimOptions) -> LlmSim {
    LlmSim::start(options).await.expect("the simulator starts")
}

/// A profile of `kind` for the simulator.
pub fn profile(kind: BackendKind, sim: &LlmSim) -> Profile {
    let mut profile = Profile::new(kind);
    match kind {
        BackendKind::OpenAi => {
            profile.base_url = Some(format!("{}/v1", sim.url()));
            profile.model = Some("gpt-4o-mini".into());
        }
        BackendKind::Azure => {
            profile.endpoint = Some(sim.url());
            profile.deployment = Some("gpt-4o".into());
        }
        BackendKind::Ollama => {
            profile.base_url = Some(sim.url());
            profile.model = Some("llama3.2".into());
        }
        BackendKind::Local => return local_profile(&sim.url()),
    }
    profile
}

/// A `local` profile for the server at `url` (no `/v1`).
pub fn local_profile(url: &str) -> Profile {
    let mut profile = Profile::new(BackendKind::Local);
    profile.base_url = Some(format!("{url}/v1"));
    profile.model = Some("local-model".into());
    profile.api_key_env = Some("LOCAL_KEY".into());
    profile
}

/// The environment the tests run with: the key under every name the profiles read.
pub fn env(name: &str) -> Option<OsString> {
    let vars: HashMap<&str, &str> = [
        ("OPENAI_API_KEY", KEY),
        ("AZURE_OPENAI_API_KEY", KEY),
        ("LOCAL_KEY", KEY),
    ]
    .into_iter()
    .collect();
    vars.get(name).map(OsString::from)
}

pub const KINDS: [BackendKind; 4] = [
    BackendKind::OpenAi,
    BackendKind::Azure,
    BackendKind::Ollama,
    BackendKind::Local,
];

pub fn backend(kind: BackendKind, sim: &LlmSim) -> Arc<dyn kubewhy_llm::Backend> {
    kubewhy_llm::build(&kind.to_string(), &profile(kind, sim), &env).expect("the backend builds")
}

/// The text of a stream and how it ended.
pub async fn collect(mut stream: ChatStream) -> (String, Result<Finish, LlmError>) {
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(StreamEvent::Delta(delta)) => text.push_str(&delta),
            Ok(StreamEvent::Finish(finish)) => return (text, Ok(finish)),
            Err(error) => return (text, Err(error)),
        }
    }
    (
        text,
        Err(LlmError::Empty {
            url: "no finish".into(),
        }),
    )
}
