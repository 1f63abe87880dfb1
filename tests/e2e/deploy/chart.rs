//! The subset of Helm's templates that the chart keeps to: `{{ .Values.a.b }}`,
//! `{{ .Release.Name }}`, `{{ .Release.Namespace }}`, `{{ if PATH }}`, `{{ range PATH }}` with
//! `{{ . }}`, `{{ end }}`, and the `{{-` and `-}}` trim markers. Output as `helm template`
//! writes it: the documents of every template, ordered by kind as Helm installs them, each
//! headed by its `# Source:`.

use std::{fmt::Write as _, fs, path::Path};

use serde_yaml_ng::{Mapping, Value};

/// The kinds in the order Helm installs them; other kinds follow, by name.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

enum Node {
    Text(String),
    Value(String),
    If(String, Vec<Node>),
    Range(String, Vec<Node>),
}

enum Token {
    Text(String),
    Action(String),
}

/// Text and actions, with the whitespace that trim markers remove already removed.
fn tokens(source: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = source;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let end = start
            + rest[start..]
                .find("}}")
                .unwrap_or_else(|| panic!("an action is not closed: {}", &rest[start..]));
        let inner = &rest[start + 2..end];
        let (trim_before, inner) = inner
            .strip_prefix("- ")
            .map_or((false, inner), |i| (true, i));
        let (trim_after, inner) = inner
            .strip_suffix(" -")
            .map_or((false, inner), |i| (true, i));
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        if trim_before {
            text = text.trim_end();
        }
        out.push(Token::Text(text.to_owned()));
        out.push(Token::Action(inner.trim().to_owned()));
        trim_next = trim_after;
        rest = &rest[end + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    out.push(Token::Text(text.to_owned()));
    out
}

/// A field path (`.Values.a.b`) or `.`; anything else is outside the subset.
fn path(action: &str) -> String {
    let plain = !action.contains(|c: char| c.is_whitespace() || "|()$\"".contains(c));
    assert!(
        action.starts_with('.') && plain,
        "`{{{{ {action} }}}}` is outside the template subset the chart keeps to"
    );
    action.to_owned()
}

fn parse(source: &str) -> Vec<Node> {
    // Each open block: whether it is a range, its path, and its body so far.
    let mut open: Vec<(bool, String, Vec<Node>)> = Vec::new();
    let mut root = Vec::new();
    for token in tokens(source) {
        let node = match token {
            Token::Text(text) => Node::Text(text),
            Token::Action(action) if action == "end" => {
                let (range, path, body) = open.pop().expect("an `end` closes a block");
                if range {
                    Node::Range(path, body)
                } else {
                    Node::If(path, body)
                }
            }
            Token::Action(action) => {
                if let Some(rest) = action.strip_prefix("if ") {
                    open.push((false, path(rest.trim()), Vec::new()));
                } else if let Some(rest) = action.strip_prefix("range ") {
                    open.push((true, path(rest.trim()), Vec::new()));
                } else {
                    let node = Node::Value(path(&action));
                    open.last_mut().map_or(&mut root, |b| &mut b.2).push(node);
                }
                continue;
            }
        };
        open.last_mut().map_or(&mut root, |b| &mut b.2).push(node);
    }
    assert!(open.is_empty(), "every `if` and `range` has its `end`");
    root
}

fn lookup<'a>(dot: &'a Value, path: &str) -> &'a Value {
    if path == "." {
        return dot;
    }
    path[1..].split('.').fold(dot, |value, field| {
        value
            .get(field)
            .unwrap_or_else(|| panic!("{path}: there is no `{field}` in the values"))
    })
}

/// Go templates' truth: false, 0, empty strings, lists and maps, and nil are false.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Sequence(s) => !s.is_empty(),
        Value::Mapping(m) => !m.is_empty(),
        Value::Tagged(t) => truthy(&t.value),
    }
}

