//! Keys and tokens: from an environment variable, or from the file its `_FILE` variant names.
//! A key file that others can read, or its group can write, is refused; one its group can read
//! is refused too unless that group is kubewhy's own (a Kubernetes Secret mounted with
//! `defaultMode: 0400` in a pod with an `fsGroup` is 0440, owned by that group). A [`Secret`]
//! never prints: its `Debug` and `Display` hide the value (it is the LLM keys' type).

use std::path::PathBuf;

pub use kubewhy_llm::Secret;

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file named by `<NAME>_FILE` could not be read.
    #[error("{variable}: cannot read {path}: {source}")]
    Unreadable {
        /// The variable naming the file.
        variable: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is readable by others, or by a group that is not kubewhy's.
    #[error(
        "{variable}: refusing {path}: others can read it, or a group other than kubewhy's can (mode {mode:o}); run `chmod 600` on it, or mount the Secret with defaultMode 0400"
    )]
    TooOpen {
        /// The variable naming the file.
        variable: String,
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The value is empty.
    #[error("{0} is set but empty")]
    Empty(String),
}

/// The secret `name` from the environment (`env` looks a variable up): the variable itself, or
/// the file `<name>_FILE` names. `None` when neither is set.
pub fn read(
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, SecretError> {
    if let Some(value) = env(name) {
        return non_empty(name, value.trim()).map(Some);
    }
    let variable = format!("{name}_FILE");
    let Some(path) = env(&variable).map(PathBuf::from) else {
        return Ok(None);
    };
    let unreadable = |source| SecretError::Unreadable {
        variable: variable.clone(),
        path: path.clone(),
        source,
    };
    let metadata = std::fs::metadata(&path).map_err(unreadable)?;
    if !kubewhy_llm::is_private(&metadata) {
        return Err(SecretError::TooOpen {
            variable,
            path,
            mode: mode_of(&metadata),
        });
    }
    let value = std::fs::read_to_string(&path).map_err(unreadable)?;
    non_empty(&variable, value.trim()).map(Some)
}

fn non_empty(variable: &str, value: &str) -> Result<Secret, SecretError> {
    if value.is_empty() {
        Err(SecretError::Empty(variable.to_owned()))
    } else {
        Ok(Secret::new(value))
    }
}

#[cfg(unix)]
fn mode_of(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    0o600
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn env_with(pairs: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_key_file_only_its_owner_reads_is_used_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "xoxb-123\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        let env = env_with(vec![(
            "SLACK_BOT_TOKEN_FILE".into(),
            path.display().to_string(),
        )]);
        let secret = read("SLACK_BOT_TOKEN", &env).unwrap().unwrap();
        assert_eq!(secret.expose(), "xoxb-123");
        assert!(!format!("{secret:?}").contains("xoxb"));
    }

    #[test]
    fn a_key_file_others_can_read_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "xoxb-123").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let env = env_with(vec![(
            "SLACK_BOT_TOKEN_FILE".into(),
            path.display().to_string(),
        )]);
        let error = read("SLACK_BOT_TOKEN", &env).unwrap_err().to_string();
        assert!(
            error.contains("mode 640") && error.contains("chmod 600"),
            "{error}"
        );
        assert!(!error.contains("xoxb"));
    }
}
