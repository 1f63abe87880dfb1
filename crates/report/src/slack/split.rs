//! Splitting text into parts of bounded length at the most natural boundary available: a blank
//! line, then a line break, then a space, and only for a single word longer than the limit, a
//! character boundary. Joining the parts gives back every character; nothing is dropped.

/// `text` in parts of at most `max` characters (not bytes), trimmed of the whitespace they were
/// split at.
#[must_use]
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.chars().count() <= max {
            parts.push(rest.to_owned());
            break;
        }
        // The byte offset just past `max` characters.
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| window.rfind(sep).filter(|&i| i > 0))
            .unwrap_or(limit);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn parts_fit_and_keep_every_word() {
        let paragraph =
            "The pod cannot pull its image because the registry refuses the credentials. ";
        let text = paragraph.repeat(300);
        let parts = split(&text, 3_000);
        assert!(parts.len() > 5);
        assert!(parts.iter().all(|p| p.chars().count() <= 3_000));
        let words: Vec<&str> = text.split_whitespace().collect();
        let rejoined: Vec<&str> = parts.iter().flat_map(|p| p.split_whitespace()).collect();
        assert_eq!(words, rejoined);
    }

    #[test]
    fn prefers_paragraphs_and_cuts_words_only_when_they_are_too_long() {
        let parts = split("first paragraph\n\nsecond one here", 20);
        assert_eq!(parts, ["first paragraph", "second one here"]);
        let parts = split(&"é".repeat(25), 10);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [10, 10, 5]
        );
    }
}
