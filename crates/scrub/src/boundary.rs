//! Where a name may be replaced: at identifier boundaries, and, for names that are ordinary
//! words, only where the text uses them as names.
//!
//! The characters next to a match are read *decoded*: `%2F` counts as `/` and a JSON escape such
//! as `\n` or `\"` as the character it stands for, so names inside percent-encoded URLs and
//! JSON-escaped log lines are found as they are in plain text.
//!
//! **The rule for word-like names.** A name that is one lowercase word of at most four letters, or
//! a common English word (`web`, `api`, `cache`, `worker`), is replaced only where it is used as a
//! name:
//! - it is the whole value (a JSON string, a field);
//! - it is quoted with `"`, `'` or a backtick on both sides;
//! - it follows `@`, `=` or `://` (`app=web`, `http://web`), or is followed by `:` and a digit
//!   (`web:8080`);
//! - the word or path segment before it is a kind or a namespace flag (`pod web`,
//!   `service web`, `-n web`, `pod/web`, `deployment.apps/web`, `/namespaces/shop/pods`);
//! - a slash joins it to another name of the dictionary (`shop/cart`): the dictionary checks
//!   that one itself, as only it knows the other names.
//!
//! Everywhere else (`the web server`, `cache miss`) the word is prose and is left alone. Other
//! names are replaced wherever they stand between non-alphanumeric characters.

/// The character before byte `start`, decoding a percent-escape or JSON escape that ends there.
pub(crate) fn char_before(text: &str, start: usize) -> Option<char> {
    let head = &text[..start];
    let bytes = head.as_bytes();
    let n = bytes.len();
    if n >= 3
        && bytes[n - 3] == b'%'
        && let Some(c) = hex_pair(bytes[n - 2], bytes[n - 1])
    {
        return Some(c);
    }
    if n >= 2
        && bytes[n - 2] == b'\\'
        && let Some(c) = json_escape(bytes[n - 1])
    {
        return Some(c);
    }
    if n >= 6
        && bytes[n - 6] == b'\\'
        && bytes[n - 5] == b'u'
        && let Some(c) = unicode_escape(&head[n - 4..])
    {
        return Some(c);
    }
    head.chars().next_back()
}

/// The character at byte `end`, decoding a percent-escape or JSON escape that starts there. A
/// run of backslashes (JSON escaped twice) counts as one escape.
pub(crate) fn char_after(text: &str, end: usize) -> Option<char> {
    let tail = &text[end..];
    let bytes = tail.as_bytes();
    if bytes.len() >= 3
        && bytes[0] == b'%'
        && let Some(c) = hex_pair(bytes[1], bytes[2])
    {
        return Some(c);
    }
    let slashes = bytes.iter().take_while(|&&b| b == b'\\').count();
    if slashes > 0 && slashes < bytes.len() {
        let rest = &tail[slashes..];
        if rest.starts_with('u')
            && let Some(c) = rest.get(1..5).and_then(unicode_escape)
        {
            return Some(c);
        }
        if let Some(c) = json_escape(bytes[slashes]) {
            return Some(c);
        }
    }
    tail.chars().next()
}

fn hex_pair(a: u8, b: u8) -> Option<char> {
    let hi = (a as char).to_digit(16)?;
    let lo = (b as char).to_digit(16)?;
    char::from_u32(hi * 16 + lo)
}

fn unicode_escape(hex: &str) -> Option<char> {
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

fn json_escape(b: u8) -> Option<char> {
    Some(match b {
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'\'' => '\'',
        _ => return None,
    })
}

/// Whether `text[start..end]` stands between non-alphanumeric characters.
pub(crate) fn at_boundary(text: &str, start: usize, end: usize) -> bool {
    !char_before(text, start).is_some_and(char::is_alphanumeric)
        && !char_after(text, end).is_some_and(char::is_alphanumeric)
}

/// Words after which the next word is a name: kinds, their plurals and short names, and
/// namespace flags. They introduce a name as a word (`pod web`) or as a path segment
/// (`pods/web`, `namespaces/shop/`, `deployment.apps/web`).
const NAME_INTRODUCERS: &[&str] = &[
    "pod",
    "pods",
    "deployment",
    "deployments",
    "deploy",
    "replicaset",
    "replicasets",
    "rs",
    "statefulset",
    "statefulsets",
    "sts",
    "daemonset",
    "daemonsets",
    "ds",
    "job",
    "jobs",
    "cronjob",
    "cronjobs",
    "service",
    "services",
    "svc",
    "namespace",
    "namespaces",
    "ns",
    "-n",
    "--namespace",
    "node",
    "nodes",
    "configmap",
    "configmaps",
    "cm",
    "secret",
    "secrets",
    "serviceaccount",
    "serviceaccounts",
    "sa",
    "pvc",
    "persistentvolumeclaim",
    "persistentvolumeclaims",
    "ingress",
    "ingresses",
    "container",
    "containers",
    "image",
    "host",
    "hostname",
    "endpoints",
    "volume",
    "claim",
    "storageclass",
    "hpa",
    "app",
];

fn introduces_a_name(word: &str) -> bool {
    let word = word.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '(' | '[' | ':'));
    // `deployment.apps/web`, `deployments.v1.apps/web`.
    let kind = word.split('.').next().unwrap_or(word);
    NAME_INTRODUCERS
        .iter()
        .any(|i| i.eq_ignore_ascii_case(kind))
}

