//! The check catalog: one Markdown file per check in `analyzers/` at the repository root,
//! embedded in the binary. Its front matter is the single source of a check's title, severity,
//! category, where it applies and whether it is on by default; its body (what it means, why it
//! matters, how to fix it, references) is what `kubewhy checks ID` prints and the offline
//! explanation.
//!
//! ```text
//! ---
//! id: pod-crash-looping
//! title: Container is crash looping
//! severity: error
//! category: reliability
//! applies: live
//! default: on
//! clusters: off
//! symptom: no
//! fix: kubectl logs {pod} -c {container} --previous{ns}
//! ---
//! ## What it means ...
//! ```
//!
//! `fix:` is one line, a concrete action taken from the entry's "How to fix" section, with
//! placeholders that [`fill_fix`](crate::fill_fix) fills in with an issue's objects:
//!
//! | Placeholder      | Becomes                                                                        |
//! |------------------|--------------------------------------------------------------------------------|
//! | `{name}`         | the root object's name                                                         |
//! | `{namespace}`    | the root's namespace; for a cluster-scoped root, the first affected object's   |
//! | `{ns}`           | ` -n NAMESPACE` with that namespace, or nothing when there is none             |
//! | `{kind}`         | the root's kind as kubectl takes it, lowercase (`deployment`)                  |
//! | `{object}`       | the root as `kind/name` (`deployment/checkout`)                                |
//! | `{pod}`          | the first affected Pod's name; `{object}` when no Pod is affected              |
//! | `{container}`    | the first container in the issue's evidence                                    |
//! | `{related:Kind}` | the name of the first related object of that kind (`{related:Secret}`)         |
//! | `{related}`      | the first related object as `kind/name`                                        |
//!
//! What an issue cannot fill becomes a readable stand-in (`<namespace>`, `<container>`,
//! `<secret-name>`). Braces around anything but a word (JSON, JSONPath) are copied as they are.

use std::{collections::BTreeMap, sync::OnceLock};

use include_dir::{Dir, include_dir};
use kubewhy_model::{Category, CheckId, Severity};

static CATALOG_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../analyzers");

/// The sections every entry's body has, in this order.
pub const SECTIONS: [&str; 5] = [
    "## What it means",
    "## When it fires",
    "## Why it matters",
    "## How to fix",
    "## References",
];

/// Where a check can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// On live state (status, events): clusters, dumps, the demo.
    Live,
    /// On manifests as written. On live sources, only when asked for with `--check`.
    Static,
}

impl Applies {
    /// `live` or `static`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Static => "static",
        }
    }
}

/// A check's catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// The stable id.
    pub id: CheckId,
    /// A short title naming the problem.
    pub title: &'static str,
    /// The severity it usually fires with; a finding may raise or lower it.
    pub severity: Severity,
    /// Its family.
    pub category: Category,
    /// Where it applies.
    pub applies: Applies,
    /// Whether it runs without being named in `--check`.
    pub default_on: bool,
    /// A static check that also runs by default on clusters and dumps (front matter
    /// `clusters: on`): the security checks that mean real exposure (privileged containers,
    /// host namespaces, host mounts), which a cluster report should not wait to be asked for.
    pub on_clusters: bool,
    /// A symptom check reports the consequence of another problem (a Deployment short of
    /// replicas, a Service without ready endpoints). When the cause is found too, the symptom is
    /// folded into the cause's issue (front matter `symptom: yes`).
    pub symptom: bool,
    /// The kube-linter checks this check stands for, comma-separated (front matter key
    /// `kube-linter`); empty when it has none. The conformance test reads it.
    pub kube_linter: &'static str,
    /// How to fix it, in one line with placeholders (front matter key `fix`; see the module
    /// docs), for [`fill_fix`](crate::fill_fix) to fill in with an issue's objects. Empty when
    /// the entry has none; the catalog test requires one.
    pub fix: &'static str,
    /// The Markdown body: what it means, when it fires, why it matters, how to fix, references.
    pub doc: &'static str,
}

