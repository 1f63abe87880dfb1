//! Selecting and paging a resource's items without parsing them: namespaces are ranges of the
//! sorted items, label equalities index lookups, and a page the stored bytes of its items
//! joined between a list's head and tail. A continue token is the position to resume from.

use std::borrow::Cow;

use kubewhy_source::LabelSelector;
use serde_json::Value;

use super::resources::{Item, Resource};

/// The items a list request selects, by position.
pub(super) enum Selection {
    /// Every item in a range (a namespace, or all).
    Range(std::ops::Range<usize>),
    /// These items, ascending.
    Some(Vec<usize>),
}

impl Selection {
    pub fn len(&self) -> usize {
        match self {
            Self::Range(r) => r.len(),
            Self::Some(ids) => ids.len(),
        }
    }

    /// Positions `from..to` of the selection.
    pub fn slice(&self, from: usize, to: usize) -> Cow<'_, [usize]> {
        match self {
            Self::Range(r) => Cow::Owned((r.start + from..r.start + to).collect()),
            Self::Some(ids) => Cow::Borrowed(&ids[from..to]),
        }
    }
}

/// A field selector term on a field every item has indexed; anything else needs the object.
fn field_matches(item: &Item, selector: &str) -> bool {
    if selector.is_empty() {
        return true;
    }
    let mut value: Option<Value> = None;
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (path, wanted, negate) = match term.split_once("!=") {
            Some((p, v)) => (p, v, true),
            None => match term.split_once("==").or_else(|| term.split_once('=')) {
                Some((p, v)) => (p, v, false),
                None => return false,
            },
        };
        let actual = match path.trim() {
            "metadata.name" => Cow::Borrowed(item.name.as_str()),
            "metadata.namespace" => Cow::Borrowed(item.namespace.as_str()),
            other => {
                let value = value.get_or_insert_with(|| item.value());
                let pointer = format!("/{}", other.replace('.', "/"));
                Cow::Owned(
                    value
                        .pointer(&pointer)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                )
            }
        };
        (actual == wanted.trim()) != negate
    })
}

/// The items of `resource` in `namespace` that match both selectors.
pub(super) fn select(
    resource: &Resource,
    namespace: Option<&str>,
    labels: &LabelSelector,
    fields: &str,
) -> Selection {
    let range = resource.in_namespace(namespace);
    if labels.is_empty() && fields.is_empty() {
        return Selection::Range(range);
    }
    let keep = |&i: &usize| {
        let item = &resource.items[i];
        labels.matches(&item.labels) && field_matches(item, fields)
    };
    let candidates: Vec<usize> = match labels
        .equalities()
        .iter()
        .map(|(k, v)| resource.labelled(k, v))
        .min_by_key(|ids| ids.len())
    {
        Some(ids) => {
            let from = ids.partition_point(|&i| i < range.start);
            let to = ids.partition_point(|&i| i < range.end);
            ids[from..to].iter().copied().filter(keep).collect()
        }
        None => range.filter(keep).collect(),
    };
    Selection::Some(candidates)
}

/// A `…List` body: `head`, the items' bytes joined by commas, and the closing brackets.
pub(super) fn list_body<'a>(head: &str, items: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let items: Vec<&[u8]> = items.collect();
    let mut body =
        Vec::with_capacity(head.len() + 4 + items.iter().map(|i| i.len() + 1).sum::<usize>());
    body.extend_from_slice(head.as_bytes());
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(b"]}");
    body
}
