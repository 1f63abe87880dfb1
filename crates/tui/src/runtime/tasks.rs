//! The runtime's background work, one task per kind, each reporting over the runtime's channel:
//! opening the source, the run in flight, the describe view's focused run, the YAML view's file
//! read, the LLM request in flight. Starting one drops the one before it (gitui's
//! `AsyncSingleJob`: the newest request wins); answers from a dropped one carry an old
//! generation and are ignored.

use std::sync::Arc;

use futures::StreamExt;
use kubewhy_engine::{Engine, Event, EventKind, OpenError, Options, Run, SourceSpec};
use kubewhy_model::{FocusContext, ObjectRef};
use tokio::{sync::mpsc::UnboundedSender, task::JoinHandle};

use crate::{
    action::{Action, Effect},
    clipboard::osc52,
    llm::{Assistant, LlmEvent, NO_BACKEND},
    state::TextView,
};

/// What background work reports, and what the terminal sends.
#[derive(Debug)]
pub enum Msg {
    /// A key, a resize.
    Input(ratatui::crossterm::event::Event),
    /// An event of run `generation`.
    Engine {
        /// The run it belongs to.
        generation: u64,
        /// The event.
        event: Event,
    },
    /// The source of opening `generation` is open, or why not.
    Opened {
        /// The opening it answers.
        generation: u64,
        /// The engine, or why there is none.
        result: Result<Engine, OpenError>,
    },
    /// The describe view's context of request `generation`.
    Described {
        /// The request it answers.
        generation: u64,
        /// The context, or why there is none.
        result: Result<Box<FocusContext>, String>,
    },
    /// The YAML view's text.
    Yaml(TextView),
    /// An answer event of LLM request `id`.
    Llm {
        /// The request.
        id: u64,
        /// The event.
        event: LlmEvent,
    },
    /// A second passed.
    Tick,
    /// SIGTERM, SIGINT or SIGHUP.
    Signal,
}

/// A task slot: starting a task aborts the one before it, dropping it aborts the last.
#[derive(Default)]
struct Slot(Option<JoinHandle<()>>);

impl Slot {
    fn set(&mut self, handle: JoinHandle<()>) {
        if let Some(old) = self.0.replace(handle) {
            old.abort();
        }
    }

