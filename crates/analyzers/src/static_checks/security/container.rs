//! Checks on each container's security context, ports and environment, init containers
//! included: privileges, root users, writable root file systems, raw sockets, ports that need
//! privileges or expose SSH, seccomp profiles, and secrets in environment variables.

use kubewhy_model::{CheckId, Finding};
use kubewhy_source::k8s::core::v1::{Container, PodSecurityContext, SecurityContext};

use super::windows;
use crate::{
    findings::{Build, finding},
    ids,
    k8s::{describe, secret_literal},
    workload::Workload,
};

/// What every container check needs.
struct Ctx<'a> {
    workload: &'a Workload<'a>,
    container: &'a Container,
    init: bool,
    /// `container "app" of Deployment web`.
    subject: String,
}

impl Ctx<'_> {
    fn sc(&self) -> Option<&SecurityContext> {
        self.container.security_context.as_ref()
    }

    fn pod_sc(&self) -> Option<&PodSecurityContext> {
        self.workload.spec.security_context.as_ref()
    }

    fn finding(&self, check: CheckId, reason: &str, message: String) -> Finding {
        finding(check, &self.workload.object, reason, message)
            .container(&self.container.name, self.init)
    }
}

/// Every container check on every container of `workload`.
/// `seccomp`: whether `container-seccomp-unset`, a policy off by default, is wanted.
pub(super) fn check(workload: &Workload<'_>, seccomp: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (container, init) in workload.containers() {
        let kind = if init { "init container" } else { "container" };
        let subject = format!(
            "{kind} {:?} of {}",
            container.name,
            describe(&workload.object)
        );
        let ctx = Ctx {
            workload,
            container,
            init,
            subject,
        };
        findings.extend(privileges(&ctx));
        if !windows(&workload.spec) {
            findings.extend(linux_only(&ctx));
            findings.extend(net_raw(&ctx));
            findings.extend(run_as_root(&ctx));
            if seccomp {
                findings.extend(seccomp_unset(&ctx));
            }
        }
        findings.extend(ports(&ctx));
        findings.extend(environment(&ctx));
    }
    findings
}

/// Privileged mode and privilege escalation.
fn privileges(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if ctx.sc().and_then(|s| s.privileged) == Some(true) {
        let message = format!(
            "The {} runs privileged (securityContext.privileged: true).",
            ctx.subject
        );
        out.push(ctx.finding(ids::CONTAINER_PRIVILEGED, "Privileged", message));
    }
    out.extend(escalation(ctx));
    out
}

/// A writable root file system and an unmasked /proc: Linux settings, left out for Windows pods.
fn linux_only(ctx: &Ctx<'_>) -> Vec<Finding> {
    let sc = ctx.sc();
    let mut out = Vec::new();
    if sc.and_then(|s| s.read_only_root_filesystem) != Some(true) {
        let message = format!(
            "The {} does not have a read-only root file system (securityContext.readOnlyRootFilesystem is not true).",
            ctx.subject
        );
        out.push(ctx.finding(ids::CONTAINER_ROOT_FS_WRITABLE, "RootFsWritable", message));
    }
    if sc.and_then(|s| s.proc_mount.as_deref()) == Some("Unmasked") {
        let message = format!(
            "The {} exposes /proc unmasked (securityContext.procMount: Unmasked).",
            ctx.subject
        );
        out.push(ctx.finding(ids::CONTAINER_PROC_UNMASKED, "ProcUnmasked", message));
    }
    out
}

/// Privilege escalation allowed explicitly, or implied by CAP_SYS_ADMIN: the kernel lets a
/// process with that capability gain any other, whatever `allowPrivilegeEscalation` says.
fn escalation(ctx: &Ctx<'_>) -> Option<Finding> {
    let sc = ctx.sc()?;
    let added = sc.capabilities.as_ref().and_then(|c| c.add.as_ref());
    let sys_admin = added
        .into_iter()
        .flatten()
        .any(|c| capability(c) == "SYS_ADMIN");
    let (reason, message) = if sc.allow_privilege_escalation == Some(true) {
        let message = format!(
            "The {} sets securityContext.allowPrivilegeEscalation: true.",
            ctx.subject
        );
        ("PrivilegeEscalationAllowed", message)
    } else if sys_admin && sc.privileged != Some(true) {
        let message = format!(
            "The {} adds the SYS_ADMIN capability, which allows privilege escalation.",
            ctx.subject
        );
        ("SysAdminAdded", message)
    } else {
        return None;
    };
    Some(ctx.finding(ids::CONTAINER_PRIVILEGE_ESCALATION, reason, message))
}

/// `CAP_NET_RAW`, `net_raw` and `NET_RAW` name the same capability.
fn capability(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or_else(|| upper.clone(), str::to_owned)
}

/// A container that manages its capabilities but adds NET_RAW or leaves it in place. Containers
/// without a `capabilities` block are left alone: the check is about a capability list that was
/// written and misses NET_RAW.
fn net_raw(ctx: &Ctx<'_>) -> Option<Finding> {
    let caps = ctx.sc()?.capabilities.as_ref()?;
    let has = |list: &Option<Vec<String>>| {
        list.iter()
            .flatten()
            .map(|c| capability(c))
            .any(|c| c == "NET_RAW" || c == "ALL")
    };
    let (reason, message) = if has(&caps.add) {
        let message = format!("The {} adds the NET_RAW capability.", ctx.subject);
        ("NetRawAdded", message)
    } else if has(&caps.drop) {
        return None;
    } else {
        let message = format!("The {} does not drop the NET_RAW capability.", ctx.subject);
        ("NetRawNotDropped", message)
    };
    Some(ctx.finding(ids::CONTAINER_NET_RAW_NOT_DROPPED, reason, message))
}

