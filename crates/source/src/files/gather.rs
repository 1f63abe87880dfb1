//! From paths to texts: files, folders (recursively, in name order), archives and stdin. Each
//! folder or archive is read as one tree whose layout (support bundle, sonobuoy, must-gather,
//! Helm chart, plain manifests) decides what each file is; what is not read is said in one line
//! per tree, not one per file.

use std::{
    fs::File,
    io::{self, Cursor, Read, Seek, SeekFrom},
    path::{Path, PathBuf},
};

use kubewhy_model::{ClusterVersion, LogTarget, VersionFrom, Warning, WarningKind};

use super::{
    InputError,
    archive::{self, Limits},
    infer::{self, Hint},
    layout::{Layout, Role},
    logs::{self, MAX_LOG_BYTES},
};

/// One text to parse, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    /// The path the user gave that led to it: the file itself, its folder, or its archive.
    pub root: String,
    /// The file as the user gave it; for an archive member, the archive.
    pub file: String,
    /// The path inside the archive.
    pub member: Option<String>,
    /// The kind the path suggests, for objects written without one.
    pub hint: Option<Hint>,
    /// The content.
    pub content: String,
}

impl Text {
    /// `file`, or `archive#member`: what errors print before `:line`.
    pub(crate) fn location(&self) -> String {
        location(&self.file, self.member.as_deref())
    }
}

fn location(file: &str, member: Option<&str>) -> String {
    match member {
        Some(member) => format!("{file}#{member}"),
        None => file.to_owned(),
    }
}

/// Everything read from the paths given.
#[derive(Debug, Default)]
pub(crate) struct Gathered {
    /// Texts to parse, in input order.
    pub texts: Vec<Text>,
    /// Pod logs kept as files of their own.
    pub logs: Vec<(LogTarget, String)>,
    /// What could not be read.
    pub errors: Vec<InputError>,
    /// What was left out on purpose.
    pub notes: Vec<Warning>,
    /// The cluster's release, when a file records it.
    pub version: Option<ClusterVersion>,
}

/// Where a tree's file lives.
enum Content {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// One file of a tree, by its `/`-separated path in the tree.
struct Entry {
    rel: String,
    content: Content,
}

/// Reads `path`: `-` for stdin, a folder, an archive or a file.
pub(crate) fn gather(path: &Path, out: &mut Gathered) {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        match io::stdin().read_to_end(&mut bytes) {
            Ok(_) if archive::looks_like_archive(&bytes) => {
                read_archive("<stdin>", Cursor::new(bytes), out);
            }
            Ok(_) => push_text(out, "<stdin>", "<stdin>", None, None, bytes),
            Err(e) => out.errors.push(io_error(Path::new("<stdin>"), &e)),
        }
    } else if path.is_dir() {
        read_folder(path, out);
    } else {
        read_file(path, out);
    }
}

/// A file named on the command line: read whatever its name, unless it is an archive.
fn read_file(path: &Path, out: &mut Gathered) {
    let display = path.display().to_string();
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return out.errors.push(io_error(path, &e)),
    };
    let mut head = Vec::new();
    if let Err(e) = (&mut file).take(512).read_to_end(&mut head) {
        return out.errors.push(io_error(path, &e));
    }
    if archive::looks_like_archive(&head) {
        return read_archive(&display, Cursor::new(head).chain(file), out);
    }
    let mut bytes = head;
    match file.read_to_end(&mut bytes) {
        Ok(_) => push_text(
            out,
            &display,
            &display,
            None,
            infer::by_path(&display),
            bytes,
        ),
        Err(e) => out.errors.push(io_error(path, &e)),
    }
}

fn read_archive(display: &str, reader: impl Read + 'static, out: &mut Gathered) {
    let keep = |name: &str| {
        let lower = name.to_ascii_lowercase();
        !hidden(name)
            && [".json", ".yaml", ".yml", ".log", ".txt"]
                .iter()
                .any(|ext| lower.ends_with(ext))
    };
    let archive = archive::read(display, reader, keep, Limits::DEFAULT);
    out.errors.extend(archive.errors);
    let layout = Layout::detect(archive.names.iter().map(String::as_str));
    let mut kept = archive.members.into_iter().peekable();
    let mut entries = Vec::new();
    for name in archive.names.into_iter().filter(|n| !hidden(n)) {
        let content = match kept.peek() {
            Some((member, _)) if *member == name => kept.next().map(|(_, bytes)| bytes),
            _ => None,
        };
        let content = Content::Bytes(content.unwrap_or_default());
        entries.push(Entry { rel: name, content });
    }
    read_tree(display, true, &layout, entries, out);
}

/// A segment starting with a dot: `.git`, macOS's `._pods.json` and `.DS_Store`.
fn hidden(path: &str) -> bool {
    path.split('/')
        .any(|s| s.starts_with('.') && s != "." && s != "..")
}

