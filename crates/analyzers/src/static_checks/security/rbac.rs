//! RBAC checks: bindings that grant pod creation, a shell in pods (`pods/exec`,
//! `pods/attach`), Secret access or cluster-admin, and roles
//! with wildcard rules. Kubernetes' own bootstrap objects (label
//! `kubernetes.io/bootstrapping: rbac-defaults`) are left alone: they are how a cluster works.
//! On clusters, where `cluster-admin` and wildcard roles are reported by default, they are
//! reported when bound to a ServiceAccount that a workload (other than a system component)
//! runs as: that is the exposure; a role bound to people is an access policy.

use std::collections::HashSet;

use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot,
    k8s::rbac::v1::{ClusterRole, PolicyRule, RoleRef, Subject},
    meta::ObjectMeta,
    object_ref,
};

use crate::{
    Context,
    exempt::exempt_object,
    findings::finding,
    ids,
    k8s::{describe, namespace_of, service_account_of},
};

/// A namespace and a ServiceAccount name.
type Account = (String, String);

/// Every RBAC check.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let scoped = |id| cx.live() && !cx.named(id);
    let (admin_scoped, wildcard_scoped) = (
        scoped(ids::RBAC_CLUSTER_ADMIN_BOUND),
        scoped(ids::RBAC_WILDCARD_RULE),
    );
    let used = (admin_scoped || wildcard_scoped).then(|| used_accounts(cx));
    let exposes = |binding: &Binding<'_>| used.as_ref().is_none_or(|u| binds_any(binding, u));
    let bindings = bindings(snapshot);
    let mut findings = Vec::new();
    for binding in &bindings {
        findings.extend(access(snapshot, binding, &POD_CREATION));
        findings.extend(access(snapshot, binding, &SECRET_ACCESS));
        findings.extend(access(snapshot, binding, &POD_EXEC));
        if !admin_scoped || exposes(binding) {
            findings.extend(cluster_admin(binding));
        }
    }
    let bound: Option<HashSet<(&str, Option<&str>, &str)>> = wildcard_scoped.then(|| {
        bindings
            .iter()
            .filter(|b| exposes(b))
            .map(|b| {
                let namespace = b
                    .object
                    .namespace
                    .as_deref()
                    .filter(|_| b.role_ref.kind == "Role");
                (
                    b.role_ref.kind.as_str(),
                    namespace,
                    b.role_ref.name.as_str(),
                )
            })
            .collect()
    });
    findings.extend(wildcards(snapshot, bound.as_ref()));
    findings
}

/// The ServiceAccounts that workloads other than system components run as.
fn used_accounts(cx: &Context<'_>) -> HashSet<Account> {
    let exemptions = cx.exemptions();
    cx.workloads()
        .filter(|w| !exempt_object(cx, &exemptions, &w.object))
        .map(|w| {
            let namespace = namespace_of(&w.object).to_owned();
            (namespace, service_account_of(&w.spec).to_owned())
        })
        .collect()
}

/// Whether the binding names one of `accounts` as a subject.
fn binds_any(binding: &Binding<'_>, accounts: &HashSet<Account>) -> bool {
    binding.subjects.iter().any(|s| {
        let namespace = s
            .namespace
            .as_deref()
            .or(binding.object.namespace.as_deref())
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        s.kind == "ServiceAccount" && accounts.contains(&(namespace.to_owned(), s.name.clone()))
    })
}

/// A RoleBinding or ClusterRoleBinding.
struct Binding<'a> {
    object: ObjectRef,
    role_ref: &'a RoleRef,
    subjects: &'a [Subject],
}

fn bootstrap(meta: &ObjectMeta) -> bool {
    meta.labels
        .as_ref()
        .and_then(|l| l.get("kubernetes.io/bootstrapping"))
        .is_some_and(|v| v == "rbac-defaults")
}

fn bindings(snapshot: &Snapshot) -> Vec<Binding<'_>> {
    let namespaced = snapshot
        .role_bindings
        .iter()
        .filter(|b| !bootstrap(&b.metadata))
        .map(|b| Binding {
            object: object_ref(b),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or_default(),
        });
    let cluster = snapshot
        .cluster_role_bindings
        .iter()
        .filter(|b| !bootstrap(&b.metadata))
        .map(|b| Binding {
            object: object_ref(b),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or_default(),
        });
    namespaced.chain(cluster).collect()
}

/// `ServiceAccount shop/web, User alice`.
fn subjects(subjects: &[Subject]) -> String {
    if subjects.is_empty() {
        return "no subject".to_owned();
    }
    let names: Vec<String> = subjects
        .iter()
        .map(|s| match &s.namespace {
            Some(ns) if s.kind == "ServiceAccount" => format!("{} {ns}/{}", s.kind, s.name),
            _ => format!("{} {}", s.kind, s.name),
        })
        .collect();
    names.join(", ")
}

