//! The leak corpus: a generated cluster dump whose every identifying value is planted and
//! remembered, so that a test can look for each of them on the wire. Values are made of
//! invented syllables (no English word, no Kubernetes vocabulary), drawn from a fixed seed, and
//! spread over every field analyzers and evidence read. A smaller set of hard cases uses
//! ordinary words as names.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::objects::{
    app_docs, app_logs, cluster_docs, hard_cases, namespace_docs, node_doc, shared_docs,
};

/// Syllables that, joined by three, make no English word.
const SYLLABLES: [&str; 24] = [
    "zor", "qua", "vex", "mib", "tral", "oon", "kex", "yph", "dru", "zeb", "wix", "pov", "snu",
    "rho", "gur", "fen", "jax", "lum", "tob", "vri", "quo", "zim", "brax", "nyl",
];

/// Base62, for tokens.
pub(super) const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub(super) const LOWER_ALNUM: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
pub(super) const HEX: &[u8] = b"0123456789abcdef";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One planted value and what of it must never reach the wire.
#[derive(Debug, Clone)]
pub struct Planted {
    /// The value as the cluster holds it.
    pub value: String,
    /// What it is (`namespace`, `github token`), for the report.
    pub what: &'static str,
    /// A credential: it must not appear in any output, even after unscrubbing.
    pub secret: bool,
    /// Only referred to: no object of that name exists.
    pub refs_only: bool,
    /// Distinctive pieces that must not reach the wire either (a name's invented words, an
    /// email's local part).
    pub fragments: Vec<String>,
    /// Random parts of which no 8-character window may reach the wire.
    pub windows: Vec<String>,
}

/// The generated dump and everything planted in it.
pub struct Corpus {
    /// Files to write, by relative path.
    pub files: Vec<(String, String)>,
    /// The main corpus: distinctive values.
    pub planted: Vec<Planted>,
    /// Hard cases: ordinary words used as names, checked as whole words.
    pub hard: Vec<Planted>,
}

/// A deterministic generator of distinctive values (splitmix64).
pub(super) struct Gen {
    state: u64,
    words: BTreeSet<String>,
    planted: Vec<Planted>,
}

