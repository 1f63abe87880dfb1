//! Making names and messages safe to put into Markdown: what GitHub, GitLab and Jira render must
//! be the text as written, not emphasis, links, tables broken at a `|`, or issue references.

/// Characters that start inline constructs: emphasis, code, links and images, autolinks and
/// HTML, strikethrough, table cells, entities, math, and `#123` issue references.
const INLINE: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '$', '#',
];

/// `s` on one line with every Markdown metacharacter backslash-escaped, so that it renders as
/// written in a paragraph, a heading, a list item or a table cell. Line breaks become spaces.
pub(crate) fn inline(s: &str) -> String {
    let one_line = single_line(s);
    let trimmed = one_line.trim_start();
    let mut out = String::with_capacity(trimmed.len() + 8);
    for (i, c) in trimmed.char_indices() {
        if INLINE.contains(&c) || (i == 0 && starts_block(c)) || ends_list_marker(trimmed, i) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a code span: wrapped in more backticks than it contains, so nothing inside is
/// interpreted.
pub(crate) fn code(s: &str) -> String {
    let one_line = single_line(s);
    let ticks = "`".repeat(longest_run(&one_line, '`') + 1);
    // A space keeps a leading or trailing backtick from joining the delimiters.
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{one_line}{pad}{ticks}")
}

/// A fence for a code block holding `content`: longer than any run of backticks in it.
pub(crate) fn fence(content: &str) -> String {
    "`".repeat(longest_run(content, '`').max(2) + 1)
}

fn single_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Characters that, first on a line, make it a list item, a heading underline or a quote.
fn starts_block(c: char) -> bool {
    matches!(c, '-' | '+' | '=' | '>')
}

/// The `.` or `)` of `1.` or `1)` first on a line, which would start an ordered list.
fn ends_list_marker(s: &str, i: usize) -> bool {
    matches!(s.as_bytes()[i], b'.' | b')')
        && i > 0
        && s.as_bytes()[..i].iter().all(u8::is_ascii_digit)
}

fn longest_run(s: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metacharacters_are_escaped() {
        assert_eq!(
            inline("a *b* _c_ `d` [e](f) <g> h|i ~j~ &amp; $k$ #12 \\"),
            r"a \*b\* \_c\_ \`d\` \[e\](f) \<g\> h\|i \~j\~ \&amp; \$k\$ \#12 \\"
        );
    }

    #[test]
    fn names_and_plain_words_stay_readable() {
        assert_eq!(
            inline("Pod checkout-7d9 is crash looping (exit code 1)."),
            "Pod checkout-7d9 is crash looping (exit code 1)."
        );
    }

    #[test]
    fn a_message_cannot_start_a_block() {
        assert_eq!(inline("- not a list"), r"\- not a list");
        assert_eq!(inline("--- "), r"\--- ");
        assert_eq!(inline("12. not a list"), r"12\. not a list");
        assert_eq!(inline("> not a quote"), r"\> not a quote");
        assert_eq!(inline("    not code"), "not code");
        assert_eq!(inline("v1.2"), "v1.2");
    }

    #[test]
    fn line_breaks_become_spaces() {
        assert_eq!(
            inline("panic: boom\n\ngoroutine 1\r\n| x"),
            r"panic: boom goroutine 1 \| x"
        );
    }

    #[test]
    fn code_spans_outgrow_their_backticks() {
        assert_eq!(code("kubectl get pods"), "`kubectl get pods`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("has ``` inside"), "````");
    }
}
