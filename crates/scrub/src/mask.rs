//! How checks that report credentials show them: enough to recognize, never enough to use.

/// Values shorter than this show no characters at all, only their length.
const SHOW_PREFIX_FROM: usize = 12;

/// Masks a credential for display: at most its first two characters and its length,
/// `ab…(32 chars)`. Short values show only their length, since two characters of a six-character
/// password are a third of it.
#[must_use]
pub fn mask_credential(value: &str) -> String {
    let count = value.chars().count();
    let prefix: String = if count >= SHOW_PREFIX_FROM {
        value.chars().take(2).collect()
    } else {
        String::new()
    };
    let unit = if count == 1 { "char" } else { "chars" };
    format!("{prefix}…({count} {unit})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_show_two_characters_and_the_length() {
        assert_eq!(
            mask_credential("abcdefghijklmnopqrstuvwxyz012345"),
            "ab…(32 chars)"
        );
    }

    #[test]
    fn short_values_show_only_their_length() {
        assert_eq!(mask_credential("hunter2"), "…(7 chars)");
        assert_eq!(mask_credential("x"), "…(1 char)");
        assert_eq!(mask_credential("pässwörd-überlang"), "pä…(17 chars)");
    }
}
