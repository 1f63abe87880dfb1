//! Every backend against the LLM simulator, over real sockets: what reaches the wire (paths,
//! headers, bodies made only of scrubbed text), streamed and whole answers, token usage,
//! context windows and slots, token counting, errors that name the URL, and `HTTPS_PROXY`.

mod common;

use common::{
    KEY, REAL_NAMES, backend, collect, env, options, profile, request, sim_prompt_tokens,
    sim_tokens, start,
};
use kubewhy_llm::{
    Backend, BackendKind, BuildError, ChatRequest, Dispatcher, FinishReason, LlmError, RetryPolicy,
    ServerInfo, Usage, build, prompt::parse_answer,
};
use kubewhy_scrub::Policy;
use kubewhy_sim::{Flavor, LlmSimOptions, RecordedLlmRequest};
use serde_json::Value;

/// Nothing but pseudonyms left the process.
fn assert_scrubbed(recorded: &RecordedLlmRequest) {
    let body = recorded.body_text();
    for real in REAL_NAMES {
        assert!(!body.contains(real), "{real} reached the wire: {body}");
    }
    assert!(body.contains("deployment-1-pod-1"), "{body}");
    assert!(
        !recorded.headers.iter().any(|(_, v)| v.contains(KEY)),
        "the key is recorded unmasked"
    );
}

