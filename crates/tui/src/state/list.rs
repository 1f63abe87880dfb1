//! The issue list: the latest run's issues, the ones the run before had and this one has not
//! (resolved), which are new, the filter, the order, and the selection, kept on the same issue
//! (by fingerprint) while the list changes under it.

use std::{
    cell::Cell,
    collections::{BTreeMap, HashSet},
};

use jiff::Timestamp;
use kubewhy_model::{Explanation, Fingerprint, Issue, LogEvidence, Severity};

use super::rows::{self, Entry, GroupBy, Row, SortKey};
use crate::filter::{ListFilter, haystack};

/// The issue list and how it is shown.
#[derive(Debug, Default)]
pub struct IssueList {
    issues: Vec<Issue>,
    haystacks: Vec<String>,
    last_seen: Vec<Option<Timestamp>>,
    /// Issues of the previous run that this run no longer has.
    resolved: Vec<Issue>,
    resolved_haystacks: Vec<String>,
    /// Fingerprints this run has and the previous run had not.
    new: HashSet<Fingerprint>,
    /// The previous run's issues, while a run is in flight.
    baseline: Option<Vec<Issue>>,
    /// The `/` filter.
    pub filter: ListFilter,
    /// `:severity`: issues below it are hidden.
    pub min_severity: Option<Severity>,
    /// How the list is sorted.
    pub sort: SortKey,
    /// How the list is grouped.
    pub group: GroupBy,
    rows: Vec<Row>,
    selected: usize,
    /// The first row drawn; the view moves it to keep the selection in sight.
    pub offset: Cell<usize>,
}

impl IssueList {
    /// The latest run's issues, in report order.
    #[must_use]
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// The rows to draw.
    #[must_use]
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The index of the selected row.
    #[must_use]
    pub fn selected_row(&self) -> usize {
        self.selected
    }

    /// The issue a row shows.
    #[must_use]
    pub fn issue(&self, entry: Entry) -> &Issue {
        match entry {
            Entry::Current(i) => &self.issues[i],
            Entry::Resolved(i) => &self.resolved[i],
        }
    }

    /// When the issue of a row was last seen (its newest event).
    #[must_use]
    pub fn last_seen(&self, entry: Entry) -> Option<Timestamp> {
        match entry {
            Entry::Current(i) => self.last_seen.get(i).copied().flatten(),
            Entry::Resolved(_) => None,
        }
    }

    /// The selected issue, and whether it is resolved.
    #[must_use]
    pub fn selected(&self) -> Option<(&Issue, bool)> {
        match self.rows.get(self.selected)? {
            Row::Issue { entry, .. } => {
                Some((self.issue(*entry), matches!(entry, Entry::Resolved(_))))
            }
            Row::Group { .. } => None,
        }
    }

    /// The selected issue's fingerprint.
    #[must_use]
    pub fn selected_fingerprint(&self) -> Option<Fingerprint> {
        self.selected().map(|(issue, _)| issue.fingerprint)
    }

    /// True when the issue appeared since the previous run.
    #[must_use]
    pub fn is_new(&self, fingerprint: Fingerprint) -> bool {
        self.new.contains(&fingerprint)
    }

    /// How many issues are resolved since the previous run.
    #[must_use]
    pub fn resolved_count(&self) -> usize {
        self.resolved.len()
    }

    /// How many issues are new since the previous run.
    #[must_use]
    pub fn new_count(&self) -> usize {
        self.new.len()
    }

