//! Kubernetes vocabulary, which is never scrubbed: kinds, reasons, field names, API groups,
//! well-known label keys, public registries and official images, plus the shapes of values that
//! carry no identity (numbers, versions, quantities, zones). The lists live in
//! `data/vocabulary.txt` so they can be read and extended without touching code.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::hash::FastSet;

const DATA: &str = include_str!("../data/vocabulary.txt");

/// The parsed vocabulary file.
pub(crate) struct Vocabulary {
    /// Lowercased terms: kinds, reasons, field names, system components.
    terms: FastSet<String>,
    label_keys: FastSet<&'static str>,
    domains: FastSet<&'static str>,
    public_hosts: FastSet<&'static str>,
    kept_registries: FastSet<&'static str>,
    official_images: FastSet<&'static str>,
    generic_containers: FastSet<&'static str>,
    tlds: FastSet<&'static str>,
    file_extensions: FastSet<&'static str>,
    weak_words: FastSet<&'static str>,
}

static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| Vocabulary::parse(DATA));

/// The vocabulary, parsed once.
pub(crate) fn vocabulary() -> &'static Vocabulary {
    &VOCABULARY
}

impl Vocabulary {
    fn parse(data: &'static str) -> Self {
        let mut sections: HashMap<&str, FastSet<&'static str>> = HashMap::new();
        let mut current = "";
        for line in data.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = name;
                continue;
            }
            sections
                .entry(current)
                .or_default()
                .extend(line.split_whitespace());
        }
        let mut take = |name: &str| sections.remove(name).unwrap_or_default();
        Self {
            terms: take("terms")
                .into_iter()
                .map(str::to_ascii_lowercase)
                .collect(),
            label_keys: take("label-keys"),
            domains: take("domains"),
            public_hosts: take("public-hosts"),
            kept_registries: take("kept-registries"),
            official_images: take("official-images"),
            generic_containers: take("generic-containers"),
            tlds: take("tlds"),
            file_extensions: take("file-extensions"),
            weak_words: take("weak-words"),
        }
    }

    /// Whether `text` is Kubernetes vocabulary or a value that identifies nothing.
    pub(crate) fn is_vocabulary(&self, text: &str) -> bool {
        self.is_term(text)
            || self.label_keys.contains(text)
            || self.is_vocabulary_domain(text)
            || is_anonymous_shape(text)
    }

    /// Whether `text` is one of the listed terms, ignoring case.
    pub(crate) fn is_term(&self, text: &str) -> bool {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            self.terms.contains(&text.to_ascii_lowercase())
        } else {
            self.terms.contains(text)
        }
    }

    /// Whether `host` is an API group or a well-known domain, or a subdomain of one.
    pub(crate) fn is_vocabulary_domain(&self, host: &str) -> bool {
        if !host.contains('.') {
            return self.domains.contains(host);
        }
        let host = host.to_ascii_lowercase();
        let mut rest = host.as_str();
        loop {
            if self.domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, tail)) if tail.contains('.') || self.domains.contains(tail) => {
                    rest = tail;
                }
                _ => return false,
            }
        }
    }

    /// Whether `host` is a public registry or code host.
    pub(crate) fn is_public_host(&self, host: &str) -> bool {
        let public = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            self.public_hosts
                .contains(host.to_ascii_lowercase().as_str())
        } else {
            self.public_hosts.contains(host)
        };
        public || self.kept_registries.contains(host)
    }

    /// Whether every image of `registry` is public software kept whole.
    pub(crate) fn is_kept_registry(&self, registry: &str) -> bool {
        self.kept_registries.contains(registry)
    }

    /// Whether `path` (`nginx`, `library/nginx`, `grafana/grafana`) is an official image, or an
    /// organisation whose images are public software (`kubernetes-sigs/...`).
    pub(crate) fn is_official_image(&self, path: &str) -> bool {
        let path = path.strip_prefix("library/").unwrap_or(path);
        self.official_images.contains(path)
            || path
                .split_once('/')
                .is_some_and(|(org, _)| self.official_images.contains(org))
    }

    /// Whether a container name says what the container does rather than whose it is.
    pub(crate) fn is_generic_container(&self, name: &str) -> bool {
        self.generic_containers.contains(name) || self.is_weak_word(name)
    }

    /// Whether `tld` is a top-level domain that hostnames in logs use.
    pub(crate) fn is_tld(&self, tld: &str) -> bool {
        self.tlds.contains(tld)
    }

    /// Whether `ext` is a TLD that more often ends a file name (`main.py`).
    pub(crate) fn is_file_extension(&self, ext: &str) -> bool {
        self.file_extensions.contains(ext)
    }

    /// Whether `name` is a word of ordinary prose: one lowercase word that is either at most four
    /// letters long or in the list of common words. Such names are replaced only where the text
    /// uses them as names.
    pub(crate) fn is_weak_word(&self, name: &str) -> bool {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase())
            && (name.len() <= 4 || self.weak_words.contains(name))
    }

    /// Whether `word` is in the list of common words.
    pub(crate) fn is_common_word(&self, word: &str) -> bool {
        self.weak_words.contains(word)
    }
}