fn messages_sent(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn openai_streams_scrubbed_text_and_reports_the_servers_usage() {
    let mut options = options();
    options.chunk_chars = 7;
    let sim = start(options).await;
    let mut openai = profile(BackendKind::OpenAi, &sim);
    openai.headers.insert("X-Team".into(), "sre".into());
    let backend = build("work", &openai, &env).unwrap();
    let request = request().with_max_tokens(300).json();
    let (text, finish) = collect(backend.chat(&request).await.unwrap()).await;
    let finish = finish.unwrap();
    assert_eq!(finish.reason, FinishReason::Stop);
    let usage = finish.usage.expect("usage from the include_usage chunk");
    assert_eq!(
        usage,
        Usage {
            prompt_tokens: sim_prompt_tokens(&request),
            completion_tokens: sim_tokens(&text)
        }
    );
    let answer = parse_answer(&text).structured.expect("a structured answer");
    assert!(answer.summary.contains("deployment-1"), "{answer:?}");

    let recorded = sim.chat_requests();
    assert_eq!(recorded.len(), 1);
    let sent = &recorded[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(sent.header("authorization"), Some("Bearer <redacted>"));
    assert_eq!(sent.header("x-team"), Some("sre"));
    assert!(sent.header("user-agent").unwrap().starts_with("kubewhy/"));
    assert_scrubbed(sent);
    let body = sent.json().unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 300);
    assert!(body.get("max_completion_tokens").is_none());
    assert!(body["temperature"].is_number());
    assert_eq!(body["response_format"]["type"], "json_object");
    let contents: Vec<String> = request
        .messages()
        .iter()
        .map(|m| m.content().as_str().to_owned())
        .collect();
    assert_eq!(
        messages_sent(&body),
        contents,
        "the scrubbed text, byte for byte"
    );
}

#[tokio::test]
async fn reasoning_models_get_max_completion_tokens_and_no_temperature() {
    let sim = start(options()).await;
    let mut o3 = profile(BackendKind::OpenAi, &sim);
    o3.model = Some("o3-mini".into());
    let backend = build("o3", &o3, &env).unwrap();
    let (_, finish) = collect(backend.chat(&request().with_max_tokens(300)).await.unwrap()).await;
    finish.unwrap();
    let body = sim.chat_requests()[0].json().unwrap();
    assert_eq!(body["max_completion_tokens"], 300);
    assert!(body.get("max_tokens").is_none(), "{body}");
    assert!(body.get("temperature").is_none(), "{body}");
}

#[tokio::test]
async fn every_backend_answers_without_streaming() {
    let sim = start(options()).await;
    for kind in common::KINDS {
        sim.clear_requests();
        let backend = backend(kind, &sim);
        let request = request().without_stream();
        let (text, finish) = collect(backend.chat(&request).await.unwrap()).await;
        let finish = finish.unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(parse_answer(&text).structured.is_some(), "{kind}: {text}");
        assert_eq!(
            finish.usage.unwrap().prompt_tokens,
            sim_prompt_tokens(&request),
            "{kind}"
        );
        let sent = sim.chat_requests().pop().unwrap();
        assert_ne!(sent.json().unwrap()["stream"], true, "{kind}");
        assert_scrubbed(&sent);
    }
}

#[tokio::test]
async fn azure_sends_the_deployment_path_the_api_version_and_an_api_key_header() {
    let sim = start(options()).await;
    let mut azure = profile(BackendKind::Azure, &sim);
    azure.api_version = Some("2025-01-01-preview".into());
    let backend = build("azure", &azure, &env).unwrap();
    assert_eq!(backend.id().model, "gpt-4o");
    let (text, finish) = collect(backend.chat(&request()).await.unwrap()).await;
    assert!(finish.unwrap().usage.is_some());
    assert!(!text.is_empty());
    let sent = &sim.chat_requests()[0];
    assert_eq!(sent.path, "/openai/deployments/gpt-4o/chat/completions");
    assert_eq!(sent.query, "api-version=2025-01-01-preview");
    assert_eq!(sent.header("api-key"), Some("<redacted>"));
    assert_eq!(sent.header("authorization"), None);
    assert_scrubbed(sent);
}

#[tokio::test]
async fn ollama_uses_its_native_api_with_num_ctx_and_its_counts() {
    let sim = start(options()).await;
    let mut ollama = profile(BackendKind::Ollama, &sim);
    // A base URL copied from an OpenAI-style setup still reaches the native API.
    ollama.base_url = Some(format!("{}/v1/", sim.url()));
    let backend = build("ollama", &ollama, &env).unwrap();
    assert_eq!(
        backend.server_info().await.unwrap(),
        ServerInfo {
            context_window: Some(8192),
            slots: None
        }
    );
    let request = request().json();
    for _ in 0..2 {
        let (text, finish) = collect(backend.chat(&request).await.unwrap()).await;
        let usage = finish.unwrap().usage.unwrap();
        assert_eq!(
            usage,
            Usage {
                prompt_tokens: sim_prompt_tokens(&request),
                completion_tokens: sim_tokens(&text)
            }
        );
    }
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        ["POST /api/show", "POST /api/chat", "POST /api/chat"],
        "the model is shown once"
    );
    let show = sim.requests()[0].json().unwrap();
    assert_eq!(show["model"], "llama3.2");
    let sent = &sim.chat_requests()[0];
    assert_scrubbed(sent);
    let body = sent.json().unwrap();
    assert_eq!(body["options"]["num_ctx"], 8192);
    assert_eq!(body["stream"], true);
    assert_eq!(body["format"], "json");
    assert_eq!(body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn ollamas_window_is_the_models_length_capped_by_the_profile() {
    let sim = start(options()).await;
    let mut small = profile(BackendKind::Ollama, &sim);
    small.model = Some("tinyllama".into());
    let backend = build("tiny", &small, &env).unwrap();
    assert_eq!(
        backend.server_info().await.unwrap().context_window,
        Some(2048)
    );
    let mut capped = profile(BackendKind::Ollama, &sim);
    capped.context_window = Some(4096);
    let backend = build("capped", &capped, &env).unwrap();
    collect(backend.chat(&request()).await.unwrap())
        .await
        .1
        .unwrap();
    assert_eq!(
        sim.chat_requests()[0].json().unwrap()["options"]["num_ctx"],
        4096
    );
}

#[tokio::test]
async fn llama_cpp_reports_its_context_per_slot_counts_tokens_and_caps_concurrency() {
    let sim = start(LlmSimOptions {
        flavor: Flavor::LlamaCpp,
        total_context: 16_384,
        slots: 4,
        ..options()
    })
    .await;
    let backend = backend(BackendKind::Local, &sim);
    assert_eq!(
        backend.server_info().await.unwrap(),
        ServerInfo {
            context_window: Some(4096),
            slots: Some(4)
        }
    );
    let request = request();
    let text = request.messages()[1].content();
    assert_eq!(
        backend.count_tokens(text).await.unwrap(),
        Some(sim_tokens(text.as_str()))
    );
    let tokenized = sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/tokenize")
        .unwrap();
    assert_eq!(
        tokenized.json().unwrap()["content"],
        text.as_str(),
        "only scrubbed text is tokenized"
    );
    let (_, finish) = collect(backend.chat(&request).await.unwrap()).await;
    assert_eq!(
        finish.unwrap().usage.unwrap().prompt_tokens,
        sim_prompt_tokens(&request)
    );
    let sent = sim.chat_requests().pop().unwrap();
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.json().unwrap()["stream_options"]["include_usage"],
        true
    );
    assert_scrubbed(&sent);

    let two_slots = start(LlmSimOptions {
        flavor: Flavor::LlamaCpp,
        slots: 2,
        ..options()
    })
    .await;
    let dispatcher =
        Dispatcher::connect(backend_for(&two_slots), RetryPolicy::default(), Some(8)).await;
    assert_eq!(dispatcher.concurrency(), 2);
    let dispatcher =
        Dispatcher::connect(backend_for(&two_slots), RetryPolicy::default(), Some(1)).await;
    assert_eq!(dispatcher.concurrency(), 1);
    let openai = Dispatcher::connect(
        common::backend(BackendKind::OpenAi, &sim),
        RetryPolicy::default(),
        None,
    )
    .await;
    assert_eq!(openai.concurrency(), 4);
}

fn backend_for(sim: &kubewhy_sim::LlmSim) -> std::sync::Arc<dyn Backend> {
    backend(BackendKind::Local, sim)
}

#[tokio::test]
async fn vllm_usage_chunks_without_choices_are_read() {
    let sim = start(LlmSimOptions {
        flavor: Flavor::Vllm,
        ..options()
    })
    .await;
    let backend = backend(BackendKind::Local, &sim);
    assert_eq!(
        backend.server_info().await.unwrap(),
        ServerInfo {
            context_window: Some(32_768),
            slots: None
        }
    );
    let request = request();
    let (text, finish) = collect(backend.chat(&request).await.unwrap()).await;
    let usage = finish
        .unwrap()
        .usage
        .expect("the usage chunk without choices");
    assert_eq!(usage.completion_tokens, sim_tokens(&text));
}

#[tokio::test]
async fn a_server_without_props_or_tokenize_is_asked_once() {
    let sim = start(options()).await;
    let backend = backend(BackendKind::Local, &sim);
    assert_eq!(backend.server_info().await.unwrap(), ServerInfo::default());
    let request = request();
    for _ in 0..2 {
        assert_eq!(
            backend
                .count_tokens(request.messages()[0].content())
                .await
                .unwrap(),
            None
        );
    }
    let tokenize = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/tokenize")
        .count();
    assert_eq!(tokenize, 1);
}

#[tokio::test]
async fn errors_name_the_url_and_what_to_do() {
    let sim = start(options()).await;
    let url = sim.url();

    let mut wrong = profile(BackendKind::OpenAi, &sim);
    wrong.api_key_env = Some("WRONG".into());
    let wrong_env = |name: &str| (name == "WRONG").then(|| "sk-wrong".into());
    let error = build("w", &wrong, &wrong_env)
        .unwrap()
        .chat(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, LlmError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains(&format!("{url}/v1/chat/completions")) && text.contains("api_key_env"),
        "{text}"
    );
    assert!(!text.contains("sk-wrong"), "{text}");

    let mut unknown = profile(BackendKind::OpenAi, &sim);
    unknown.model = Some("gpt-9".into());
    let error = build("u", &unknown, &env)
        .unwrap()
        .chat(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(error, LlmError::NotFound { .. }) && error.to_string().contains("gpt-9"),
        "{error}"
    );

    let mut deployment = profile(BackendKind::Azure, &sim);
    deployment.deployment = Some("nope".into());
    let error = build("d", &deployment, &env)
        .unwrap()
        .chat(&request())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("/openai/deployments/nope/chat/completions"),
        "{error}"
    );
    assert!(matches!(error, LlmError::NotFound { .. }), "{error:?}");

    let mut model = profile(BackendKind::Ollama, &sim);
    model.model = Some("mistral".into());
    let error = build("m", &model, &env)
        .unwrap()
        .chat(&request())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("model 'mistral' not found"),
        "{error}"
    );

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut closed = profile(BackendKind::Local, &sim);
    closed.base_url = Some(format!("http://127.0.0.1:{port}/v1"));
    let error = build("c", &closed, &env)
        .unwrap()
        .chat(&request())
        .await
        .unwrap_err();
    assert!(matches!(error, LlmError::Connect { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "cannot reach http://127.0.0.1:{port}/v1/chat/completions"
        )),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection refused"),
        "{text}"
    );
}

