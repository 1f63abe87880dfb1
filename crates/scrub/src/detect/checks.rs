//! The checks that turn a regex match into a detection: they reject the look-alikes (a file
//! name that looks like a hostname, a CamelCase word that looks like a token, a key named
//! `secretName` whose value is a name, not a secret).

use std::net::Ipv6Addr;

use super::Ctx;
use crate::Category;
use crate::category::is_pseudonym_shaped;
use crate::vocab::{is_anonymous_shape, vocabulary};

/// Accepts the match unless it is vocabulary.
pub(super) fn not_vocabulary(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let m = ctx.matched();
    (!vocabulary().is_vocabulary(m)).then_some(ctx.category)
}

/// Accepts an `org/repo` path unless it is an official image or a public organisation.
pub(super) fn not_official_image(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let path = ctx.matched().trim_end_matches(".git");
    (!vocabulary().is_official_image(path)).then_some(ctx.category)
}

/// A token after `Bearer`, `Basic` or `token`: has a digit or is long, so prose
/// (`bearer authentication`) is not one.
pub(super) fn token_like(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let m = ctx.matched();
    let looks = m.len() >= 24 || m.bytes().any(|b| b.is_ascii_digit());
    (looks && !value_is_placeholder(m)).then_some(ctx.category)
}

/// Whether an assignment key names a secret value (`password`, `DB_TOKEN`, `clientSecret`)
/// rather than a reference or a setting about one (`secretName`, `tokenTTL`, `passwordFile`).
pub(crate) fn key_looks_secret(key: &str) -> bool {
    const KEYWORDS: [&str; 12] = [
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "accesskey",
        "privatekey",
        "credential",
    ];
    const NOT_VALUES: [&str; 40] = [
        "name",
        "names",
        "ref",
        "refs",
        "path",
        "file",
        "files",
        "dir",
        "seconds",
        "ttl",
        "expiry",
        "expiration",
        "expires",
        "expiresat",
        "type",
        "kind",
        "length",
        "len",
        "count",
        "mount",
        "volume",
        "namespace",
        "version",
        "policy",
        "provider",
        "store",
        "enabled",
        "required",
        "url",
        "uri",
        "endpoint",
        "header",
        "format",
        "source",
        "lifetime",
        "audience",
        "mode",
        "field",
        "rotation",
        "limit",
    ];
    // Pseudonyms in a key (`secretname-1.data`) are this crate's, not the key's meaning.
    let lower: String = key
        .split(['.', '_', '/'])
        .filter(|part| !is_pseudonym_shaped(part))
        .collect::<Vec<_>>()
        .join("_")
        .to_ascii_lowercase();
    let compact: String = lower
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .collect();
    let has_keyword = KEYWORDS
        .iter()
        .any(|k| lower.contains(k) || compact.contains(&k.replace(['_', '-'], "")));
    has_keyword && !NOT_VALUES.iter().any(|s| compact.ends_with(s))
}

/// Whether a value after a secret-looking key is a placeholder, a reference or a word rather
/// than a credential: `true`, `***`, `<redacted>`, `${DB_PASSWORD}`, `/etc/creds/token`, `invalid`.
pub(crate) fn value_is_placeholder(value: &str) -> bool {
    const WORDS: [&str; 30] = [
        "true", "false", "null", "none", "nil", "yes", "no", "bearer", "basic", "redacted",
        "hidden", "masked", "required", "optional", "invalid", "expired", "missing", "empty",
        "set", "unset", "present", "absent", "ok", "denied", "n/a", "provided", "found",
        "rejected", "refused", "valid",
    ];
    let v = value.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
    v.is_empty()
        || (v.len() <= 9 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(v)))
        || v.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '#'))
        || v.starts_with(['$', '<', '{', '[', '%', '/', '~'])
        || v.starts_with("./")
        || (v.bytes().all(|b| b.is_ascii_lowercase()) && vocabulary().is_common_word(v))
        || (v.bytes().any(|b| b.is_ascii_uppercase())
            && v.bytes().all(|b| b.is_ascii_alphabetic())
            && vocabulary().is_common_word(&v.to_ascii_lowercase()))
        || is_pseudonym_shaped(v)
}

/// `password=hunter2`, `"token": "abc"`, `DB_PASSWORD: s3cr3t`.
pub(super) fn assignment(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let key = ctx.caps.get(1)?.as_str();
    (key_looks_secret(key) && !value_is_placeholder(ctx.matched())).then_some(ctx.category)
}

