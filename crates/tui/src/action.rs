//! What can happen to the state ([`Action`]: a key, or news from a background task) and what
//! `update` asks the runtime to do about it ([`Effect`]: start or drop work, copy, quit).

use kubewhy_engine::{Event, Options, SourceSpec};
use kubewhy_model::{FocusContext, ObjectRef, Origin};

use crate::{
    llm::{LlmEvent, LlmRequest},
    state::TextView,
};

/// Something that changes the state.
#[derive(Debug)]
pub enum Action {
    /// Select the previous issue, or scroll up.
    Up,
    /// Select the next issue, or scroll down.
    Down,
    /// A page up (`ctrl-b`, page up).
    PageUp,
    /// A page down (`ctrl-f`, page down).
    PageDown,
    /// The first issue, or the top (`g`).
    Top,
    /// The last issue, or the bottom (`G`).
    Bottom,
    /// Open the selected issue (`enter`).
    Open,
    /// Back: close the overlay, leave the detail, clear the filter (`esc`).
    Back,
    /// Switch the focus between the detail and the explanation (`tab`).
    SwitchPane,
    /// Start typing a filter (`/`).
    StartFilter,
    /// Start typing a command (`:`).
    StartCommand,
    /// A character typed into the status line.
    Type(char),
    /// Backspace in the status line.
    Erase,
    /// `enter` in the status line.
    Submit,
    /// `esc` in the status line.
    Cancel,
    /// `?`.
    Help,
    /// `d`.
    Describe,
    /// `y`.
    Yaml,
    /// `l` (false) and `p` (true).
    Logs {
        /// The previous instance's.
        previous: bool,
    },
    /// `ctrl-y`.
    CopyFix,
    /// `ctrl-r`.
    Refresh,
    /// `w`.
    ToggleWatch,
    /// `s`.
    CycleSort,
    /// `b`.
    CycleGroup,
    /// `x`.
    Explain,
    /// `r`.
    Regenerate,
    /// `c`.
    Chat,
    /// `P`.
    Preview,
    /// `q`, `ctrl-c`, SIGTERM, SIGINT, SIGHUP.
    Quit,
    /// The source is open.
    Opened {
        /// Its kubeconfig context, for live sources.
        context: Option<String>,
    },
    /// The source could not be opened.
    OpenFailed(String),
    /// An event of the run in flight.
    Engine(Event),
    /// The describe view's context arrived, or why it did not.
    Described(Result<Box<FocusContext>, String>),
    /// The YAML view's text is ready.
    YamlLoaded(TextView),
    /// An answer event of LLM request `id`.
    Llm {
        /// The request it answers.
        id: u64,
        /// What happened.
        event: LlmEvent,
    },
    /// A second passed (auto-refresh counts them).
    Tick,
}

/// Work for the runtime.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Drop the run in flight and start a new one with these options, opening the source first
    /// when it is not open.
    Run(Options),
    /// Open another source (`:ctx`), then run.
    Reopen(SourceSpec, Options),
    /// Run focused on an object, for the describe view.
    Describe(ObjectRef),
    /// Load an object's YAML for the YAML view.
    Yaml {
        /// The object.
        object: ObjectRef,
        /// Where it was read from, for files.
        origin: Option<Origin>,
        /// What to show when the document cannot be read.
        fallback: TextView,
    },
    /// Send an LLM request, dropping the one in flight.
    Llm {
        /// Its id.
        id: u64,
        /// What to ask.
        request: LlmRequest,
    },
    /// Drop the LLM request in flight.
    CancelLlm,
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
}