#[test]
fn profiles_that_cannot_work_are_refused_with_the_setting_to_add() {
    let no_env = |_: &str| None;
    let openai = kubewhy_llm::Profile {
        model: Some("gpt-4o".into()),
        ..kubewhy_llm::Profile::new(BackendKind::OpenAi)
    };
    let error = build("work", &openai, &no_env).unwrap_err();
    assert!(matches!(error, BuildError::MissingKey { .. }), "{error:?}");
    assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
    let azure = kubewhy_llm::Profile::new(BackendKind::Azure);
    assert!(
        build("az", &azure, &env)
            .unwrap_err()
            .to_string()
            .contains("needs `endpoint`")
    );
    let local = kubewhy_llm::Profile::new(BackendKind::Local);
    assert!(
        build("l", &local, &env)
            .unwrap_err()
            .to_string()
            .contains("needs `base_url`")
    );
    let bad_url = kubewhy_llm::Profile {
        base_url: Some("ftp://x".into()),
        ..local.clone()
    };
    assert!(
        build("l", &bad_url, &env)
            .unwrap_err()
            .to_string()
            .contains("http or https")
    );
    let mut header = kubewhy_llm::Profile {
        base_url: Some("http://127.0.0.1:1/v1".into()),
        ..local
    };
    header.headers.insert("bad header".into(), "x".into());
    assert!(matches!(
        build("l", &header, &env).unwrap_err(),
        BuildError::BadHeader { .. }
    ));
}

