//! Text that fits: truncation and padding by display width (wide characters take two cells,
//! combining marks none), and clean-up of text from the cluster (log lines carry tabs, carriage
//! returns and colour codes) so that it cannot move the cursor or break the layout.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How many cells `text` takes.
#[must_use]
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` cells, with `…` where it was cut.
#[must_use]
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        // Leave one cell for the ellipsis.
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// `text` cut or padded with spaces to exactly `cells` cells.
#[must_use]
pub fn fit(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let pad = cells.saturating_sub(width(&cut));
    let mut out = String::with_capacity(cut.len() + pad);
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// `text` padded on the left to `cells` cells (cut when longer).
#[must_use]
pub fn fit_right(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let pad = cells.saturating_sub(width(&cut));
    let mut out: String = std::iter::repeat_n(' ', pad).collect();
    out.push_str(&cut);
    out
}

/// Text from the cluster made safe to draw: colour and cursor codes dropped, tabs expanded,
/// other control characters shown as spaces.
#[must_use]
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI: ESC [ parameters, then a final byte from @ to ~.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\t' => out.push_str("    "),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice_and_are_never_split() {
        assert_eq!(width("日本"), 4);
        assert_eq!(truncate("日本語のポッド", 6), "日本…");
        assert_eq!(width(&truncate("日本語のポッド", 6)), 5);
        assert_eq!(truncate("checkout", 8), "checkout");
        assert_eq!(truncate("checkout", 5), "chec…");
        assert_eq!(truncate("checkout", 0), "");
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(
            fit("日本語", 4),
            "日… ",
            "a wide character never straddles the edge"
        );
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit_right("ab", 4), "  ab");
    }

    #[test]
    fn combining_marks_take_no_cell() {
        // "é" as e + U+0301.
        assert_eq!(width("cafe\u{301}"), 4);
        assert_eq!(fit("cafe\u{301}", 4), "cafe\u{301}");
    }

    #[test]
    fn colour_codes_and_control_characters_are_dropped() {
        assert_eq!(
            clean("\u{1b}[31mERROR\u{1b}[0m db\tdown\r"),
            "ERROR db    down "
        );
        assert_eq!(clean("plain"), "plain");
    }
}
