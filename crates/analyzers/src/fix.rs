//! Filling in a catalog entry's one-line `fix:` with the objects of an issue, so that the user
//! gets a command to run rather than one to edit. The placeholders are listed in the catalog's
//! module docs and in `analyzers/README.md`.
//!
//! A placeholder is a word in braces (`{name}`, `{related:Secret}`). Braces around anything else
//! (JSON such as `'{"spec":{}}'`, JSONPath such as `'{.spec.selector}'`) are copied as they are.
//! A placeholder the issue cannot fill becomes a readable stand-in (`<container>`,
//! `<secret-name>`), never an empty string, so the command still shows what goes there.

use std::borrow::Cow;

use kubewhy_model::{Issue, ObjectRef};

/// The placeholders a `fix:` line may use. `related:Kind` stands for `{related:` followed by
/// any kind, such as `{related:Secret}`.
pub const FIX_PLACEHOLDERS: [&str; 9] = [
    "name",
    "namespace",
    "ns",
    "kind",
    "object",
    "pod",
    "container",
    "related",
    "related:Kind",
];

/// One placeholder, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholder<'a> {
    Name,
    Namespace,
    Ns,
    Kind,
    Object,
    Pod,
    Container,
    Related,
    RelatedOfKind(&'a str),
}

impl<'a> Placeholder<'a> {
    fn parse(word: &'a str) -> Option<Self> {
        Some(match word {
            "name" => Self::Name,
            "namespace" => Self::Namespace,
            "ns" => Self::Ns,
            "kind" => Self::Kind,
            "object" => Self::Object,
            "pod" => Self::Pod,
            "container" => Self::Container,
            "related" => Self::Related,
            _ => {
                let kind = word.strip_prefix("related:")?;
                let mut chars = kind.chars();
                let well_formed = chars.next().is_some_and(|c| c.is_ascii_uppercase())
                    && chars.all(|c| c.is_ascii_alphanumeric());
                if !well_formed {
                    return None;
                }
                Self::RelatedOfKind(kind)
            }
        })
    }
}

/// A piece of a template: literal text, or the word inside a placeholder's braces.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into text and placeholders. A placeholder is `{`, a letter, then letters,
/// digits, `:`, `_` or `-`, then `}`; any other brace is text.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut search = 0;
    while let Some(offset) = template[search..].find('{') {
        let open = search + offset;
        search = open + 1;
        let rest = &template[open + 1..];
        let Some(close) = rest.find(|c: char| !is_word_char(c)) else {
            break;
        };
        let word = &rest[..close];
        let starts_with_letter = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_with_letter || !rest[close..].starts_with('}') {
            continue;
        }
        if text_start < open {
            out.push(Piece::Text(&template[text_start..open]));
        }
        out.push(Piece::Placeholder(word));
        text_start = open + 1 + close + 1;
        search = text_start;
    }
    if text_start < template.len() {
        out.push(Piece::Text(&template[text_start..]));
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')
}

/// The placeholders of `template` that [`fill_fix`] does not know, with their braces
/// (`{nmae}`). The catalog test requires none.
#[must_use]
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    pieces(template)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(word) if Placeholder::parse(word).is_none() => {
                Some(format!("{{{word}}}"))
            }
            _ => None,
        })
        .collect()
}

/// Fills the placeholders of a catalog `fix:` line with the objects of `issue`:
///
/// - `{name}`, `{kind}`, `{object}`: the root object's name, its kind as kubectl takes it
///   (`deployment`) and both as `kind/name` (`deployment/checkout`);
/// - `{namespace}`: the root's namespace, or for a cluster-scoped root the first affected
///   object's; `{ns}`: ` -n NAMESPACE` with that namespace, or nothing when there is none, so that
///   commands stay valid for cluster-scoped objects;
/// - `{pod}`: the first affected Pod's name, or `{object}` when no Pod is affected;
/// - `{container}`: the first container in the issue's evidence;
/// - `{related:Kind}`: the name of the first related object of that kind; `{related}`: the first
///   related object as `kind/name`.
///
/// What the issue cannot fill becomes a stand-in such as `<namespace>`, `<container>` or
/// `<secret-name>`.
#[must_use]
pub fn fill_fix(template: &str, issue: &Issue) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(word) => {
                if let Some(placeholder) = Placeholder::parse(word) {
                    out.push_str(&fill(placeholder, issue));
                } else {
                    out.push('<');
                    out.push_str(word);
                    out.push('>');
                }
            }
        }
    }
    out
}

