//! The explanation that stands in when no model answers: the offline explainer's (the catalog
//! plus the library of failure signatures), which sends nothing anywhere.

use kubewhy_model::{Explanation, Issue};

/// The offline explanation of `issue`; `fallback` marks it as standing in for a backend that
/// did not answer.
pub(crate) fn offline(issue: &Issue, fallback: bool) -> Explanation {
    Explanation {
        text: kubewhy_llm::offline::explain(issue).text,
        backend: kubewhy_llm::offline::BACKEND.to_owned(),
        model: "signatures".to_owned(),
        fallback,
        ..Explanation::default()
    }
}