/// Whether the word-like name at `text[start..end]` is used as a name (see the module docs).
pub(crate) fn used_as_name(text: &str, start: usize, end: usize, whole: bool) -> bool {
    if whole && start == 0 && end == text.len() {
        return true;
    }
    let before = char_before(text, start);
    let after = char_after(text, end);
    if let (Some(b), Some(a)) = (before, after)
        && matches!(b, '"' | '\'' | '`')
        && a == b
    {
        return true;
    }
    if matches!(before, Some('@' | '=')) || text[..start].ends_with("://") {
        return true;
    }
    if before == Some('/') && path_segment_before(text, start).is_some_and(introduces_a_name) {
        return true;
    }
    if after == Some(':')
        && text[end..]
            .trim_start_matches(':')
            .starts_with(|c: char| c.is_ascii_digit())
    {
        return true;
    }
    previous_word(text, start).is_some_and(introduces_a_name)
}

/// The path segment before the `/` (or `%2F`) that precedes `start`: `pods` in `pods/web`.
fn path_segment_before(text: &str, start: usize) -> Option<&str> {
    let head = &text[..start];
    let head = head
        .strip_suffix('/')
        .or_else(|| head.strip_suffix("%2F"))
        .or_else(|| head.strip_suffix("%2f"))
        .or_else(|| head.strip_suffix("\\/"))?;
    let segment_start = head
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    Some(&head[segment_start..])
}

/// The whitespace-separated word before `start`, when only spaces and an opening quote stand
/// between it and the name.
fn previous_word(text: &str, start: usize) -> Option<&str> {
    let head = text[..start].trim_end_matches(['"', '\'', '`']);
    let trimmed = head.trim_end_matches([' ', '\t']);
    if trimmed.len() == head.len() {
        return None;
    }
    let word_start = trimmed
        .char_indices()
        .rfind(|&(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    Some(&trimmed[word_start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str, word: &str) -> (usize, usize) {
        let start = text.find(word).unwrap();
        (start, start + word.len())
    }

    #[test]
    fn boundaries_see_through_percent_and_json_escapes() {
        let text = "GET /namespaces%2Fshop%2Fpods";
        let (s, e) = find(text, "shop");
        assert_eq!(char_before(text, s), Some('/'));
        assert_eq!(char_after(text, e), Some('/'));
        let text = r#"{\"pod\":\"web\"}"#;
        let (s, e) = find(text, "web");
        assert_eq!(char_before(text, s), Some('"'));
        assert_eq!(char_after(text, e), Some('"'));
        let text = r"line one\ncheckout failed";
        let (s, e) = find(text, "checkout");
        assert!(at_boundary(text, s, e));
    }

    #[test]
    fn a_name_glued_to_letters_is_not_at_a_boundary() {
        let text = "checkouts and xcheckout";
        assert!(!at_boundary(text, 0, 8));
        assert!(at_boundary("checkout-7d4", 0, 8));
        assert!(at_boundary("(checkout)", 1, 9));
    }

    #[test]
    fn word_like_names_are_names_only_in_name_contexts() {
        for text in [
            "pod/web is failing",
            "connect to web:8080 refused",
            "selector app=web matched",
            r#"service "web" has no endpoints"#,
            "kubectl logs -n web checkout",
            "restarted deployment web",
            "http://web/healthz",
        ] {
            let (s, e) = find(text, "web");
            assert!(used_as_name(text, s, e, false), "{text}");
        }
        for (text, word) in [
            ("the web server is slow", "web"),
            ("web-based console", "web"),
            ("a cache miss", "cache"),
            ("read/write cache", "cache"),
        ] {
            let (s, e) = find(text, word);
            assert!(!used_as_name(text, s, e, false), "{text}");
        }
        assert!(used_as_name("web", 0, 3, true));
        assert!(!used_as_name("web", 0, 3, false));
    }
}
