//! Unit tests of `update`: one or more per action, on made-up issues.

mod assist;
mod background;

use kubewhy_model::Severity;

use super::update;
use crate::{
    action::{Action, Effect},
    fixtures::{crash_loop, issue, state},
    state::{GroupBy, InputKind, Overlay, Pane, Row, Screen, Settings, SortKey, State},
};

fn three() -> State {
    state(
        vec![
            crash_loop("shop", "checkout"),
            issue(
                "Deployment",
                Some("shop"),
                "frontend",
                "pod-image-pull-failing",
                Severity::Error,
            ),
            issue("Node", None, "node-1", "node-not-ready", Severity::Critical),
        ],
        Settings::default(),
    )
}

fn selected_name(state: &State) -> String {
    state
        .list
        .selected()
        .map(|(i, _)| i.root.name.clone())
        .unwrap_or_default()
}

fn type_text(state: &mut State, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(update(state, Action::Type(c)));
    }
    effects
}

#[test]
fn moving_selects_the_next_and_previous_issue_and_stops_at_the_ends() {
    let mut s = three();
    assert_eq!(selected_name(&s), "node-1", "critical first");
    update(&mut s, Action::Down);
    assert_eq!(selected_name(&s), "checkout");
    update(&mut s, Action::Down);
    update(&mut s, Action::Down);
    assert_eq!(selected_name(&s), "frontend");
    update(&mut s, Action::Up);
    assert_eq!(selected_name(&s), "checkout");
    update(&mut s, Action::Top);
    assert_eq!(selected_name(&s), "node-1");
    update(&mut s, Action::Bottom);
    assert_eq!(selected_name(&s), "frontend");
    update(&mut s, Action::PageUp);
    assert_eq!(selected_name(&s), "node-1");
    update(&mut s, Action::PageDown);
    assert_eq!(selected_name(&s), "frontend");
}

#[test]
fn open_shows_the_detail_and_back_returns_to_the_list() {
    let mut s = three();
    assert!(update(&mut s, Action::Open).is_empty());
    assert_eq!(s.screen, Screen::Detail);
    // In the detail, j and k scroll instead of moving.
    update(&mut s, Action::Down);
    assert_eq!(s.scroll[0], 1);
    assert_eq!(selected_name(&s), "node-1");
    update(&mut s, Action::SwitchPane);
    assert_eq!(s.pane, Pane::Explanation);
    update(&mut s, Action::Down);
    assert_eq!(s.scroll[1], 1);
    update(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::List);
}

#[test]
fn switching_panes_does_nothing_on_the_list() {
    let mut s = three();
    update(&mut s, Action::SwitchPane);
    assert_eq!(s.pane, Pane::Detail);
}

#[test]
fn the_filter_applies_as_typed_and_escape_restores_it() {
    let mut s = three();
    update(&mut s, Action::StartFilter);
    assert_eq!(s.input.as_ref().map(|i| i.kind), Some(InputKind::Filter));
    type_text(&mut s, "front");
    assert_eq!(s.list.shown(), 1);
    assert_eq!(selected_name(&s), "frontend");
    update(&mut s, Action::Erase);
    assert_eq!(s.input.as_ref().unwrap().text, "fron");
    update(&mut s, Action::Cancel);
    assert!(s.input.is_none());
    assert_eq!(s.list.shown(), 3);
}

#[test]
fn an_inverted_filter_hides_what_matches_and_escape_clears_it() {
    let mut s = three();
    update(&mut s, Action::StartFilter);
    type_text(&mut s, "!shop");
    assert!(update(&mut s, Action::Submit).is_empty());
    assert_eq!(s.list.shown(), 1);
    assert_eq!(selected_name(&s), "node-1");
    update(&mut s, Action::Back);
    assert_eq!(s.list.shown(), 3);
}

