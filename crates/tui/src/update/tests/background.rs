//! News from the background (the source, the run, the describe and YAML views), and the views
//! `d`, `y`, `l` and `p` open.

use kubewhy_engine::{Event, EventKind, Options, RunError, SourceSpec};
use kubewhy_model::{
    LogEvidence, Origin, Report, Severity, SourceInfo, SourceKind, Warning, WarningKind,
};
use kubewhy_source::Progress;

use super::three;
use crate::{
    action::{Action, Effect},
    fixtures::{crash_loop, issue},
    state::{Describe, Overlay, RunStatus, Settings, State, TextView},
    update::update,
};

fn event(kind: EventKind) -> Action {
    Action::Engine(Event {
        cluster: Some("prod".to_owned()),
        kind,
    })
}

fn fresh() -> State {
    State::new(SourceSpec::Demo, Options::default(), Settings::default())
}

#[test]
fn a_run_goes_from_opening_to_done_and_fills_the_list() {
    let mut s = fresh();
    assert_eq!(s.run, RunStatus::Opening);
    update(
        &mut s,
        Action::Opened {
            context: Some("kubewhy-demo".to_owned()),
        },
    );
    assert_eq!(s.context.as_deref(), Some("kubewhy-demo"));
    update(&mut s, event(EventKind::Started));
    update(
        &mut s,
        event(EventKind::Progress(Progress {
            what: "pods".to_owned(),
            items: 40,
            pages: 1,
            bytes: 0,
            done: false,
            steps_done: 3,
            steps: 12,
        })),
    );
    assert_eq!(
        s.run,
        RunStatus::Running(Some("reading 3/12: pods (40 objects)".to_owned()))
    );
    assert_eq!(
        s.context.as_deref(),
        Some("prod"),
        "events name their cluster"
    );
    let checkout = crash_loop("shop", "checkout");
    let fingerprint = checkout.fingerprint;
    let mut bare = checkout.clone();
    bare.evidence.logs.clear();
    update(&mut s, event(EventKind::Issues(vec![bare])));
    assert!(s.loaded);
    assert_eq!(s.run, RunStatus::Logs);
    let log = LogEvidence {
        pod: "p".to_owned(),
        container: "c".to_owned(),
        previous: true,
        lines: vec!["boom".to_owned()],
        first_error: Some(0),
        truncated: false,
    };
    update(&mut s, event(EventKind::LogTail { fingerprint, log }));
    assert_eq!(s.list.issues()[0].evidence.logs.len(), 1);
    update(
        &mut s,
        event(EventKind::IssuesUpdated(vec![checkout.clone()])),
    );
    update(
        &mut s,
        event(EventKind::Warning(Warning::new(
            WarningKind::SkippedKind,
            "cannot list secrets",
        ))),
    );
    assert_eq!(s.warnings, ["cannot list secrets"]);
    let info = SourceInfo {
        kind: SourceKind::Demo,
        context: Some("kubewhy-demo".to_owned()),
        server: None,
        observed_at: Some("2026-11-20T09:30:00Z".to_owned()),
        observed_at_inferred: false,
        kubernetes_version: None,
    };
    let report = Report::new(info, vec![checkout], Vec::new(), 10);
    update(&mut s, event(EventKind::Report(Box::new(report))));
    assert_eq!(s.observed_at.as_deref(), Some("2026-11-20T09:30:00Z"));
    assert!(
        s.warnings.is_empty(),
        "the report's warnings replace the run's"
    );
    update(&mut s, event(EventKind::Finished { cancelled: false }));
    assert_eq!(s.run, RunStatus::Done);
}

#[test]
fn a_source_that_cannot_be_opened_says_why_and_enter_retries() {
    let mut s = fresh();
    let why =
        "cannot reach the cluster of context prod at https://10.0.0.1:6443: connection refused";
    update(&mut s, Action::OpenFailed(why.to_owned()));
    assert_eq!(s.run, RunStatus::Failed(why.to_owned()));
    let effects = update(&mut s, Action::Open);
    assert!(matches!(&effects[..], [Effect::Run(_)]), "{effects:?}");
    assert_eq!(s.run, RunStatus::Opening);
}