fn list(items: &[&str]) -> String {
    format!("[{}]", items.join(", "))
}

/// A kind of access the access checks look for.
struct Access {
    check: CheckId,
    reason: &'static str,
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
}

const POD_CREATION: Access = Access {
    check: ids::RBAC_GRANTS_POD_CREATION,
    reason: "GrantsPodCreation",
    resources: &[
        "pods",
        "deployments",
        "statefulsets",
        "replicasets",
        "replicationcontrollers",
        "daemonsets",
        "jobs",
        "cronjobs",
    ],
    verbs: &["create"],
};

const SECRET_ACCESS: Access = Access {
    check: ids::RBAC_GRANTS_SECRET_ACCESS,
    reason: "GrantsSecretAccess",
    resources: &["secrets"],
    verbs: &["get", "list", "watch", "create", "delete"],
};

/// Running commands in, or attaching to, running containers: `create` on the subresources
/// (what `kubectl exec` and `kubectl attach` ask for), or `get`, which older API servers accepted
/// for the same streams.
const POD_EXEC: Access = Access {
    check: ids::RBAC_GRANTS_POD_EXEC,
    reason: "GrantsPodExec",
    resources: &["pods/exec", "pods/attach", "pods/*"],
    verbs: &["create", "get"],
};

/// `[create] on [pods]` for each rule that grants one of the verbs on one of the resources.
fn grants(rules: &[PolicyRule], access: &Access) -> Vec<String> {
    let mut out = Vec::new();
    for rule in rules {
        let resources: Vec<&str> = rule
            .resources
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|r| *r == "*" || access.resources.contains(r))
            .collect();
        let verbs: Vec<&str> = rule
            .verbs
            .iter()
            .map(String::as_str)
            .filter(|v| *v == "*" || access.verbs.contains(v))
            .collect();
        if !resources.is_empty() && !verbs.is_empty() {
            out.push(format!("{} on {}", list(&verbs), list(&resources)));
        }
    }
    out
}

/// The ClusterRoles an aggregated ClusterRole gathers rules from.
fn aggregated<'a>(snapshot: &'a Snapshot, role: &ClusterRole) -> Vec<&'a ClusterRole> {
    let selectors = role
        .aggregation_rule
        .as_ref()
        .and_then(|a| a.cluster_role_selectors.as_ref());
    let selectors: Vec<LabelSelector> = selectors
        .into_iter()
        .flatten()
        .map(LabelSelector::from_k8s)
        .collect();
    snapshot
        .cluster_roles
        .iter()
        .filter(|r| r.metadata.name != role.metadata.name)
        .filter(|r| {
            let labels = r.metadata.labels.clone().unwrap_or_default();
            selectors
                .iter()
                .any(|s| !s.is_empty() && s.matches(&labels))
        })
        .collect()
}

/// The bound role and what it grants of `access`, following ClusterRole aggregation.
fn bound_grants(
    snapshot: &Snapshot,
    binding: &Binding<'_>,
    access: &Access,
) -> Option<(ObjectRef, Vec<String>)> {
    let name = binding.role_ref.name.as_str();
    if binding.role_ref.kind == "Role" {
        let role = snapshot
            .roles
            .get(binding.object.namespace.as_deref(), name)?;
        let mut found = grants(role.rules.as_deref().unwrap_or_default(), access);
        dedup(&mut found);
        return Some((object_ref(role), found));
    }
    let role = snapshot.cluster_roles.get(None, name)?;
    let own = role.rules.as_deref().unwrap_or_default();
    let mut found = grants(own, access);
    dedup(&mut found);
    // On a live cluster the controller has already copied the aggregated rules into `rules`;
    // following the selectors again would count each grant twice. Only a manifest, whose
    // `rules` are left empty for the controller to fill, needs them followed.
    if own.is_empty() {
        found.extend(aggregated_grants(snapshot, role, access));
    }
    Some((object_ref(role), found))
}

/// What the ClusterRoles an aggregated ClusterRole selects grant of `access`, each grant once
/// with every role it comes from.
fn aggregated_grants(snapshot: &Snapshot, role: &ClusterRole, access: &Access) -> Vec<String> {
    let mut sources: Vec<(String, Vec<&str>)> = Vec::new();
    for part in aggregated(snapshot, role) {
        let name = part.metadata.name.as_deref().unwrap_or_default();
        for grant in grants(part.rules.as_deref().unwrap_or_default(), access) {
            match sources.iter_mut().find(|(g, _)| *g == grant) {
                Some((_, names)) if !names.contains(&name) => names.push(name),
                Some(_) => {}
                None => sources.push((grant, vec![name])),
            }
        }
    }
    sources
        .into_iter()
        .map(|(grant, names)| {
            let roles = if names.len() == 1 {
                "ClusterRole"
            } else {
                "ClusterRoles"
            };
            format!("{grant} (aggregated from {roles} {})", names.join(", "))
        })
        .collect()
}

