//! The lines of a log that show why a container failed. The decisive line is the first error of
//! the log's last burst of errors; the tail shows a few lines before it, the lines up to the
//! worst error of that burst and a few after, so the evidence is the cause and not the noise
//! after it. Runs of near-identical lines are collapsed (`[×6 similar]`) and tables drawn with
//! `+---+` or `│` are left out, except their rows that carry an error.

use std::fmt::Write;

use kubewhy_model::{LogEvidence, LogTarget};

/// At most this many lines per tail.
const MAX_LINES: usize = 20;
/// At most this many bytes per tail.
const MAX_BYTES: usize = 4096;
/// Longer lines are cut to this many characters.
const MAX_LINE_CHARS: usize = 500;
/// Lines shown before the decisive line, and after the worst one.
const BEFORE: usize = 3;
const AFTER: usize = 3;
/// Error lines at most this many lines apart belong to one burst; the indented frames of a
/// stack trace between them do not count.
const BURST_GAP: usize = 25;

/// Words of an error-like line, compared case-insensitively.
const ERROR_WORDS: &[&str] = &[
    "error",
    "exception",
    "traceback",
    "panic",
    "fatal",
    "failed",
    "killed",
    "refused",
    "denied",
    "cannot",
    "unable to",
];

/// Phrases that name a cause, and weigh more than a word.
const CAUSES: &[&str] = &[
    "out of memory",
    "outofmemory",
    "oomkilled",
    "panic:",
    "fatal",
    "traceback",
    "exception",
    "segmentation fault",
    "no such file",
    "permission denied",
    "connection refused",
    "bad address",
    "no such host",
    "x509:",
    "exec format error",
    "address already in use",
    "read-only file system",
    "no space left",
    "too many open files",
];

/// How strongly a line looks like the cause: a cause phrase weighs 3, an error word 1, and an
/// error level (klog's `E1120`, `level=error`, `"level":"error"`, ` ERROR `) 1 more.
fn score(line: &str) -> u8 {
    let lower = line.to_ascii_lowercase();
    let cause = CAUSES.iter().any(|c| lower.contains(c));
    let word = ERROR_WORDS.iter().any(|w| lower.contains(w));
    if !cause && !word {
        return 0;
    }
    let bytes = line.trim_start().as_bytes();
    let klog = bytes.len() > 5
        && matches!(bytes[0], b'E' | b'F')
        && bytes[1..5].iter().all(u8::is_ascii_digit);
    let level = klog
        || [
            "level=error",
            "level=fatal",
            "\"level\":\"error\"",
            "\"level\":\"fatal\"",
        ]
        .iter()
        .any(|l| lower.contains(l))
        || [" ERROR ", " FATAL ", "[ERROR]", "[FATAL]"]
            .iter()
            .any(|l| line.contains(l));
    3 * u8::from(cause) + u8::from(word) + u8::from(level)
}

/// A line of a table border: only drawing characters, with some of them lines.
fn is_border(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && t.chars().any(|c| matches!(c, '-' | '=' | '─' | '═' | '━'))
        && t.chars()
            .all(|c| "+-=|:│─┼┌┐└┘├┤┬┴╭╮╯╰═║╔╗╚╝╠╣╦╩╬━┃ ".contains(c))
}

/// A table row framed by `|` or `│`.
fn is_row(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 2
        && ((t.starts_with('|') && t.ends_with('|')) || (t.starts_with('│') && t.ends_with('│')))
}