#[test]
fn a_run_that_fails_half_way_keeps_the_list() {
    let mut s = three();
    update(&mut s, Action::Refresh);
    update(&mut s, event(EventKind::Failed(RunError::Cancelled)));
    update(&mut s, event(EventKind::Finished { cancelled: true }));
    assert!(matches!(s.run, RunStatus::Failed(_)));
    assert_eq!(s.list.issues().len(), 3);
    let note = s.note.as_ref().unwrap();
    assert!(
        note.error && note.text.contains("ctrl-r retries"),
        "{note:?}"
    );
}

#[test]
fn a_cancelled_run_says_so() {
    let mut s = three();
    update(&mut s, Action::Refresh);
    update(&mut s, event(EventKind::Finished { cancelled: true }));
    assert_eq!(s.run, RunStatus::Cancelled);
}

#[test]
fn describe_runs_focused_on_the_root_and_shows_its_context_or_why_not() {
    let mut s = three();
    let effects = update(&mut s, Action::Describe);
    assert!(matches!(&effects[..], [Effect::Describe(o)] if o.name == "node-1"));
    assert!(matches!(
        s.overlay,
        Some(Overlay::Describe(Describe::Loading(_)))
    ));
    update(
        &mut s,
        Action::Described(Err("node node-1 not found".to_owned())),
    );
    assert!(
        matches!(&s.overlay, Some(Overlay::Describe(Describe::Failed(_, e))) if e.contains("not found"))
    );
    // An answer after the view was closed is dropped.
    update(&mut s, Action::Back);
    update(&mut s, Action::Described(Err("late".to_owned())));
    assert_eq!(s.overlay, None);
}

#[test]
fn yaml_shows_what_the_report_has_when_there_is_no_file() {
    let mut s = three();
    assert!(update(&mut s, Action::Yaml).is_empty());
    let Some(Overlay::Text(view)) = &s.overlay else {
        panic!("no YAML view: {:?}", s.overlay)
    };
    assert!(
        view.note
            .as_ref()
            .unwrap()
            .contains("not kept in the report"),
        "{view:?}"
    );
    assert!(
        view.lines
            .iter()
            .any(|l| l.contains("check: node-not-ready")),
        "{view:?}"
    );
}

#[test]
fn yaml_reads_the_file_of_an_object_from_files_and_never_a_secret() {
    let mut from_file = issue(
        "Deployment",
        Some("shop"),
        "web",
        "pod-crash-looping",
        Severity::Error,
    );
    from_file.origin = Some(Origin {
        file: "manifests/web.yaml".to_owned(),
        member: None,
        line: 12,
    });
    let secret = issue(
        "Secret",
        Some("shop"),
        "db-password",
        "pod-crash-looping",
        Severity::Error,
    );
    let mut s = crate::fixtures::state(vec![from_file], Settings::default());
    let effects = update(&mut s, Action::Yaml);
    assert!(
        matches!(&effects[..], [Effect::Yaml { origin: Some(o), .. }] if o.line == 12),
        "{effects:?}"
    );
    let loaded = TextView {
        title: crate::update::views::yaml_title(s.list.issues().first().unwrap()),
        note: None,
        lines: vec!["kind: Deployment".to_owned()],
        marked: Vec::new(),
    };
    update(&mut s, Action::YamlLoaded(loaded.clone()));
    assert_eq!(s.overlay, Some(Overlay::Text(loaded)));
    let mut s = crate::fixtures::state(vec![secret], Settings::default());
    assert!(update(&mut s, Action::Yaml).is_empty());
    assert!(
        matches!(&s.overlay, Some(Overlay::Text(v)) if v.lines.is_empty() && v.note.as_ref().unwrap().contains("never shown"))
    );
}

#[test]
fn logs_show_the_tails_with_the_decisive_line_marked() {
    let mut s = crate::fixtures::state(vec![crash_loop("shop", "checkout")], Settings::default());
    update(&mut s, Action::Logs { previous: true });
    let Some(Overlay::Text(view)) = &s.overlay else {
        panic!("no log view")
    };
    let marked = view.marked[0];
    assert!(view.lines[marked].contains("OperationalError"), "{view:?}");
    update(&mut s, Action::Logs { previous: false });
    let Some(Overlay::Text(view)) = &s.overlay else {
        panic!("no log view")
    };
    assert!(view.lines.is_empty());
    assert!(
        view.note.as_ref().unwrap().contains("`p` shows"),
        "{view:?}"
    );
}
