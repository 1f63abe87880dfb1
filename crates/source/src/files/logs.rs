//! Pod logs in the format of `kubectl cluster-info dump`: blocks between
//! `==== START logs for container C of pod NS/POD ====` and the matching END line.

use std::io::{self, BufRead};

use kubewhy_model::{LogTarget, Warning, WarningKind};

use super::archive::Size;

const START: &str = "==== START logs for container ";
const END: &str = "==== END logs for container ";

/// Log files of a dump folder: `logs.txt`, and `logs-previous.txt` for crashed instances.
pub(crate) fn is_log_file(name: &str) -> bool {
    let path = std::path::Path::new(name);
    name.starts_with("logs")
        && path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("txt"))
}

/// Parses `C of pod NS/POD ====`.
fn parse_marker(rest: &str) -> Option<(String, String, String)> {
    let rest = rest.strip_suffix("====")?.trim_end();
    let (container, pod) = rest.split_once(" of pod ")?;
    let (namespace, pod) = pod.split_once('/')?;
    Some((namespace.to_owned(), pod.to_owned(), container.to_owned()))
}

/// The most kept of one log: its end, which is what explains a failure.
pub(crate) const MAX_LOG_BYTES: usize = 256 * 1024;
/// The most kept of one line of a log block: a longer line (a runaway logger's 1 GiB line)
/// keeps its start, and is never held whole.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// What the user is told of a log that was cut to its end.
pub(crate) fn cut_note(location: &str, size: u64) -> Warning {
    Warning::new(
        WarningKind::Info,
        format!(
            "{location}: a log of {}; only its last {} were read",
            Size(size),
            Size(MAX_LOG_BYTES as u64)
        ),
    )
}

/// What [`extract`] took out of a text.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    /// The text with every log line blanked, so that line numbers in it stay right.
    pub rest: String,
    /// Each block's log, cut to its last [`MAX_LOG_BYTES`].
    pub logs: Vec<(LogTarget, String)>,
    /// The size, in bytes as written, of each block that was cut.
    pub cut: Vec<u64>,
}

/// Takes the log blocks out of `text`.
pub(crate) fn extract(text: &str, previous: bool) -> Extracted {
    // Reading from memory cannot fail.
    extract_from(text.as_bytes(), previous).unwrap_or_default()
}

/// Takes the log blocks out of what `reader` gives, a line at a time: a block holds at most
/// its last [`MAX_LOG_BYTES`] and a line of it at most [`MAX_LINE_BYTES`] while it is read,
/// so a log of any size costs the same. Lines outside blocks are kept whole.
pub(crate) fn extract_from(mut reader: impl BufRead, previous: bool) -> io::Result<Extracted> {
    let mut out = Extracted::default();
    let mut open: Option<Block> = None;
    let mut line = Vec::new();
    loop {
        let cap = if open.is_some() {
            MAX_LINE_BYTES
        } else {
            usize::MAX
        };
        let length = read_line(&mut reader, &mut line, cap)?;
        if length == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let bare = text.trim_end_matches(['\n', '\r']);
        if let Some(marker) = bare.strip_prefix(START).and_then(parse_marker) {
            out.close(open.take());
            let (namespace, pod, container) = marker;
            open = Some(Block::new(LogTarget {
                namespace,
                pod,
                container,
                previous,
            }));
        } else if bare.starts_with(END) {
            out.close(open.take());
        } else if let Some(block) = open.as_mut() {
            block.push(bare, length);
        } else {
            out.rest.push_str(&text);
            continue;
        }
        out.rest.push('\n');
    }
    out.close(open);
    Ok(out)
}

/// One log block as it is read.
struct Block {
    target: LogTarget,
    body: String,
    /// Bytes of the block as written.
    size: u64,
    /// Whether any of it was left out: a line cut short, or its start dropped.
    cut: bool,
}

impl Block {
    fn new(target: LogTarget) -> Self {
        Self {
            target,
            body: String::new(),
            size: 0,
            cut: false,
        }
    }

