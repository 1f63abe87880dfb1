//! One test per detector: what it finds, and the look-alikes it leaves alone.

use super::*;
use crate::Category::{self, *};

fn hits(text: &str) -> Vec<(String, Category)> {
    let mut out = Vec::new();
    detectors().unwrap().find(text, true, &mut out);
    out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end), h.rank));
    out.iter()
        .map(|h| (text[h.start..h.end].to_owned(), h.category))
        .collect()
}

fn found(text: &str, value: &str, category: Category) -> bool {
    hits(text).iter().any(|(v, c)| v == value && *c == category)
}

fn assert_found(text: &str, value: &str, category: Category) {
    assert!(
        found(text, value, category),
        "{value} as {category:?} in {text:?}: {:?}",
        hits(text)
    );
}

fn assert_clean(text: &str) {
    assert!(hits(text).is_empty(), "{text:?}: {:?}", hits(text));
}

#[test]
fn every_detector_compiles() {
    assert!(detectors().is_ok());
}

#[test]
fn private_key_blocks_even_when_cut_off() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
    assert_found(&format!("key: {key} done"), key, Secret);
    let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk";
    assert_found(&format!("log: {cut}"), cut, Secret);
    assert_clean("-----BEGIN CERTIFICATE----- (public)");
}

#[test]
fn jwts_and_bearer_tokens() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_found(&format!("Authorization: Bearer {jwt}"), jwt, Secret);
    assert_found("Authorization: Bearer abc123def456", "abc123def456", Secret);
    assert_found(
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "dXNlcjpwYXNzd29yZA==",
        Secret,
    );
    assert_clean("bearer authentication failed; basic authentication disabled");
}