/// The line with numbers and hex ids masked, to find near-identical lines.
fn shape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_hexdigit() && (c.is_ascii_digit() || in_number) {
            if !in_number {
                out.push('0');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// A line kept for the tail, with how many near-identical lines followed it.
struct Entry<'a> {
    text: std::borrow::Cow<'a, str>,
    similar: usize,
    score: u8,
}

/// The log's lines without blank lines and tables, near-identical runs collapsed.
fn entries(text: &str) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry<'_>> = Vec::new();
    let mut last_shape = String::new();
    let mut table = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let score = score(line);
        if is_border(line) || (is_row(line) && score == 0) {
            table += 1;
            continue;
        }
        if table > 0 {
            out.push(Entry {
                text: format!("[table of {table} lines left out]").into(),
                similar: 0,
                score: 0,
            });
            last_shape.clear();
            table = 0;
        }
        let shaped = shape(line);
        if let Some(previous) = out.last_mut()
            && shaped == last_shape
        {
            previous.similar += 1;
            previous.score = previous.score.max(score);
            continue;
        }
        last_shape = shaped;
        out.push(Entry {
            text: line.into(),
            similar: 0,
            score,
        });
    }
    if table > 0 {
        out.push(Entry {
            text: format!("[table of {table} lines left out]").into(),
            similar: 0,
            score: 0,
        });
    }
    out
}

