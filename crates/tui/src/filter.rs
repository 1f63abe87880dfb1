//! The `/` filter, as k9s reads it: text matched anywhere in an issue (case-insensitive), `!`
//! in front to invert, and `-l app=x` for a label selector. Text filters the list at once;
//! a selector narrows the run's scope, so it starts a new run.

use kubewhy_model::Issue;
use kubewhy_source::{LabelSelector, SelectorError};

/// A parsed `/` filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// The text to look for, lowercased; empty matches everything.
    pub text: String,
    /// True to keep the issues that do not match (`/!text`).
    pub invert: bool,
    /// A label selector (`-l app=x`), checked.
    pub selector: Option<String>,
}

impl ListFilter {
    /// Reads what was typed after `/`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut words = Vec::new();
        let mut selector = None;
        let mut parts = input.split_whitespace();
        while let Some(part) = parts.next() {
            if part == "-l" {
                selector = parts.next().map(str::to_owned);
            } else if let Some(rest) = part.strip_prefix("-l").filter(|r| !r.is_empty()) {
                selector = Some(rest.to_owned());
            } else {
                words.push(part);
            }
        }
        if let Some(selector) = &selector {
            LabelSelector::parse(selector)?;
        }
        let text = words.join(" ");
        let (invert, text) = match text.strip_prefix('!') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, text.as_str()),
        };
        Ok(Self {
            text: text.to_lowercase(),
            invert,
            selector,
        })
    }

    /// True when nothing is filtered by text.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Whether an issue whose [`haystack`] is `haystack` is kept.
    #[must_use]
    pub fn keeps(&self, haystack: &str) -> bool {
        self.text.is_empty() || haystack.contains(&self.text) != self.invert
    }

    /// How the filter reads back, for the status line.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(format!(
                "{}{}",
                if self.invert { "!" } else { "" },
                self.text
            ));
        }
        if let Some(selector) = &self.selector {
            parts.push(format!("-l {selector}"));
        }
        parts.join(" ")
    }
}

/// The lowercased text a filter looks through: severity, check, category, title, message and
/// every object named.
#[must_use]
pub fn haystack(issue: &Issue) -> String {
    let mut text = format!(
        "{} {} {} {} {} {}",
        issue.severity, issue.check, issue.category, issue.title, issue.message, issue.root
    );
    for object in issue.objects.iter().chain(&issue.related) {
        text.push(' ');
        text.push_str(&object.to_string());
    }
    text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_invert_and_labels_are_read() {
        let f = ListFilter::parse("Checkout").unwrap();
        assert_eq!(
            (f.text.as_str(), f.invert, f.selector),
            ("checkout", false, None)
        );
        let f = ListFilter::parse("!crash loop").unwrap();
        assert_eq!((f.text.as_str(), f.invert), ("crash loop", true));
        let f = ListFilter::parse("-l app=web db").unwrap();
        assert_eq!(f.selector.as_deref(), Some("app=web"));
        assert_eq!(f.text, "db");
        let f = ListFilter::parse("-lapp=web").unwrap();
        assert_eq!(f.selector.as_deref(), Some("app=web"));
        assert!(ListFilter::parse("-l =web").is_err());
    }

    #[test]
    fn inverted_filters_keep_what_does_not_match() {
        let f = ListFilter::parse("shop").unwrap();
        assert!(f.keeps("error deployment/shop/web"));
        assert!(!f.keeps("error deployment/payments/web"));
        let f = ListFilter::parse("!shop").unwrap();
        assert!(!f.keeps("error deployment/shop/web"));
        assert!(f.keeps("error deployment/payments/web"));
        assert!(ListFilter::default().keeps("anything"));
        assert_eq!(
            ListFilter::parse("!a -l x=y").unwrap().describe(),
            "!a -l x=y"
        );
    }
}
