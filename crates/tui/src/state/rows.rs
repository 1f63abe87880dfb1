//! The rows of the issue list: the issues kept by the filter, sorted, grouped, and laid out as
//! causal trees (a cause with its symptoms under it, through `caused_by`). Computed in
//! `update` when the issues or the view options change, so drawing only reads a window of it.

use std::{
    cmp::Ordering,
    collections::{HashMap, HashSet},
};

use jiff::Timestamp;
use kubewhy_model::{Fingerprint, Issue, Severity};

/// How the list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Worst first, then namespace, kind and name: the report's order.
    #[default]
    Severity,
    /// By namespace, then severity.
    Namespace,
    /// By the root's kind and name.
    Kind,
    /// The most recently seen first (the newest event of each issue).
    Age,
}

impl SortKey {
    /// Every key, in the order `s` cycles through them.
    pub const ALL: [Self; 4] = [Self::Severity, Self::Namespace, Self::Kind, Self::Age];

    /// The name used in `:sort` and in the list's title.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Severity => "severity",
            Self::Namespace => "namespace",
            Self::Kind => "kind",
            Self::Age => "age",
        }
    }

    /// The next key, for `s`.
    #[must_use]
    pub fn next(self) -> Self {
        cycle(&Self::ALL, self)
    }

    /// Reads a name given to `:sort` (`ns` and `sev` too).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        named(&Self::ALL, name, Self::as_str)
    }
}

/// The option after `current` in `all`, wrapping around: what a key that cycles picks.
fn cycle<T: Copy + PartialEq>(all: &[T], current: T) -> T {
    let i = all.iter().position(|k| *k == current).unwrap_or(0);
    all[(i + 1) % all.len()]
}

/// The option of `all` that `name` names in a command: its name or a prefix of it, and `ns` and
/// `sev` for short.
fn named<T: Copy>(all: &[T], name: &str, as_str: fn(T) -> &'static str) -> Option<T> {
    let name = match name.to_ascii_lowercase().as_str() {
        "ns" => "namespace".to_owned(),
        "sev" => "severity".to_owned(),
        other => other.to_owned(),
    };
    if name.is_empty() {
        return None;
    }
    all.iter().copied().find(|k| as_str(*k).starts_with(&name))
}

/// How the list is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One flat list.
    #[default]
    None,
    /// A heading per namespace.
    Namespace,
    /// A heading per severity.
    Severity,
}

impl GroupBy {
    /// Every grouping, in the order `b` cycles through them.
    pub const ALL: [Self; 3] = [Self::None, Self::Namespace, Self::Severity];

    /// The name used in `:group` and in the list's title.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Namespace => "namespace",
            Self::Severity => "severity",
        }
    }

    /// The next grouping, for `b`.
    #[must_use]
    pub fn next(self) -> Self {
        cycle(&Self::ALL, self)
    }

    /// Reads a name given to `:group` (`ns` and `sev` too).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        named(&Self::ALL, name, Self::as_str)
    }
}

/// Which issue a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    /// An issue of the latest run, by index.
    Current(usize),
    /// An issue of the run before that is gone now, by index.
    Resolved(usize),
}

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A group's heading.
    Group {
        /// The namespace or severity.
        label: String,
        /// How many issues are under it.
        count: usize,
    },
    /// An issue, indented under the issue that causes it.
    Issue {
        /// The issue.
        entry: Entry,
        /// The tree's drawing in front of it (`├─ `, `│  └─ `); empty for a cause.
        tree: String,
    },
}

/// What the rows are built from.
pub(crate) struct Input<'a> {
    pub current: &'a [Issue],
    pub resolved: &'a [Issue],
    pub last_seen: &'a [Option<Timestamp>],
    pub kept: &'a dyn Fn(Entry) -> bool,
    pub sort: SortKey,
    pub group: GroupBy,
}

