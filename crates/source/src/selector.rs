//! Kubernetes label selectors (`app=web,tier!=cache,env in (prod,stage),!legacy`), parsed once
//! and matched against label maps. Used to check `-l` before any request is made, and by the
//! simulator to answer `labelSelector`.

use std::collections::BTreeMap;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A label selector that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid label selector `{text}`: cannot read `{part}` (expected key=value, key!=value, key in (a,b), key notin (a,b), key or !key)"
)]
pub struct SelectorError {
    /// The whole selector.
    pub text: String,
    /// The part that could not be read.
    pub part: String,
}

/// A parsed label selector; every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

impl LabelSelector {
    /// Parses the string form used by `kubectl -l` and the `labelSelector` query parameter.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part).ok_or_else(|| SelectorError {
                text: text.to_owned(),
                part: part.to_owned(),
            })?);
        }
        Ok(Self(requirements))
    }

    /// A Kubernetes `LabelSelector` (`matchLabels` and `matchExpressions`). An operator
    /// Kubernetes does not know makes a selector that matches nothing, as the API server would
    /// reject it.
    #[must_use]
    pub fn from_k8s(selector: &crate::meta::LabelSelector) -> Self {
        let mut requirements: Vec<Requirement> = selector
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
            .collect();
        for expr in selector.match_expressions.iter().flatten() {
            let values = expr.values.clone().unwrap_or_default();
            let key = expr.key.clone();
            requirements.push(match expr.operator.as_str() {
                "In" => Requirement::In(key, values),
                "NotIn" => Requirement::NotIn(key, values),
                "Exists" => Requirement::Exists(key),
                "DoesNotExist" => Requirement::NotExists(key),
                _ => Requirement::In(key, Vec::new()),
            });
        }
        Self(requirements)
    }

    /// An equality selector, as Services and ReplicationControllers use.
    #[must_use]
    pub fn from_map(labels: &BTreeMap<String, String>) -> Self {
        Self(
            labels
                .iter()
                .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
                .collect(),
        )
    }

    /// A selector that matches nothing.
    #[must_use]
    pub fn nothing() -> Self {
        Self(vec![Requirement::In(String::new(), Vec::new())])
    }

    /// True when the selector has no requirement: it selects everything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `key=value` requirements: an index of labels finds the candidates of a selector by
    /// them, and [`Self::matches`] judges the rest.
    #[must_use]
    pub fn equalities(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter_map(|req| match req {
                Requirement::Equals(k, v) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }

    /// Whether `labels` satisfy every requirement.
    #[must_use]
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|req| match req {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Splits at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn parse_requirement(part: &str) -> Option<Requirement> {
    let key = |k: &str| Some(k.trim().to_owned()).filter(|k| valid_key(k));
    if let Some((k, v)) = part.split_once("!=") {
        return Some(Requirement::NotEquals(key(k)?, v.trim().to_owned()));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Some(Requirement::Equals(key(k)?, v.trim().to_owned()));
    }
    if let Some(k) = part.strip_prefix('!') {
        return Some(Requirement::NotExists(key(k)?));
    }
    for (op, notin) in [(" notin ", true), (" in ", false)] {
        if let Some((k, set)) = part.split_once(op) {
            let set = set.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values = set.split(',').map(|v| v.trim().to_owned()).collect();
            return Some(if notin {
                Requirement::NotIn(key(k)?, values)
            } else {
                Requirement::In(key(k)?, values)
            });
        }
    }
    Some(Requirement::Exists(key(part)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_match_like_kubernetes() {
        let web = labels(&[("app", "web"), ("env", "prod")]);
        let sel = |s: &str| LabelSelector::parse(s).unwrap().matches(&web);
        assert!(sel("app=web"));
        assert!(sel("app==web,env in (prod, stage)"));
        assert!(!sel("app!=web"));
        assert!(sel("env notin (dev),!legacy"));
        assert!(!sel("tier"));
        assert!(sel(""));
        assert!(
            LabelSelector::parse("app in prod")
                .unwrap_err()
                .to_string()
                .contains("app in prod")
        );
    }
}
