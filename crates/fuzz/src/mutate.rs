//! Mutations: bytes flipped, set, inserted, deleted and duplicated; ranges spliced in from
//! another corpus input; tokens from the target's dictionary; numbers swapped for edge cases;
//! lines duplicated, swapped and dropped (YAML is made of lines); deep nesting; and, when the
//! input is JSON, changes to its tree that keep it JSON.

use fastrand::Rng;
use serde_json::Value;

use crate::generate;

/// The largest input a mutation makes.
pub const MAX_LEN: usize = 128 * 1024;

/// Tokens that break parsers of every kind.
const COMMON: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "'",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\\",
    "\\u0000",
    "\u{0}",
    "\\ud800",
    "\u{feff}",
    "é",
    "\u{10ffff}",
    "null",
    "true",
    "-",
    "---\n",
    "...\n",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!binary ",
    "<<: *a\n",
    "%YAML 1.2\n",
    "#",
    "|\n",
    "%",
    "&",
    "=",
    "+",
    "/",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e309",
    "-1e309",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "2147483648",
    "4294967296",
    "0.1",
    "1e-400",
    "0400",
    "0x1F",
    ".5",
    "NaN",
    "1_0",
];

/// A mutation of `input`, with `other` (another corpus input) to splice from and `tokens` from
/// the target's dictionary.
#[must_use]
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8], tokens: &[&str]) -> Vec<u8> {
    if rng.u8(0..6) == 0
        && let Some(mutated) = mutate_json(rng, input)
    {
        return mutated;
    }
    let mut out = input.to_vec();
    for _ in 0..1 << rng.u32(0..4) {
        step(rng, &mut out, other, tokens);
    }
    out.truncate(MAX_LEN);
    out
}

fn step(rng: &mut Rng, out: &mut Vec<u8>, other: &[u8], tokens: &[&str]) {
    let len = out.len();
    let at = rng.usize(..=len);
    match rng.u8(0..14) {
        0 if len > 0 => {
            let i = rng.usize(..len);
            out[i] ^= 1 << rng.u8(0..8);
        }
        1 if len > 0 => {
            let i = rng.usize(..len);
            out[i] = *rng.choice(b"\0\x7f\xff\n\"{}[]:,- 09aZ\\").unwrap_or(&0);
        }
        2 => {
            let bytes: Vec<u8> = (0..rng.usize(1..8)).map(|_| rng.u8(..)).collect();
            out.splice(at..at, bytes);
        }
        3 if len > 0 => {
            let (start, end) = range(rng, len);
            out.drain(start..end);
        }
        4 if len > 0 => {
            let (start, end) = range(rng, len);
            let copy = out[start..end].to_vec();
            for _ in 0..rng.usize(1..4) {
                out.splice(end..end, copy.iter().copied());
            }
        }
        5 | 6 if !other.is_empty() => {
            let (start, end) = range(rng, other.len());
            out.splice(at..at, other[start..end].iter().copied());
        }
        7 if !other.is_empty() => {
            // Crossover: this input's head, the other's tail.
            out.truncate(at);
            let from = rng.usize(..other.len());
            out.extend_from_slice(&other[from..]);
        }
        8 | 9 => {
            let token = if tokens.is_empty() || rng.u8(0..3) == 0 {
                COMMON[rng.usize(..COMMON.len())]
            } else {
                tokens[rng.usize(..tokens.len())]
            };
            out.splice(at..at, token.bytes());
        }
        10 => numbers(rng, out),
        11 => lines(rng, out),
        12 => {
            let depth = rng.usize(1..200);
            let (open, close) =
                [("[", "]"), ("{\"a\":", "}"), ("- ", ""), ("a:\n ", "")][rng.usize(..4)];
            let mut nest = open.repeat(depth);
            nest.push_str(&close.repeat(depth));
            out.splice(at..at, nest.into_bytes());
        }
        _ => {
            let (start, end) = range(rng, len.max(1));
            let end = end.min(len);
            let start = start.min(end);
            let replacement = COMMON[rng.usize(..COMMON.len())];
            out.splice(start..end, replacement.bytes());
        }
    }
}

/// A range in `0..len`, short more often than long.
fn range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let start = rng.usize(..len);
    let most = (len - start).min(if rng.bool() { 16 } else { len });
    (start, start + rng.usize(1..=most.max(1)).min(len - start))
}

/// Swaps a run of digits for an edge-case number.
fn numbers(rng: &mut Rng, out: &mut Vec<u8>) {
    let digits: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].is_ascii_digit())
        .collect();
    let Some(&start) = digits.get(rng.usize(..digits.len().max(1))) else {
        return;
    };
    let end = (start..out.len())
        .find(|&i| !out[i].is_ascii_digit())
        .unwrap_or(out.len());
    let number = NUMBERS[rng.usize(..NUMBERS.len())];
    out.splice(start..end, number.bytes());
}

/// Duplicates, drops, swaps or re-indents a line.
fn lines(rng: &mut Rng, out: &mut Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = out
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        return;
    }
    let i = rng.usize(..lines.len());
    let j = rng.usize(..lines.len());
    match rng.u8(0..4) {
        0 => {
            let copy = lines[i].clone();
            lines.insert(j, copy);
        }
        1 => {
            lines.remove(i);
        }
        2 => lines.swap(i, j),
        _ => {
            let indent = b"  ".repeat(rng.usize(0..4));
            lines[i].splice(0..0, indent);
        }
    }
    *out = lines.concat();
}

/// A change to a JSON input's tree: a node replaced, a member dropped or duplicated, an object
/// of another kind grafted in. `None` when the input is not JSON.
fn mutate_json(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(input).ok()?;
    if !(value.is_object() || value.is_array()) {
        return None;
    }
    if rng.u8(0..4) == 0 {
        let graft = generate::object(rng);
        match &mut value {
            Value::Array(items) => items.push(graft),
            Value::Object(map) => {
                map.insert("items".to_owned(), Value::Array(vec![graft]));
            }
            _ => {}
        }
    } else {
        generate::chaos(&mut value, rng, 8);
    }
    let text = if rng.bool() {
        value.to_string()
    } else {
        format!("{value:#}")
    };
    Some(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_bounded_and_change_the_input() {
        let mut rng = Rng::with_seed(1);
        let input = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"}}"#;
        let mut changed = 0;
        for _ in 0..2000 {
            let out = mutate(&mut rng, input, b"kind: Service\n", &["apiVersion"]);
            assert!(out.len() <= MAX_LEN);
            changed += usize::from(out != input);
        }
        assert!(changed > 1800, "{changed}");
    }
}