fn fill<'i>(placeholder: Placeholder<'_>, issue: &'i Issue) -> Cow<'i, str> {
    let root = &issue.root;
    match placeholder {
        Placeholder::Name => non_empty(&root.name).map_or(Cow::Borrowed("<name>"), Cow::Borrowed),
        Placeholder::Namespace => {
            namespace(issue).map_or(Cow::Borrowed("<namespace>"), Cow::Borrowed)
        }
        Placeholder::Ns => {
            namespace(issue).map_or(Cow::Borrowed(""), |ns| format!(" -n {ns}").into())
        }
        Placeholder::Kind => Cow::Owned(kubectl_kind(&root.kind)),
        Placeholder::Object => Cow::Owned(kubectl_ref(root)),
        Placeholder::Pod => issue.objects.iter().find(|o| o.kind == "Pod").map_or_else(
            || Cow::Owned(kubectl_ref(root)),
            |pod| Cow::Borrowed(pod.name.as_str()),
        ),
        Placeholder::Container => issue
            .evidence
            .containers
            .first()
            .and_then(|c| non_empty(&c.container))
            .map_or(Cow::Borrowed("<container>"), Cow::Borrowed),
        Placeholder::Related => issue
            .related
            .first()
            .map_or(Cow::Borrowed("<kind/name>"), |r| Cow::Owned(kubectl_ref(r))),
        Placeholder::RelatedOfKind(kind) => issue
            .related
            .iter()
            .find(|r| r.kind.eq_ignore_ascii_case(kind))
            .map_or_else(
                || Cow::Owned(format!("<{}-name>", kind.to_ascii_lowercase())),
                |r| Cow::Borrowed(r.name.as_str()),
            ),
    }
}

