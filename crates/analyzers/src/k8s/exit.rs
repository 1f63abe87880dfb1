//! What a container's exit code says, in the words an SRE would use. Codes above 128 are
//! 128 plus the number of the signal that killed the process.

/// What exit code `code` (with the termination `reason` the kubelet gave) means, for a
/// container that its pod restarts always (`restart_always`). `None` for codes with no common
/// meaning: the application chose them, and its log says why.
pub(crate) fn exit_meaning(
    code: i32,
    reason: Option<&str>,
    restart_always: bool,
) -> Option<&'static str> {
    Some(match (code, reason) {
        (0, _) if restart_always => {
            "the process exited successfully and restartPolicy Always restarts it: not a crash, but a process that should keep running exits (a one-shot command, or a server that forks into the background)"
        }
        (0, _) => "the process exited successfully",
        (_, Some("OOMKilled")) => "killed by the kernel for exceeding its memory limit (OOMKilled)",
        (1, _) => "the application exited with an error (its log says why)",
        (2, _) => {
            "the application or its shell rejected its arguments or configuration (misuse of a command)"
        }
        (126, _) => {
            "the command was found but could not be run (permission denied or not executable)"
        }
        (127, _) => {
            "command not found: the entrypoint, or a command it runs, does not exist in the image or on its PATH"
        }
        (128, _) => {
            "the container could not start: the runtime failed to run its command (a missing executable, a bad working directory or mount)"
        }
        (134, _) => {
            "the process aborted (SIGABRT), usually on a failed assertion or a fatal runtime error"
        }
        (137, _) => {
            "killed with SIGKILL: by the kernel's OOM killer, or by the kubelet after a failed liveness probe or an expired grace period"
        }
        (139, _) => "the process crashed with a segmentation fault (SIGSEGV)",
        (143, _) => {
            "terminated with SIGTERM, usually by the kubelet: a failed liveness probe, an eviction or a rollout; a process that exits 143 on SIGTERM did not shut down cleanly"
        }
        (255, Some("Unknown")) => {
            "the container was still running when its node or container runtime went away; the kubelet records exit code 255 with reason Unknown for it"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::exit_meaning;

    #[test]
    fn common_exit_codes_are_explained() {
        assert!(
            exit_meaning(127, Some("Error"), true)
                .unwrap()
                .starts_with("command not found")
        );
        assert!(
            exit_meaning(137, Some("Error"), true)
                .unwrap()
                .contains("liveness")
        );
        assert!(
            exit_meaning(137, Some("OOMKilled"), true)
                .unwrap()
                .contains("OOMKilled")
        );
        assert!(
            exit_meaning(128, Some("StartError"), true)
                .unwrap()
                .contains("could not start")
        );
        assert!(
            exit_meaning(0, Some("Completed"), true)
                .unwrap()
                .contains("not a crash")
        );
        assert!(
            !exit_meaning(0, Some("Completed"), false)
                .unwrap()
                .contains("crash")
        );
        assert!(exit_meaning(139, None, true).unwrap().contains("SIGSEGV"));
        assert!(exit_meaning(143, None, true).unwrap().contains("SIGTERM"));
        assert_eq!(exit_meaning(3, None, true), None);
    }
}
