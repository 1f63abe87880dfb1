//! The anonymizer. The input's first line holds names (`name` or `name@N`, `N` picking the
//! category) that make the dictionary; the rest is text, scrubbed as text and, when it is JSON,
//! as JSON (otherwise inside a JSON object), under both policies; then any text is unscrubbed
//! with the table. What must hold:
//! - no planted credential that stands alone survives either policy;
//! - under `Pseudonymize`, no distinctive name (one that cannot be vocabulary or prose) is left
//!   standing alone in the output;
//! - unscrubbing the output gives each such name back;
//! - scrubbing fails only by refusing (an error), never by panicking.

use std::sync::Arc;

use fastrand::Rng;
use kubewhy_scrub::{Category, Dictionary, Policy, ScrubConfig, Scrubber, unscrub};
use serde_json::{Value, json};

use super::Target;
use crate::{Features, generate::NAMES};

pub(crate) const TARGET: Target = Target {
    name: "scrub",
    about: "scrub and unscrub, text and JSON, under both policies",
    run,
    generate: generate_input,
    tokens: TOKENS,
};

const TOKENS: &[&str] = &[
    "password=",
    "token: ",
    "Authorization: Bearer ",
    "https://user:pw@",
    "10.0.0.1",
    "::1",
    "fe80::1%eth0",
    "10.0.0.0/8",
    "shop.example.com",
    "a@b.co",
    "sha256:",
    "uid-",
    "pod-1",
    "deployment-1-pod-2",
    "secret-1",
    "namespace-1",
    "\\\"",
    "%2F",
    "%",
    "\u{0}",
    "\u{200b}",
    " -n ",
    "svc/",
    ".svc.cluster.local",
    "deploy/",
    "\"",
    "`",
    "=",
    "@",
    "://",
    ":8080",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "\n",
    "-----BEGIN ",
];

/// Credentials the detectors know, planted whole.
const PLANTED: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "xoxb-2048-1024-abcdefABCDEF",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
];

const CATEGORIES: [Category; 8] = [
    Category::Deployment,
    Category::Pod,
    Category::Namespace,
    Category::Service,
    Category::Node,
    Category::SecretName,
    Category::ConfigMap,
    Category::Ingress,
];

fn run(input: &[u8], features: &mut Features) {
    let text = String::from_utf8_lossy(input);
    let (head, body) = text.split_once('\n').unwrap_or((&text, ""));
    let names: Vec<(&str, Category)> = head
        .split([' ', ','])
        .filter(|n| !n.is_empty())
        .take(64)
        .map(|n| match n.rsplit_once('@') {
            Some((name, c)) => {
                let i = c.bytes().map(usize::from).sum::<usize>() % CATEGORIES.len();
                (name, CATEGORIES[i])
            }
            None => (n, Category::Deployment),
        })
        .collect();
    let mut builder = Dictionary::builder();
    for (name, category) in &names {
        builder.name(name, *category);
    }
    let dictionary = match builder.build() {
        Ok(d) => Arc::new(d),
        Err(e) => return features.add_message("dictionary", &e.to_string()),
    };
    let distinctive: Vec<&str> = names
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| is_distinctive(n))
        .collect();
    for policy in [Policy::Pseudonymize, Policy::RedactSecrets] {
        let Ok(mut scrubber) =
            Scrubber::new(Arc::clone(&dictionary), &ScrubConfig::default(), policy)
        else {
            return features.add("no scrubber");
        };
        match scrubber.scrub_text(body) {
            Ok(out) => {
                features.add((
                    policy.replaces_names(),
                    "text ok",
                    scrubber.table().len().min(8),
                ));
                for entry in scrubber.table().entries() {
                    // Which detector or name kind fired, and how many of it.
                    let n = entry.pseudonym.rsplit('-').next().unwrap_or_default().len();
                    features.add((policy.replaces_names(), entry.category, n));
                }
                check(body, out.as_str(), policy, &distinctive);
                if policy == Policy::Pseudonymize {
                    check_round_trip(&scrubber, out.as_str(), &distinctive);
                }
            }
            Err(e) => features.add_message("text error", &e.to_string()),
        }
        let value: Value = serde_json::from_str(body)
            .unwrap_or_else(|_| json!({ "message": body, "names": head }));
        match scrubber.scrub_json(&value) {
            Ok(out) => {
                features.add((policy.replaces_names(), "json ok"));
                check(&value.to_string(), out.as_str(), policy, &distinctive);
            }
            Err(e) => features.add_message("json error", &e.to_string()),
        }
        match unscrub(scrubber.table(), &text) {
            Ok(back) => features.add_count("unknown", back.unknown.len()),
            Err(e) => features.add_message("unscrub error", &e.to_string()),
        }
    }
}