/// Drops repeated grants, keeping the first of each.
fn dedup(found: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    found.retain(|g| seen.insert(g.clone()));
}

fn access(snapshot: &Snapshot, binding: &Binding<'_>, access: &Access) -> Option<Finding> {
    let (role, found) = bound_grants(snapshot, binding, access)?;
    if found.is_empty() {
        return None;
    }
    let message = format!(
        "{} binds {}, which grants {}, to {}.",
        describe(&binding.object),
        describe(&role),
        found.join(", "),
        subjects(binding.subjects)
    );
    let mut f = finding(access.check, &binding.object, access.reason, message);
    f.related.push(role);
    Some(f)
}

fn cluster_admin(binding: &Binding<'_>) -> Option<Finding> {
    if binding.role_ref.kind != "ClusterRole" || binding.role_ref.name != "cluster-admin" {
        return None;
    }
    let (scope, reason) = match &binding.object.namespace {
        Some(ns) if binding.object.kind == "RoleBinding" => {
            (format!("in namespace {ns}"), "ClusterAdminInNamespace")
        }
        _ => ("cluster-wide".to_owned(), "ClusterAdminBound"),
    };
    let message = format!(
        "{} grants the cluster-admin role {scope} to {}.",
        describe(&binding.object),
        subjects(binding.subjects)
    );
    let mut f = finding(
        ids::RBAC_CLUSTER_ADMIN_BOUND,
        &binding.object,
        reason,
        message,
    );
    f.related.push(ObjectRef::new(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        None,
        "cluster-admin",
    ));
    Some(f)
}

/// Where a role's rules use `*` for verbs or resources: `rule 2 (resources, verbs)`.
fn wildcard_places(rules: &[PolicyRule]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let resources = rule.resources.iter().flatten().any(|r| r == "*");
        let verbs = rule.verbs.iter().any(|v| v == "*");
        let fields = match (resources, verbs) {
            (true, true) => "resources, verbs",
            (true, false) => "resources",
            (false, true) => "verbs",
            (false, false) => continue,
        };
        out.push(format!("rule {} ({fields})", i + 1));
    }
    out
}

/// Roles and ClusterRoles with wildcard rules; with `bound`, only those that one of these
/// (kind, namespace, name) references names.
fn wildcards(
    snapshot: &Snapshot,
    bound: Option<&HashSet<(&str, Option<&str>, &str)>>,
) -> Vec<Finding> {
    let roles = snapshot
        .roles
        .iter()
        .filter(|r| !bootstrap(&r.metadata))
        .map(|r| (object_ref(r), r.rules.as_deref()));
    let cluster_roles = snapshot
        .cluster_roles
        .iter()
        .filter(|r| !bootstrap(&r.metadata))
        .map(|r| (object_ref(r), r.rules.as_deref()));
    let wanted = |object: &ObjectRef| {
        bound.is_none_or(|b| {
            b.contains(&(
                object.kind.as_str(),
                object.namespace.as_deref(),
                object.name.as_str(),
            ))
        })
    };
    roles
        .chain(cluster_roles)
        .filter(|(object, _)| wanted(object))
        .filter_map(|(object, rules)| {
            let places = wildcard_places(rules.unwrap_or_default());
            if places.is_empty() {
                return None;
            }
            let message = format!(
                "{} uses the wildcard \"*\" in {}.",
                describe(&object),
                places.join(", ")
            );
            Some(finding(
                ids::RBAC_WILDCARD_RULE,
                &object,
                "WildcardInRules",
                message,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kubewhy_source::files::{Input, parse};

    use crate::{Filter, analyze, ids};

    const BINDINGS: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oncall-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: oncall, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: runner, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  template:
    metadata: {labels: {app: runner}}
    spec:
      serviceAccountName: deployer
      containers: [{name: runner, image: runner:1.0}]
";

    fn bound(filter: &Filter) -> Vec<String> {
        let loaded = parse([Input {
            name: "rbac.yaml".into(),
            text: BINDINGS.into(),
        }]);
        let mut names: Vec<String> = analyze(&loaded.snapshot, filter)
            .findings
            .into_iter()
            .filter(|f| f.check == ids::RBAC_CLUSTER_ADMIN_BOUND)
            .map(|f| f.object.name)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn on_clusters_cluster_admin_counts_when_a_workload_runs_as_it() {
        let live = Filter {
            live: true,
            ..Filter::default()
        };
        assert_eq!(bound(&live), ["ci-admin"]);
        let named = Filter {
            only: vec!["rbac-cluster-admin-bound".into()],
            ..live
        };
        assert_eq!(bound(&named), ["ci-admin", "oncall-admin"]);
        assert_eq!(bound(&Filter::default()), ["ci-admin", "oncall-admin"]);
    }
}
