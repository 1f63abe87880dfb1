//! The explanation that stands in when no model answers: the offline explainer's (the catalog
//! plus the library of failure signatures), which sends nothing anywhere.

use kubewhy_model::{Explanation, Issue};

/// The offline explanation of `issue`; a `fallback` reason marks it as standing in for a
/// backend that did not answer, and says why.
pub(crate) fn offline(issue: &Issue, fallback: Option<&str>) -> Explanation {
    let offline = kubewhy_llm::offline::explain(issue);
    Explanation {
        text: offline.text,
        structured: Some(offline.structured.to_answer()),
        backend: kubewhy_llm::offline::BACKEND.to_owned(),
        model: "signatures".to_owned(),
        fallback: fallback.is_some(),
        fallback_reason: fallback.map(str::to_owned),
        ..Explanation::default()
    }
}
