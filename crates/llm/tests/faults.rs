//! Every fault the simulator injects, against every backend, through the dispatcher: how each is
//! classified, which are retried (honouring `Retry-After`, backing off otherwise), how a 429
//! pauses the whole queue, the concurrency limit, and that a cut answer never passes for a
//! complete one.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{KINDS, backend, options, request, start};
use kubewhy_llm::{BackendKind, Dispatcher, LlmError, Progress, RetryPolicy};
use kubewhy_sim::{Flavor, LlmFault, LlmSimOptions, RecordedLlmRequest};

fn once() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1,
        request_timeout: Duration::from_millis(300),
        ..RetryPolicy::default()
    }
}

fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(400),
        request_timeout: Duration::from_millis(300),
        ..RetryPolicy::default()
    }
}

/// What each fault must become, whatever the backend.
fn expected(fault: LlmFault, error: &LlmError) -> bool {
    match fault {
        LlmFault::RateLimited { retry_after } => {
            matches!(error, LlmError::RateLimited { .. })
                && error.retry_after()
                    == retry_after.map(|d| Duration::from_millis(d.as_millis() as u64))
        }
        LlmFault::ServerError => matches!(error, LlmError::Status { status: 500, .. }),
        LlmFault::Status(code) => match code {
            401 | 403 => matches!(error, LlmError::Unauthorized { .. }),
            _ => matches!(error, LlmError::Status { status, .. } if *status == code),
        },
        LlmFault::Delay(_) => matches!(error, LlmError::Timeout { .. }),
        LlmFault::MalformedJson => matches!(error, LlmError::Malformed { .. }),
        LlmFault::CutStream { .. } | LlmFault::EndEarly { .. } => {
            matches!(error, LlmError::Incomplete { received, .. } if *received > 0)
        }
        LlmFault::EmptyAnswer => matches!(error, LlmError::Empty { .. }),
        LlmFault::ContextOverflow => matches!(error, LlmError::ContextOverflow { .. }),
        LlmFault::ErrorInStream => matches!(error, LlmError::Remote { .. }),
    }
}

const FAULTS: [LlmFault; 11] = [
    LlmFault::RateLimited {
        retry_after: Some(Duration::from_secs(2)),
    },
    LlmFault::RateLimited { retry_after: None },
    LlmFault::ServerError,
    LlmFault::Status(503),
    LlmFault::Delay(Duration::from_millis(900)),
    LlmFault::MalformedJson,
    LlmFault::CutStream { after_chunks: 2 },
    LlmFault::EndEarly { after_chunks: 2 },
    LlmFault::EmptyAnswer,
    LlmFault::ContextOverflow,
    LlmFault::ErrorInStream,
];

#[tokio::test]
async fn every_fault_is_classified_the_same_for_every_backend() {
    let sim = start(options()).await;
    for kind in KINDS {
        let dispatcher = Dispatcher::new(backend(kind, &sim), once(), 1);
        // Ollama's `/api/show` comes first: let it pass before the faults are queued.
        dispatcher.backend().server_info().await.unwrap();
        for fault in FAULTS {
            sim.push_faults([fault]);
            let error = dispatcher
                .complete(&request(), |_| {})
                .await
                .expect_err(&format!("{kind} with {fault:?} answered"));
            assert!(expected(fault, &error), "{kind} with {fault:?}: {error:?}");
            assert!(error.to_string().contains(&sim.url()), "{kind}: {error}");
        }
        // And with the faults gone, it answers.
        dispatcher.complete(&request(), |_| {}).await.unwrap();
    }
}

#[tokio::test]
async fn whole_answers_fail_the_same_way_when_not_streamed() {
    let sim = start(options()).await;
    for kind in KINDS {
        let dispatcher = Dispatcher::new(backend(kind, &sim), once(), 1);
        dispatcher.backend().server_info().await.unwrap();
        for (fault, is_expected) in [
            (
                LlmFault::MalformedJson,
                (|e: &LlmError| matches!(e, LlmError::Malformed { .. })) as fn(&LlmError) -> bool,
            ),
            (LlmFault::CutStream { after_chunks: 0 }, |e| {
                matches!(e, LlmError::Incomplete { .. })
            }),
            (LlmFault::EndEarly { after_chunks: 0 }, |e| {
                matches!(e, LlmError::Malformed { .. })
            }),
            (LlmFault::EmptyAnswer, |e| {
                matches!(e, LlmError::Empty { .. })
            }),
            (LlmFault::ErrorInStream, |e| {
                matches!(e, LlmError::Remote { .. })
            }),
        ] {
            sim.push_faults([fault]);
            let error = dispatcher
                .complete(&request().without_stream(), |_| {})
                .await
                .unwrap_err();
            assert!(is_expected(&error), "{kind} with {fault:?}: {error:?}");
        }
    }
}