impl Gen {
    pub(super) fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn pick(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    /// A fresh invented word of three syllables.
    pub(super) fn word(&mut self) -> String {
        loop {
            let w: String = (0..3)
                .map(|_| SYLLABLES[self.pick(SYLLABLES.len())])
                .collect();
            if self.words.insert(w.clone()) {
                return w;
            }
        }
    }

    pub(super) fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.pick(alphabet.len())]))
            .collect()
    }

    pub(super) fn digits(&mut self, n: usize) -> String {
        let first = char::from(b'1' + u8::try_from(self.pick(9)).unwrap());
        std::iter::once(first)
            .chain(self.chars(b"0123456789", n - 1).chars())
            .collect()
    }

    pub(super) fn plant(&mut self, value: &str, what: &'static str, fragments: &[&str]) -> String {
        self.record(value, what, false, false, fragments, &[]);
        value.to_owned()
    }

    pub(super) fn plant_ref(
        &mut self,
        value: &str,
        what: &'static str,
        fragments: &[&str],
    ) -> String {
        self.record(value, what, false, true, fragments, &[]);
        value.to_owned()
    }

    pub(super) fn plant_secret(
        &mut self,
        value: &str,
        what: &'static str,
        windows: &[&str],
    ) -> String {
        self.record(value, what, true, false, &[], windows);
        value.to_owned()
    }

    fn record(
        &mut self,
        value: &str,
        what: &'static str,
        secret: bool,
        refs_only: bool,
        fragments: &[&str],
        windows: &[&str],
    ) {
        assert!(
            !self.planted.iter().any(|p| p.value == value),
            "{value} planted twice"
        );
        self.planted.push(Planted {
            value: value.to_owned(),
            what,
            secret,
            refs_only,
            fragments: fragments.iter().map(|f| (*f).to_owned()).collect(),
            windows: windows.iter().map(|w| (*w).to_owned()).collect(),
        });
    }

    /// A name of two invented words, planted.
    pub(super) fn name(&mut self, what: &'static str, suffix: &str) -> String {
        let (a, b) = (self.word(), self.word());
        let value = format!("{a}-{b}{suffix}");
        self.plant(&value, what, &[&a, &b])
    }

    /// A name that only references carry.
    pub(super) fn missing(&mut self, what: &'static str, suffix: &str) -> String {
        let (a, b) = (self.word(), self.word());
        let value = format!("{a}-{b}{suffix}");
        self.plant_ref(&value, what, &[&a, &b])
    }

    pub(super) fn host(&mut self, tld: &str) -> String {
        let (a, b) = (self.word(), self.word());
        let value = format!("{a}.{b}.{tld}");
        self.plant(&value, "hostname", &[&a, &b])
    }

    pub(super) fn email(&mut self) -> String {
        let (a, b, c) = (self.word(), self.word(), self.word());
        let value = format!("{a}.{b}@{c}.com");
        self.plant(&value, "email", &[&a, &b, &c])
    }

    pub(super) fn ip(&mut self) -> String {
        let value = format!(
            "10.{}.{}.{}",
            1 + self.pick(250),
            1 + self.pick(250),
            2 + self.pick(250)
        );
        if self.planted.iter().any(|p| p.value == value) {
            return self.ip();
        }
        self.plant(&value, "ip", &[])
    }

    /// A CIDR block not planted yet.
    pub(super) fn cidr(&mut self, first: u8, bits: u8) -> String {
        loop {
            let (b, c) = (1 + self.pick(250), self.pick(250));
            let value = if bits == 16 {
                format!("{first}.{b}.0.0/16")
            } else {
                format!("{first}.{b}.{c}.0/24")
            };
            if !self.planted.iter().any(|p| p.value == value) {
                return self.plant(&value, "cidr", &[]);
            }
        }
    }

    pub(super) fn uuid(&mut self, what: &'static str) -> String {
        let g: Vec<String> = [8, 4, 4, 4, 12]
            .iter()
            .map(|&n| self.chars(HEX, n))
            .collect();
        let value = g.join("-");
        self.plant(&value, what, &[&g[0], &g[4]])
    }

    pub(super) fn account(&mut self) -> String {
        let value = self.digits(12);
        self.plant(&value, "aws account id", &[])
    }

    pub(super) fn token(&mut self, kind: usize) -> String {
        let (prefix, body, what) = match kind % 7 {
            0 => ("ghp_", self.chars(ALNUM, 36), "github token"),
            1 => {
                let body = format!(
                    "{}-{}-{}",
                    self.digits(11),
                    self.digits(12),
                    self.chars(ALNUM, 24)
                );
                ("xoxb-", body, "slack token")
            }
            2 => ("sk-proj-", self.chars(ALNUM, 48), "openai key"),
            3 => (
                "AKIA",
                self.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
                "aws access key",
            ),
            4 => {
                let payload = self.chars(ALNUM, 40);
                let signature = self.chars(ALNUM, 43);
                let body = format!("{payload}.{signature}");
                ("eyJhbGciOiJSUzI1NiJ9.eyJ", body, "jwt")
            }
            5 => (
                "github_pat_",
                self.chars(ALNUM, 60),
                "github fine-grained token",
            ),
            _ => ("xoxp-", self.chars(ALNUM, 40), "slack user token"),
        };
        let value = format!("{prefix}{body}");
        let windows: Vec<&str> = body.split(['-', '.']).collect();
        self.plant_secret(&value, what, &windows)
    }

    pub(super) fn pem(&mut self) -> String {
        let lines: Vec<String> = (0..4).map(|_| self.chars(BASE64, 64)).collect();
        let value = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            lines.join("\n")
        );
        let windows: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.plant_secret(&value, "pem private key", &windows)
    }

    pub(super) fn password(&mut self) -> String {
        let value = format!("{}{}", self.chars(ALNUM, 14), self.digits(4));
        self.plant_secret(&value.clone(), "password", &[&value])
    }
}

/// Everything one application is made of.
pub(super) struct App {
    pub(super) ns: String,
    pub(super) deploy: String,
    pub(super) rs: String,
    pub(super) pod: String,
    pub(super) container: String,
    pub(super) image: String,
    pub(super) node: String,
    pub(super) uid: String,
    pub(super) db_host: String,
    pub(super) db_user: String,
    pub(super) db_pass: String,
    pub(super) email: String,
    pub(super) ip: String,
    pub(super) token: String,
    pub(super) scenario: usize,
    pub(super) missing_cm: String,
    pub(super) missing_secret: String,
    pub(super) missing_env_from: String,
    pub(super) missing_tls: String,
    pub(super) missing_pull: String,
    pub(super) missing_pvc: String,
    pub(super) missing_sa: String,
}