fn execute(nodes: &[Node], dot: &Value, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Value(path) => match lookup(dot, path) {
                Value::String(s) => out.push_str(s),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(&b.to_string()),
                other => panic!("{path} is {other:?}, which a template cannot print"),
            },
            Node::If(path, body) => {
                if truthy(lookup(dot, path)) {
                    execute(body, dot, out);
                }
            }
            Node::Range(path, body) => match lookup(dot, path) {
                Value::Null => {}
                Value::Sequence(items) => {
                    for item in items {
                        execute(body, item, out);
                    }
                }
                other => panic!("range over {path}: {other:?} is not a list"),
            },
        }
    }
}

/// Where Helm puts a document of this kind: its install order, then the kind's name.
fn rank(kind: &str) -> (usize, String) {
    match INSTALL_ORDER.iter().position(|k| *k == kind) {
        Some(i) => (i, String::new()),
        None => (INSTALL_ORDER.len(), kind.to_owned()),
    }
}

/// What templates see as `.`: the values under `.Values`, and `.Release.Name` and
/// `.Release.Namespace`.
fn root(values: Value, release: &str, namespace: &str) -> Value {
    let release: Mapping = [
        (Value::from("Name"), Value::from(release)),
        (Value::from("Namespace"), Value::from(namespace)),
    ]
    .into_iter()
    .collect();
    let root: Mapping = [
        (Value::from("Values"), values),
        (Value::from("Release"), Value::from(release)),
    ]
    .into_iter()
    .collect();
    Value::from(root)
}

/// The chart's templates, by name; `_helpers`-style partials are not rendered on their own.
fn templates(chart: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(chart.join("templates"))
        .expect("the chart has templates")
        .map(|e| {
            e.expect("a template")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| Path::new(f).extension().is_some_and(|e| e == "yaml") && !f.starts_with('_'))
        .collect();
    names.sort();
    names
}

/// `helm template RELEASE CHART -n NAMESPACE`, with the chart's values or `values`.
pub(super) fn render(
    chart: &Path,
    values: Option<Value>,
    release: &str,
    namespace: &str,
) -> String {
    let read =
        |name: &str| fs::read_to_string(chart.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let values = values.unwrap_or_else(|| {
        serde_yaml_ng::from_str(&read("values.yaml")).expect("values.yaml is YAML")
    });
    let meta: Value = serde_yaml_ng::from_str(&read("Chart.yaml")).expect("Chart.yaml is YAML");
    let name = meta["name"].as_str().expect("Chart.yaml names the chart");
    let root = root(values, release, namespace);
    let mut documents = Vec::new();
    for template in templates(chart) {
        let mut out = String::new();
        let source = read(&format!("templates/{template}"));
        execute(&parse(&source), &root, &mut out);
        for document in super::split_documents(&out) {
            let head: Value = serde_yaml_ng::from_str(&document)
                .unwrap_or_else(|e| panic!("{template} renders invalid YAML: {e}\n{out}"));
            let kind = head["kind"].as_str().unwrap_or_default().to_owned();
            let path = format!("{name}/templates/{template}");
            documents.push((rank(&kind), path, document));
        }
    }
    // Stable: documents of one kind stay in template and document order, as in Helm.
    documents.sort_by(|(a, ..), (b, ..)| a.cmp(b));
    documents
        .into_iter()
        .fold(String::new(), |mut out, (_, path, document)| {
            let _ = writeln!(out, "---\n# Source: {path}\n{document}");
            out
        })
}

#[test]
fn the_renderer_trims_and_branches_as_go_templates_do() {
    let values: Value =
        serde_yaml_ng::from_str("{on: true, off: '', list: [a, b], n: 3}").expect("values");
    let root: Mapping = [(Value::from("Values"), values)].into_iter().collect();
    let mut out = String::new();
    let template = "x:\n  {{- if .Values.on }}\n  - {{ .Values.n }}\n  {{- end }}\n  \
                    {{- if .Values.off }} never {{- end }}\n  \
                    {{- range .Values.list }}\n  - \"{{ . }}\"\n  {{- end }}\n\
                    y: {{ .Values.n -}}  \n";
    execute(&parse(template), &Value::from(root), &mut out);
    assert_eq!(out, "x:\n  - 3\n  - \"a\"\n  - \"b\"\ny: 3");
}
