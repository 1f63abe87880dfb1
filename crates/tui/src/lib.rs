//! Placeholder: this crate grows with its own issue.
