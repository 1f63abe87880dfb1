//! Archives as SREs receive them: `.tar.gz`/`.tgz` support bundles, sonobuoy results and
//! must-gathers, plain `.tar`, and single `.gz` files. Nothing is extracted to disk: members are
//! read in memory, within bounds on what the archive may expand to, and members whose path
//! would leave the archive (`../`, absolute paths) are refused.

use std::{
    fmt,
    io::{self, Cursor, Read},
    path::{Component, Path},
};

use flate2::read::MultiGzDecoder;

use super::InputError;

/// How much an archive may expand to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Bytes decompressed in all, read or skipped.
    pub total: u64,
    /// Bytes of one member that is read.
    pub member: u64,
}

impl Limits {
    /// Far above any real bundle, far below what would exhaust a laptop.
    pub(crate) const DEFAULT: Self = Self {
        total: 4 << 30,
        member: 512 << 20,
    };
}

/// What one archive held.
#[derive(Debug, Default)]
pub(crate) struct Archive {
    /// Every regular member's path, in archive order.
    pub names: Vec<String>,
    /// The members that `keep` wanted, with their bytes.
    pub members: Vec<(String, Vec<u8>)>,
    /// What could not be read.
    pub errors: Vec<InputError>,
}

/// Names that say "archive".
pub(crate) fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".tar.gz", ".tgz", ".tar", ".gz"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Whether bytes start like a gzip stream or a tar archive.
pub(crate) fn looks_like_archive(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || is_tar(head)
}

