//! Causal chains across workloads, built from evidence: hostnames, Service DNS names and cluster
//! IPs found in log lines, termination messages and env values are resolved against the
//! snapshot's Services. A link is made only when the Service is itself broken (it does not
//! exist, it has no ready endpoints, or its pods have an issue of their own), and each link
//! carries the line that made it. The symptom issue stays in the report, pointing at its cause.

use std::collections::HashMap;

use kubewhy_model::{ChainLink, Issue, ObjectRef};
use kubewhy_source::{LabelSelector, Snapshot, k8s::core::v1::Service, object_ref};

use crate::group::Grouped;

/// Words that make a line about reaching another service.
const CONNECTING: &[&str] = &[
    "connect",
    "connection",
    "refused",
    "timed out",
    "timeout",
    "dial ",
    "unreachable",
    "no route to host",
    "reset by peer",
    "econnrefused",
    "is the server running",
];

/// Words that make a line about a name that does not resolve.
const UNRESOLVED: &[&str] = &[
    "bad address",
    "no such host",
    "could not translate host name",
    "name or service not known",
    "enotfound",
    "temporary failure in name resolution",
    "unknown host",
    "nodename nor servname",
];

/// Adds causal chains to the issues; returns whether any issue changed.
pub(crate) fn link(snapshot: &Snapshot, grouped: &mut [Grouped]) -> bool {
    let services = Services::new(snapshot);
    let mut changed = false;
    for i in 0..grouped.len() {
        let Some(namespace) = grouped[i].issue.root.namespace.clone() else {
            continue;
        };
        let Some((service, line, missing)) =
            find_target(snapshot, &services, &grouped[i], &namespace)
        else {
            continue;
        };
        let chain = if missing {
            vec![ChainLink {
                object: service,
                problem: "does not exist".to_owned(),
                evidence: Some(line),
                root_cause: true,
            }]
        } else {
            let Some((problem, cause)) = broken(snapshot, &services, grouped, i, &service) else {
                continue;
            };
            let mut chain = vec![ChainLink {
                object: service,
                problem,
                evidence: Some(line),
                root_cause: cause.is_none(),
            }];
            if let Some(cause) = cause {
                let target = &grouped[cause];
                chain.extend(steps(snapshot, target));
                let fingerprint = target.issue.fingerprint;
                grouped[i].issue.caused_by = vec![fingerprint];
            }
            chain
        };
        grouped[i].issue.chain = chain;
        changed = true;
    }
    changed
}

/// The Services of the snapshot, by namespace and name and by cluster IP.
struct Services<'a> {
    by_name: HashMap<(&'a str, &'a str), &'a Service>,
    by_ip: HashMap<&'a str, &'a Service>,
}

impl<'a> Services<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        let mut by_name = HashMap::new();
        let mut by_ip = HashMap::new();
        for service in &snapshot.services {
            let meta = &service.metadata;
            if let (Some(ns), Some(name)) = (meta.namespace.as_deref(), meta.name.as_deref()) {
                by_name.insert((ns, name), service);
            }
            if let Some(ip) = service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref())
                && ip != "None"
            {
                by_ip.insert(ip, service);
            }
        }
        Self { by_name, by_ip }
    }

    /// The Service a host names, seen from `namespace`: `svc`, `svc.ns`, `svc.ns.svc`,
    /// `svc.ns.svc.cluster.local`, or a cluster IP.
    fn resolve(&self, host: &str, namespace: &str) -> Option<&'a Service> {
        if let Some(service) = self.by_ip.get(host) {
            return Some(service);
        }
        let (name, ns) = split_host(host, namespace)?;
        self.by_name.get(&(ns, name)).copied()
    }
}

/// `svc` or `svc.ns[.svc[.cluster.local]]` as (name, namespace); `None` for names outside the
/// cluster (`api.example.com`).
fn split_host<'h>(host: &'h str, namespace: &'h str) -> Option<(&'h str, &'h str)> {
    let host = host
        .trim_end_matches('.')
        .trim_end_matches(".cluster.local")
        .trim_end_matches(".svc");
    let mut parts = host.split('.');
    let name = parts.next().filter(|n| !n.is_empty())?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((name, namespace)),
        (Some(ns), None) => Some((name, ns)),
        _ => None,
    }
}

