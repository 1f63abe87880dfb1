//! News from the runtime's tasks: the source opened (or not), the run's events, the describe
//! view's context and the YAML view's text.

use kubewhy_engine::EventKind;

use crate::{
    action::{Action, Effect},
    state::{Describe, Overlay, RunStatus, State},
};

pub(super) fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Opened { context } => {
            state.context = context;
            state.run = RunStatus::Running(None);
        }
        Action::OpenFailed(message) => state.run = RunStatus::Failed(message),
        Action::Engine(event) => {
            if let Some(cluster) = event.cluster {
                state.context = Some(cluster);
            }
            engine_event(state, event.kind);
        }
        Action::Described(result) => {
            if let Some(Overlay::Describe(Describe::Loading(object))) = &state.overlay {
                let object = object.clone();
                state.overlay = Some(Overlay::Describe(match result {
                    Ok(context) => Describe::Ready(context),
                    Err(e) => Describe::Failed(object, e),
                }));
            }
        }
        Action::YamlLoaded(view) => {
            // Only while the YAML view it was asked for is still open.
            if let Some(Overlay::Text(open)) = &state.overlay
                && open.title == view.title
            {
                state.overlay = Some(Overlay::Text(view));
            }
        }
        _ => {}
    }
    Vec::new()
}

fn engine_event(state: &mut State, kind: EventKind) {
    match kind {
        EventKind::Started => {
            state.run = RunStatus::Running(None);
            state.warnings.clear();
        }
        EventKind::Progress(p) => {
            let steps = if p.steps > 0 {
                format!(" {}/{}", p.steps_done, p.steps)
            } else {
                String::new()
            };
            state.run = RunStatus::Running(Some(format!(
                "reading{steps}: {} ({} objects)",
                p.what, p.items
            )));
        }
        EventKind::Warning(w) => state.warnings.push(w.message),
        EventKind::InputError(e) => state.warnings.push(format!("cannot read input: {e}")),
        EventKind::Issues(issues) | EventKind::IssuesUpdated(issues) => {
            state.list.set_issues(issues);
            state.loaded = true;
            if state.run.in_flight() {
                state.run = RunStatus::Logs;
            }
        }
        EventKind::LogTail { fingerprint, log } => state.list.attach_log(fingerprint, log),
        EventKind::Explained {
            fingerprint,
            explanation,
        } => state.list.set_explanation(fingerprint, *explanation),
        // Deltas are still pseudonymized, and a dry run is for `--dry-run`: the TUI's runs ask
        // for neither; its explanations come through `llm::Assistant`, unscrubbed.
        EventKind::Explanation { .. }
        | EventKind::DryRun(_)
        | EventKind::Focus(_)
        | EventKind::Snapshot(_) => {}
        EventKind::Report(report) => {
            let report = *report;
            state.observed_at = report.source.observed_at;
            if report.source.context.is_some() {
                state.context = report.source.context;
            }
            state.warnings = report.warnings.into_iter().map(|w| w.message).collect();
            state.list.set_issues(report.issues);
            state.list.end_refresh();
            state.loaded = true;
            let (new, resolved) = (state.list.new_count(), state.list.resolved_count());
            if new + resolved > 0 {
                state.say(format!(
                    "{new} new and {resolved} resolved since the last refresh (marked + and -)"
                ));
            }
        }
        EventKind::Failed(e) => {
            let message = e.to_string();
            // With issues on screen, the list stays and the status line says why.
            if state.loaded {
                state.complain(format!("the run failed: {message}; ctrl-r retries"));
            }
            state.run = RunStatus::Failed(message);
        }
        EventKind::Finished { cancelled } => {
            if !matches!(state.run, RunStatus::Failed(_)) {
                state.run = if cancelled {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Done
                };
            }
        }
    }
}