#[tokio::test]
async fn keys_never_show_in_debug_output() {
    let sim = start(options()).await;
    for kind in common::KINDS {
        let mut with_key = profile(kind, &sim);
        with_key.api_key_env = Some("LOCAL_KEY".into());
        let backend = build("k", &with_key, &env).unwrap();
        let debug = format!("{backend:?}");
        assert!(!debug.contains(KEY), "{kind}: {debug}");
    }
}

#[tokio::test]
async fn text_scrubbed_to_keep_names_goes_only_to_loopback() {
    let sim = start(options()).await;
    let mut redacting = common::scrubber(Policy::RedactSecrets);
    let request = ChatRequest::new(vec![kubewhy_llm::Message::user(common::scrub(
        &mut redacting,
        "checkout crashes",
    ))]);
    let local = Dispatcher::new(backend(BackendKind::Local, &sim), RetryPolicy::default(), 1);
    local.complete(&request, |_| {}).await.unwrap();
    assert!(
        sim.chat_requests()[0]
            .body_text()
            .contains("checkout crashes")
    );
    // A backend off loopback is refused before anything is sent (this address is never
    // contacted).
    let mut remote = profile(BackendKind::Local, &sim);
    remote.base_url = Some("http://192.0.2.10:8080/v1".into());
    let remote = Dispatcher::new(
        build("remote", &remote, &env).unwrap(),
        RetryPolicy::default(),
        1,
    );
    let error = remote.complete(&request, |_| {}).await.unwrap_err();
    assert!(matches!(error, LlmError::Refused { .. }), "{error:?}");
    assert!(error.to_string().contains("trusted"), "{error}");
    let mut trusted = profile(BackendKind::Local, &sim);
    trusted.base_url = Some("http://192.0.2.10:8080/v1".into());
    trusted.trusted = true;
    assert!(build("t", &trusted, &env).unwrap().id().may_receive_names());
}

#[tokio::test]
async fn the_simulator_lists_its_models_as_each_server_does() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = start(LlmSimOptions {
        flavor: Flavor::Vllm,
        ..options()
    })
    .await;
    let client = reqwest::Client::new();
    let tags: Value = client
        .get(format!("{}/api/tags", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = tags["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"llama3.2:latest"), "{tags}");
    let models: Value = client
        .get(format!("{}/v1/models", sim.url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gpt = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "gpt-4o")
        .unwrap();
    assert_eq!(gpt["max_model_len"], 128_000);
    let denied = client
        .get(format!("{}/v1/models", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let recorded = sim.requests();
    assert_eq!(
        recorded.iter().filter(|r| r.path == "/v1/models").count(),
        2
    );
}