#[test]
fn a_label_filter_starts_a_run_with_the_selector() {
    let mut s = three();
    update(&mut s, Action::StartFilter);
    type_text(&mut s, "-l app=web");
    let effects = update(&mut s, Action::Submit);
    assert!(
        matches!(&effects[..], [Effect::Run(o)] if o.scope.selector.as_deref() == Some("app=web")),
        "{effects:?}"
    );
    // esc drops the selector, and runs again without it.
    let effects = update(&mut s, Action::Back);
    assert!(
        matches!(&effects[..], [Effect::Run(o)] if o.scope.selector.is_none()),
        "{effects:?}"
    );
}

#[test]
fn a_bad_label_selector_is_an_error_and_starts_nothing() {
    let mut s = three();
    update(&mut s, Action::StartFilter);
    type_text(&mut s, "-l =web");
    assert!(update(&mut s, Action::Submit).is_empty());
    assert!(
        s.note
            .as_ref()
            .is_some_and(|n| n.error && n.text.contains("label selector"))
    );
}

fn command(s: &mut State, line: &str) -> Vec<Effect> {
    update(s, Action::StartCommand);
    type_text(s, line);
    update(s, Action::Submit)
}

#[test]
fn namespace_and_check_commands_start_a_run() {
    let mut s = three();
    let effects = command(&mut s, "ns shop");
    assert!(
        matches!(&effects[..], [Effect::Run(o)] if o.scope.namespace.as_deref() == Some("shop"))
    );
    assert_eq!(s.namespace(), "shop");
    let effects = command(&mut s, "ns all");
    assert!(matches!(&effects[..], [Effect::Run(o)] if o.scope.namespace.is_none()));
    let effects = command(&mut s, "check pod-crash-looping");
    assert!(
        matches!(&effects[..], [Effect::Run(o)] if o.filter.only == ["pod-crash-looping"]),
        "{effects:?}"
    );
    assert!(command(&mut s, "check pod-crash-lopping").is_empty());
    assert!(s.note.as_ref().unwrap().text.contains("unknown check"));
}

#[test]
fn context_needs_a_cluster_and_reopens_one() {
    let mut s = three();
    assert!(command(&mut s, "ctx prod").is_empty());
    assert!(
        s.note
            .as_ref()
            .unwrap()
            .text
            .contains("no kubeconfig contexts")
    );
    s.spec = kubewhy_engine::SourceSpec::default();
    let effects = command(&mut s, "ctx prod");
    assert!(
        matches!(&effects[..], [Effect::Reopen(kubewhy_engine::SourceSpec::Live { contexts, .. }, _)] if contexts == &["prod"]),
        "{effects:?}"
    );
    assert!(
        s.list.issues().is_empty(),
        "another cluster's issues are not this one's"
    );
}

#[test]
fn severity_sort_and_group_commands_change_the_list() {
    let mut s = three();
    assert!(command(&mut s, "severity critical").is_empty());
    assert_eq!(s.list.shown(), 1);
    command(&mut s, "severity all");
    assert_eq!(s.list.shown(), 3);
    command(&mut s, "severity fatal");
    assert!(s.note.as_ref().unwrap().error);
    command(&mut s, "sort kind");
    assert_eq!(s.list.sort, SortKey::Kind);
    command(&mut s, "group ns");
    assert_eq!(s.list.group, GroupBy::Namespace);
    assert!(matches!(&s.list.rows()[0], Row::Group { label, count: 2 } if label == "shop"));
    assert!(matches!(&s.list.rows()[3], Row::Group { label, .. } if label == "(cluster)"));
}

