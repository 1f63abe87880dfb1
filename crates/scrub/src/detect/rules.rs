//! The table of detectors. Order matters: when two detectors match the same span, the one
//! listed first decides the category, so specific rules come before general ones.

use super::{Rule, checks};
use crate::Category::{
    Account, Cidr, Digest, Email, Host, Id, Image, Ip, Name, Namespace, Project, Repo, Resource,
    ResourceGroup, Secret, Service, Subscription, Uid,
};

/// Credentials, tokens and keys: replaced under every policy, never restored.
pub(crate) static SECRETS: &[Rule] = &[
    Rule {
        name: "private key",
        pattern: r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "JWT",
        pattern: r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "AWS access key",
        pattern: r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\b",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "GitHub token",
        pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "Slack token",
        pattern: r"\b(?:xox[abposrce]|xapp)-[A-Za-z0-9-]{10,}",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "Slack webhook",
        pattern: r"hooks\.slack\.com/((?:services|workflows|triggers)/[A-Za-z0-9/_-]+)",
        groups: &[(1, Secret)],
        check: None,
    },
    Rule {
        name: "API key",
        pattern: r"\b(?:sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}|[rsp]k_(?:live|test)_[A-Za-z0-9]{10,}|AIza[0-9A-Za-z_-]{35})",
        groups: &[(0, Secret)],
        check: None,
    },
    Rule {
        name: "URL credentials",
        pattern: r#"\b[a-zA-Z][a-zA-Z0-9+.-]*://([^\s:/?#@"'<>]+:[^\s/?#@"'<>]*)@"#,
        groups: &[(1, Secret)],
        check: None,
    },
    Rule {
        name: "bearer token",
        pattern: r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9._~+/=-]{8,})",
        groups: &[(1, Secret)],
        check: Some(checks::token_like),
    },
    Rule {
        name: "basic credentials",
        pattern: r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})",
        groups: &[(1, Secret)],
        check: Some(checks::token_like),
    },
    Rule {
        name: "secret assignment",
        pattern: r#"(?i)(?:^|[^a-z0-9_.-])["']?([a-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[a-z0-9_.-]*)["']?[ \t]*[:=][ \t]*["']?([^\s"'&,;)}\]<>]+)"#,
        groups: &[(2, Secret)],
        check: Some(checks::assignment),
    },
    Rule {
        name: "high-entropy string",
        pattern: r"[A-Za-z0-9+/_]{20,}={0,2}",
        groups: &[(0, Secret)],
        check: Some(checks::high_entropy),
    },
];