/// The root's namespace, or for a cluster-scoped root the first affected object's.
fn namespace(issue: &Issue) -> Option<&str> {
    std::iter::once(&issue.root)
        .chain(&issue.objects)
        .find_map(|o| o.namespace.as_deref().and_then(non_empty))
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// A kind as kubectl takes it: `Deployment` → `deployment`.
fn kubectl_kind(kind: &str) -> String {
    match kind {
        "" => "<kind>".to_owned(),
        kind => kind.to_ascii_lowercase(),
    }
}

/// `deployment/checkout`.
fn kubectl_ref(object: &ObjectRef) -> String {
    let name = non_empty(&object.name).unwrap_or("<name>");
    format!("{}/{name}", kubectl_kind(&object.kind))
}

#[cfg(test)]
mod tests {
    use kubewhy_model::{Category, CheckId, ContainerEvidence, Evidence, Fingerprint, Severity};

    use super::*;

    fn object(kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        let api_version = match kind {
            "Deployment" | "ReplicaSet" => "apps/v1",
            "StorageClass" => "storage.k8s.io/v1",
            _ => "v1",
        };
        ObjectRef::new(api_version, kind, namespace, name)
    }

    fn issue(root: ObjectRef, objects: Vec<ObjectRef>, related: Vec<ObjectRef>) -> Issue {
        let check = CheckId("pod-crash-looping");
        Issue {
            fingerprint: Fingerprint::new(&root, check, "CrashLoopBackOff"),
            check,
            severity: Severity::Error,
            category: Category::Reliability,
            title: "Container is crash looping".into(),
            message: String::new(),
            root,
            objects,
            related,
            evidence: Evidence::default(),
            fix: None,
            origin: None,
            merged_checks: Vec::new(),
            caused_by: Vec::new(),
            chain: Vec::new(),
            explanation: None,
            cluster: None,
        }
    }

    fn checkout() -> Issue {
        let mut issue = issue(
            object("Deployment", Some("shop"), "checkout"),
            vec![
                object("Pod", Some("shop"), "checkout-7d9f-aaaaa"),
                object("Pod", Some("shop"), "checkout-7d9f-bbbbb"),
            ],
            vec![
                object("ConfigMap", Some("shop"), "checkout-env"),
                object("Secret", Some("shop"), "stripe"),
                object("Secret", Some("shop"), "zz-other"),
            ],
        );
        issue.evidence.containers.push(ContainerEvidence {
            pod: "checkout-7d9f-aaaaa".into(),
            container: "api".into(),
            init: false,
            state: "waiting".into(),
            reason: Some("CrashLoopBackOff".into()),
            message: None,
            exit_code: Some(1),
            last_termination: Some("Error".into()),
            restarts: 7,
        });
        issue
    }

    #[test]
    fn every_placeholder_is_filled_from_the_issue() {
        let issue = checkout();
        assert_eq!(
            fill_fix("kubectl logs {pod} -c {container} --previous{ns}", &issue),
            "kubectl logs checkout-7d9f-aaaaa -c api --previous -n shop"
        );
        assert_eq!(
            fill_fix(
                "kubectl create secret generic {related:Secret} -n {namespace} --from-literal=KEY=VALUE",
                &issue
            ),
            "kubectl create secret generic stripe -n shop --from-literal=KEY=VALUE"
        );
        assert_eq!(
            fill_fix("{kind} {name} {object} {related}", &issue),
            "deployment checkout deployment/checkout configmap/checkout-env"
        );
    }

    #[test]
    fn cluster_scoped_roots_keep_commands_valid() {
        let node = issue(
            object("Node", None, "gpu-1"),
            vec![object("Node", None, "gpu-1")],
            vec![],
        );
        assert_eq!(
            fill_fix("kubectl describe {kind} {name}{ns}", &node),
            "kubectl describe node gpu-1"
        );
        assert_eq!(fill_fix("-n {namespace}", &node), "-n <namespace>");
        // A cluster-scoped root takes the namespace of what it affects.
        let class = issue(
            object("StorageClass", None, "fast"),
            vec![object("Pod", Some("shop"), "db-0")],
            vec![],
        );
        assert_eq!(
            fill_fix("kubectl get pvc{ns}", &class),
            "kubectl get pvc -n shop"
        );
    }

    #[test]
    fn what_cannot_be_filled_gets_a_readable_stand_in() {
        let bare = issue(
            object("Deployment", Some("shop"), "web"),
            vec![object("Deployment", Some("shop"), "web")],
            vec![],
        );
        let filled = fill_fix(
            "kubectl logs {pod} -c {container}{ns} {related:PersistentVolumeClaim} {related} {typo}",
            &bare,
        );
        assert_eq!(
            filled,
            "kubectl logs deployment/web -c <container> -n shop <persistentvolumeclaim-name> <kind/name> <typo>"
        );
        assert!(!filled.contains('{'));
    }

    #[test]
    fn json_and_jsonpath_braces_are_left_alone() {
        let issue = checkout();
        let template = r#"kubectl patch cronjob {name}{ns} -p '{"spec":{"suspend":false}}' -o jsonpath='{.spec.nodeName}' {} {-x}"#;
        assert_eq!(
            fill_fix(template, &issue),
            r#"kubectl patch cronjob checkout -n shop -p '{"spec":{"suspend":false}}' -o jsonpath='{.spec.nodeName}' {} {-x}"#
        );
        assert!(unknown_placeholders(template).is_empty());
        assert_eq!(fill_fix("trailing {", &issue), "trailing {");
    }

    #[test]
    fn unknown_placeholders_are_reported_with_their_braces() {
        assert_eq!(
            unknown_placeholders("{nmae} {related:secret} {related:Secret} {ns} {end}"),
            ["{nmae}", "{related:secret}", "{end}"]
        );
    }

    #[test]
    fn a_static_check_names_its_container_for_the_fix() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../analyzers/fixtures/image-tag-latest.yaml");
        let loaded = kubewhy_source::files::load(&[path]);
        let filter = crate::Filter {
            only: vec!["image-tag-latest".into()],
            ..crate::Filter::default()
        };
        let found = crate::run(&loaded.snapshot, &filter);
        let first = found.first().expect("the fixture fires");
        let container = first
            .container
            .clone()
            .expect("the finding names its container");
        let mut issue = issue(first.object.clone(), vec![first.object.clone()], Vec::new());
        issue.evidence = first.evidence.clone();
        let fix = crate::check("image-tag-latest").expect("an entry").fix;
        let filled = fill_fix(fix, &issue);
        assert!(filled.contains(&format!(" {container}=IMAGE")), "{filled}");
        assert!(!filled.contains("<container>"), "{filled}");
    }
}