/// Random-looking strings: API keys, passwords, base64 blobs, hex tokens. Random text switches
/// between lowercase, uppercase and digits at most characters, where words and identifiers
/// switch rarely; that, with the character entropy, tells them apart.
pub(super) fn high_entropy(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let head = &ctx.text[..ctx.start];
    // Digests and container ids have their own detectors and are not secrets.
    if head.ends_with("sha1:")
        || head.ends_with("sha256:")
        || head.ends_with("sha384:")
        || head.ends_with("sha512:")
        || head.ends_with("://")
    {
        return None;
    }
    looks_random(ctx.matched()).then_some(ctx.category)
}

pub(crate) fn looks_random(s: &str) -> bool {
    let core = s.trim_end_matches('=');
    let n = core.len();
    if n < 20 {
        return false;
    }
    let mut seen = [false; 3];
    let mut switches = 0usize;
    let mut previous = None;
    for b in core.bytes() {
        // Symbols (`+`, `/`, `_`) neither count as a class nor break a run: paths are not random.
        let class = match b {
            b'a'..=b'z' => 0usize,
            b'A'..=b'Z' => 1,
            b'0'..=b'9' => 2,
            _ => continue,
        };
        seen[class] = true;
        if previous.is_some_and(|p| p != class) {
            switches += 1;
        }
        previous = Some(class);
    }
    if core.bytes().all(|b| b.is_ascii_hexdigit()) {
        return n >= 32 && seen[2] && (seen[0] || seen[1]) && switches * 4 >= n;
    }
    if !(seen[0] && seen[1] && seen[2]) || camel_case(core) {
        return false;
    }
    // A path of identifiers (`pods/CrashLoopBackOff/POD`) is not one random string.
    if core.contains('/') && core.split('/').all(identifier_like) {
        return false;
    }
    // Long base64 blobs switch classes at almost every other character, whatever they encode.
    if n >= 40 && switches * 10 >= n * 4 {
        return true;
    }
    // Entropy relative to the most an `n`-character string over base64's alphabet can have.
    let n_f = f64::from(u32::try_from(n.min(64)).unwrap_or(64));
    let relative = entropy(core) / n_f.log2();
    let needed = if n > 40 { 0.8 } else { 0.85 };
    switches * 10 >= n * 3 && relative >= needed
}

/// Whether most capitals start a lowercase word, as in identifiers (`CrashLoopBackOff2`);
/// in random text few capitals are followed by two lowercase letters.
fn camel_case(s: &str) -> bool {
    let b = s.as_bytes();
    let capitals: Vec<usize> = (0..b.len())
        .filter(|&i| b[i].is_ascii_uppercase())
        .collect();
    let words = capitals
        .iter()
        .filter(|&&i| {
            b.get(i + 1..i + 3)
                .is_some_and(|w| w.iter().all(u8::is_ascii_lowercase))
        })
        .count();
    capitals.len() >= 2 && words * 10 >= capitals.len() * 6
}

