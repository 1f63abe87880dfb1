//! What `kubewhy checks` prints: a table of every check, or one check's catalog entry.

use std::fmt::Write as _;

use kubewhy_analyzers::{Applies, CheckInfo};

/// Looking up a check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksError {
    /// No check has this id.
    #[error("unknown check `{id}`; `kubewhy checks` lists them")]
    UnknownCheck {
        /// The id as given.
        id: String,
    },
}

/// Every check, one a line, sorted by category and id: id, severity, category, where it
/// applies and its title, noting the ones that are off by default.
#[must_use]
pub fn table() -> String {
    let mut rows: Vec<&CheckInfo> = kubewhy_analyzers::all_checks().collect();
    rows.sort_by_key(|info| (info.category, info.id));
    let mut text = format!(
        "{:<44} {:<9} {:<14} {:<7} TITLE\n",
        "CHECK", "SEVERITY", "CATEGORY", "APPLIES"
    );
    for info in rows {
        let off = if info.default_on {
            ""
        } else {
            " (off by default)"
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{:<44} {:<9} {:<14} {:<7} {}{off}",
            info.id.as_str(),
            info.severity.as_str(),
            info.category.as_str(),
            info.applies.as_str(),
            info.title
        );
    }
    text
}

/// One check's catalog entry: its title, a line of facts, then its documentation (Markdown).
pub fn doc(id: &str) -> Result<String, ChecksError> {
    let info = kubewhy_analyzers::check(id)
        .ok_or_else(|| ChecksError::UnknownCheck { id: id.to_owned() })?;
    let applies = match info.applies {
        Applies::Live => "live state",
        Applies::Static => "manifests (static)",
    };
    let default = if info.default_on {
        "on by default"
    } else {
        "off unless named with --check"
    };
    Ok(format!(
        "{id}: {}\nseverity {} · category {} · applies to {applies} · {default}\n\n{}",
        info.title, info.severity, info.category, info.doc
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_check_once() {
        let table = table();
        let mut lines = table.lines();
        assert!(lines.next().unwrap().starts_with("CHECK "));
        let ids: Vec<&str> = lines
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(ids.len(), kubewhy_analyzers::all_checks().count());
        assert!(ids.contains(&"pod-crash-looping"));
    }

    #[test]
    fn a_doc_names_its_facts_and_an_unknown_id_is_an_error() {
        let doc = doc("pod-crash-looping").unwrap();
        assert!(doc.starts_with("pod-crash-looping: Container is crash looping\n"));
        assert!(doc.contains("severity error · category reliability · applies to live state"));
        assert!(doc.contains("## How to fix"));
        let err = super::doc("pod-crash-loop").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown check `pod-crash-loop`; `kubewhy checks` lists them"
        );
    }
}
