//! Scrubbing JSON (MCP tool results, structured evidence). Strings and keys are scrubbed as
//! whole values; a string under a key that names a secret (`password`, `clientSecret`) is a
//! secret whatever it looks like. Pseudonyms are numbered walking keys in sorted order, so the
//! same value gives the same bytes whatever its key order; the output keeps the input's order.

use serde_json::{Map, Value};

use super::Scrubber;
use crate::detect::{key_looks_secret, value_is_placeholder};
use crate::{ScrubError, Scrubbed};

/// JSON nested deeper than this is refused rather than walked.
const MAX_DEPTH: usize = 128;

impl Scrubber {
    /// Scrubs a JSON value; the result serializes to the checked bytes.
    pub fn scrub_json(&mut self, value: &Value) -> Result<Scrubbed, ScrubError> {
        let checkpoint = self.table.checkpoint();
        let result = self.scrub_json_checked(value);
        if result.is_err() {
            self.table.rollback(checkpoint);
        }
        result
    }

    fn scrub_json_checked(&mut self, value: &Value) -> Result<Scrubbed, ScrubError> {
        let mut strings = Vec::new();
        collect_strings(value, 0, &mut strings);
        for s in strings {
            for reserved in self.marks(&s)?.reserved {
                self.table.reserve(reserved);
            }
        }
        let out = self.scrub_value(value, None, 0)?;
        let mut strings = Vec::new();
        collect_strings(&out, 0, &mut strings);
        for s in &strings {
            self.verify(s, true)?;
        }
        let text = out.to_string();
        self.verify(&text, false)?;
        Ok(Scrubbed::json(out, text, self.policy))
    }

    fn scrub_value(
        &mut self,
        value: &Value,
        key: Option<&str>,
        depth: usize,
    ) -> Result<Value, ScrubError> {
        if depth > MAX_DEPTH {
            return Ok(Value::String(String::new()));
        }
        Ok(match value {
            Value::String(s) => Value::String(self.scrub_field(s, key)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.scrub_value(v, key, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let entries: Vec<(&String, &Value)> = map.iter().collect();
                let mut sorted: Vec<usize> = (0..entries.len()).collect();
                sorted.sort_by_key(|&i| entries[i].0);
                let mut done: Vec<Option<(String, Value)>> = vec![None; entries.len()];
                for i in sorted {
                    let (k, v) = entries[i];
                    let new_key = self.scrub_str(k, true)?;
                    let new_value = self.scrub_value(v, Some(k), depth + 1)?;
                    done[i] = Some((new_key, new_value));
                }
                Value::Object(done.into_iter().flatten().collect::<Map<_, _>>())
            }
            other => other.clone(),
        })
    }

    fn scrub_field(&mut self, s: &str, key: Option<&str>) -> Result<String, ScrubError> {
        let secret = key.is_some_and(key_looks_secret)
            && !value_is_placeholder(s)
            && !self.table.is_issued(s);
        if secret {
            let (main, extra) = (&self.dictionary, &self.extra);
            let taken = |c: &str| main.contains(c) || extra.contains(c);
            return Ok(self.table.secret(s, &taken));
        }
        self.scrub_str(s, true)
    }
}

/// Every string and key of `value`.
fn collect_strings(value: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                collect_strings(item, depth + 1, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                collect_strings(v, depth + 1, out);
            }
        }
        _ => {}
    }
}