/// A path segment that reads as an identifier: short, CamelCase, or in one case.
fn identifier_like(segment: &str) -> bool {
    segment.len() < 3
        || camel_case(segment)
        || !segment.bytes().any(|b| b.is_ascii_uppercase())
        || !segment.bytes().any(|b| b.is_ascii_lowercase())
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = f64::from(u32::try_from(s.len()).unwrap_or(u32::MAX));
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The host of a URL: any name, unless it is loopback, an IP (the IP detectors take those),
/// vocabulary or a public host.
pub(super) fn host_name(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let host = ctx.matched().trim_end_matches('.');
    let v = vocabulary();
    let ip_like = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let kept = ip_like
        || host.eq_ignore_ascii_case("localhost")
        || v.is_term(host)
        || v.is_vocabulary_domain(host)
        || v.is_public_host(host)
        || is_service_dns(host);
    (!kept).then_some(ctx.category)
}

/// A host named in a network error or before a port: it must look like a host (a dot, a dash or
/// a digit), so that `connecting to database` stays prose.
pub(super) fn host_like(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let host = ctx.matched();
    let shaped = host.contains(['.', '-', '_']) || host.bytes().any(|b| b.is_ascii_digit());
    let v = vocabulary();
    let kept = host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || is_anonymous_shape(host)
        || v.is_vocabulary(host)
        || v.is_public_host(host)
        || is_service_dns(host);
    (shaped && !kept).then_some(ctx.category)
}

fn is_service_dns(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.rsplit('.').take(4).collect();
    matches!(
        labels.as_slice(),
        ["svc", _, ..] | ["local", "cluster", "svc", _, ..]
    )
}

/// A dotted name that ends in a real top-level domain, is not a file name (`main.py`), and is
/// not vocabulary (`networking.k8s.io`, `coredns.kube-system.svc.cluster.local`).
pub(super) fn fqdn(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let host = ctx.matched();
    let v = vocabulary();
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    if !v.is_tld(tld) || (labels.len() == 2 && v.is_file_extension(tld)) {
        return None;
    }
    let kept = v.is_vocabulary_domain(host)
        || v.is_public_host(host)
        || is_service_dns(host)
        || labels.iter().all(|l| v.is_term(l) || is_anonymous_shape(l));
    (!kept).then_some(ctx.category)
}

/// IPv4 addresses and CIDRs, except the ones that identify nothing (`0.0.0.0`, loopback,
/// broadcast) and dotted numbers that continue (`1.2.3.4.5` is a version).
pub(super) fn ipv4(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let m = ctx.matched();
    let (address, _) = m.split_once('/').unwrap_or((m, ""));
    if matches!(address, "0.0.0.0" | "255.255.255.255") || address.starts_with("127.") {
        return None;
    }
    let head = &ctx.text[..ctx.start];
    let tail = &ctx.text[ctx.end..];
    let continues =
        |s: &str| s.starts_with('.') && s[1..].starts_with(|c: char| c.is_ascii_digit());
    if continues(tail)
        || (head.ends_with('.') && head[..head.len() - 1].ends_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    Some(ctx.category)
}

/// A candidate made of hex groups and colons that parses as an IPv6 address; `::` and `::1` stay.
pub(super) fn ipv6(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let m = ctx.matched();
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == ':' || c == '_');
    if glued(ctx.text[..ctx.start].chars().next_back()) || glued(ctx.text[ctx.end..].chars().next())
    {
        return None;
    }
    let (address, prefix) = match m.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (m, None),
    };
    let parsed: Ipv6Addr = address.parse().ok()?;
    if parsed.is_unspecified() || parsed.is_loopback() {
        return None;
    }
    match prefix {
        Some(p) if p.parse::<u8>().is_ok_and(|p| p <= 128) => Some(Category::Cidr),
        Some(_) => None,
        None => Some(ctx.category),
    }
}

/// A bare twelve-digit number, the shape of an AWS account id (`123456789012:shop-search`),
/// unless it is part of a dotted or decimal number (`1.123456789012`, `3,123456789012`).
pub(super) fn bare_account_id(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let head = &ctx.text.as_bytes()[..ctx.start];
    let tail = &ctx.text.as_bytes()[ctx.end..];
    let numeric_before = head.len() >= 2
        && matches!(head[head.len() - 1], b'.' | b',')
        && head[head.len() - 2].is_ascii_digit();
    let numeric_after =
        tail.len() >= 2 && matches!(tail[0], b'.' | b',') && tail[1].is_ascii_digit();
    (!numeric_before && !numeric_after).then_some(ctx.category)
}

/// `in project acme-prod-4711`: a project id after the word, when it has the shape of one (a
/// hyphen joins its words) and is not vocabulary, so that `the project deadline` stays prose.
pub(super) fn project_in_prose(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let id = ctx.matched();
    let kept = vocabulary().is_vocabulary(id) || is_pseudonym_shaped(id);
    (id.contains('-') && !kept).then_some(ctx.category)
}

/// `secret "payments-stripe"`, `volume \"certs\"`: a quoted name after a kind is that kind's
/// name, whether or not the snapshot has the object. Vocabulary and pseudonyms stay.
pub(super) fn quoted_object_name(ctx: &Ctx<'_, '_>) -> Option<Category> {
    let name = ctx.matched();
    if vocabulary().is_vocabulary(name) || is_pseudonym_shaped(name) {
        return None;
    }
    let kind = ctx.caps.get(1)?.as_str().to_ascii_lowercase();
    let singular = match kind.as_str() {
        "ingress" | "ingresses" => "ingress",
        k => k.strip_suffix('s').unwrap_or(k),
    };
    Some(match singular {
        "pod" => Category::Pod,
        "deployment" => Category::Deployment,
        "replicaset" => Category::ReplicaSet,
        "statefulset" => Category::StatefulSet,
        "daemonset" => Category::DaemonSet,
        "job" => Category::Job,
        "cronjob" => Category::CronJob,
        "service" => Category::Service,
        "configmap" => Category::ConfigMap,
        "secret" => Category::SecretName,
        "persistentvolumeclaim" | "pvc" => Category::Pvc,
        "serviceaccount" => Category::ServiceAccount,
        "volume" => Category::Volume,
        "ingress" => Category::Ingress,
        "namespace" => Category::Namespace,
        "node" => Category::Node,
        "container" => Category::Container,
        _ => ctx.category,
    })
}