/// Addresses and cloud identifiers: replaced when names are.
pub(crate) static ADDRESSES: &[Rule] = &[
    Rule {
        name: "Azure subscription",
        pattern: r"(?i)(?:/subscriptions/|subscription[_ -]?id[\x22']?[ \t]*[:=][ \t]*[\x22']?)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        groups: &[(1, Subscription)],
        check: None,
    },
    Rule {
        name: "Azure resource group",
        pattern: r"(?i)/resourceGroups/([A-Za-z0-9._()-]+)",
        groups: &[(1, ResourceGroup)],
        check: None,
    },
    Rule {
        name: "AWS ARN",
        pattern: r"\barn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12})?:([A-Za-z0-9_+=,.@:/-]+)",
        groups: &[(1, Account), (2, Resource)],
        check: None,
    },
    Rule {
        name: "AWS account id",
        pattern: r#"(?i)(?:\b(?:aws[_ -]?)?(?:account|owner)(?:[_ -]?id)?["']?[ \t]*[:=]?[ \t]*["']?([0-9]{12})\b|\b([0-9]{12})\.dkr\.ecr\.)"#,
        groups: &[(1, Account), (2, Account)],
        check: None,
    },
    Rule {
        name: "account-id-like number",
        pattern: r"\b[0-9]{12}\b",
        groups: &[(0, Account)],
        check: Some(checks::bare_account_id),
    },
    Rule {
        name: "GCP project",
        pattern: r#"(?:\bprojects/|(?i:\bproject[_-]?id)["']?[ \t]*[:=][ \t]*["']?|\b(?:gcr\.io|pkg\.dev)/)([a-z][a-z0-9-]{4,28}[a-z0-9])\b"#,
        groups: &[(1, Project)],
        check: Some(checks::not_vocabulary),
    },
    Rule {
        name: "GCP project in prose",
        pattern: r#"(?i:\bproject)[ \t]+["'`]?([a-z][a-z0-9-]{4,28}[a-z0-9])\b"#,
        groups: &[(1, Project)],
        check: Some(checks::project_in_prose),
    },
    Rule {
        name: "digest",
        pattern: r"\b(sha(?:1|256|384|512):[0-9a-f]{32,128})\b",
        groups: &[(1, Digest)],
        check: None,
    },
    Rule {
        name: "container id",
        pattern: r"\b(?:containerd|docker|cri-o)://([0-9a-f]{12,64})\b",
        groups: &[(1, Id)],
        check: None,
    },
    Rule {
        name: "cloud resource id",
        pattern: r"\b(?:i|vol|sg|subnet|vpc|eni|ami|snap|igw|nat|rtb|acl|lt|eipalloc|fs|fsap)-(?:[0-9a-f]{17}|[0-9a-f]{8})\b",
        groups: &[(0, Id)],
        check: None,
    },
    Rule {
        name: "uid",
        pattern: r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
        groups: &[(0, Uid)],
        check: None,
    },
    Rule {
        name: "email",
        pattern: r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        groups: &[(0, Email)],
        check: None,
    },
    Rule {
        name: "Service DNS name",
        pattern: r"\b([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.svc(?:\.cluster\.local)?\b",
        groups: &[(1, Service), (2, Namespace)],
        check: Some(checks::not_vocabulary),
    },
    Rule {
        name: "quoted object name",
        pattern: r#"(?i)\b(pods?|deployments?|replicasets?|statefulsets?|daemonsets?|jobs?|cronjobs?|services?|configmaps?|secrets?|persistentvolumeclaims?|pvc|serviceaccounts?|volumes?|ingress(?:es)?|namespaces?|nodes?|containers?)[ \t]+\\*["'`]((?-i:[a-z0-9](?:[a-z0-9._-]{0,251}[a-z0-9])?))\\*["'`]"#,
        groups: &[(2, Name)],
        check: Some(checks::quoted_object_name),
    },
    Rule {
        name: "image on a public registry",
        pattern: r"\b(?:ghcr\.io|quay\.io|docker\.io|gcr\.io|registry\.gitlab\.com|nvcr\.io|public\.ecr\.aws|mcr\.microsoft\.com)/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?)",
        groups: &[(1, Image)],
        check: Some(checks::not_official_image),
    },
    Rule {
        name: "repository on a public host",
        pattern: r"\b(?:github\.com|gitlab\.com|bitbucket\.org)[/:]([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?)",
        groups: &[(1, Repo)],
        check: Some(checks::not_official_image),
    },
    Rule {
        name: "URL host",
        pattern: r#"\b[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^\s/?#@"'<>]*@)?([A-Za-z0-9][A-Za-z0-9._-]*)"#,
        groups: &[(1, Host)],
        check: Some(checks::host_name),
    },
    Rule {
        name: "host in a network error",
        pattern: r"(?i)\b(?:dial (?:tcp|udp)[46]?|lookup|bad address|could not resolve(?: host)?|unknown host|no such host|connect(?:ing)? to|translate host name|resolve host)[:\s]+[\x22'`]?([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])",
        groups: &[(1, Host)],
        check: Some(checks::host_like),
    },
    Rule {
        name: "host and port",
        pattern: r"\b([a-z0-9]+(?:[-_][a-z0-9]+)+):[0-9]{2,5}\b",
        groups: &[(1, Host)],
        check: Some(checks::host_like),
    },
    Rule {
        name: "hostname",
        pattern: r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\b",
        groups: &[(0, Host)],
        check: Some(checks::fqdn),
    },
    Rule {
        name: "IPv4 CIDR",
        pattern: r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(?:3[0-2]|[12]?[0-9])\b",
        groups: &[(0, Cidr)],
        check: Some(checks::ipv4),
    },
    Rule {
        name: "IPv4 address",
        pattern: r"\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b",
        groups: &[(0, Ip)],
        check: Some(checks::ipv4),
    },
    Rule {
        name: "IPv6 address",
        pattern: r"(?i)(?:[0-9a-f]{1,4})?(?::[0-9a-f]{0,4}){2,7}(?:(?:\.[0-9]{1,3}){3})?(?:/[0-9]{1,3})?",
        groups: &[(0, Ip)],
        check: Some(checks::ipv6),
    },
];
