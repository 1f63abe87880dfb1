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

/// Reads a key file: refused when its group or others may read or write it, and when empty.
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

#[cfg(unix)]
fn check_private(
    profile: &str,
    path: &Path,
    metadata: &std::fs::Metadata,
) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
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
