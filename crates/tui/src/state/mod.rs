//! Everything the TUI shows, in one value: the source and the run, the issue list, which
//! screen and pane have the focus, overlays, what is being typed, explanations and chats.
//! [`update`](crate::update::update) changes it; [`render`](crate::view::render) only reads it.

mod explain;
mod list;
mod rows;

use kubewhy_engine::{Options, SourceSpec};
use kubewhy_model::{FocusContext, ObjectRef};

pub use explain::{Assist, Explanation, Pending, RequestKind, Status};
pub use list::IssueList;
pub use rows::{Entry, GroupBy, Row, SortKey};

/// What the TUI was started with, beyond the source.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// False when colour is off (`NO_COLOR`, `--color never`): severity is always in text too.
    pub color: bool,
    /// The backend and model, when one is configured.
    pub backend: Option<(String, String)>,
    /// Seconds between two runs while auto-refresh (`w`) is on.
    pub watch_secs: u64,
    /// Explain an issue as soon as it is opened.
    pub auto_explain: bool,
}

/// Where the run stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStatus {
    /// Connecting to the cluster (or starting the demo).
    Opening,
    /// Collecting and analyzing; the latest progress.
    Running(Option<String>),
    /// The issues are in; log tails are being fetched.
    Logs,
    /// The run is over.
    Done,
    /// The run was dropped before it finished.
    Cancelled,
    /// The source could not be opened or the run failed: why (context and server URL for a
    /// cluster that cannot be reached).
    Failed(String),
}

impl RunStatus {
    /// True while a run (or the opening of the source) is in flight.
    #[must_use]
    pub fn in_flight(&self) -> bool {
        matches!(self, Self::Opening | Self::Running(_) | Self::Logs)
    }
}

/// The main screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// The issue list.
    #[default]
    List,
    /// One issue: its detail and its explanation.
    Detail,
}

/// The pane of the detail screen that `j`/`k` scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The issue's detail.
    #[default]
    Detail,
    /// The explanation (or the chat).
    Explanation,
}

/// A view over the screen, closed with `esc`.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// Every key binding.
    Help,
    /// The describe-style view of an object (`d`).
    Describe(Describe),
    /// Text: the YAML view (`y`) and log tails (`l`, `p`).
    Text(TextView),
    /// What would be sent to the backend (`P`), from [`Assist::preview`].
    Preview,
}

/// The describe view.
#[derive(Debug, Clone, PartialEq)]
pub enum Describe {
    /// A run focused on the object is in flight.
    Loading(ObjectRef),
    /// The object's context.
    Ready(Box<FocusContext>),
    /// Why there is none.
    Failed(ObjectRef, String),
}

/// A titled, scrollable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextView {
    /// The title.
    pub title: String,
    /// A line in front of the text saying where it comes from or what is missing.
    pub note: Option<String>,
    /// The text.
    pub lines: Vec<String>,
    /// Index of a line to mark (the decisive log line), if any.
    pub marked: Vec<usize>,
}

/// What is being typed on the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: the filter.
    Filter,
    /// `:`: a command.
    Command,
    /// `c`: a chat message.
    Chat,
}

/// The status line's editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What it edits.
    pub kind: InputKind,
    /// The text so far.
    pub text: String,
    /// The text before editing began, restored by `esc`.
    pub saved: String,
}

/// A one-line message on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The message.
    pub text: String,
    /// True for errors.
    pub error: bool,
}

/// Auto-refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Watch {
    /// On or off (`w`).
    pub on: bool,
    /// Seconds since the last run started.
    pub elapsed: u64,
}

/// The whole state.
#[derive(Debug)]
pub struct State {
    /// Startup settings.
    pub settings: Settings,
    /// Where the runs read from.
    pub spec: SourceSpec,
    /// The options of the next run (scope and checks).
    pub options: Options,
    /// The kubeconfig context, once the source is open.
    pub context: Option<String>,
    /// When the snapshot was observed (RFC 3339), from the report.
    pub observed_at: Option<String>,
    /// Where the run stands.
    pub run: RunStatus,
    /// True once a run produced issues: from then on a failure keeps the list on screen.
    pub loaded: bool,
    /// Warnings of the latest run.
    pub warnings: Vec<String>,
    /// The issues.
    pub list: IssueList,
    /// The main screen.
    pub screen: Screen,
    /// The focused pane of the detail screen.
    pub pane: Pane,
    /// The overlay, if any.
    pub overlay: Option<Overlay>,
    /// The status line's editor, while typing.
    pub input: Option<Input>,
    /// The status line's message.
    pub note: Option<Note>,
    /// Scroll offsets of the detail pane, the explanation pane and the overlay.
    pub scroll: [u16; 3],
    /// Explanations and chats.
    pub assist: Assist,
    /// Auto-refresh.
    pub watch: Watch,
    /// Set by `q`: the runtime exits.
    pub quit: bool,
}

/// Which scroll offset.
#[derive(Debug, Clone, Copy)]
pub enum Scroll {
    /// The detail pane.
    Detail = 0,
    /// The explanation pane.
    Explanation = 1,
    /// The overlay.
    Overlay = 2,
}

impl State {
    /// The state before anything is known.
    #[must_use]
    pub fn new(spec: SourceSpec, options: Options, settings: Settings) -> Self {
        Self {
            settings,
            spec,
            options,
            context: None,
            observed_at: None,
            run: RunStatus::Opening,
            loaded: false,
            warnings: Vec::new(),
            list: IssueList::default(),
            screen: Screen::List,
            pane: Pane::Detail,
            overlay: None,
            input: None,
            note: None,
            scroll: [0; 3],
            assist: Assist::default(),
            watch: Watch::default(),
            quit: false,
        }
    }

    /// `demo`, `files` or `live`.
    #[must_use]
    pub fn source_kind(&self) -> &'static str {
        match self.spec {
            SourceSpec::Demo => "demo",
            SourceSpec::Files { .. } => "files",
            SourceSpec::Live { .. } => "live",
        }
    }

    /// The namespace the run reads, or `all`.
    #[must_use]
    pub fn namespace(&self) -> &str {
        self.options.scope.namespace.as_deref().unwrap_or("all")
    }

    /// Sets the status line's message.
    pub fn say(&mut self, text: impl Into<String>) {
        self.note = Some(Note {
            text: text.into(),
            error: false,
        });
    }

    /// Sets the status line's message, as an error.
    pub fn complain(&mut self, text: impl Into<String>) {
        self.note = Some(Note {
            text: text.into(),
            error: true,
        });
    }

    /// A scroll offset.
    #[must_use]
    pub fn scroll(&self, which: Scroll) -> u16 {
        self.scroll[which as usize]
    }

    /// Changes a scroll offset by `delta` lines, not above the top.
    pub fn scroll_by(&mut self, which: Scroll, delta: i32) {
        let offset = &mut self.scroll[which as usize];
        *offset = u16::try_from((i32::from(*offset) + delta).max(0)).unwrap_or(u16::MAX);
    }
}