fn read_folder(root: &Path, out: &mut Gathered) {
    let mut files = Vec::new();
    walk(root, "", &mut files, out);
    let layout = Layout::detect(files.iter().map(|(rel, _)| rel.as_str()));
    let mut entries = Vec::new();
    for (rel, path) in files {
        if archive::is_archive_name(&rel) && layout.role(&rel) == Role::Ignored {
            // A bundle dropped into a folder of other inputs.
            read_file(&path, out);
        } else {
            entries.push(Entry {
                rel,
                content: Content::Path(path),
            });
        }
    }
    read_tree(&root.display().to_string(), false, &layout, entries, out);
}

/// Every file under `dir`, in name order, skipping hidden ones.
fn walk(dir: &Path, rel: &str, files: &mut Vec<(String, PathBuf)>, out: &mut Gathered) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return out.errors.push(io_error(dir, &e)),
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        let Some(name) = child.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let child_rel = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if child.is_dir() {
            walk(&child, &child_rel, files, out);
        } else {
            files.push((child_rel, child));
        }
    }
}

/// What a tree left out, for its summary lines.
#[derive(Default)]
struct Skipped {
    companions: Vec<String>,
    charts: Vec<String>,
}

/// Reads the entries of one folder or archive by their role.
fn read_tree(root: &str, archive: bool, layout: &Layout, entries: Vec<Entry>, out: &mut Gathered) {
    let mut skipped = Skipped::default();
    for entry in entries {
        let (file, member) = if archive {
            (root.to_owned(), Some(entry.rel.clone()))
        } else {
            (join(root, &entry.rel), None)
        };
        let role = layout.role(&entry.rel);
        match role {
            Role::Ignored => continue,
            Role::Companion => {
                skipped.companions.push(entry.rel);
                continue;
            }
            Role::Chart(dir) => {
                if !skipped.charts.contains(&dir) {
                    skipped.charts.push(dir);
                }
                continue;
            }
            Role::Objects(_) | Role::Log(_) | Role::Version => {}
        }
        if let Content::Path(path) = &entry.content
            && read_log(&role, (root, &file), &entry.rel, path, out)
        {
            continue;
        }
        let bytes = match entry.content {
            Content::Bytes(bytes) => bytes,
            Content::Path(path) => match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    out.errors.push(io_error(&path, &e));
                    continue;
                }
            },
        };
        match role {
            Role::Objects(hint) => push_text(out, root, &file, member, hint, bytes),
            Role::Log(target) => out.logs.push((target, log_tail(&bytes))),
            Role::Version => read_version(out, &location(&file, member.as_deref()), &bytes),
            Role::Companion | Role::Ignored | Role::Chart(_) => {}
        }
    }
    summarize(root, archive, skipped, out);
}

fn join(root: &str, rel: &str) -> String {
    Path::new(root).join(rel).display().to_string()
}

fn summarize(root: &str, archive: bool, skipped: Skipped, out: &mut Gathered) {
    for chart in skipped.charts {
        let at = match (archive, chart.is_empty()) {
            (_, true) => root.to_owned(),
            (true, false) => format!("{root}#{chart}"),
            (false, false) => join(root, &chart),
        };
        out.notes.push(Warning::new(
            WarningKind::Info,
            format!(
                "{at}: skipped a Helm chart (it has a Chart.yaml): its templates are not manifests; render them with `helm template` and pass the output with -f"
            ),
        ));
    }
    let count = skipped.companions.len();
    if count > 0 {
        let examples: Vec<&str> = skipped
            .companions
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        let more = if count > examples.len() {
            format!(" and {} more", count - examples.len())
        } else {
            String::new()
        };
        let noun = if count == 1 { "file" } else { "files" };
        out.notes.push(Warning::new(
            WarningKind::Info,
            format!(
                "{root}: skipped {count} {noun} that are not Kubernetes objects (collector output and metadata: {}{more})",
                examples.join(", ")
            ),
        ));
    }
}

fn push_text(
    out: &mut Gathered,
    root: &str,
    file: &str,
    member: Option<String>,
    hint: Option<Hint>,
    bytes: Vec<u8>,
) {
    match String::from_utf8(bytes) {
        Ok(text) => out.texts.push(Text {
            root: root.to_owned(),
            file: file.to_owned(),
            member,
            hint,
            content: text,
        }),
        Err(_) => out.errors.push(InputError {
            location: location(file, member.as_deref()),
            message: "not UTF-8 text; expected YAML, JSON or a pod log".into(),
        }),
    }
}

