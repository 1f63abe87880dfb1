//! Finding names in a text: identifier-shaped runs looked up in the hash indexes, the other
//! names found by the automaton; both accept a match only at a boundary, and a word-like name
//! only where it is used as a name. Names are looked up in any case (`Checkout` is `checkout`).

use aho_corasick::{Anchored, Input};

use super::{Dictionary, Found, Pattern, is_token_byte};
use crate::boundary::{at_boundary, used_as_name};

impl Dictionary {
    /// Every acceptable match in `text`. `whole` says `text` is a whole value (a word-like name
    /// that is the entire value is a name); `secrets_only` keeps only names that are secret
    /// values.
    pub(crate) fn find(&self, text: &str, whole: bool, secrets_only: bool, out: &mut Vec<Found>) {
        self.find_tokens(text, whole, secrets_only, out);
        self.find_others(text, whole, secrets_only, out);
    }

    fn exact(&self, text: &str) -> Option<u32> {
        self.index
            .get(text)
            .or_else(|| self.extra_tokens.get(text))
            .copied()
    }

    /// The pattern `text` is, also when a log capitalises it or writes it in capitals: object
    /// names are lowercase, and `Checkout` or `CHECKOUT` still names `checkout`. Mixed case
    /// (`LiteLLM`, `BerriAI`) is a spelling of its own, a product's or an organisation's.
    fn lookup(&self, text: &str) -> Option<u32> {
        self.exact(text).or_else(|| {
            let b = text.as_bytes();
            let upper = |b: &u8| b.is_ascii_uppercase();
            let lower = |b: &u8| b.is_ascii_lowercase();
            let capitalised = b.first().is_some_and(upper) && !b[1..].iter().any(upper);
            let capitals = b.iter().any(upper) && !b.iter().any(lower);
            (capitalised || capitals)
                .then(|| self.exact(&text.to_ascii_lowercase()))
                .flatten()
        })
    }

    /// `shop/cart`: a word-like name next to a slash whose other side is a name of this
    /// dictionary too, as in `namespace/name` (`shop/cart-7d4-x2x2z`, `shop/cart`).
    fn next_to_a_name(&self, text: &str, start: usize, end: usize) -> bool {
        let ident = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        let trim = |s: &'_ str| {
            s.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_owned()
        };
        // Either side may be quoted already (`shop`/cart).
        let quotes = ['`', '"', '\''];
        let after = text[end..]
            .trim_start_matches(quotes)
            .strip_prefix('/')
            .map(|rest| {
                let rest = rest.trim_start_matches(quotes);
                let len = rest.find(|c: char| !ident(c)).unwrap_or(rest.len());
                trim(&rest[..len])
            });
        let before = text[..start]
            .trim_end_matches(quotes)
            .strip_suffix('/')
            .map(|head| {
                let head = head.trim_end_matches(quotes);
                let from = head
                    .char_indices()
                    .rfind(|&(_, c)| !ident(c))
                    .map_or(0, |(i, c)| i + c.len_utf8());
                trim(&head[from..])
            });
        [after, before]
            .into_iter()
            .flatten()
            .any(|other| !other.is_empty() && self.lookup(&other).is_some())
    }

    fn find_tokens(&self, text: &str, whole: bool, secrets_only: bool, out: &mut Vec<Found>) {
        if self.longest_token == 0 {
            return;
        }
        let bytes = text.as_bytes();
        let mut ends = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if !is_token_byte(bytes[i]) {
                i += escape_len(bytes, i);
                continue;
            }
            let start = i;
            while i < bytes.len() && is_token_byte(bytes[i]) {
                i += 1;
            }
            self.match_run(text, start, i, whole, secrets_only, &mut ends, out);
        }
    }

    /// Matches within one run of identifier characters: from each segment start, the longest
    /// name that ends at a segment end and is accepted there.
    #[allow(clippy::too_many_arguments)] // A hot loop's state, passed rather than rebuilt.
    fn match_run(
        &self,
        text: &str,
        start: usize,
        end: usize,
        whole: bool,
        secrets_only: bool,
        ends: &mut Vec<usize>,
        out: &mut Vec<Found>,
    ) {
        let bytes = text.as_bytes();
        let alnum = |i: usize| bytes[i].is_ascii_alphanumeric();
        ends.clear();
        for q in start + 1..end {
            if !alnum(q) && alnum(q - 1) {
                ends.push(q);
            }
        }
        if alnum(end - 1) {
            ends.push(end);
        }
        let mut next = start;
        for p in start..end {
            if p < next || !alnum(p) || (p > start && alnum(p - 1)) {
                continue;
            }
            for &q in ends.iter().rev() {
                if q <= p {
                    break;
                }
                if q - p > self.longest_token {
                    continue;
                }
                if let Some(pattern) = self.lookup(&text[p..q])
                    && self.accepts(text, p, q, pattern, whole, secrets_only)
                {
                    out.push(Found {
                        start: p,
                        end: q,
                        pattern,
                    });
                    next = q;
                    break;
                }
            }
        }
    }

    /// The automaton's names: leftmost-longest, retrying shorter names at the same start when
    /// the longest is not at a boundary.
    fn find_others(&self, text: &str, whole: bool, secrets_only: bool, out: &mut Vec<Found>) {
        let Some(matcher) = &self.matcher else { return };
        let mut at = 0;
        while at < text.len() {
            let Some(m) = matcher.find(Input::new(text).span(at..text.len())) else {
                return;
            };
            let start = m.start();
            let (mut end, mut pattern) = (m.end(), self.matcher_ids[m.pattern().as_usize()]);
            let accepted = loop {
                if self.accepts(text, start, end, pattern, whole, secrets_only) {
                    break true;
                }
                if end <= start + 1 {
                    break false;
                }
                // The automaton supports anchored searches (StartKind::Both), so this search
                // cannot panic.
                let shorter = Input::new(text)
                    .span(start..end - 1)
                    .anchored(Anchored::Yes);
                match matcher.find(shorter) {
                    Some(m) => (end, pattern) = (m.end(), self.matcher_ids[m.pattern().as_usize()]),
                    None => break false,
                }
            };
            if accepted {
                out.push(Found {
                    start,
                    end,
                    pattern,
                });
                at = end;
            } else {
                at = start + 1;
            }
        }
    }

    fn accepts(
        &self,
        text: &str,
        start: usize,
        end: usize,
        pattern: u32,
        whole: bool,
        secrets_only: bool,
    ) -> bool {
        if !at_boundary(text, start, end) {
            return false;
        }
        match self.pattern(pattern) {
            Pattern::Name(id) => {
                let name = self.name(id);
                if secrets_only && !name.category.is_secret() {
                    return false;
                }
                !name.weak
                    || used_as_name(text, start, end, whole)
                    || self.next_to_a_name(text, start, end)
            }
            Pattern::Dns(_) => !secrets_only,
        }
    }
}

/// How many bytes to skip at `i`, outside a run: a whole percent-escape (`%2F`) or JSON escape
/// (`\n`, `\u002F`), so that the letters in it do not start a run; else one byte.
fn escape_len(bytes: &[u8], i: usize) -> usize {
    let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
    match bytes[i] {
        b'%' if hex(i + 1) && hex(i + 2) => 3,
        b'\\' => {
            let slashes = bytes[i..].iter().take_while(|&&b| b == b'\\').count();
            let j = i + slashes;
            match bytes.get(j) {
                Some(b'u') if (j + 1..j + 5).all(hex) => slashes + 5,
                Some(b'n' | b't' | b'r') => slashes + 1,
                _ => slashes,
            }
        }
        _ => 1,
    }
}
