//! Keys: a [`Secret`] never shows its value in `Debug` or `Display`, and a key file must be
//! private to its owner.

use std::{fmt, path::Path};

use super::ConfigError;

/// An API key. Its `Debug` and `Display` print `********`; only [`Secret::expose`] gives the
/// value, at the one place it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The key itself, for the request header.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// Reads a key file: refused when it is not [private](is_private), and when empty.
pub(super) fn read_key_file(profile: &str, path: &Path) -> Result<Secret, ConfigError> {
    let io = |source| ConfigError::KeyFile {
        profile: profile.to_owned(),
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    check_private(profile, path, &metadata)?;
    let text = std::fs::read_to_string(path).map_err(io)?;
    let key = text.trim();
    if key.is_empty() {
        return Err(ConfigError::EmptyKey {
            profile: profile.to_owned(),
            from: path.display().to_string(),
        });
    }
    Ok(Secret::new(key))
}

/// Whether a key file is private: others can neither read nor write it, its group cannot write
/// it, and its group can read it only when that group is one of this process's own (a pod's
/// `fsGroup` turns a Secret mounted `0400` into `0440`, owned by that group).
#[cfg(unix)]
#[must_use]
pub fn is_private(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = metadata.permissions().mode();
    let group = mode & 0o070;
    let others = mode & 0o007;
    others == 0 && (group == 0 || (group == 0o040 && own_group(metadata.gid())))
}

/// Every file is private where there are no permission bits.
#[cfg(not(unix))]
#[must_use]
pub fn is_private(_: &std::fs::Metadata) -> bool {
    true
}

/// Whether `gid` is one of this process's groups (its own or a supplementary one), read from
/// `/proc/self/status`; false where that cannot be read. Group 0 is never "own": root's group
/// is shared by too much.
#[cfg(unix)]
fn own_group(gid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    gid != 0
        && status
            .lines()
            .filter_map(|l| l.strip_prefix("Gid:").or_else(|| l.strip_prefix("Groups:")))
            .flat_map(str::split_whitespace)
            .filter_map(|g| g.parse::<u32>().ok())
            .any(|g| g == gid)
}

#[cfg(unix)]
fn check_private(
    profile: &str,
    path: &Path,
    metadata: &std::fs::Metadata,
) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if !is_private(metadata) {
        return Err(ConfigError::KeyFileOpen {
            profile: profile.to_owned(),
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &str, _: &Path, _: &std::fs::Metadata) -> Result<(), ConfigError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_their_value() {
        let key = Secret::new("sk-live-1234567890");
        assert_eq!(format!("{key}"), "********");
        assert_eq!(format!("{key:?}"), "Secret(********)");
        assert_eq!(key.expose(), "sk-live-1234567890");
    }
}