/// The first Service the issue's evidence points at, the line that shows it, and whether the
/// Service is missing.
fn find_target(
    snapshot: &Snapshot,
    services: &Services<'_>,
    grouped: &Grouped,
    namespace: &str,
) -> Option<(ObjectRef, String, bool)> {
    for line in evidence_lines(snapshot, &grouped.issue) {
        let lower = line.to_ascii_lowercase();
        let unresolved = UNRESOLVED.iter().any(|w| lower.contains(w));
        let connecting = CONNECTING.iter().any(|w| lower.contains(w));
        let is_env = line.starts_with("env ");
        if !unresolved && !connecting && !is_env {
            continue;
        }
        let candidates = if unresolved {
            unresolved_hosts(&line)
        } else {
            hosts(&line)
        };
        for host in candidates {
            if let Some(service) = services.resolve(&host, namespace) {
                return Some((object_ref(service), line.clone(), false));
            }
            let Some((name, ns)) = split_host(&host, namespace) else {
                continue;
            };
            // A name that does not resolve is a missing Service only where Services were listed.
            if unresolved && snapshot.listed("Service", Some(ns)) && looks_like_a_name(name) {
                let missing = ObjectRef::new("v1", "Service", Some(ns), name);
                return Some((missing, line.clone(), true));
            }
        }
    }
    None
}

fn looks_like_a_name(name: &str) -> bool {
    name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
}

/// Log lines, termination and waiting messages, and env values (`env NAME=value`) of the
/// issue's containers.
fn evidence_lines(snapshot: &Snapshot, issue: &Issue) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for log in &issue.evidence.logs {
        let mut block = String::new();
        for line in &log.lines {
            // A message wrapped over lines (psycopg2's "Is the server running on host ...")
            // is read with the line before it.
            if line.starts_with([' ', '\t']) && !block.is_empty() {
                block.push(' ');
                block.push_str(line.trim());
            } else {
                if !block.is_empty() {
                    lines.push(std::mem::take(&mut block));
                }
                line.trim().clone_into(&mut block);
            }
        }
        if !block.is_empty() {
            lines.push(block);
        }
    }
    lines.extend(
        issue
            .evidence
            .containers
            .iter()
            .filter_map(|c| c.message.clone()),
    );
    for object in issue.objects.iter().filter(|o| o.kind == "Pod") {
        let Some(pod) = snapshot.pods.get(object.namespace.as_deref(), &object.name) else {
            continue;
        };
        let containers = pod.spec.iter().flat_map(|s| {
            s.init_containers
                .iter()
                .flatten()
                .chain(s.containers.iter())
        });
        for env in containers.flat_map(|c| c.env.iter().flatten()) {
            if let Some(value) = &env.value {
                lines.push(format!("env {}={value}", env.name));
            }
        }
    }
    lines
}

/// The host-like words of a line: quoted strings, URL hosts, `host:port`, dotted names and IPs.
fn hosts(line: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for word in line
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '@')))
    {
        let word = word.rsplit('@').next().unwrap_or(word);
        let word = word.split("://").last().unwrap_or(word);
        let host = word.split('/').next().unwrap_or(word);
        let host = host.split(':').next().unwrap_or(host).trim_matches('.');
        if !host.is_empty() && !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_ascii_lowercase());
        }
    }
    hosts
}

/// The names a resolver failed on: quoted (`bad address 'accounts-db'`, `could not translate
/// host name "db"`) or after `lookup`, `host` or `ENOTFOUND`; never the program name in front.
fn unresolved_hosts(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['\'', '"'] {
        let mut parts = line.split(quote);
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next().or(Some(""))) {
            found.extend(hosts(inside));
        }
    }
    let lower = line.to_ascii_lowercase();
    for marker in ["lookup ", "host ", "enotfound ", "resolve "] {
        if let Some(at) = lower.find(marker)
            && let Some(word) = hosts(&line[at + marker.len()..]).into_iter().next()
        {
            found.push(word);
        }
    }
    found.dedup();
    found
}

/// Why a Service cannot serve, and the issue of the pods behind it when they have one.
fn broken(
    snapshot: &Snapshot,
    services: &Services<'_>,
    grouped: &[Grouped],
    from: usize,
    service: &ObjectRef,
) -> Option<(String, Option<usize>)> {
    let namespace = service.namespace.as_deref()?;
    let found = services.by_name.get(&(namespace, service.name.as_str()))?;
    let selector = found.spec.as_ref().and_then(|s| s.selector.as_ref())?;
    let selector = LabelSelector::from_map(selector);
    let pods: Vec<ObjectRef> = snapshot
        .pods
        .in_namespace(namespace)
        .iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .is_some_and(|l| selector.matches(l))
        })
        .map(object_ref)
        .collect();
    let roots: Vec<ObjectRef> = pods.iter().map(|p| snapshot.root_of(p)).collect();
    let cause = grouped.iter().enumerate().position(|(i, g)| {
        i != from
            && (roots.iter().any(|r| r.is(&g.issue.root))
                || g.issue.objects.iter().any(|o| pods.iter().any(|p| p.is(o))))
    });
    let ready = ready_endpoints(snapshot, namespace, &service.name);
    match (ready, cause) {
        (false, cause) => Some(("has no ready endpoints".to_owned(), cause)),
        (true, Some(cause)) => Some(("is backed by failing pods".to_owned(), Some(cause))),
        (true, None) => None,
    }
}

