//! What an input did, as a set of hashed behaviours: the fuzzer's stand-in for coverage. Targets
//! add what a user would tell apart (an error's wording with its numbers taken out, how many
//! objects were read, which checks fired), and an input that adds one never seen is kept.

use std::hash::{DefaultHasher, Hash, Hasher};

/// The behaviours one input showed.
#[derive(Debug, Default, Clone)]
pub struct Features {
    seen: Vec<u64>,
}

impl Features {
    /// Records a behaviour.
    pub fn add(&mut self, behaviour: impl Hash) {
        let mut hasher = DefaultHasher::new();
        behaviour.hash(&mut hasher);
        self.seen.push(hasher.finish());
    }

    /// Records a message by its shape: digits and quoted parts taken out, at most 60
    /// characters, so that `line 3` and `line 4` are one behaviour.
    pub fn add_message(&mut self, tag: &str, message: &str) {
        self.add((tag, shape(message)));
    }

    /// Records a count by its order of magnitude.
    pub fn add_count(&mut self, tag: &str, count: usize) {
        self.add((tag, usize::BITS - count.leading_zeros()));
    }

    /// The behaviours recorded, as hashes.
    #[must_use]
    pub fn hashes(&self) -> &[u64] {
        &self.seen
    }
}

/// `a message at line 12: "x"` as `a message at line #: "…"`.
#[must_use]
pub fn shape(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' | '`' => {
                if !quoted {
                    out.push(c);
                    out.push('…');
                }
                quoted = !quoted;
            }
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('#') {
                    out.push('#');
                }
            }
            _ => out.push(c),
        }
        if out.chars().count() >= 60 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_and_quotes_do_not_make_a_new_behaviour() {
        assert_eq!(
            super::shape("line 12: unknown field `foo`"),
            super::shape("line 3: unknown field `barbaz`")
        );
        assert_ne!(super::shape("line 1: bad"), super::shape("line 1: worse"));
    }
}