/// Values whose shape says they identify nothing: numbers, booleans, versions, quantities,
/// durations, timestamps, cloud regions and zones, instance types.
pub(crate) fn is_anonymous_shape(text: &str) -> bool {
    const WORDS: [&str; 9] = [
        "true", "false", "yes", "no", "on", "off", "null", "none", "nil",
    ];
    let t = text.trim();
    if t.len() < 3 {
        return true;
    }
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        return true;
    }
    // Every other shape has a digit (or is one of a few region names): most names stop here.
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        return t.len() <= 11 && is_region(&t.to_ascii_lowercase());
    }
    // Versions, quantities, timestamps and numbers start with a digit or a `v`; regions and
    // instance types are short.
    let first = t.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'v' || first == b'V') && t.len() > 24 {
        return false;
    }
    let lower = if t.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(t.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(t)
    };
    is_number_like(&lower)
        || is_version(&lower)
        || is_quantity(&lower)
        || is_timestamp(&lower)
        || is_region(&lower)
        || is_instance_type(&lower)
}

fn is_number_like(t: &str) -> bool {
    t.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'_' | b','))
}

/// `1.27`, `v1.2.3`, `1.4.2-rc.1`, `v2`.
fn is_version(t: &str) -> bool {
    let t = t.strip_prefix('v').unwrap_or(t);
    let (core, suffix) = t.split_once(['-', '+']).unwrap_or((t, ""));
    !core.is_empty()
        && core.starts_with(|c: char| c.is_ascii_digit())
        && core.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && suffix
            .split('.')
            .all(|s| matches!(s, "" | "rc" | "alpha" | "beta" | "pre" | "dev") || is_number_like(s))
}

/// `100m`, `128mi`, `2gi`, `30s`, `1h30m`, `500ms`.
fn is_quantity(t: &str) -> bool {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let unit = &t[digits..];
    matches!(
        unit,
        "m" | "k"
            | "ki"
            | "mi"
            | "gi"
            | "ti"
            | "pi"
            | "g"
            | "t"
            | "s"
            | "ms"
            | "us"
            | "ns"
            | "h"
            | "d"
    ) || unit
        .split(|c: char| c.is_ascii_digit())
        .all(|u| matches!(u, "" | "h" | "m" | "s" | "ms"))
}

