//! Snapshots of the main views, drawn on an in-memory terminal at 80x24 and 160x48: the list,
//! the detail, the explanation (offline, streaming, failed, chat), the help, the filter being typed,
//! and a cluster that cannot be reached. The list and the detail show the demo cluster's report.

use std::sync::OnceLock;

use kubewhy_engine::{Engine, Options, SourceSpec};
use kubewhy_model::{Report, Severity};
use kubewhy_tui::{
    action::Action,
    fixtures,
    llm::{AnswerMeta, LlmEvent},
    state::{Settings, State},
    update::update,
    view,
};
use ratatui::{Terminal, backend::TestBackend, style::Color};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// The demo cluster's report, built once through the engine as the TUI builds it.
fn demo() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            Engine::start(SourceSpec::Demo, Options::default())
                .outcome()
                .await
                .expect("the demo runs")
                .report
        })
    })
}

fn demo_state(settings: Settings) -> State {
    let report = demo();
    let mut state = fixtures::state(report.issues.clone(), settings);
    state.context.clone_from(&report.source.context);
    state.observed_at.clone_from(&report.source.observed_at);
    state
}

fn plain() -> Settings {
    Settings {
        color: false,
        watch_secs: 30,
        ..Settings::default()
    }
}

fn with_backend() -> Settings {
    Settings {
        backend: Some(("openai".to_owned(), "gpt-4o-mini".to_owned())),
        ..plain()
    }
}

fn draw(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| view::render(state, frame))
        .expect("it draws");
    terminal
}

fn snapshot(name: &str, state: &State) {
    for (width, height) in SIZES {
        let terminal = draw(state, width, height);
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            terminal.backend().to_string()
        );
    }
}

/// Selects the first issue whose root is named `name`.
fn select(state: &mut State, name: &str) {
    update(state, Action::Top);
    for _ in 0..state.list.rows().len() {
        if state
            .list
            .selected()
            .is_some_and(|(i, _)| i.root.name == name)
        {
            return;
        }
        update(state, Action::Down);
    }
    panic!("no issue on {name}");
}

#[test]
fn list() {
    snapshot("list", &demo_state(plain()));
}

#[test]
fn list_grouped_by_namespace() {
    let mut state = demo_state(plain());
    update(&mut state, Action::CycleGroup);
    state.note = None;
    snapshot("list_by_namespace", &state);
}

#[test]
fn detail() {
    let mut state = demo_state(plain());
    select(&mut state, "checkout");
    update(&mut state, Action::Open);
    snapshot("detail", &state);
}

#[test]
fn explanation_offline() {
    let mut state = demo_state(plain());
    select(&mut state, "checkout");
    update(&mut state, Action::Explain);
    snapshot("explanation_offline", &state);
}

#[test]
fn explanation_streaming_and_done() {
    let mut state = demo_state(with_backend());
    select(&mut state, "checkout");
    let id = match &update(&mut state, Action::Explain)[..] {
        [kubewhy_tui::action::Effect::Llm { id, .. }] => *id,
        other => panic!("no request: {other:?}"),
    };
    for token in [
        "The checkout pods crash ",
        "because the database ",
        "is not reachable.",
    ] {
        let event = LlmEvent::Token(token.to_owned());
        update(&mut state, Action::Llm { id, event });
    }
    state.note = None;
    snapshot("explanation_streaming", &state);
    let meta = AnswerMeta {
        tokens_in: 1_840,
        tokens_out: 212,
        latency_ms: 2_300,
        cost: Some(0.0004),
        cached: true,
        offline: false,
    };
    update(
        &mut state,
        Action::Llm {
            id,
            event: LlmEvent::Done(meta),
        },
    );
    snapshot("explanation_done", &state);
}