impl Input<'_> {
    fn issue(&self, entry: Entry) -> &Issue {
        match entry {
            Entry::Current(i) => &self.current[i],
            Entry::Resolved(i) => &self.resolved[i],
        }
    }

    fn last_seen(&self, entry: Entry) -> Option<Timestamp> {
        match entry {
            Entry::Current(i) => self.last_seen.get(i).copied().flatten(),
            Entry::Resolved(_) => None,
        }
    }

    fn compare(&self, left: Entry, right: Entry) -> Ordering {
        let (x, y) = (self.issue(left), self.issue(right));
        let first = match self.sort {
            SortKey::Severity => Ordering::Equal,
            SortKey::Namespace => x.root.namespace.cmp(&y.root.namespace),
            SortKey::Kind => (&x.root.kind, &x.root.name).cmp(&(&y.root.kind, &y.root.name)),
            // Newest first; issues with no event last.
            SortKey::Age => match (self.last_seen(left), self.last_seen(right)) {
                (Some(then), Some(now)) => now.cmp(&then),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        first.then_with(|| x.report_order(y))
    }

    fn group_of(&self, entry: Entry) -> String {
        let issue = self.issue(entry);
        match self.group {
            GroupBy::None => String::new(),
            GroupBy::Namespace => issue
                .root
                .namespace
                .clone()
                .unwrap_or_else(|| "(cluster)".to_owned()),
            GroupBy::Severity => issue.severity.as_str().to_owned(),
        }
    }
}

/// Builds the rows.
pub(crate) fn build(input: &Input<'_>) -> Vec<Row> {
    let entries: Vec<Entry> = (0..input.current.len())
        .map(Entry::Current)
        .chain((0..input.resolved.len()).map(Entry::Resolved))
        .filter(|e| (input.kept)(*e))
        .collect();
    let by_fingerprint: HashMap<Fingerprint, Entry> = entries
        .iter()
        .map(|e| (input.issue(*e).fingerprint, *e))
        .collect();
    let mut children: HashMap<Entry, Vec<Entry>> = HashMap::new();
    let mut roots = Vec::new();
    for &entry in &entries {
        let issue = input.issue(entry);
        let parent = issue
            .caused_by
            .iter()
            .filter(|fp| **fp != issue.fingerprint)
            .find_map(|fp| by_fingerprint.get(fp));
        match parent {
            Some(parent) => children.entry(*parent).or_default().push(entry),
            None => roots.push(entry),
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| input.compare(*a, *b));
    }
    roots.sort_by(|a, b| input.compare(*a, *b));
    let mut placed = HashSet::new();
    let mut trees: Vec<Vec<(Entry, String)>> = Vec::new();
    for root in roots {
        let mut tree = Vec::new();
        walk(root, String::new(), None, &children, &mut placed, &mut tree);
        trees.push(tree);
    }
    // Issues caught in a cycle of causes have no root: each becomes one.
    for &entry in &entries {
        if !placed.contains(&entry) {
            let mut tree = Vec::new();
            walk(
                entry,
                String::new(),
                None,
                &children,
                &mut placed,
                &mut tree,
            );
            trees.push(tree);
        }
    }
    group(input, trees)
}

/// Lays out `entry` and its symptoms, depth first.
fn walk(
    entry: Entry,
    indent: String,
    last: Option<bool>,
    children: &HashMap<Entry, Vec<Entry>>,
    placed: &mut HashSet<Entry>,
    out: &mut Vec<(Entry, String)>,
) {
    if !placed.insert(entry) {
        return;
    }
    let glyph = match last {
        None => "",
        Some(true) => "└─ ",
        Some(false) => "├─ ",
    };
    out.push((entry, format!("{indent}{glyph}")));
    let Some(kids) = children.get(&entry) else {
        return;
    };
    let kids: Vec<Entry> = kids
        .iter()
        .copied()
        .filter(|k| !placed.contains(k))
        .collect();
    let next_indent = match last {
        None => indent,
        Some(true) => format!("{indent}   "),
        Some(false) => format!("{indent}│  "),
    };
    for (i, kid) in kids.iter().enumerate() {
        let is_last = i + 1 == kids.len();
        walk(
            *kid,
            next_indent.clone(),
            Some(is_last),
            children,
            placed,
            out,
        );
    }
}

fn group(input: &Input<'_>, trees: Vec<Vec<(Entry, String)>>) -> Vec<Row> {
    let issue_row = |(entry, tree): (Entry, String)| Row::Issue { entry, tree };
    if input.group == GroupBy::None {
        return trees.into_iter().flatten().map(issue_row).collect();
    }
    let mut groups: Vec<(String, Vec<(Entry, String)>)> = Vec::new();
    for tree in trees {
        let Some((root, _)) = tree.first() else {
            continue;
        };
        let label = input.group_of(*root);
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, rows)) => rows.extend(tree),
            None => groups.push((label, tree)),
        }
    }
    match input.group {
        GroupBy::Severity => groups.sort_by_key(|(label, _)| {
            Severity::ALL
                .iter()
                .position(|s| s.as_str() == label)
                .unwrap_or(usize::MAX)
        }),
        // Cluster-scoped objects after every namespace.
        _ => groups.sort_by(|(a, _), (b, _)| {
            (a.starts_with('('), a.as_str()).cmp(&(b.starts_with('('), b.as_str()))
        }),
    }
    let mut rows = Vec::new();
    for (label, tree) in groups {
        rows.push(Row::Group {
            label,
            count: tree.len(),
        });
        rows.extend(tree.into_iter().map(issue_row));
    }
    rows
}