/// Root group, an explicit root user, or nothing that keeps the container from running as root.
fn run_as_root(ctx: &Ctx<'_>) -> Option<Finding> {
    let (sc, pod) = (ctx.sc(), ctx.pod_sc());
    let user = sc
        .and_then(|s| s.run_as_user)
        .or_else(|| pod.and_then(|p| p.run_as_user));
    let group = sc
        .and_then(|s| s.run_as_group)
        .or_else(|| pod.and_then(|p| p.run_as_group));
    let non_root = sc
        .and_then(|s| s.run_as_non_root)
        .or_else(|| pod.and_then(|p| p.run_as_non_root))
        .unwrap_or(false);
    let (reason, message) = if group == Some(0) {
        (
            "RunAsGroupRoot",
            format!(
                "The {} runs with the root group (runAsGroup: 0).",
                ctx.subject
            ),
        )
    } else if user == Some(0) {
        let consequence = if non_root {
            "; with runAsNonRoot: true it cannot start"
        } else {
            ""
        };
        let message = format!(
            "The {} runs as the root user (runAsUser: 0){consequence}.",
            ctx.subject
        );
        ("RunAsUserRoot", message)
    } else if user.is_some_and(|u| u > 0) || non_root {
        return None;
    } else {
        let message = format!(
            "The {} is not set to runAsNonRoot and sets no non-zero runAsUser, so it runs as the image's user, often root.",
            ctx.subject
        );
        ("RunAsNonRootUnset", message)
    };
    Some(ctx.finding(ids::CONTAINER_RUNS_AS_ROOT, reason, message))
}

/// Annotations that set a seccomp profile before `securityContext.seccompProfile` existed: the
/// pod's, and a container's (the container's name follows the `/`).
const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// No seccomp profile, or `Unconfined`, after merging the container's security context over the
/// pod's (and the legacy annotations under both).
fn seccomp_unset(ctx: &Ctx<'_>) -> Option<Finding> {
    let annotations = ctx.workload.template_meta.annotations.as_ref();
    let annotation = |key: &str| annotations.and_then(|a| a.get(key)).map(String::as_str);
    let container_key = format!("{SECCOMP_CONTAINER_ANNOTATION}{}", ctx.container.name);
    let profile = ctx
        .sc()
        .and_then(|s| s.seccomp_profile.as_ref())
        .map(|p| p.type_.as_str())
        .or_else(|| annotation(&container_key))
        .or_else(|| {
            ctx.pod_sc()
                .and_then(|s| s.seccomp_profile.as_ref())
                .map(|p| p.type_.as_str())
        })
        .or_else(|| annotation(SECCOMP_POD_ANNOTATION));
    let (reason, message) = match profile {
        None | Some("") => (
            "SeccompUnset",
            format!(
                "The {} sets no seccomp profile, so it runs without syscall filtering unless the kubelet defaults to RuntimeDefault.",
                ctx.subject
            ),
        ),
        Some(p) if p.eq_ignore_ascii_case("unconfined") => (
            "SeccompUnconfined",
            format!(
                "The {} runs with the Unconfined seccomp profile.",
                ctx.subject
            ),
        ),
        Some(_) => return None,
    };
    Some(ctx.finding(ids::CONTAINER_SECCOMP_UNSET, reason, message))
}

/// Container ports below 1024, and the SSH port.
fn ports(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for port in ctx.container.ports.iter().flatten() {
        let number = port.container_port;
        if (1..1024).contains(&number) {
            let message = format!("The {} maps privileged port {number}.", ctx.subject);
            out.push(ctx.finding(ids::CONTAINER_PRIVILEGED_PORT, "PrivilegedPort", message));
        }
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        if number == 22 && protocol == "TCP" {
            let message = format!("The {} exposes port 22/TCP, the SSH port.", ctx.subject);
            out.push(ctx.finding(ids::CONTAINER_SSH_PORT, "SshPort", message));
        }
    }
    out
}

/// Literal values in variables named like secrets, and values read from Secrets.
fn environment(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for var in ctx.container.env.iter().flatten() {
        if var
            .value
            .as_deref()
            .is_some_and(|v| secret_literal(&var.name, v))
        {
            let message = format!(
                "The {} sets environment variable {} to a literal value in the manifest.",
                ctx.subject, var.name
            );
            out.push(ctx.finding(ids::CONTAINER_SECRET_IN_ENV_VALUE, "SecretLiteral", message));
        }
        let secret = var
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref());
        if let Some(secret) = secret {
            let message = format!(
                "The {} reads environment variable {:?} from key {:?} of Secret {}.",
                ctx.subject, var.name, secret.key, secret.name
            );
            out.push(ctx.finding(ids::CONTAINER_SECRET_IN_ENV_REF, "SecretKeyRef", message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::capability;

    #[test]
    fn capability_names_ignore_case_and_prefix() {
        assert_eq!(capability("cap_net_raw"), "NET_RAW");
        assert_eq!(capability("NET_RAW"), "NET_RAW");
        assert_eq!(capability("all"), "ALL");
    }
}