#[test]
fn explanation_failed_with_the_offline_one() {
    let mut state = demo_state(with_backend());
    select(&mut state, "checkout");
    let id = match &update(&mut state, Action::Explain)[..] {
        [kubewhy_tui::action::Effect::Llm { id, .. }] => *id,
        other => panic!("no request: {other:?}"),
    };
    for event in [
        LlmEvent::Token("{\"summary\": \"The checkout".to_owned()),
        LlmEvent::Text("The container exits with code 1 at start: read its last logs.".to_owned()),
        LlmEvent::Failed("401 after 1 attempt: the key was refused".to_owned()),
    ] {
        update(&mut state, Action::Llm { id, event });
    }
    state.note = None;
    snapshot("explanation_failed", &state);
}

#[test]
fn chat() {
    let mut state = demo_state(with_backend());
    select(&mut state, "checkout");
    update(&mut state, Action::Chat);
    for c in "which secret?".chars() {
        update(&mut state, Action::Type(c));
    }
    let id = match &update(&mut state, Action::Submit)[..] {
        [kubewhy_tui::action::Effect::Llm { id, .. }] => *id,
        other => panic!("no request: {other:?}"),
    };
    let event = LlmEvent::Token("The DATABASE_URL comes from Secret checkout-db.".to_owned());
    update(&mut state, Action::Llm { id, event });
    update(&mut state, Action::Chat);
    snapshot("chat", &state);
}

#[test]
fn help() {
    let mut state = demo_state(plain());
    update(&mut state, Action::Help);
    snapshot("help", &state);
}

#[test]
fn filter_being_typed() {
    let mut state = demo_state(plain());
    update(&mut state, Action::StartFilter);
    for c in "crash".chars() {
        update(&mut state, Action::Type(c));
    }
    snapshot("filter", &state);
}

#[test]
fn unreachable_cluster() {
    let mut state = State::new(SourceSpec::default(), Options::default(), plain());
    update(
        &mut state,
        Action::OpenFailed(
            "cannot reach the cluster of context prod at https://203.0.113.7:6443: connection refused (is the cluster up, and the VPN connected?)"
                .to_owned(),
        ),
    );
    snapshot("unreachable", &state);
}

#[test]
fn long_and_wide_names_are_cut_at_a_cell_boundary() {
    let name = "支払いサービス-とても長い名前のデプロイメント-本番環境-0123456789";
    let issues = vec![
        fixtures::issue(
            "Deployment",
            Some("決済"),
            name,
            "pod-crash-looping",
            Severity::Error,
        ),
        fixtures::issue(
            "Deployment",
            Some("a-namespace-with-a-very-long-name-indeed"),
            &"x".repeat(120),
            "pod-image-pull-failing",
            Severity::Warning,
        ),
    ];
    let state = fixtures::state(issues, plain());
    let terminal = draw(&state, 80, 24);
    insta::assert_snapshot!("wide_names_80x24", terminal.backend().to_string());
    for row in kubewhy_tui::headless::lines(terminal.backend().buffer()) {
        assert!(kubewhy_tui::view::text::width(&row) <= 80, "{row}");
    }
}

#[test]
fn no_color_draws_no_colour_and_spells_severity_out() {
    let state = demo_state(plain());
    let terminal = draw(&state, 160, 48);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "a cell has a colour with colour off"
    );
    let text = terminal.backend().to_string();
    assert!(text.contains("ERROR") && text.contains("CRIT"), "{text}");
    let coloured = draw(
        &demo_state(Settings {
            color: true,
            ..plain()
        }),
        160,
        48,
    );
    assert!(
        coloured
            .backend()
            .buffer()
            .content
            .iter()
            .any(|c| c.fg != Color::Reset)
    );
}

#[test]
fn the_layout_holds_from_80x24_up() {
    let state = demo_state(plain());
    for (width, height) in [(80, 24), (100, 30), (120, 40), (200, 60), (81, 25)] {
        let terminal = draw(&state, width, height);
        let lines = kubewhy_tui::headless::lines(terminal.backend().buffer());
        assert!(
            lines[0].starts_with("kubewhy"),
            "{width}x{height}: {lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Issues (") && l.contains("sort severity")),
            "{width}x{height}: {lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("› CRIT")),
            "{width}x{height}: the selection is in sight"
        );
        assert!(
            lines[usize::from(height) - 1].contains("quit"),
            "{width}x{height}: footer"
        );
    }
}