/// The corpus for `apps` applications over `namespaces` namespaces.
pub fn generate(seed: u64, apps: usize, namespaces: usize) -> Corpus {
    let mut g = Gen {
        state: seed,
        words: BTreeSet::new(),
        planted: Vec::new(),
    };
    let mut docs: Vec<Value> = Vec::new();
    let mut logs = String::new();
    let mut previous_logs = String::new();
    let nss: Vec<String> = (0..namespaces).map(|_| g.name("namespace", "")).collect();
    let nodes: Vec<String> = (0..3).map(|_| g.name("node", "-pool")).collect();
    for (i, node) in nodes.iter().enumerate() {
        docs.push(node_doc(&mut g, node, i == 0));
    }
    for ns in &nss {
        docs.extend(namespace_docs(&mut g, ns));
    }
    for i in 0..apps {
        let app = app(&mut g, &nss[i % nss.len()], &nodes[i % nodes.len()], i);
        docs.extend(app_docs(&mut g, &app));
        if matches!(app.scenario, 0 | 4) {
            let (current, previous) = app_logs(&mut g, &app);
            logs.push_str(&current);
            previous_logs.push_str(&previous);
        }
    }
    for (i, ns) in nss.iter().enumerate() {
        docs.extend(shared_docs(&mut g, ns, &nodes[i % nodes.len()]));
    }
    docs.extend(cluster_docs(&mut g, &nss[0]));
    let hard = hard_cases(&mut docs, &mut logs);
    let mut yaml = String::new();
    for doc in &docs {
        let _ = writeln!(yaml, "---\n{doc}");
    }
    Corpus {
        files: vec![
            ("cluster.yaml".into(), yaml),
            ("logs/logs.txt".into(), logs),
            ("logs/logs-previous.txt".into(), previous_logs),
        ],
        planted: g.planted,
        hard,
    }
}

fn app(g: &mut Gen, ns: &str, node: &str, i: usize) -> App {
    let deploy = g.name("deployment", "");
    let hash = g.chars(LOWER_ALNUM, 10);
    let rs = g.plant(&format!("{deploy}-{hash}"), "replicaset", &[&hash]);
    let tail = g.chars(LOWER_ALNUM, 5);
    let pod = g.plant(&format!("{rs}-{tail}"), "pod", &[]);
    let container = g.word();
    g.plant(&container, "container", &[]);
    let image = image(g, i);
    let db = (g.word(), g.word(), g.word());
    let db_host = format!("{}-{}.{}.internal", db.0, db.1, db.2);
    g.plant(&db_host, "database host", &[&db.0, &db.1, &db.2]);
    let user = g.word();
    let db_user = g.plant(&format!("svc_{user}"), "database user", &[&user]);
    App {
        ns: ns.to_owned(),
        uid: g.uuid("pod uid"),
        db_host,
        db_user,
        db_pass: g.password(),
        email: g.email(),
        ip: g.ip(),
        token: g.token(i),
        scenario: i % 5,
        missing_cm: g.missing("missing configmap", "-settings"),
        missing_secret: g.missing("missing secret", "-creds"),
        missing_env_from: g.missing("missing configmap (envFrom)", "-env"),
        missing_tls: g.missing("missing secret volume", "-tls"),
        missing_pull: g.missing("missing image pull secret", "-pull"),
        missing_pvc: g.missing("missing pvc", "-data"),
        missing_sa: g.missing("missing service account", "-sa"),
        deploy,
        rs,
        pod,
        container,
        image,
        node: node.to_owned(),
    }
}

/// A private image: a registry of its own, ECR, Artifact Registry or ACR.
fn image(g: &mut Gen, i: usize) -> String {
    let (org, repo) = (g.word(), g.word());
    let (registry, what) = match i % 4 {
        0 => (g.host("io"), "private registry image"),
        1 => {
            let account = g.account();
            (
                format!("{account}.dkr.ecr.eu-west-1.amazonaws.com"),
                "ecr image",
            )
        }
        2 => {
            let (a, b) = (g.word(), g.word());
            let project = g.plant(&format!("{a}-{b}-4711"), "gcp project id", &[&a, &b]);
            (
                format!("europe-west4-docker.pkg.dev/{project}"),
                "gar image",
            )
        }
        _ => {
            let acr = g.word();
            g.plant(&acr, "acr registry", &[]);
            (format!("{acr}.azurecr.io"), "acr image")
        }
    };
    let value = format!("{registry}/{org}/{repo}:1.{i}.0");
    g.plant(&value, what, &[&org, &repo])
}