/// Every catalog entry, by id, and the problems met while reading them.
pub struct Catalog {
    /// Entries by id.
    pub entries: BTreeMap<&'static str, CheckInfo>,
    /// Files that could not be read, with why. The catalog test requires none.
    pub errors: Vec<String>,
}

/// The embedded catalog, parsed once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut entries = BTreeMap::new();
        let mut errors = Vec::new();
        for file in CATALOG_DIR
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "md"))
        {
            let name = file.path().display().to_string();
            if name == "README.md" {
                continue;
            }
            match file
                .contents_utf8()
                .ok_or_else(|| "not UTF-8".to_owned())
                .and_then(parse)
            {
                Ok(info) => {
                    entries.insert(info.id.as_str(), info);
                }
                Err(e) => errors.push(format!("analyzers/{name}: {e}")),
            }
        }
        Catalog { entries, errors }
    })
}

fn parse(text: &'static str) -> Result<CheckInfo, String> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or("no front matter (the file must start with ---)")?;
    let (front, doc) = rest
        .split_once("\n---\n")
        .ok_or("front matter is not closed by ---")?;
    let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
    for line in front.lines() {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line `{line}` is not `key: value`"))?;
        fields.insert(key.trim(), value.trim());
    }
    let field = |key: &str| {
        fields
            .get(key)
            .copied()
            .ok_or_else(|| format!("front matter has no `{key}`"))
    };
    let category = field("category")?;
    let applies = match field("applies")? {
        "live" => Applies::Live,
        "static" => Applies::Static,
        other => return Err(format!("applies `{other}`: expected live or static")),
    };
    let switch = |key: &str, default: &str| match fields.get(key).copied().unwrap_or(default) {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{key} `{other}`: expected on or off")),
    };
    let default_on = switch("default", "on")?;
    let on_clusters = switch("clusters", "off")?;
    if on_clusters && applies == Applies::Live {
        return Err("clusters: on is for static checks; live checks run on clusters anyway".into());
    }
    Ok(CheckInfo {
        id: CheckId(field("id")?),
        title: field("title")?,
        severity: field("severity")?.parse()?,
        category: Category::ALL
            .into_iter()
            .find(|c| c.as_str() == category)
            .ok_or_else(|| format!("category `{category}`: expected reliability, security, configuration or ai-workload"))?,
        applies,
        default_on,
        on_clusters,
        kube_linter: fields.get("kube-linter").copied().unwrap_or(""),
        symptom: fields.get("symptom").is_some_and(|v| *v == "yes"),
        fix: fields.get("fix").copied().unwrap_or(""),
        doc: doc.trim_start(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_parsed() {
        let info = parse("---\nid: x-y\ntitle: A thing\nseverity: warning\ncategory: security\napplies: static\ndefault: off\nfix: kubectl get {object}{ns} -o jsonpath='{.spec}'\n---\n## What it means\nz\n").unwrap();
        assert_eq!(info.id, CheckId("x-y"));
        assert_eq!(info.fix, "kubectl get {object}{ns} -o jsonpath='{.spec}'");
        assert_eq!(info.severity, Severity::Warning);
        assert_eq!(info.applies, Applies::Static);
        assert!(!info.default_on);
        assert!(info.doc.starts_with("## What it means"));
        assert!(parse("id: x\n").unwrap_err().contains("front matter"));
        assert!(
            parse("---\nid: x\n---\n")
                .unwrap_err()
                .contains("front matter has no")
        );
        let exposure = "---\nid: x-y\ntitle: T\nseverity: error\ncategory: security\napplies: static\nclusters: on\nfix: x\n---\n";
        assert!(parse(exposure).unwrap().on_clusters);
        let live = exposure.replace("applies: static", "applies: live");
        assert!(
            parse(Box::leak(live.into_boxed_str()))
                .unwrap_err()
                .contains("clusters: on")
        );
    }
}
