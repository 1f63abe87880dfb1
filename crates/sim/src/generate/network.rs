//! Traffic: Services with the Endpoints and EndpointSlices the control plane keeps for them,
//! Ingresses, and each namespace's NetworkPolicies.

use serde_json::{Value, json};

use super::{
    Cluster,
    meta::{self, Ident},
};

/// A Service selecting `selector`, with Endpoints and an EndpointSlice of `backends` (pod,
/// ready, IP).
pub(super) fn service(
    c: &mut Cluster,
    ns: &str,
    name: &str,
    labels: &Value,
    selector: &Value,
    backends: &[(Ident, bool, String)],
    headless: bool,
) {
    let ident = Ident::new(&mut c.rng, "v1", "Service", Some(ns), name);
    let ip = if headless {
        "None".to_owned()
    } else {
        format!("172.20.{}.{}", c.rng.below(256), 1 + c.rng.below(254))
    };
    let ports = json!([{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                       {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": "metrics"}]);
    let object = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, Some(json!({"meta.helm.sh/release-name": name, "meta.helm.sh/release-namespace": ns})), None),
        "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "selector": selector, "ports": ports,
                 "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
        "status": {"loadBalancer": {}}});
    c.push(object, "helm", None);
    let address = |(pod, _, ip): &(Ident, bool, String)| json!({"ip": ip, "targetRef": {"kind": "Pod", "namespace": ns, "name": pod.name, "uid": pod.uid}});
    let ready: Vec<Value> = backends.iter().filter(|b| b.1).map(address).collect();
    let not_ready: Vec<Value> = backends.iter().filter(|b| !b.1).map(address).collect();
    let endpoint_ports = json!([{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics", "port": 9090, "protocol": "TCP"}]);
    let mut subset = json!({"ports": endpoint_ports});
    if !ready.is_empty() {
        subset["addresses"] = ready.into();
    }
    if !not_ready.is_empty() {
        subset["notReadyAddresses"] = not_ready.into();
    }
    let endpoints = Ident::new(&mut c.rng, "v1", "Endpoints", Some(ns), name);
    let mut object = json!({"apiVersion": "v1", "kind": "Endpoints",
        "metadata": meta::metadata(&mut c.rng, &endpoints, 9_000, labels, Some(json!({"endpoints.kubernetes.io/last-change-trigger-time": meta::ago(20)})), None)});
    if !backends.is_empty() {
        object["subsets"] = json!([subset]);
    }
    c.push(object, "kube-controller-manager", None);
    let slice_name = format!("{name}-{}", c.rng.suffix(5));
    let slice = Ident::new(
        &mut c.rng,
        "discovery.k8s.io/v1",
        "EndpointSlice",
        Some(ns),
        slice_name,
    );
    let mut slice_labels = labels.clone();
    slice_labels["kubernetes.io/service-name"] = name.into();
    slice_labels["endpointslice.kubernetes.io/managed-by"] =
        "endpointslice-controller.k8s.io".into();
    let endpoints: Vec<Value> = backends
        .iter()
        .map(|(pod, ready, ip)| json!({"addresses": [ip], "conditions": {"ready": ready, "serving": ready, "terminating": false},
            "targetRef": {"kind": "Pod", "namespace": ns, "name": pod.name, "uid": pod.uid}, "zone": "eu-west-1a"}))
        .collect();
    let object = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": meta::metadata(&mut c.rng, &slice, 9_000, &slice_labels, None, Some(&ident)),
        "addressType": "IPv4", "endpoints": endpoints,
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}, {"name": "metrics", "port": 9090, "protocol": "TCP"}]});
    c.push(object, "endpointslice-controller.k8s.io", None);
}

/// An Ingress routing a host to the app's Service, or to one that does not exist.
pub(super) fn ingress(c: &mut Cluster, ns: &str, app: &str, labels: &Value, dangling: bool) {
    let ident = Ident::new(&mut c.rng, "networking.k8s.io/v1", "Ingress", Some(ns), app);
    let backend = if dangling {
        format!("{app}-web")
    } else {
        app.to_owned()
    };
    let host = format!("{app}.{ns}.example.com");
    let object = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": meta::metadata(&mut c.rng, &ident, 9_000, labels, Some(json!({"nginx.ingress.kubernetes.io/proxy-body-size": "8m", "cert-manager.io/cluster-issuer": "letsencrypt"})), None),
        "spec": {"ingressClassName": "nginx",
                 "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": backend, "port": {"name": "http"}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingress-0123456789.elb.eu-west-1.amazonaws.com"}]}}});
    c.push(object, "helm", Some("nginx-ingress-controller"));
}

/// A namespace's default-deny policy and the policy that lets its own pods and the ingress
/// controller in.
pub(super) fn policies(c: &mut Cluster, ns: &str, team: &str) {
    let labels = json!({"team": team});
    let deny = Ident::new(
        &mut c.rng,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        Some(ns),
        "default-deny-ingress",
    );
    let object = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta::metadata(&mut c.rng, &deny, 300_000, &labels, None, None),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
    c.push(object, "kubectl-client-side-apply", None);
    let allow = Ident::new(
        &mut c.rng,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        Some(ns),
        "allow-namespace-and-ingress",
    );
    let object = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": meta::metadata(&mut c.rng, &allow, 300_000, &labels, None, None),
        "spec": {"podSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "Exists"}]},
                 "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"podSelector": {}},
                                       {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                              "ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 9090}]}]}});
    c.push(object, "kubectl-client-side-apply", None);
}