/// Where the decisive line and the worst error of the log's last burst of errors are.
fn decisive(entries: &[Entry<'_>]) -> Option<(usize, usize)> {
    let worst_score = entries.iter().map(|e| e.score).max().filter(|&s| s > 0)?;
    let worst = entries.iter().rposition(|e| e.score == worst_score)?;
    // Walk back through the burst: error lines each within the gap of the next.
    let mut first = worst;
    let mut cursor = worst;
    while let Some(previous) = entries[..cursor].iter().rposition(|e| e.score > 0) {
        // Indented lines (the frames of a stack trace) do not count against the gap.
        let between = entries[previous + 1..cursor]
            .iter()
            .filter(|e| !e.text.starts_with([' ', '\t']))
            .count();
        if between > BURST_GAP {
            break;
        }
        cursor = previous;
        // The burst starts at its first line that is more than a stray error word.
        if entries[previous].score >= 2 {
            first = previous;
        }
    }
    Some((first, worst))
}

fn render(entry: &Entry<'_>) -> String {
    let mut line: String = if entry.text.chars().count() > MAX_LINE_CHARS {
        let cut: String = entry.text.chars().take(MAX_LINE_CHARS).collect();
        cut + "…"
    } else {
        entry.text.clone().into_owned()
    };
    if entry.similar > 0 {
        let _ = write!(line, "  [×{} similar]", entry.similar);
    }
    line
}

/// The lines of `text` that show why the container failed (see the module documentation).
pub(crate) fn tail(target: &LogTarget, text: &str) -> LogEvidence {
    let all = entries(text);
    let (start, marked, end, gap) = match decisive(&all) {
        Some((first, worst)) => {
            let start = first.saturating_sub(BEFORE);
            let end = (worst + AFTER + 1).min(all.len());
            // A long burst keeps its start and its end, with the middle left out.
            let gap = (end - start > MAX_LINES).then(|| {
                let head = first - start + 5;
                (start + head, end - (MAX_LINES - head - 1))
            });
            (start, Some(first - start), end, gap)
        }
        None => (all.len().saturating_sub(MAX_LINES), None, all.len(), None),
    };
    let mut lines: Vec<String> = Vec::new();
    for (i, entry) in all.iter().enumerate().take(end).skip(start) {
        match gap {
            Some((from, to)) if i == from => {
                lines.push(format!("[{} lines left out]", to - from));
            }
            Some((from, to)) if i > from && i < to => {}
            _ => lines.push(render(entry)),
        }
    }
    let mut first_error = marked;
    // Within the byte budget: drop what follows the worst line first, then what precedes the
    // decisive one; without an error, the oldest lines.
    let over = |lines: &[String]| lines.iter().map(String::len).sum::<usize>() > MAX_BYTES;
    while over(&lines) && lines.len() > 1 {
        match first_error {
            Some(f) if f + 1 < lines.len() => {
                lines.pop();
            }
            Some(f) if f > 0 => {
                lines.remove(0);
                first_error = Some(f - 1);
            }
            Some(_) => break,
            None => {
                lines.remove(0);
            }
        }
    }
    let truncated =
        start > 0 || end < all.len() || gap.is_some() || all.len() < text.lines().count();
    LogEvidence {
        pod: target.pod.clone(),
        container: target.container.clone(),
        previous: target.previous,
        lines,
        first_error,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> LogTarget {
        LogTarget {
            namespace: "a".into(),
            pod: "p".into(),
            container: "c".into(),
            previous: true,
        }
    }

    fn numbered(from: usize, to: usize, what: &str) -> String {
        (from..to).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "{what} {i}");
            text
        })
    }

    #[test]
    fn without_errors_the_last_lines_are_kept() {
        let text = (0..30).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "step {}", "x".repeat(i));
            text
        });
        let log = tail(&target(), &text);
        assert_eq!(log.lines.len(), MAX_LINES);
        assert_eq!(log.lines.last().map(String::len), Some(5 + 29));
        assert_eq!(log.first_error, None);
        assert!(log.truncated);
        // Numbered lines are near-identical: one line says how many followed.
        let log = tail(&target(), &numbered(0, 30, "step"));
        assert_eq!(log.lines, ["step 0  [×29 similar]"]);
    }

    #[test]
    fn the_cause_comes_with_lines_before_and_not_the_noise_after() {
        let mut text = String::from("starting\nloading model\nallocating\n");
        text.push_str("E1120 09:19:39 model.cc:641] failed to load: CUDA out of memory\n");
        text.push_str("+-------+--------+\n| Model | Status |\n+-------+--------+\n");
        for i in 0..15 {
            let _ = writeln!(
                text,
                "I1120 09:19:{i:02} server.cc:307] shutting down part {i}"
            );
        }
        text.push_str("error: creating server: failed to load all models\n");
        let log = tail(&target(), &text);
        let marked = log.first_error.expect("an error is marked");
        assert!(
            log.lines[marked].contains("CUDA out of memory"),
            "{:#?}",
            log.lines
        );
        assert_eq!(
            log.lines[..marked],
            ["starting", "loading model", "allocating"]
        );
        assert!(
            log.lines
                .contains(&"[table of 3 lines left out]".to_owned()),
            "{:#?}",
            log.lines
        );
        assert!(
            log.lines.iter().any(|l| l.ends_with("[×14 similar]")),
            "{:#?}",
            log.lines
        );
        assert!(log.truncated);
    }

    #[test]
    fn a_stack_trace_is_shown_from_its_start_to_its_exception() {
        let mut text = numbered(0, 10, "INFO ready");
        text.push_str("Traceback (most recent call last):\n");
        for i in 0..30 {
            let _ = writeln!(
                text,
                "  File \"/app/m{i}.py\", line {i}, in f{i}\n    call{i}()"
            );
        }
        text.push_str(
            "psycopg2.OperationalError: could not connect to server: Connection refused\n",
        );
        text.push_str("\tIs the server running on host \"orders-db\" and accepting connections on port 5432?\n");
        let log = tail(&target(), &text);
        let marked = log.first_error.unwrap();
        assert!(
            log.lines[marked].starts_with("Traceback"),
            "{:#?}",
            log.lines
        );
        assert!(log.lines.len() <= MAX_LINES, "{}", log.lines.len());
        assert!(log.lines.iter().any(|l| l.contains("lines left out]")));
        assert!(log.lines.iter().any(|l| l.contains("Connection refused")));
        assert!(log.lines.last().unwrap().contains("orders-db"));
    }

    #[test]
    fn table_rows_that_carry_the_error_stay() {
        let text = "+---+\n| bge | UNAVAILABLE: CUDA out of memory |\n+---+\n";
        let log = tail(&target(), text);
        assert!(
            log.lines.iter().any(|l| l.contains("CUDA out of memory")),
            "{:#?}",
            log.lines
        );
    }
}
