//! The info lines that say which kinds were inferred for objects written without one: one line
//! per input and way of inferring, however many files of a bundle it covers, so that a bundle of
//! fifty namespaces does not print a line per file.

use kubewhy_model::{Warning, WarningKind};

/// How the kind of an object written without one was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// From the file's or its folders' names.
    Path,
    /// From the object's fields.
    Shape,
}

/// The inferences of one input (a file, folder or archive as given) made one way.
#[derive(Debug)]
struct Group {
    root: String,
    how: How,
    /// The files they were in, in reading order.
    files: Vec<String>,
    /// Each kind with how many objects got it, in first-seen order.
    kinds: Vec<(&'static str, usize)>,
}

/// Every inference of a run.
#[derive(Debug, Default)]
pub(crate) struct Inferences {
    groups: Vec<Group>,
}

impl Inferences {
    /// One object of `location`, read from the input `root`, got `kind` by `how`.
    pub(crate) fn record(&mut self, root: &str, location: &str, how: How, kind: &'static str) {
        let found = self
            .groups
            .iter()
            .position(|g| g.root == root && g.how == how);
        let index = found.unwrap_or_else(|| {
            self.groups.push(Group {
                root: root.to_owned(),
                how,
                files: Vec::new(),
                kinds: Vec::new(),
            });
            self.groups.len() - 1
        });
        let group = &mut self.groups[index];
        if group.files.last().is_none_or(|f| f != location) {
            group.files.push(location.to_owned());
        }
        match group.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => group.kinds.push((kind, 1)),
        }
    }

    /// The info lines, one per input and way.
    pub(crate) fn notes(self) -> Vec<Warning> {
        self.groups.into_iter().map(note).collect()
    }
}

fn note(group: Group) -> Warning {
    let objects: usize = group.kinds.iter().map(|(_, n)| n).sum();
    let noun = if objects == 1 { "object" } else { "objects" };
    let message = if let [file] = group.files.as_slice() {
        let kinds: Vec<&str> = group.kinds.iter().map(|(k, _)| *k).collect();
        let from = match (group.how, objects) {
            (How::Path, _) => "from the file's path",
            (How::Shape, 1) => "from its fields",
            (How::Shape, _) => "from their fields",
        };
        format!(
            "{file}: read {objects} {noun} without `kind` as {} ({from})",
            kinds.join(" and ")
        )
    } else {
        let mut kinds = group.kinds;
        // The most frequent first; a stable sort keeps reading order among equals.
        kinds.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let from = match group.how {
            How::Path => "from the files' paths",
            How::Shape => "from their fields",
        };
        format!(
            "{}: read {objects} {noun} without `kind` in {} files, taking the kind {from}: {}",
            group.root,
            group.files.len(),
            kinds.join(", ")
        )
    };
    Warning::new(WarningKind::Info, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_input_and_way() {
        let mut inferences = Inferences::default();
        for (file, kind) in [
            ("b#pods/a.json", "Pod"),
            ("b#pods/a.json", "Pod"),
            ("b#nodes.json", "Node"),
        ] {
            inferences.record("b", file, How::Path, kind);
        }
        inferences.record("b", "b#x.json", How::Shape, "Pod");
        let notes: Vec<String> = inferences.notes().into_iter().map(|n| n.message).collect();
        assert_eq!(
            notes,
            [
                "b: read 3 objects without `kind` in 2 files, taking the kind from the files' paths: 2 Pod, 1 Node",
                "b#x.json: read 1 object without `kind` as Pod (from its fields)",
            ]
        );
    }
}