/// A name no detector, vocabulary list or prose rule can leave alone: `fz`, letters and digits,
/// with a digit.
fn is_distinctive(name: &str) -> bool {
    name.len() >= 6
        && name.len() <= 40
        && name.starts_with("fz")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name.bytes().any(|b| b.is_ascii_digit())
}

/// Whether `needle` stands alone in `text`: between whitespace or the ends.
fn alone(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
    })
}

fn check(input: &str, output: &str, policy: Policy, distinctive: &[&str]) {
    for secret in PLANTED {
        if alone(input, secret) {
            assert!(
                !alone(output, secret),
                "a credential survived {policy:?}: {secret}"
            );
        }
    }
    if policy == Policy::Pseudonymize {
        for name in distinctive {
            if alone(input, name) {
                assert!(!alone(output, name), "a name survived Pseudonymize: {name}");
            }
        }
    }
}

/// Every name replaced by a name pseudonym that stands alone comes back (a name taken for a
/// secret, as in `password= NAME`, stays a secret; a pseudonym glued to a JSON escape, as in
/// `\u0000deployment-1`, is not read back: see `known/scrub/`).
fn check_round_trip(scrubber: &Scrubber, output: &str, distinctive: &[&str]) {
    let Ok(back) = unscrub(scrubber.table(), output) else {
        panic!("a scrubbed text could not be unscrubbed");
    };
    for name in distinctive {
        if let Some(pseudonym) = scrubber.table().pseudonym_of(name)
            && alone(output, pseudonym)
        {
            assert!(
                back.text.contains(name),
                "unscrubbing did not give {name} back"
            );
        }
    }
}

fn distinctive_name(rng: &mut Rng) -> String {
    let mut name = "fz".to_owned();
    for _ in 0..rng.usize(3..8) {
        name.push(rng.alphanumeric().to_ascii_lowercase());
    }
    name.push(rng.digit(10));
    name
}

fn generate_input(rng: &mut Rng) -> Vec<u8> {
    let mut names: Vec<String> = (0..rng.usize(1..5))
        .map(|_| distinctive_name(rng))
        .collect();
    for _ in 0..rng.usize(0..4) {
        names.push(NAMES[rng.usize(..NAMES.len())].to_owned());
    }
    let head: Vec<String> = names
        .iter()
        .map(|n| format!("{n}@{}", rng.u8(0..8)))
        .collect();
    let fillers = [
        "the",
        "pod",
        "failed",
        "Back-off restarting",
        "10.0.0.12:5432",
        "https://shop.example.com/x",
        "deploy/",
        "-n",
        "password=",
        "exit code 137",
        "\"",
        "secret",
        "ops@example.com",
        "{",
        "}",
    ];
    let mut body = String::new();
    if rng.u8(0..3) == 0 {
        let name = &names[rng.usize(..names.len())];
        body = json!({ "message": format!("pod {name} in namespace shop failed"), "env": { "DB_PASSWORD": "hunter2" }, "image": format!("registry.example.com/{name}:1") }).to_string();
    } else {
        for _ in 0..rng.usize(1..30) {
            let piece = match rng.u8(0..4) {
                0 => names[rng.usize(..names.len())].clone(),
                1 if rng.u8(0..3) == 0 => PLANTED[rng.usize(..PLANTED.len())].to_owned(),
                _ => fillers[rng.usize(..fillers.len())].to_owned(),
            };
            body.push_str(&piece);
            body.push_str([" ", " ", "\n", ", ", "/", ": "][rng.usize(..6)]);
        }
    }
    format!("{}\n{body}", head.join(" ")).into_bytes()
}