    fn clear(&mut self) {
        if let Some(old) = self.0.take() {
            old.abort();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The background work of one TUI.
pub struct Tasks {
    tx: UnboundedSender<Msg>,
    spec: SourceSpec,
    engine: Option<Engine>,
    opening: Slot,
    open_generation: u64,
    /// The run to start once the source is open.
    waiting: Option<Options>,
    run: Slot,
    run_generation: u64,
    describe: Slot,
    describe_generation: u64,
    yaml: Slot,
    llm: Slot,
    assistant: Option<Arc<dyn Assistant>>,
}

impl Tasks {
    /// Tasks that report over `tx`.
    pub fn new(
        tx: UnboundedSender<Msg>,
        spec: SourceSpec,
        assistant: Option<Arc<dyn Assistant>>,
    ) -> Self {
        Self {
            tx,
            spec,
            engine: None,
            opening: Slot::default(),
            open_generation: 0,
            waiting: None,
            run: Slot::default(),
            run_generation: 0,
            describe: Slot::default(),
            describe_generation: 0,
            yaml: Slot::default(),
            llm: Slot::default(),
            assistant,
        }
    }

    /// Carries out an effect. `clipboard` writes an escape sequence to the terminal.
    pub fn apply(&mut self, effect: Effect, clipboard: &mut (dyn FnMut(&str) + Send)) {
        match effect {
            Effect::Run(options) => self.start_run(options),
            Effect::Reopen(spec, options) => {
                self.engine = None;
                self.opening.clear();
                self.run.clear();
                self.spec = spec;
                self.start_run(options);
            }
            Effect::Describe(object) => self.describe(object),
            Effect::Yaml {
                object,
                origin,
                fallback,
            } => self.yaml(object, origin, fallback),
            Effect::Llm { id, request } => {
                let tx = self.tx.clone();
                let Some(assistant) = &self.assistant else {
                    let event = LlmEvent::Failed(NO_BACKEND.to_owned());
                    let _ = tx.send(Msg::Llm { id, event });
                    return;
                };
                let mut stream = assistant.request(request);
                self.llm.set(tokio::spawn(async move {
                    while let Some(event) = stream.next().await {
                        if tx.send(Msg::Llm { id, event }).is_err() {
                            break;
                        }
                    }
                }));
            }
            Effect::CancelLlm => self.llm.clear(),
            Effect::Copy(text) => clipboard(&osc52(&text)),
        }
    }

    /// Turns a message into an action; `None` for news of work that was dropped.
    pub fn receive(&mut self, msg: Msg) -> Option<Action> {
        match msg {
            Msg::Opened { generation, result } if generation == self.open_generation => {
                self.opening.0 = None;
                match result {
                    Ok(engine) => {
                        let context = engine.opened().cluster().map(str::to_owned);
                        if let Some(assistant) = &self.assistant {
                            assistant.attach(&engine);
                        }
                        self.engine = Some(engine);
                        if let Some(options) = self.waiting.take() {
                            self.start_run(options);
                        }
                        Some(Action::Opened { context })
                    }
                    Err(e) => Some(Action::OpenFailed(e.to_string())),
                }
            }
            Msg::Engine { generation, event } if generation == self.run_generation => {
                Some(Action::Engine(event))
            }
            Msg::Described { generation, result } if generation == self.describe_generation => {
                Some(Action::Described(result))
            }
            Msg::Yaml(view) => Some(Action::YamlLoaded(view)),
            Msg::Llm { id, event } => Some(Action::Llm { id, event }),
            Msg::Tick => Some(Action::Tick),
            Msg::Signal => Some(Action::Quit),
            Msg::Input(_) | Msg::Opened { .. } | Msg::Engine { .. } | Msg::Described { .. } => None,
        }
    }

    fn start_run(&mut self, options: Options) {
        self.run_generation += 1;
        let Some(engine) = &self.engine else {
            self.run.clear();
            self.waiting = Some(options);
            if self.opening.0.is_none() {
                self.open();
            }
            return;
        };
        let run = engine.run(options);
        self.run
            .set(forward(run, self.tx.clone(), self.run_generation));
    }

    fn open(&mut self) {
        self.open_generation += 1;
        let (tx, spec, generation) = (self.tx.clone(), self.spec.clone(), self.open_generation);
        self.opening.set(tokio::spawn(async move {
            let result = Engine::open(&spec).await;
            let _ = tx.send(Msg::Opened { generation, result });
        }));
    }

    fn describe(&mut self, object: ObjectRef) {
        self.describe_generation += 1;
        let (tx, generation) = (self.tx.clone(), self.describe_generation);
        let Some(engine) = &self.engine else {
            let result = Err("the source is not open yet; try again in a moment".to_owned());
            let _ = tx.send(Msg::Described { generation, result });
            return;
        };
        let target = ObjectRef::new("", object.kind, object.namespace.as_deref(), object.name);
        let mut run = engine.run(Options {
            focus: Some(target),
            ..Options::default()
        });
        self.describe.set(tokio::spawn(async move {
            let mut result = Err("the run ended without the object's context".to_owned());
            while let Some(event) = run.next().await {
                match event.kind {
                    EventKind::Focus(context) => {
                        result = Ok(context);
                        break;
                    }
                    EventKind::Failed(e) => {
                        result = Err(e.to_string());
                        break;
                    }
                    _ => {}
                }
            }
            let _ = tx.send(Msg::Described { generation, result });
        }));
    }

    fn yaml(
        &mut self,
        object: ObjectRef,
        origin: Option<kubewhy_model::Origin>,
        fallback: TextView,
    ) {
        let tx = self.tx.clone();
        let Some(origin) = origin else {
            let _ = tx.send(Msg::Yaml(fallback));
            return;
        };
        self.yaml.set(tokio::spawn(async move {
            let read = tokio::task::spawn_blocking(move || {
                crate::yaml::read(&origin.file, origin.line, &object).map(|lines| (origin, lines))
            })
            .await;
            let view = match read {
                Ok(Ok((origin, lines))) => TextView {
                    note: Some(format!("{origin}, as read from the file now")),
                    lines,
                    ..fallback
                },
                Ok(Err(crate::yaml::YamlError::Secret)) => TextView {
                    note: Some("Secrets are never shown".to_owned()),
                    lines: Vec::new(),
                    ..fallback
                },
                Ok(Err(e)) => TextView {
                    note: Some(format!(
                        "{e}; this is what the report holds about the issue"
                    )),
                    ..fallback
                },
                Err(e) => TextView {
                    note: Some(format!("the file could not be read: {e}")),
                    ..fallback
                },
            };
            let _ = tx.send(Msg::Yaml(view));
        }));
    }
}

/// Forwards a run's events; aborting the task drops the run, which cancels it.
fn forward(mut run: Run, tx: UnboundedSender<Msg>, generation: u64) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = run.next().await {
            if tx.send(Msg::Engine { generation, event }).is_err() {
                break;
            }
        }
    })
}
