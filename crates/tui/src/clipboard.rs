//! Copying through the terminal: OSC 52 asks the terminal emulator to set the clipboard, which
//! works over SSH and inside tmux (with `set-clipboard on`), with no clipboard tool installed.

use base64::{Engine as _, engine::general_purpose::STANDARD};

/// The escape sequence that puts `text` on the clipboard.
#[must_use]
pub fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", STANDARD.encode(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_base64_in_an_osc_52_sequence() {
        assert_eq!(
            osc52("kubectl get pods"),
            "\u{1b}]52;c;a3ViZWN0bCBnZXQgcG9kcw==\u{7}"
        );
    }
}