fn gap(earlier: &RecordedLlmRequest, later: &RecordedLlmRequest) -> u64 {
    later.started_ms - earlier.answered_ms
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds_and_milliseconds() {
    let sim = start(options()).await;
    let dispatcher = Dispatcher::new(backend(BackendKind::OpenAi, &sim), quick(3), 1);
    sim.push_faults([LlmFault::RateLimited {
        retry_after: Some(Duration::from_secs(1)),
    }]);
    let mut waits = Vec::new();
    let answer = dispatcher
        .complete(&request(), |p| {
            if let Progress::Retrying { delay, .. } = p {
                waits.push(delay);
            }
        })
        .await
        .unwrap();
    assert_eq!(answer.attempts, 2);
    assert_eq!(waits, [Duration::from_secs(1)]);
    let calls = sim.chat_requests();
    assert!(gap(&calls[0], &calls[1]) >= 990, "{calls:?}");
    assert!(answer.latency >= Duration::from_secs(1));

    // OpenAI's `retry-after-ms` is more precise than the rounded-up `Retry-After`.
    sim.clear_requests();
    sim.push_faults([LlmFault::RateLimited {
        retry_after: Some(Duration::from_millis(300)),
    }]);
    dispatcher.complete(&request(), |_| {}).await.unwrap();
    let calls = sim.chat_requests();
    let waited = gap(&calls[0], &calls[1]);
    assert!((295..900).contains(&waited), "{waited}");
}

#[tokio::test]
async fn without_retry_after_the_backoff_grows() {
    let sim = start(options()).await;
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(2),
        ..quick(4)
    };
    let dispatcher = Dispatcher::new(backend(BackendKind::Local, &sim), policy, 1);
    sim.push_faults([
        LlmFault::RateLimited { retry_after: None },
        LlmFault::ServerError,
        LlmFault::Status(502),
    ]);
    let answer = dispatcher.complete(&request(), |_| {}).await.unwrap();
    assert_eq!(answer.attempts, 4);
    let calls = sim.chat_requests();
    let gaps: Vec<u64> = calls.windows(2).map(|w| gap(&w[0], &w[1])).collect();
    // Equal jitter: each wait lies between half and all of 200, 400 and 800 ms (plus the time a
    // busy machine takes to send the next call).
    assert!((100..=400).contains(&gaps[0]), "{gaps:?}");
    assert!((200..=600).contains(&gaps[1]), "{gaps:?}");
    assert!((400..=1000).contains(&gaps[2]), "{gaps:?}");
}

#[tokio::test]
async fn retries_stop_at_the_maximum_with_the_last_error() {
    let sim = start(options()).await;
    let dispatcher = Dispatcher::new(backend(BackendKind::Azure, &sim), quick(3), 1);
    sim.set_persistent_fault(Some(LlmFault::ServerError));
    let mut retries = 0;
    let error = dispatcher
        .complete(&request(), |p| {
            retries += u32::from(matches!(p, Progress::Retrying { .. }));
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, LlmError::Status { status: 500, .. }),
        "{error:?}"
    );
    assert_eq!((sim.chat_requests().len(), retries), (3, 2));
    // A Retry-After beyond what kubewhy waits fails at once.
    sim.set_persistent_fault(None);
    sim.clear_requests();
    sim.push_faults([LlmFault::RateLimited {
        retry_after: Some(Duration::from_hours(1)),
    }]);
    let error = dispatcher.complete(&request(), |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("retry after 3600s"), "{error}");
    assert_eq!(sim.chat_requests().len(), 1);
}