/// Whether the Service's EndpointSlices (or Endpoints) hold a ready address.
fn ready_endpoints(snapshot: &Snapshot, namespace: &str, service: &str) -> bool {
    let slices = snapshot
        .endpoint_slices
        .in_namespace(namespace)
        .iter()
        .filter(|s| {
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("kubernetes.io/service-name"))
                .is_some_and(|n| n == service)
        });
    let from_slices = slices
        .flat_map(|s| s.endpoints.iter().flatten())
        .any(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true));
    let from_endpoints = snapshot
        .endpoints
        .get(Some(namespace), service)
        .and_then(|e| e.subsets.as_ref())
        .is_some_and(|subsets| {
            subsets
                .iter()
                .any(|s| s.addresses.as_ref().is_some_and(|a| !a.is_empty()))
        });
    from_slices || from_endpoints
}

/// The links of the cause issue: its objects from the nearest to the root cause, ending at the
/// missing object it names, when it names one.
fn steps(snapshot: &Snapshot, target: &Grouped) -> Vec<ChainLink> {
    let mut links: Vec<(usize, ChainLink)> = target
        .members
        .iter()
        .map(|m| {
            let problem = kubewhy_analyzers::check(m.check.as_str())
                .map_or_else(|| m.check.to_string(), |c| c.title.to_owned());
            (
                depth(&m.object.kind),
                ChainLink {
                    object: m.object.clone(),
                    problem,
                    evidence: None,
                    root_cause: false,
                },
            )
        })
        .collect();
    links.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.object.cmp(&b.1.object)));
    links.dedup_by(|a, b| a.1.object.is(&b.1.object));
    let mut links: Vec<ChainLink> = links.into_iter().map(|(_, l)| l).collect();
    let missing = target
        .issue
        .related
        .iter()
        .find(|r| !snapshot.contains(r) && r.kind != "Service");
    match missing {
        Some(object) => links.push(ChainLink {
            object: object.clone(),
            problem: "does not exist".to_owned(),
            evidence: None,
            root_cause: true,
        }),
        None => {
            if let Some(last) = links.last_mut() {
                last.root_cause = true;
            }
        }
    }
    links
}

/// How far a kind is from the symptom: pods first, then their claims, then their owners.
fn depth(kind: &str) -> usize {
    match kind {
        "Pod" => 0,
        "PersistentVolumeClaim" => 1,
        "PersistentVolume" => 2,
        _ => 3,
    }
}

/// A member finding of an issue: what a chain shows of it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub check: kubewhy_model::CheckId,
    pub object: ObjectRef,
}

#[cfg(test)]
mod tests {
    use super::{hosts, split_host};

    #[test]
    fn hosts_are_read_from_urls_ports_and_quotes() {
        let line = r#"could not connect: "orders-db" (10.96.12.40) port 5432 via postgres://u:p@orders-db.shop.svc.cluster.local:5432/db"#;
        let found = hosts(line);
        assert!(found.contains(&"orders-db".to_owned()), "{found:?}");
        assert!(found.contains(&"10.96.12.40".to_owned()), "{found:?}");
        assert!(
            found.contains(&"orders-db.shop.svc.cluster.local".to_owned()),
            "{found:?}"
        );
    }

    #[test]
    fn service_dns_names_split_into_name_and_namespace() {
        assert_eq!(split_host("orders-db", "shop"), Some(("orders-db", "shop")));
        assert_eq!(
            split_host("orders-db.data", "shop"),
            Some(("orders-db", "data"))
        );
        assert_eq!(
            split_host("orders-db.data.svc", "shop"),
            Some(("orders-db", "data"))
        );
        assert_eq!(
            split_host("orders-db.data.svc.cluster.local", "shop"),
            Some(("orders-db", "data"))
        );
        assert_eq!(split_host("api.example.com", "shop"), None);
    }
}