/// POSIX and GNU tar headers both carry `ustar` at offset 257.
fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// A reader that fails once more than `left` bytes came through it.
struct Bounded<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let cap = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        if n as u64 > self.left {
            self.exceeded = true;
            return Err(io::Error::other("the archive expands past kubewhy's limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Sizes in words: `4 GiB`, `512 MiB`.
pub(crate) struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= 1 << 30 && n % (1 << 30) == 0 => write!(f, "{} GiB", n >> 30),
            n if n >= 1 << 20 => write!(f, "{} MiB", n >> 20),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Reads an archive named `display` (the path as the user gave it), keeping the members whose
/// path `keep` accepts. Errors name `display#member`.
pub(crate) fn read(
    display: &str,
    reader: impl Read + 'static,
    keep: impl Fn(&str) -> bool,
    limits: Limits,
) -> Archive {
    let mut archive = Archive::default();
    let error = |message: String| InputError {
        location: display.to_owned(),
        message,
    };
    let mut raw = reader;
    let mut head = Vec::new();
    if let Err(e) = (&mut raw).take(512).read_to_end(&mut head) {
        archive.errors.push(error(format!("cannot read: {e}")));
        return archive;
    }
    let gzipped = head.starts_with(&[0x1f, 0x8b]);
    let stream: Box<dyn Read> = if gzipped {
        Box::new(MultiGzDecoder::new(Cursor::new(head).chain(raw)))
    } else {
        Box::new(Cursor::new(head).chain(raw))
    };
    let mut bounded = Bounded {
        inner: stream,
        left: limits.total,
        exceeded: false,
    };
    let mut inner_head = Vec::new();
    if let Err(e) = (&mut bounded).take(512).read_to_end(&mut inner_head) {
        archive.errors.push(error(describe_read_error(&e, gzipped)));
        return archive;
    }
    if is_tar(&inner_head) {
        let rest = Cursor::new(inner_head).chain(bounded);
        read_tar(display, rest, &keep, limits, &mut archive);
    } else if gzipped {
        // A single compressed file: `pods.json.gz` holds `pods.json`.
        let name = Path::new(display)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(display);
        let name = name.strip_suffix(".gz").unwrap_or(name).to_owned();
        let mut bytes = inner_head;
        let mut rest = bounded;
        match rest.read_to_end(&mut bytes) {
            Ok(_) => {
                archive.names.push(name.clone());
                if keep(&name) {
                    archive.members.push((name, bytes));
                }
            }
            Err(_) if rest.exceeded => archive.errors.push(error(too_large(limits))),
            Err(e) => archive.errors.push(error(describe_read_error(&e, true))),
        }
    } else {
        archive
            .errors
            .push(error("not a tar or gzip archive".to_owned()));
    }
    archive
}

fn describe_read_error(e: &io::Error, gzipped: bool) -> String {
    if gzipped {
        format!("not a valid gzip stream ({e}); is the download complete?")
    } else {
        format!("cannot read: {e}")
    }
}

fn too_large(limits: Limits) -> String {
    format!(
        "expands to more than {}; the rest was not read (extract the parts you need and pass them with -f)",
        Size(limits.total)
    )
}

/// The member's path inside the archive, `/`-separated; `None` when it would leave the archive
/// or is not UTF-8.
fn member_path(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

type Stream = io::Chain<Cursor<Vec<u8>>, Bounded<Box<dyn Read>>>;

fn read_tar(
    display: &str,
    reader: Stream,
    keep: &dyn Fn(&str) -> bool,
    limits: Limits,
    archive: &mut Archive,
) {
    let mut tar = tar::Archive::new(reader);
    let stopped = read_entries(display, &mut tar, keep, limits, archive);
    let (_, bounded) = tar.into_inner().into_inner();
    if let Some((location, e)) = stopped {
        // Past the limit, or a corrupt stream: nothing after this point can be trusted.
        let message = if bounded.exceeded {
            too_large(limits)
        } else if location == display {
            format!(
                "the archive is damaged after its first {} files ({e}); is the download complete?",
                archive.names.len()
            )
        } else {
            format!("cannot read the member: {e}")
        };
        archive.errors.push(InputError { location, message });
    }
}

/// Reads the entries until the end, or until the stream fails: then returns where and why.
fn read_entries(
    display: &str,
    tar: &mut tar::Archive<Stream>,
    keep: &dyn Fn(&str) -> bool,
    limits: Limits,
    archive: &mut Archive,
) -> Option<(String, io::Error)> {
    let entries = match tar.entries() {
        Ok(entries) => entries,
        Err(e) => return Some((display.to_owned(), e)),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => return Some((display.to_owned(), e)),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw_path = entry.path().map(std::borrow::Cow::into_owned);
        let Some(path) = raw_path.as_deref().ok().and_then(member_path) else {
            let shown = raw_path.map_or_else(
                |_| "(unreadable name)".to_owned(),
                |p| p.display().to_string(),
            );
            archive.errors.push(InputError {
                location: format!("{display}#{shown}"),
                message: "the member's path leaves the archive (absolute, or through `..`); it was not read"
                    .to_owned(),
            });
            continue;
        };
        archive.names.push(path.clone());
        if !keep(&path) {
            continue;
        }
        let size = entry.size();
        if size > limits.member {
            let message = format!(
                "{}, more than the {} kubewhy reads of one file; it was not read",
                Size(size),
                Size(limits.member)
            );
            archive.errors.push(InputError {
                location: format!("{display}#{path}"),
                message,
            });
            continue;
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        match entry.read_to_end(&mut bytes) {
            Ok(_) => archive.members.push((path, bytes)),
            Err(e) => return Some((format!("{display}#{path}"), e)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn tarball(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Written raw so that a hostile path gets into the archive at all.
            let name = header.as_old_mut();
            name.name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn members_are_read_and_traversal_refused() {
        let tar = tarball(&[
            ("bundle/pods.json", b"[]"),
            ("../../etc/passwd", b"root"),
            ("bundle/image.png", b"\x89PNG"),
        ]);
        let archive = read(
            "b.tar.gz",
            Cursor::new(gzip(&tar)),
            |p| p.rsplit('.').next() == Some("json"),
            Limits::DEFAULT,
        );
        assert_eq!(archive.names, ["bundle/pods.json", "bundle/image.png"]);
        assert_eq!(
            archive.members,
            [("bundle/pods.json".to_owned(), b"[]".to_vec())]
        );
        assert_eq!(archive.errors.len(), 1);
        assert_eq!(archive.errors[0].location, "b.tar.gz#../../etc/passwd");
        assert!(archive.errors[0].message.contains("leaves the archive"));
    }

    #[test]
    fn expansion_is_bounded() {
        let big = vec![b'a'; 64 * 1024];
        let tar = tarball(&[("a.json", &big), ("b.json", &big)]);
        let limits = Limits {
            total: 100 * 1024,
            member: 1 << 20,
        };
        let archive = read("bomb.tgz", Cursor::new(gzip(&tar)), |_| true, limits);
        assert_eq!(archive.members.len(), 1, "{:?}", archive.errors);
        assert!(
            archive.errors[0].message.contains("expands to more than"),
            "{:?}",
            archive.errors
        );
        let small = Limits {
            total: 1 << 30,
            member: 1024,
        };
        let archive = read("big.tgz", Cursor::new(gzip(&tar)), |_| true, small);
        assert!(archive.members.is_empty());
        assert_eq!(archive.errors.len(), 2);
        assert_eq!(archive.errors[0].location, "big.tgz#a.json");
    }

    #[test]
    fn single_gzip_files_and_garbage() {
        let archive = read(
            "pods.json.gz",
            Cursor::new(gzip(b"{}")),
            |_| true,
            Limits::DEFAULT,
        );
        assert_eq!(archive.members, [("pods.json".to_owned(), b"{}".to_vec())]);
        let truncated = &gzip(&tarball(&[("a.json", &[b'x'; 4096])]))[..40];
        let archive = read(
            "cut.tgz",
            Cursor::new(truncated.to_vec()),
            |_| true,
            Limits::DEFAULT,
        );
        assert!(archive.members.is_empty());
        assert!(
            archive.errors[0].message.contains("download complete"),
            "{:?}",
            archive.errors
        );
        assert!(looks_like_archive(&gzip(b"x")));
        assert!(!looks_like_archive(b"apiVersion: v1"));
    }
}
