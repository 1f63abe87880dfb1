//! Where an object was read from, as URIs for SARIF `artifactLocation`s: a file relative to the
//! working directory when it is under it (code scanning resolves those against the checkout),
//! `file://` otherwise; a member of an archive as its path inside the archive.

use std::path::{Component, Path, PathBuf};

/// What `Origin::file` holds for objects read from standard input.
const STDIN: &str = "<stdin>";

/// The URI of a file as the user named it, or `None` for standard input, which is no file.
pub(super) fn file_uri(file: &str, base: Option<&Path>) -> Option<String> {
    if file == STDIN || file.is_empty() {
        return None;
    }
    let path = Path::new(file);
    let uri = if path.is_absolute() {
        match base
            .and_then(|base| path.strip_prefix(base).ok())
            .filter(|relative| !relative.as_os_str().is_empty())
        {
            Some(relative) => escape(&relative.to_string_lossy()),
            None => format!("file://{}", escape(file)),
        }
    } else {
        let relative: PathBuf = path
            .components()
            .skip_while(|c| matches!(c, Component::CurDir))
            .collect();
        escape(&relative.to_string_lossy())
    };
    Some(uri)
}

/// The URI of a member of an archive, relative to the archive.
pub(super) fn member_uri(member: &str) -> String {
    escape(member.trim_start_matches('/'))
}

/// Percent-encodes everything but unreserved characters and `/`: spaces, `#`, `%`, `:` (which
/// would read as a scheme) and non-ASCII names all survive the trip.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_as_given() {
        let uri = |file| file_uri(file, None).unwrap();
        assert_eq!(uri("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(uri("./deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(uri("../other/app.yaml"), "../other/app.yaml");
    }

    #[test]
    fn absolute_paths_are_made_relative_to_the_base_or_file_uris() {
        let base = Path::new("/home/me/repo");
        let uri = |file| file_uri(file, Some(base)).unwrap();
        assert_eq!(uri("/home/me/repo/deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(
            uri("/srv/manifests/app.yaml"),
            "file:///srv/manifests/app.yaml"
        );
        assert_eq!(uri("/home/me/repo"), "file:///home/me/repo");
    }

    #[test]
    fn odd_characters_are_escaped() {
        let uri = |file| file_uri(file, None).unwrap();
        assert_eq!(
            uri("dumps/support bundle#2.tar.gz"),
            "dumps/support%20bundle%232.tar.gz"
        );
        assert_eq!(uri("c:app.yaml"), "c%3Aapp.yaml");
        assert_eq!(uri("données.yaml"), "donn%C3%A9es.yaml");
        assert_eq!(member_uri("/pods/shop 1.json"), "pods/shop%201.json");
    }

    #[test]
    fn standard_input_has_no_uri() {
        assert_eq!(file_uri("<stdin>", None), None);
    }
}
