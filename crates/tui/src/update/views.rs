//! `d`, `y`, `l` and `p`: the describe view, the YAML view and the log tails of the selected
//! issue. The describe view runs the engine focused on the issue's root; the YAML view reads
//! the original document of a file; log tails come from the issue's evidence.

use kubewhy_model::{Issue, LogEvidence};

use crate::{
    action::{Action, Effect},
    state::{Describe, Overlay, Scroll, State, TextView},
};

pub(super) fn open(state: &mut State, action: &Action) -> Vec<Effect> {
    let Some((issue, _)) = state.list.selected() else {
        state.complain("no issue selected");
        return Vec::new();
    };
    let issue = issue.clone();
    state.scroll[Scroll::Overlay as usize] = 0;
    match action {
        Action::Describe => {
            state.overlay = Some(Overlay::Describe(Describe::Loading(issue.root.clone())));
            vec![Effect::Describe(issue.root)]
        }
        Action::Yaml => yaml(state, &issue),
        Action::Logs { previous } => {
            let view = logs(&issue, *previous);
            // Open on the decisive line, with a few lines before it.
            let first = view.marked.first().map_or(0, |i| i.saturating_sub(3));
            state.scroll[Scroll::Overlay as usize] = u16::try_from(first).unwrap_or(0);
            state.overlay = Some(Overlay::Text(view));
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The title of the YAML view of an issue's root.
#[must_use]
pub fn yaml_title(issue: &Issue) -> String {
    format!("YAML · {}", issue.root)
}

fn yaml(state: &mut State, issue: &Issue) -> Vec<Effect> {
    let title = yaml_title(issue);
    if issue.root.kind == "Secret" {
        state.overlay = Some(Overlay::Text(TextView {
            title,
            note: Some("Secrets are never shown: kubewhy reads their metadata only".to_owned()),
            lines: Vec::new(),
            marked: Vec::new(),
        }));
        return Vec::new();
    }
    let fallback = report_view(issue, &title);
    // A document can be read again only from a plain file: archives and stdin are gone.
    let origin = issue
        .origin
        .clone()
        .filter(|o| o.member.is_none() && o.file != "<stdin>");
    let Some(origin) = origin else {
        state.overlay = Some(Overlay::Text(fallback));
        return Vec::new();
    };
    state.overlay = Some(Overlay::Text(TextView {
        title,
        note: Some(format!("reading {origin}")),
        lines: Vec::new(),
        marked: Vec::new(),
    }));
    vec![Effect::Yaml {
        object: issue.root.clone(),
        origin: Some(origin),
        fallback,
    }]
}

/// What the report holds about the issue, as YAML, for when the object itself cannot be shown.
fn report_view(issue: &Issue, title: &str) -> TextView {
    let note = match &issue.origin {
        Some(origin) => format!(
            "the document at {origin} cannot be read again; this is what the report holds about it"
        ),
        None => "the object's manifest is not kept in the report; this is what the report holds about the issue"
            .to_owned(),
    };
    let text = serde_yaml_ng::to_string(issue)
        .unwrap_or_else(|e| format!("the issue cannot be shown as YAML: {e}"));
    TextView {
        title: title.to_owned(),
        note: Some(note),
        lines: text.lines().map(str::to_owned).collect(),
        marked: Vec::new(),
    }
}

/// The log tails of an issue: of the current instances (`l`) or the previous ones (`p`).
fn logs(issue: &Issue, previous: bool) -> TextView {
    let which = if previous { "previous" } else { "current" };
    let tails: Vec<&LogEvidence> = issue
        .evidence
        .logs
        .iter()
        .filter(|l| l.previous == previous)
        .collect();
    let mut view = TextView {
        title: format!("Logs ({which} instance) · {}", issue.root),
        note: None,
        lines: Vec::new(),
        marked: Vec::new(),
    };
    if tails.is_empty() {
        let other = if previous {
            "`l` shows the current instance's"
        } else {
            "`p` shows the previous instance's"
        };
        view.note = Some(format!(
            "no log tail of the {which} instance in the report: kubewhy fetches the tails of containers that crashed or failed; {other}"
        ));
        return view;
    }
    for tail in tails {
        view.lines.push(format!(
            "── pod {} · container {} ──",
            tail.pod, tail.container
        ));
        if tail.truncated {
            view.lines.push("(older lines cut)".to_owned());
        }
        let start = view.lines.len();
        view.lines.extend(tail.lines.iter().cloned());
        if let Some(i) = tail.first_error {
            view.marked.push(start + i);
        }
        view.lines.push(String::new());
    }
    view
}