/// Reads a log file without ever holding it whole: a pod's own log from its end, a
/// `cluster-info dump`'s `logs.txt` a line at a time. Returns whether `path` was one.
fn read_log(
    role: &Role,
    (root, file): (&str, &str),
    rel: &str,
    path: &Path,
    out: &mut Gathered,
) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match role {
        Role::Log(target) => match read_log_file(path) {
            Ok((log, size)) => {
                out.notes
                    .extend((size > MAX_LOG_BYTES as u64).then(|| logs::cut_note(file, size)));
                out.logs.push((target.clone(), log));
            }
            Err(e) => out.errors.push(io_error(path, &e)),
        },
        Role::Objects(hint) if logs::is_log_file(name) => {
            let read = File::open(path)
                .and_then(|f| logs::extract_from(io::BufReader::new(f), name.contains("previous")));
            match read {
                Ok(extracted) => {
                    let notes = extracted.cut.iter().map(|&size| logs::cut_note(file, size));
                    out.notes.extend(notes);
                    out.logs.extend(extracted.logs);
                    if !extracted.rest.trim().is_empty() {
                        out.texts.push(Text {
                            root: root.to_owned(),
                            file: file.to_owned(),
                            member: None,
                            hint: *hint,
                            content: extracted.rest,
                        });
                    }
                }
                Err(e) => out.errors.push(io_error(path, &e)),
            }
        }
        _ => return false,
    }
    true
}

/// The end of a log file, read from its last [`MAX_LOG_BYTES`] whatever its size (a log of
/// one 1 GiB line costs what a small one does), and the file's size.
fn read_log_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let start = size.saturating_sub(MAX_LOG_BYTES as u64);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(MAX_LOG_BYTES.min(usize::try_from(size).unwrap_or(0)));
    file.take(MAX_LOG_BYTES as u64).read_to_end(&mut bytes)?;
    Ok((from_line_start(&bytes, start > 0), size))
}

/// The end of a log, cut at a line boundary.
fn log_tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(MAX_LOG_BYTES);
    from_line_start(&bytes[start..], start > 0)
}

/// `tail` as text, from its first whole line when it was cut from a longer log; a tail that is
/// all one line is kept as it is.
fn from_line_start(tail: &[u8], cut: bool) -> String {
    let tail = if cut {
        tail.iter()
            .position(|&b| b == b'\n')
            .map_or(tail, |i| &tail[i + 1..])
    } else {
        tail
    };
    String::from_utf8_lossy(tail).into_owned()
}

/// A `/version` answer as bundles save it: troubleshoot's `{"info": {...}, "string": "v1.25.3"}`
/// or sonobuoy's bare `{"major", "minor", "gitVersion"}`.
fn read_version(out: &mut Gathered, location: &str, bytes: &[u8]) {
    let value: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let field = |pointer: &str| value.as_ref()?.pointer(pointer)?.as_str();
    let parsed = ["/info/gitVersion", "/gitVersion", "/string"]
        .iter()
        .find_map(|p| field(p)?.parse().ok())
        .or_else(|| {
            ["/info", ""].iter().find_map(|base| {
                let major = field(&format!("{base}/major"))?;
                let minor = field(&format!("{base}/minor"))?;
                format!("{major}.{minor}").parse().ok()
            })
        });
    match parsed {
        Some(version) => {
            out.version.get_or_insert(ClusterVersion {
                version,
                from: VersionFrom::Input,
                file: Some(location.to_owned()),
            });
        }
        None => out.errors.push(InputError {
            location: location.to_owned(),
            message: "no Kubernetes version in it (expected gitVersion, or major and minor)".into(),
        }),
    }
}

pub(crate) fn io_error(path: &Path, error: &io::Error) -> InputError {
    let message = match error.kind() {
        io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    };
    InputError {
        location: path.display().to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_keep_their_end_from_a_line_start() {
        let mut text = "x".repeat(MAX_LOG_BYTES);
        text.push_str("\nlast line\n");
        let tail = log_tail(text.as_bytes());
        assert!(tail.ends_with("last line\n"));
        assert!(tail.len() < MAX_LOG_BYTES);
        assert_eq!(log_tail(b"short\n"), "short\n");
    }

    #[test]
    fn versions_are_read_as_bundles_record_them() {
        let mut out = Gathered::default();
        read_version(&mut out, "b#cluster-info/cluster_version.json", br#"{"info": {"major": "1", "minor": "25", "gitVersion": "v1.25.3"}, "string": "v1.25.3"}"#);
        let version = out.version.as_ref().unwrap();
        assert_eq!(version.version.to_string(), "1.25");
        assert_eq!(
            version.file.as_deref(),
            Some("b#cluster-info/cluster_version.json")
        );
        let mut out = Gathered::default();
        read_version(
            &mut out,
            "serverversion.json",
            br#"{"major": "1", "minor": "20"}"#,
        );
        assert_eq!(out.version.unwrap().version.to_string(), "1.20");
        let mut out = Gathered::default();
        read_version(&mut out, "v.json", b"[]");
        assert!(out.errors[0].message.contains("no Kubernetes version"));
    }
}