#[tokio::test]
async fn what_retrying_cannot_fix_is_not_retried() {
    let sim = start(LlmSimOptions {
        flavor: Flavor::LlamaCpp,
        total_context: 32,
        ..options()
    })
    .await;
    let dispatcher = Dispatcher::new(backend(BackendKind::Local, &sim), quick(4), 1);
    // The prompt is longer than llama.cpp's 32-token context: refused with both numbers.
    let error = dispatcher.complete(&request(), |_| {}).await.unwrap_err();
    let LlmError::ContextOverflow {
        prompt_tokens: Some(prompt),
        context: Some(32),
        ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(prompt, common::sim_prompt_tokens(&request()));
    for fault in [
        LlmFault::MalformedJson,
        LlmFault::EmptyAnswer,
        LlmFault::Status(401),
    ] {
        let sim = start(options()).await;
        let dispatcher = Dispatcher::new(backend(BackendKind::OpenAi, &sim), quick(4), 1);
        sim.push_faults([fault]);
        dispatcher.complete(&request(), |_| {}).await.unwrap_err();
        assert_eq!(sim.chat_requests().len(), 1, "{fault:?} was retried");
    }
}

#[tokio::test]
async fn a_slow_server_times_out_and_the_retry_answers() {
    let sim = start(options()).await;
    let dispatcher = Dispatcher::new(backend(BackendKind::Ollama, &sim), quick(2), 1);
    dispatcher.backend().server_info().await.unwrap();
    sim.push_faults([LlmFault::Delay(Duration::from_millis(900))]);
    let mut first_error = None;
    let answer = dispatcher
        .complete(&request(), |p| {
            if let Progress::Retrying { error, .. } = p {
                first_error = Some(error.reason());
            }
        })
        .await
        .unwrap();
    assert_eq!((answer.attempts, first_error), (2, Some("timeout")));
}

#[tokio::test]
async fn a_cut_answer_is_never_returned_as_complete() {
    let sim = start(options()).await;
    let reference = Dispatcher::new(backend(BackendKind::Local, &sim), quick(1), 1)
        .complete(&request(), |_| {})
        .await
        .unwrap()
        .text;
    for kind in KINDS {
        let dispatcher = Dispatcher::new(backend(kind, &sim), quick(2), 1);
        dispatcher.backend().server_info().await.unwrap();
        // Cut once: the retry's text replaces the partial one, whole.
        sim.push_faults([LlmFault::CutStream { after_chunks: 3 }]);
        let shown = Mutex::new(String::new());
        let answer = dispatcher
            .complete(&request(), |p| match p {
                Progress::Delta(d) => shown.lock().unwrap().push_str(d),
                Progress::Retrying { .. } => shown.lock().unwrap().clear(),
            })
            .await
            .unwrap();
        assert_eq!(answer.text, reference, "{kind}");
        assert_eq!(*shown.lock().unwrap(), reference, "{kind}");
        assert!(answer.is_complete());
        // Cut every time: an error, never an answer.
        sim.set_persistent_fault(Some(LlmFault::EndEarly { after_chunks: 3 }));
        let error = dispatcher.complete(&request(), |_| {}).await.unwrap_err();
        assert!(
            matches!(error, LlmError::Incomplete { .. }),
            "{kind}: {error:?}"
        );
        sim.set_persistent_fault(None);
    }
}

/// The most requests the simulator was answering at once, by their arrival and answer times.
fn max_overlap(calls: &[RecordedLlmRequest]) -> usize {
    calls
        .iter()
        .map(|c| {
            calls
                .iter()
                .filter(|o| o.started_ms <= c.started_ms && c.started_ms < o.answered_ms)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn calls_run_concurrently_up_to_the_limit() {
    let sim = start(options()).await;
    sim.set_persistent_fault(Some(LlmFault::Delay(Duration::from_millis(150))));
    for limit in [1, 3] {
        sim.clear_requests();
        let dispatcher = Arc::new(Dispatcher::new(
            backend(BackendKind::OpenAi, &sim),
            RetryPolicy::default(),
            limit,
        ));
        let calls = (0..6).map(|_| {
            let dispatcher = Arc::clone(&dispatcher);
            tokio::spawn(async move { dispatcher.complete(&request(), |_| {}).await })
        });
        for call in futures::future::join_all(calls).await {
            call.unwrap().unwrap();
        }
        assert_eq!(max_overlap(&sim.chat_requests()), limit);
    }
}

#[tokio::test]
async fn a_429_pauses_the_whole_queue_for_its_retry_after() {
    let mut options = options();
    options.chunk_delay = Duration::from_millis(10);
    let sim = start(options).await;
    let dispatcher = Arc::new(Dispatcher::new(
        backend(BackendKind::OpenAi, &sim),
        quick(3),
        2,
    ));
    sim.push_faults([LlmFault::RateLimited {
        retry_after: Some(Duration::from_secs(1)),
    }]);
    let calls = (0..4).map(|_| {
        let dispatcher = Arc::clone(&dispatcher);
        tokio::spawn(async move { dispatcher.complete(&request(), |_| {}).await })
    });
    for call in futures::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    let calls = sim.chat_requests();
    assert_eq!(calls.len(), 5, "four answers and one retry");
    let limited = calls.iter().find(|c| c.status == 429).unwrap();
    // A call already on its way when the 429 went out may arrive a little after it.
    let paused_from = limited.answered_ms + 250;
    let resumed = limited.answered_ms + 990;
    for call in &calls {
        assert!(
            call.started_ms <= paused_from || call.started_ms >= resumed,
            "a call went out during the pause: {call:?} after {limited:?}"
        );
    }
    let after = calls.iter().filter(|c| c.started_ms >= resumed).count();
    assert!(after >= 2, "the retry and a queued call waited: {calls:?}");
}