    /// How many issues the rows show.
    #[must_use]
    pub fn shown(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r, Row::Issue { .. }))
            .count()
    }

    /// Issues of the latest run per severity, every severity present.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut counts: BTreeMap<Severity, usize> =
            Severity::ALL.into_iter().map(|s| (s, 0)).collect();
        for issue in &self.issues {
            *counts.entry(issue.severity).or_default() += 1;
        }
        counts
    }

    /// A new run starts: the current issues become what the next ones are compared with.
    pub fn begin_refresh(&mut self) {
        if self.baseline.is_none() && !self.issues.is_empty() {
            self.baseline = Some(self.issues.clone());
        }
    }

    /// The run's issues arrived (or changed): replaces the list, compares it with the previous
    /// run's, and keeps the selection.
    pub fn set_issues(&mut self, issues: Vec<Issue>) {
        let keep = self.selected_fingerprint();
        self.haystacks = issues.iter().map(haystack).collect();
        self.last_seen = issues.iter().map(last_seen).collect();
        if let Some(before) = &self.baseline {
            let now: HashSet<Fingerprint> = issues.iter().map(|i| i.fingerprint).collect();
            let then: HashSet<Fingerprint> = before.iter().map(|i| i.fingerprint).collect();
            self.new = now.difference(&then).copied().collect();
            self.resolved = before
                .iter()
                .filter(|i| !now.contains(&i.fingerprint))
                .cloned()
                .collect();
        } else {
            self.new.clear();
            self.resolved.clear();
        }
        self.resolved_haystacks = self.resolved.iter().map(haystack).collect();
        self.issues = issues;
        self.rebuild_keeping(keep);
    }

    /// The run finished: its issues are the baseline of the next refresh.
    pub fn end_refresh(&mut self) {
        self.baseline = None;
    }

    /// Attaches a log tail that arrived after the issues, replacing one of the same container.
    pub fn attach_log(&mut self, fingerprint: Fingerprint, log: LogEvidence) {
        if let Some(issue) = self
            .issues
            .iter_mut()
            .find(|i| i.fingerprint == fingerprint)
        {
            let logs = &mut issue.evidence.logs;
            match logs.iter_mut().find(|l| {
                l.pod == log.pod && l.container == log.container && l.previous == log.previous
            }) {
                Some(existing) => *existing = log,
                None => logs.push(log),
            }
        }
    }

    /// Records an issue's finished explanation.
    pub fn set_explanation(&mut self, fingerprint: Fingerprint, explanation: Explanation) {
        if let Some(issue) = self
            .issues
            .iter_mut()
            .find(|i| i.fingerprint == fingerprint)
        {
            issue.explanation = Some(explanation);
        }
    }

    /// Rebuilds the rows after the filter, sort or grouping changed.
    pub fn rebuild(&mut self) {
        let keep = self.selected_fingerprint();
        self.rebuild_keeping(keep);
    }

    fn rebuild_keeping(&mut self, keep: Option<Fingerprint>) {
        let min = self.min_severity;
        let filter = &self.filter;
        let (issues, resolved) = (&self.issues, &self.resolved);
        let (hay, resolved_hay) = (&self.haystacks, &self.resolved_haystacks);
        let kept = |entry: Entry| {
            let (issue, text) = match entry {
                Entry::Current(i) => (&issues[i], &hay[i]),
                Entry::Resolved(i) => (&resolved[i], &resolved_hay[i]),
            };
            min.is_none_or(|m| issue.severity >= m) && filter.keeps(text)
        };
        self.rows = rows::build(&rows::Input {
            current: issues,
            resolved,
            last_seen: &self.last_seen,
            kept: &kept,
            sort: self.sort,
            group: self.group,
        });
        let found = keep.and_then(|fp| {
            self.rows.iter().position(|r| match r {
                Row::Issue { entry, .. } => self.issue(*entry).fingerprint == fp,
                Row::Group { .. } => false,
            })
        });
        self.selected = found.unwrap_or(0);
        if found.is_none() {
            self.selected = self.next_issue_row(0, 1).unwrap_or(0);
        }
    }

    /// Moves the selection by `delta` issues (headings are skipped), stopping at the ends.
    pub fn move_by(&mut self, delta: isize) {
        let step = delta.signum();
        for _ in 0..delta.unsigned_abs() {
            let Some(from) = self.selected.checked_add_signed(step) else {
                break;
            };
            match self.next_issue_row(from, step) {
                Some(next) => self.selected = next,
                None => break,
            }
        }
    }

    /// Selects the first issue.
    pub fn top(&mut self) {
        self.selected = self.next_issue_row(0, 1).unwrap_or(0);
    }

    /// Selects the last issue.
    pub fn bottom(&mut self) {
        let last = self.rows.len().saturating_sub(1);
        self.selected = self.next_issue_row(last, -1).unwrap_or(0);
    }

    /// The first issue row at or after (`step` 1) or before (`step` -1) `from`.
    fn next_issue_row(&self, from: usize, step: isize) -> Option<usize> {
        let mut i = from;
        loop {
            match self.rows.get(i)? {
                Row::Issue { .. } => return Some(i),
                Row::Group { .. } => i = i.checked_add_signed(step)?,
            }
        }
    }
}

/// The newest `last_seen` among an issue's events.
fn last_seen(issue: &Issue) -> Option<Timestamp> {
    issue
        .evidence
        .events
        .iter()
        .filter_map(|e| e.last_seen.as_deref()?.parse::<Timestamp>().ok())
        .max()
}
