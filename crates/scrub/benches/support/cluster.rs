//! A generated cluster for the dictionary benchmark and its smoke test: namespaces of
//! Deployments with ReplicaSets, pods, Services, Ingresses and events, where every pod spec
//! refers to Secrets, ConfigMaps, claims and a service account, and carries env values, some of
//! them secret. Also the evidence text an explanation would send for some of its pods.

use std::fmt::Write;

const PODS_PER_DEPLOYMENT: usize = 4;
const DEPLOYMENTS_PER_NAMESPACE: usize = 25;
const NODES: usize = 500;

fn ns(d: usize) -> String {
    format!("team-{:03}", d / DEPLOYMENTS_PER_NAMESPACE)
}

fn app(d: usize) -> String {
    format!("svc-{d:05}")
}

fn hash(d: usize) -> String {
    format!(
        "{:010x}",
        (d as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xff_ffff_ffff
    )
}

/// A uid in the shape the API server gives them.
fn uid(kind: u32, n: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012x}")
}

/// The name of pod `p` of deployment `d`.
pub fn pod_name(d: usize, p: usize) -> String {
    let suffix = (d * PODS_PER_DEPLOYMENT + p).wrapping_mul(2_654_435_761) & 0xfffff;
    format!("{}-{}-{suffix:05x}", app(d), hash(d))
}

/// A JSON `List` of every object of a cluster of `pods` pods.
pub fn cluster_json(pods: usize) -> String {
    let deployments = pods.div_ceil(PODS_PER_DEPLOYMENT);
    let mut items: Vec<String> = Vec::with_capacity(pods * 2);
    for n in 0..NODES {
        items.push(format!(
            r#"{{"apiVersion":"v1","kind":"Node","metadata":{{"name":"ip-10-1-{}-{}.ec2.internal","labels":{{"node.kubernetes.io/instance-type":"m5.large"}}}},"spec":{{"providerID":"aws:///us-east-1a/i-0{n:016x}"}}}}"#,
            n / 250,
            n % 250
        ));
    }
    for d in 0..deployments {
        let (ns, app, hash) = (ns(d), app(d), hash(d));
        if d % DEPLOYMENTS_PER_NAMESPACE == 0 {
            items.push(format!(
                r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}}}}"#
            ));
            items.push(format!(
                r#"{{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{{"name":"{ns}-web","namespace":"{ns}"}},"spec":{{"rules":[{{"host":"{ns}.shop.acme-corp.com","http":{{"paths":[{{"path":"/","pathType":"Prefix","backend":{{"service":{{"name":"{app}","port":{{"number":80}}}}}}}}]}}}}]}}}}"#
            ));
        }
        let spec = pod_spec(d);
        let (duid, rsuid) = (uid(0xd, d), uid(0x5, d));
        items.push(format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"{app}","namespace":"{ns}","uid":"{duid}","labels":{{"app":"{app}","team":"owners-{ns}"}}}},"spec":{{"selector":{{"matchLabels":{{"app":"{app}"}}}},"template":{{"metadata":{{"labels":{{"app":"{app}"}}}},"spec":{spec}}}}}}}"#
        ));
        items.push(format!(
            r#"{{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{{"name":"{app}-{hash}","namespace":"{ns}","uid":"{rsuid}","labels":{{"app":"{app}","pod-template-hash":"{hash}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"Deployment","name":"{app}","uid":"{duid}","controller":true}}]}},"spec":{{"selector":{{"matchLabels":{{"app":"{app}"}}}}}}}}"#
        ));
        items.push(format!(
            r#"{{"apiVersion":"v1","kind":"Service","metadata":{{"name":"{app}","namespace":"{ns}"}},"spec":{{"selector":{{"app":"{app}"}},"ports":[{{"port":80}}]}}}}"#
        ));
        for p in 0..PODS_PER_DEPLOYMENT.min(pods - d * PODS_PER_DEPLOYMENT) {
            let name = pod_name(d, p);
            let puid = uid(0x9, d * PODS_PER_DEPLOYMENT + p);
            let node = (d * PODS_PER_DEPLOYMENT + p) % NODES;
            let spec = pod_spec(d).replacen(
                "{\"containers\"",
                &format!(
                    "{{\"nodeName\":\"ip-10-1-{}-{}.ec2.internal\",\"containers\"",
                    node / 250,
                    node % 250
                ),
                1,
            );
            items.push(format!(
                r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"{ns}","uid":"{puid}","labels":{{"app":"{app}","pod-template-hash":"{hash}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{app}-{hash}","uid":"{rsuid}","controller":true}}]}},"spec":{spec},"status":{{"phase":"Running","podIP":"10.2.{}.{}"}}}}"#,
                (d / 250) % 250,
                d % 250
            ));
        }
    }
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    )
}

fn pod_spec(d: usize) -> String {
    let (ns, app) = (ns(d), app(d));
    format!(
        r#"{{"containers":[{{"name":"{app}-main","image":"registry.acme.internal/{ns}/{app}:1.{d}","env":[{{"name":"DB_PASSWORD","value":"pw-{d:05}-Zq8rT2"}},{{"name":"DATABASE_URL","value":"postgres://{app}-db.{ns}.svc:5432/app"}},{{"name":"LOG_LEVEL","value":"info"}},{{"name":"API_TOKEN","valueFrom":{{"secretKeyRef":{{"name":"{app}-api","key":"token"}}}}}}],"envFrom":[{{"configMapRef":{{"name":"{app}-config"}}}}]}},{{"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.22.0"}}],"serviceAccountName":"{app}-sa","imagePullSecrets":[{{"name":"{ns}-registry"}}],"volumes":[{{"name":"{app}-tls","secret":{{"secretName":"{app}-tls"}}}},{{"name":"data","persistentVolumeClaim":{{"claimName":"{app}-data"}}}}]}}"#
    )
}

/// The evidence an explanation would send for pod `p` of deployment `d`: events, a
/// termination message and log lines naming pods, Services, hosts, addresses and a credential.
pub fn evidence(d: usize, p: usize) -> String {
    let (ns, app) = (ns(d), app(d));
    let pod = pod_name(d, p);
    let uid = uid(0x9, d * PODS_PER_DEPLOYMENT + p);
    let mut out = String::with_capacity(900);
    let _ = write!(
        out,
        "Back-off restarting failed container {app}-main in pod {pod}_{ns}({uid})\n\
         MountVolume.SetUp failed for volume \"{app}-tls\" : secret \"{app}-tls\" not found\n\
         Error: configmap \"{app}-config\" not found\n\
         Failed to pull image \"registry.acme.internal/{ns}/{app}:1.{d}\": rpc error: code = NotFound\n\
         2026-11-20T09:00:0{s}Z INFO starting {app} version 1.{d} on 10.2.{a}.{b}:8080\n\
         2026-11-20T09:00:0{s}Z ERROR dial tcp: lookup {app}-db.{ns}.svc on 10.96.0.10:53: no such host\n\
         2026-11-20T09:00:0{s}Z WARN retrying GET http://{app}.{ns}.svc.cluster.local/api/v1/orders?tenant={ns} (attempt 3)\n\
         2026-11-20T09:00:0{s}Z ERROR auth failed for user ops@acme-corp.com with password=pw-{d:05}-Zq8rT2\n\
         panic: runtime error: invalid memory address or nil pointer dereference\n",
        s = p % 10,
        a = (d / 250) % 250,
        b = d % 250,
    );
    out
}