/// `2026-11-20T08:00:00Z`, `2026-11-20`.
fn is_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// `us-east-1`, `us-east-1a`, `europe-west4-b`, `us-central1`, `eastus2`.
fn is_region(t: &str) -> bool {
    const AREAS: [&str; 12] = [
        "us",
        "eu",
        "ap",
        "sa",
        "ca",
        "me",
        "af",
        "il",
        "mx",
        "europe",
        "asia",
        "australia",
    ];
    let first = t.split('-').next().unwrap_or(t);
    if !AREAS.contains(&first) && t.contains('-') {
        return false;
    }
    let parts: Vec<&str> = t.split('-').collect();
    match parts.as_slice() {
        [area, direction, rest @ ..] if AREAS.contains(area) && rest.len() <= 2 => {
            const DIRECTIONS: [&str; 10] = [
                "east",
                "west",
                "north",
                "south",
                "central",
                "northeast",
                "northwest",
                "southeast",
                "southwest",
                "gov",
            ];
            let direction_ok =
                DIRECTIONS.contains(&direction.trim_end_matches(|c: char| c.is_ascii_digit()));
            let rest_ok = rest
                .iter()
                .all(|r| r.len() <= 3 && r.chars().all(|c| c.is_ascii_alphanumeric()));
            direction_ok && rest_ok && t.bytes().any(|b| b.is_ascii_digit())
        }
        [single] => {
            const AZURE: [&str; 8] = [
                "eastus",
                "eastus2",
                "westus",
                "westus2",
                "westus3",
                "westeurope",
                "northeurope",
                "centralus",
            ];
            AZURE.contains(single)
        }
        _ => false,
    }
}

/// `m5.large`, `g5.12xlarge`, `n2-standard-4`, `standard_d4s_v3`.
fn is_instance_type(t: &str) -> bool {
    if let Some((family, size)) = t.split_once('.') {
        let sized = matches!(
            size,
            "nano" | "micro" | "small" | "medium" | "large" | "xlarge" | "metal"
        ) || (size.ends_with("xlarge")
            && size
                .trim_end_matches("xlarge")
                .bytes()
                .all(|b| b.is_ascii_digit()));
        return sized && family.len() <= 6 && family.bytes().all(|b| b.is_ascii_alphanumeric());
    }
    if t.starts_with("standard_") {
        return true;
    }
    let mut parts = t.split('-');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(class), Some(cpus), None) => {
            matches!(
                class,
                "standard" | "highmem" | "highcpu" | "ultramem" | "megamem"
            ) && cpus.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_of_the_file_is_read() {
        let v = vocabulary();
        assert!(v.is_term("CrashLoopBackOff") && v.is_term("crashloopbackoff"));
        assert!(v.is_vocabulary_domain("networking.k8s.io"));
        assert!(v.is_vocabulary_domain("app.kubernetes.io"));
        assert!(v.is_vocabulary_domain("nvidia.com"));
        assert!(!v.is_vocabulary_domain("acme.com"));
        assert!(!v.is_vocabulary_domain("k8s.io.acme.com"));
        assert!(v.is_public_host("ghcr.io") && !v.is_public_host("registry.acme.internal"));
        assert!(v.is_official_image("nginx") && v.is_official_image("library/postgres"));
        assert!(!v.is_official_image("acme/payments"));
        assert!(v.is_tld("com") && v.is_file_extension("py"));
        assert!(v.is_generic_container("app") && !v.is_generic_container("payments-worker"));
    }

    #[test]
    fn weak_words_are_short_words_or_common_ones() {
        let v = vocabulary();
        assert!(v.is_weak_word("web") && v.is_weak_word("cache") && v.is_weak_word("db"));
        assert!(!v.is_weak_word("checkout") && !v.is_weak_word("payments-db"));
        assert!(!v.is_weak_word("Web1"));
    }

    #[test]
    fn anonymous_shapes_are_recognized() {
        for s in [
            "1.27",
            "v1.2.3",
            "1.4.2-rc.1",
            "100m",
            "128Mi",
            "30s",
            "1h30m",
            "2026-11-20T08:00:00Z",
            "us-east-1",
            "us-east-1a",
            "europe-west4-b",
            "us-central1",
            "m5.large",
            "g5.12xlarge",
            "n2-standard-4",
            "true",
            "8080",
            "ab",
        ] {
            assert!(is_anonymous_shape(s), "{s}");
        }
        for s in [
            "checkout",
            "payments-db",
            "acme.com",
            "user-7",
            "v1beta1x",
            "eu-payments-1",
        ] {
            assert!(!is_anonymous_shape(s), "{s}");
        }
    }
}