#[test]
fn vendor_tokens_and_keys() {
    for (text, value) in [
        ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        (
            "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        ("xoxb-2048-1024-abcdefABCDEF", "xoxb-2048-1024-abcdefABCDEF"),
        (
            "key sk-proj-abcdefghijklmnopqrstuvwxyz0123",
            "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        ),
        (
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ),
    ] {
        assert_found(text, value, Secret);
    }
    assert_found(
        "POST https://hooks.slack.com/services/T000/B000/XXXXXXXX",
        "services/T000/B000/XXXXXXXX",
        Secret,
    );
}

#[test]
fn credentials_in_urls() {
    assert_found(
        "DATABASE_URL=postgres://app:hunter2@accounts-db:5432/app",
        "app:hunter2",
        Secret,
    );
    assert!(!found("see https://docs.example.com/a:b", "a:b", Secret));
}

#[test]
fn secret_assignments_but_not_references_or_settings() {
    assert_found("login password=hunter2 ok", "hunter2", Secret);
    assert_found(
        r#"{"clientSecret": "s3cr3t-v4lue"}"#,
        "s3cr3t-v4lue",
        Secret,
    );
    assert_found("DB_TOKEN: abc", "abc", Secret);
    for text in [
        "secretName: payments-stripe",
        "tokenExpirationSeconds: 3600",
        "password=***",
        "token: expired",
        "PASSWORD=${DB_PASSWORD}",
        "passwordFile=/etc/creds/pw",
        "automountServiceAccountToken: false",
        r#"MountVolume.SetUp failed for volume "db-password" : secret "db-password" not found"#,
    ] {
        assert!(
            hits(text).iter().all(|(_, c)| *c != Secret),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn high_entropy_strings_but_not_words_paths_or_digests() {
    assert_found(
        "aws_secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        Secret,
    );
    assert_found(
        "token 9f86d081884c7d659a2feaa0c55ad015",
        "9f86d081884c7d659a2feaa0c55ad015",
        Secret,
    );
    for text in [
        "CreateContainerConfigError ContainerStatusesUnknown1",
        "/api/v1/namespaces/default/pods/checkout-7d4b9c-x2x2z",
        "com/acme/PaymentService2Impl",
        "1.0.0.100=CrashLoopBackOff",
        "CrashLoopBackOff1234ImagePullBackOff",
        "ds1/CrashLoopBackOff/POD-4",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert!(
            hits(text).iter().all(|(_, c)| *c != Secret),
            "{text}: {:?}",
            hits(text)
        );
    }
    let digest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    assert_found(&format!("image@{digest}"), digest, Digest);
    assert!(!found(&format!("image@{digest}"), &digest[7..], Secret));
}

#[test]
fn ip_addresses_and_cidrs() {
    assert_found("dial tcp 10.0.3.7:5432: connection refused", "10.0.3.7", Ip);
    assert_found("allow from 10.0.0.0/8", "10.0.0.0/8", Cidr);
    assert_found("pod ip fd00:10:244::5 ready", "fd00:10:244::5", Ip);
    assert_found("range 2001:db8::/32", "2001:db8::/32", Cidr);
    assert_clean("listening on 0.0.0.0:8080 and 127.0.0.1:9090 and [::1]:80");
    assert_clean("at 12:30:45 version 1.2.3.4.5 and std::vec");
}

#[test]
fn hostnames_urls_and_emails() {
    assert_found(
        "GET https://api.acme-corp.com/v1",
        "api.acme-corp.com",
        Host,
    );
    assert_found("connect to http://accounts-db:5432/x", "accounts-db", Host);
    assert_found("nc: bad address 'accounts-db'", "accounts-db", Host);
    assert_found("lookup payments-db on 10.96.0.10:53", "payments-db", Host);
    assert_found("mail ops@acme.com now", "ops@acme.com", Email);
    assert_clean("connecting to database");
    assert_clean("open main.py and run.sh");
    assert_clean("label app.kubernetes.io/name and networking.k8s.io/v1 and nvidia.com/gpu");
    assert_clean("coredns.kube-system.svc.cluster.local and http://localhost:8080");
}

#[test]
fn service_dns_names_split_into_service_and_namespace() {
    let text = "dial checkout.shop.svc.cluster.local:80";
    assert_found(text, "checkout", Service);
    assert_found(text, "shop", Namespace);
    assert!(!found(text, "checkout.shop.svc.cluster.local", Host));
    assert_clean("kubernetes.default.svc");
}

#[test]
fn cloud_identifiers() {
    let arn = "arn:aws:iam::123456789012:role/payments-irsa";
    assert_found(arn, "123456789012", Account);
    assert_found(arn, "role/payments-irsa", Resource);
    assert_found("aws account 210987654321", "210987654321", Account);
    assert_found("projects/acme-prod-1234/secrets", "acme-prod-1234", Project);
    assert_found(
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-payments",
        "0b1f6471-1bf0-4dda-aec3-111122223333",
        Subscription,
    );
    assert_found(
        "/resourceGroups/rg-payments/providers",
        "rg-payments",
        ResourceGroup,
    );
    assert_found(
        "instance i-0abcd1234ef567890 stopped",
        "i-0abcd1234ef567890",
        Id,
    );
    assert_found(
        "uid 8d3f2c1a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        "8d3f2c1a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        Uid,
    );
    assert_found(
        "containerd://4f2a9c0b1d2e3f4a5b6c",
        "4f2a9c0b1d2e3f4a5b6c",
        Id,
    );
}

#[test]
fn account_ids_and_projects_without_a_label() {
    assert_found(
        "assumed role 123456789012:shop-search",
        "123456789012",
        Account,
    );
    assert_clean("took 1.123456789012 s; 1234567890123 bytes; 3,123456789012");
    assert_found(
        "assumed role in project acme-prod-4711",
        "acme-prod-4711",
        Project,
    );
    assert_clean("the project deadline; project kube-system");
}

#[test]
fn quoted_names_after_a_kind() {
    assert_found(
        r#"MountVolume.SetUp failed for volume "tls-certs""#,
        "tls-certs",
        Volume,
    );
    assert_found(
        r#"Secret "payments-stripe" not found"#,
        "payments-stripe",
        SecretName,
    );
    assert_found(
        r#"configmaps \"app-settings\" not found"#,
        "app-settings",
        ConfigMap,
    );
    assert_found(r#"persistentvolumeclaim "orders-data""#, "orders-data", Pvc);
    assert_clean(r#"pod "kube-proxy", service "kubernetes", secret "secretname-1""#);
}

#[test]
fn images_on_public_registries_keep_the_host() {
    assert_found(
        "pull ghcr.io/acme/payments-api:1.4",
        "acme/payments-api",
        Image,
    );
    assert_found(
        "go github.com/acme/payments/internal",
        "acme/payments",
        Repo,
    );
    assert_clean("pull docker.io/library/nginx:1.27");
}

#[test]
fn kubernetes_vocabulary_is_left_alone() {
    assert_clean(
        "Back-off restarting failed container in CrashLoopBackOff (exit code 137, OOMKilled); \
         0/3 nodes are available: 3 Insufficient nvidia.com/gpu. port 443",
    );
}
