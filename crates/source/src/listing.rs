//! What a snapshot saw: which kinds were read, under which scope, and which could not be. An
//! absence check ("the Secret does not exist") may only judge from a complete listing; a kind
//! that answered 403, or was read in one namespace or through a label selector, proves nothing
//! about what is missing elsewhere.

use std::collections::BTreeMap;

/// How one kind was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The kind was listed.
    Listed {
        /// Only in this namespace (`-n`); `None` means every namespace.
        namespace: Option<String>,
        /// Namespaces left out (`--exclude-namespace`).
        excluded: Vec<String>,
        /// The label selector the server applied, if any.
        selector: Option<String>,
    },
    /// The list failed (forbidden, not served, timed out); the reason is in words.
    Failed {
        /// Why, as the warning says it.
        reason: String,
    },
}

/// The listings of one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listings {
    /// By kind (`Secret`, `Pod`, `Gateway`).
    pub(crate) by_kind: BTreeMap<String, Listing>,
    /// Files and dumps: nobody listed anything, the input is what it is. A kind counts as seen
    /// when the input holds at least one object of it.
    pub(crate) files: bool,
}

impl Listings {
    /// Listings of file inputs.
    #[must_use]
    pub fn files() -> Self {
        Self {
            by_kind: BTreeMap::new(),
            files: true,
        }
    }

    /// Records how `kind` was read.
    pub fn record(&mut self, kind: &str, listing: Listing) {
        self.by_kind.insert(kind.to_owned(), listing);
    }

    /// How `kind` was read, for live sources.
    #[must_use]
    pub fn get(&self, kind: &str) -> Option<&Listing> {
        self.by_kind.get(kind)
    }

    /// The kinds whose list failed, with the reason.
    pub fn failed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_kind
            .iter()
            .filter_map(|(kind, listing)| match listing {
                Listing::Failed { reason } => Some((kind.as_str(), reason.as_str())),
                Listing::Listed { .. } => None,
            })
    }

    /// Whether file inputs are judged by presence.
    #[must_use]
    pub fn is_files(&self) -> bool {
        self.files
    }

    /// Whether a complete, unselected listing of `kind` covers `namespace` (`None` for a
    /// cluster-scoped kind). Files answer through [`crate::Snapshot::listed`].
    pub(crate) fn covers(&self, kind: &str, namespace: Option<&str>) -> bool {
        match self.by_kind.get(kind) {
            Some(Listing::Listed {
                namespace: scope,
                excluded,
                selector: None,
            }) => match namespace {
                Some(ns) => {
                    scope.as_deref().is_none_or(|s| s == ns) && !excluded.iter().any(|x| x == ns)
                }
                None => true,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(namespace: Option<&str>, selector: Option<&str>) -> Listing {
        Listing::Listed {
            namespace: namespace.map(str::to_owned),
            excluded: vec!["kube-system".into()],
            selector: selector.map(str::to_owned),
        }
    }

    #[test]
    fn only_complete_unselected_listings_cover_a_namespace() {
        let mut listings = Listings::default();
        listings.record("Secret", listed(None, None));
        listings.record("ConfigMap", listed(Some("shop"), None));
        listings.record("Pod", listed(None, Some("app=web")));
        listings.record(
            "ServiceAccount",
            Listing::Failed {
                reason: "forbidden (403)".into(),
            },
        );
        assert!(listings.covers("Secret", Some("shop")));
        assert!(!listings.covers("Secret", Some("kube-system")));
        assert!(listings.covers("ConfigMap", Some("shop")));
        assert!(!listings.covers("ConfigMap", Some("web")));
        assert!(!listings.covers("Pod", Some("shop")));
        assert!(!listings.covers("ServiceAccount", Some("shop")));
        assert!(!listings.covers("PersistentVolumeClaim", Some("shop")));
        assert_eq!(
            listings.failed().collect::<Vec<_>>(),
            [("ServiceAccount", "forbidden (403)")]
        );
    }
}