    /// Adds a line of `length` bytes as written, of which `bare` was kept.
    fn push(&mut self, bare: &str, length: usize) {
        self.size += length as u64;
        self.cut |= length > MAX_LINE_BYTES;
        self.body.push_str(bare);
        self.body.push('\n');
        if self.body.len() > 2 * MAX_LOG_BYTES {
            self.keep_end();
        }
    }

    /// Drops all but the last [`MAX_LOG_BYTES`], from a line start.
    fn keep_end(&mut self) {
        let Some(over) = self
            .body
            .len()
            .checked_sub(MAX_LOG_BYTES)
            .filter(|&n| n > 0)
        else {
            return;
        };
        let start = self.body.as_bytes()[over..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(over, |i| over + i + 1);
        // `over` may fall inside a character; a line start never does.
        let start = (start..=self.body.len())
            .find(|&i| self.body.is_char_boundary(i))
            .unwrap_or(self.body.len());
        self.body.drain(..start);
        self.cut = true;
    }
}

impl Extracted {
    fn close(&mut self, block: Option<Block>) {
        let Some(mut block) = block else { return };
        block.keep_end();
        if block.cut {
            self.cut.push(block.size);
        }
        self.logs.push((block.target, block.body));
    }
}

/// Reads one line (its `\n` included) into `line`, keeping at most `cap` bytes of it, and
/// returns its whole length; 0 at the end of the input.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
    line.clear();
    let mut length = 0;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(length);
        }
        let (used, ended) = match memchr::memchr(b'\n', buffer) {
            Some(i) => (i + 1, true),
            None => (buffer.len(), false),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&buffer[..used.min(room)]);
        length += used;
        reader.consume(used);
        if ended {
            return Ok(length);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn log_blocks_are_taken_out_and_line_numbers_kept() {
        let text = "{\"a\": 1}\n==== START logs for container api of pod shop/web-1 ====\nboom\n\
                    ==== END logs for container api of pod shop/web-1 ====\n{\"b\": 2}\n";
        let Extracted { rest, logs, cut } = extract(text, true);
        assert!(cut.is_empty());
        assert_eq!(rest.lines().nth(4), Some("{\"b\": 2}"));
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].0.pod, "web-1");
        assert_eq!(logs[0].0.container, "api");
        assert!(logs[0].0.previous);
        assert_eq!(logs[0].1, "boom\n");
    }

    #[test]
    fn a_huge_block_keeps_its_end_and_a_huge_line_its_start() {
        let mut text = String::from("==== START logs for container api of pod shop/web-1 ====\n");
        text.push_str(&"y".repeat(3 * MAX_LOG_BYTES));
        text.push('\n');
        for i in 0..40_000 {
            let _ = writeln!(text, "line {i}");
        }
        text.push_str("FATAL out of memory\n");
        let size = text
            .lines()
            .skip(1)
            .map(|l| l.len() as u64 + 1)
            .sum::<u64>();
        text.push_str("==== END logs for container api of pod shop/web-1 ====\n{}\n");
        let Extracted { rest, logs, cut } = extract(&text, false);
        let log = &logs[0].1;
        assert!(log.len() <= MAX_LOG_BYTES, "{}", log.len());
        assert!(log.starts_with("line ") && log.ends_with("FATAL out of memory\n"));
        assert_eq!(cut, vec![size]);
        assert_eq!(rest.lines().count(), text.lines().count());
        assert_eq!(rest.lines().last(), Some("{}"));

        let one_line = format!(
            "==== START logs for container api of pod shop/web-1 ====\n{}\n",
            "z".repeat(5 * MAX_LOG_BYTES)
        );
        let Extracted { logs, cut, .. } = extract(&one_line, false);
        assert_eq!(logs[0].1.len(), MAX_LINE_BYTES + 1);
        assert_eq!(cut, vec![(5 * MAX_LOG_BYTES + 1) as u64]);
    }
}