#[test]
fn quit_help_backend_and_unknown_commands() {
    let mut s = three();
    command(&mut s, "backend ollama");
    assert_eq!(s.note.as_ref().unwrap().text, crate::llm::NO_BACKEND);
    command(&mut s, "frobnicate");
    assert!(
        s.note
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command `:frobnicate`")
    );
    command(&mut s, "help");
    assert_eq!(s.overlay, Some(Overlay::Help));
    command(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn help_opens_over_the_screen_and_escape_closes_it() {
    let mut s = three();
    update(&mut s, Action::Help);
    assert_eq!(s.overlay, Some(Overlay::Help));
    update(&mut s, Action::Down);
    assert_eq!(s.scroll[2], 1, "j scrolls the help");
    update(&mut s, Action::Back);
    assert_eq!(s.overlay, None);
}

#[test]
fn copy_fix_copies_the_selected_fix_only() {
    let mut s = three();
    assert!(update(&mut s, Action::CopyFix).is_empty());
    assert!(s.note.as_ref().unwrap().error);
    update(&mut s, Action::Down);
    let effects = update(&mut s, Action::CopyFix);
    assert!(
        matches!(&effects[..], [Effect::Copy(fix)] if fix.starts_with("kubectl logs checkout")),
        "{effects:?}"
    );
}

#[test]
fn sort_and_group_keys_cycle() {
    let mut s = three();
    update(&mut s, Action::CycleSort);
    assert_eq!(s.list.sort, SortKey::Namespace);
    update(&mut s, Action::CycleGroup);
    assert_eq!(s.list.group, GroupBy::Namespace);
    update(&mut s, Action::CycleGroup);
    assert_eq!(s.list.group, GroupBy::Severity);
    assert!(matches!(&s.list.rows()[0], Row::Group { label, .. } if label == "critical"));
    // Headings are never selected.
    update(&mut s, Action::Top);
    assert!(s.list.selected().is_some());
}

#[test]
fn symptoms_sit_under_their_cause() {
    let cause = crash_loop("shop", "db");
    let mut symptom = issue(
        "Deployment",
        Some("shop"),
        "api",
        "pod-not-ready",
        Severity::Critical,
    );
    symptom.caused_by.push(cause.fingerprint);
    let s = state(vec![symptom, cause], Settings::default());
    let rows = s.list.rows();
    assert!(matches!(&rows[0], Row::Issue { tree, .. } if tree.is_empty()));
    assert!(matches!(&rows[1], Row::Issue { tree, .. } if tree == "└─ "));
    assert_eq!(
        s.list
            .issue(match rows[0] {
                Row::Issue { entry, .. } => entry,
                Row::Group { .. } => unreachable!(),
            })
            .root
            .name,
        "db"
    );
}

#[test]
fn refresh_drops_the_run_and_marks_new_and_resolved_issues() {
    let mut s = three();
    let effects = update(&mut s, Action::Refresh);
    assert!(matches!(&effects[..], [Effect::Run(_)]));
    assert!(s.run.in_flight());
    let mut next = vec![crash_loop("shop", "checkout")];
    next.push(issue(
        "Deployment",
        Some("pay"),
        "payments",
        "pod-oom-killed",
        Severity::Error,
    ));
    s.list.set_issues(next);
    assert_eq!((s.list.new_count(), s.list.resolved_count()), (1, 2));
    let payments = s
        .list
        .issues()
        .iter()
        .find(|i| i.root.name == "payments")
        .unwrap();
    assert!(s.list.is_new(payments.fingerprint));
    assert_eq!(s.list.shown(), 4, "resolved issues stay in sight, marked");
}

#[test]
fn auto_refresh_runs_every_interval_when_no_run_is_in_flight() {
    let mut s = three();
    s.settings.watch_secs = 2;
    assert!(update(&mut s, Action::Tick).is_empty());
    update(&mut s, Action::ToggleWatch);
    assert!(s.watch.on);
    assert!(update(&mut s, Action::Tick).is_empty());
    assert!(matches!(
        &update(&mut s, Action::Tick)[..],
        [Effect::Run(_)]
    ));
    // While that run is in flight, ticks start nothing.
    assert!(update(&mut s, Action::Tick).is_empty());
    assert!(update(&mut s, Action::Tick).is_empty());
    update(&mut s, Action::ToggleWatch);
    assert!(!s.watch.on);
}

#[test]
fn quit_quits() {
    let mut s = three();
    update(&mut s, Action::Quit);
    assert!(s.quit);
}
