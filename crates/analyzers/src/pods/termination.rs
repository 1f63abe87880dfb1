//! How a container's last exit reads in a message: its code and reason, what the code commonly
//! means, and the termination message the container left (`lastState.terminated.message`),
//! which is often the whole cause (`exec: "/app/serve": permission denied`).

use std::fmt::Write as _;

use kubewhy_source::k8s::core::v1::{ContainerStateTerminated, PodSpec};

use crate::k8s::exit_meaning;

/// At most this many characters of a termination message are quoted.
const MAX_MESSAGE_CHARS: usize = 300;

/// `exit code 1 (Error): the application exited with an error; its log says which; its
/// termination message: ...`.
pub(super) fn describe_exit(terminated: &ContainerStateTerminated, restart_always: bool) -> String {
    let reason = terminated.reason.as_deref();
    let mut out = format!("exit code {}", terminated.exit_code);
    if let Some(reason) = reason {
        let _ = write!(out, " ({reason})");
    }
    if let Some(meaning) = exit_meaning(terminated.exit_code, reason, restart_always) {
        out.push_str(": ");
        out.push_str(meaning);
    }
    if let Some(message) = termination_message(terminated) {
        let _ = write!(out, "; its termination message: {message}");
    }
    out
}

/// The termination message on one line, bounded. A message of several lines (the log tail that
/// `terminationMessagePolicy: FallbackToLogsOnError` copies in) is quoted by its last line,
/// where the error usually is.
pub(super) fn termination_message(terminated: &ContainerStateTerminated) -> Option<String> {
    let message = terminated.message.as_deref()?;
    let line = message.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    if line.chars().count() <= MAX_MESSAGE_CHARS {
        return Some(line.to_owned());
    }
    let cut: String = line.chars().take(MAX_MESSAGE_CHARS).collect();
    Some(format!("{cut}…"))
}

/// Whether a container that exits is started again whatever its exit code: a regular
/// container of a pod with `restartPolicy: Always` (the default), or a native sidecar.
pub(super) fn restarts_always(spec: Option<&PodSpec>, container: &str, init: bool) -> bool {
    if init {
        let sidecar = spec
            .and_then(|s| s.init_containers.as_ref())
            .and_then(|list| list.iter().find(|c| c.name == container))
            .is_some_and(|c| c.restart_policy.as_deref() == Some("Always"));
        return sidecar;
    }
    spec.and_then(|s| s.restart_policy.as_deref())
        .is_none_or(|p| p == "Always")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminated(code: i32, reason: &str, message: Option<&str>) -> ContainerStateTerminated {
        ContainerStateTerminated {
            exit_code: code,
            reason: Some(reason.to_owned()),
            message: message.map(str::to_owned),
            ..ContainerStateTerminated::default()
        }
    }

    #[test]
    fn exits_quote_the_termination_message_and_explain_the_code() {
        let start = terminated(
            128,
            "StartError",
            Some("exec: \"/app/serve\": permission denied"),
        );
        assert_eq!(
            describe_exit(&start, true),
            "exit code 128 (StartError): the container could not start: the runtime failed to run its command (a missing executable, a bad working directory or mount); its termination message: exec: \"/app/serve\": permission denied"
        );
        let done = terminated(0, "Completed", None);
        assert!(describe_exit(&done, true).contains("not a crash"));
        let logs = terminated(
            1,
            "Error",
            Some("starting\nloading config\npanic: no DATABASE_URL\n\n"),
        );
        assert_eq!(
            termination_message(&logs).as_deref(),
            Some("panic: no DATABASE_URL")
        );
        let long = terminated(1, "Error", Some(&"x".repeat(400)));
        assert_eq!(
            termination_message(&long).map(|m| m.chars().count()),
            Some(301)
        );
    }
}
