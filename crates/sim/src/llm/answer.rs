//! What the simulated model reads and says: the messages of a request, a deterministic token
//! count (four characters a token), the answer filled from the request, and its chunks.

use serde_json::{Value, json};

use super::SimAnswer;

/// The parts of a chat request the simulator looks at, in any of the three wire formats.
pub(super) struct Prompt {
    pub model: String,
    pub messages: Vec<(String, String)>,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<u64>,
}

impl Prompt {
    /// Reads an OpenAI or Ollama chat body. `stream_default` is the protocol's default
    /// (OpenAI: false, Ollama: true).
    pub fn parse(body: &Value, stream_default: bool) -> Option<Self> {
        let messages = body
            .get("messages")?
            .as_array()?
            .iter()
            .map(|m| {
                let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
                (role.to_owned(), content_text(m.get("content")))
            })
            .collect();
        Some(Self {
            model: body
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            messages,
            stream: body
                .get("stream")
                .and_then(Value::as_bool)
                .unwrap_or(stream_default),
            include_usage: body
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            max_tokens: body
                .get("max_completion_tokens")
                .or_else(|| body.get("max_tokens"))
                .or_else(|| body.pointer("/options/num_predict"))
                .and_then(Value::as_u64),
        })
    }

    /// The prompt's token count: each message's content plus four tokens of framing.
    pub fn tokens(&self) -> u32 {
        self.messages
            .iter()
            .map(|(_, content)| tokens(content) + 4)
            .sum::<u32>()
            + 3
    }

    fn all_text(&self) -> String {
        self.messages
            .iter()
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A message's content: a string, or the text parts of an array.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Four characters a token, rounded up.
#[allow(clippy::cast_possible_truncation)] // Prompts are far below 16 GiB.
pub(super) fn tokens(text: &str) -> u32 {
    text.chars().count().div_ceil(4) as u32
}

/// The answer to `prompt`, the `n`th chat request.
pub(super) fn render(answer: &SimAnswer, prompt: &Prompt, n: u64) -> String {
    match answer {
        SimAnswer::Fixed(text) => text.clone(),
        SimAnswer::Template(template) => {
            let text = prompt.all_text();
            let pseudonyms = pseudonyms(&text);
            let last_user = prompt
                .messages
                .iter()
                .rev()
                .find(|(role, _)| role == "user")
                .map_or("", |(_, c)| c.as_str());
            template
                .replace("{model}", &prompt.model)
                .replace("{n}", &n.to_string())
                .replace("{last_user}", last_user)
                .replace("{pseudonyms}", &pseudonyms.join(", "))
                .replace(
                    "{first_pseudonym}",
                    pseudonyms.first().map_or("", String::as_str),
                )
                .replace("{prompt_tokens}", &prompt.tokens().to_string())
        }
        SimAnswer::Structured => structured(&pseudonyms(&prompt.all_text())),
    }
}

fn structured(pseudonyms: &[String]) -> String {
    let subject = pseudonyms
        .iter()
        .find(|p| !p.starts_with("namespace-") && !p.starts_with("secret-"))
        .map_or("the workload", String::as_str);
    let namespace = pseudonyms
        .iter()
        .find(|p| p.starts_with("namespace-"))
        .map_or("default", String::as_str);
    json!({
        "summary": format!("{subject} is failing."),
        "root_cause": format!("{subject} cannot start with its current configuration."),
        "evidence": [format!("The events of {subject} show the failure.")],
        "fix": [format!("Correct the configuration of {subject}.")],
        "commands": [
            {"command": format!("kubectl describe {subject} -n {namespace}"), "mode": "read-only"},
            {"command": format!("kubectl rollout restart {subject} -n {namespace}"), "mode": "changing"}
        ],
        "verify": [format!("kubectl get {subject} -n {namespace}")],
        "confidence": "medium"
    })
    .to_string()
}

/// Words shaped like pseudonyms (`pod-3`, `deployment-1-pod-2`), distinct, in order.
fn pseudonyms(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
    for word in words {
        if is_pseudonym(word) && !found.iter().any(|f| f == word) {
            found.push(word.to_owned());
        }
    }
    found
}

fn is_pseudonym(word: &str) -> bool {
    let parts: Vec<&str> = word.split('-').collect();
    parts.len() >= 2
        && parts.len().is_multiple_of(2)
        && parts.chunks(2).all(|pair| {
            !pair[0].is_empty()
                && pair[0].bytes().all(|b| b.is_ascii_lowercase())
                && !pair[1].is_empty()
                && pair[1].bytes().all(|b| b.is_ascii_digit())
        })
}

/// Splits `text` into chunks of about `size` characters, on character boundaries.
pub(super) fn chunks(text: &str, size: usize) -> Vec<String> {
    let size = size.max(1);
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_found_in_order_once() {
        let text =
            "pod deployment-1-pod-2 in namespace-1, again deployment-1-pod-2; ip-4 x-y a-1-b";
        assert_eq!(
            pseudonyms(text),
            ["deployment-1-pod-2", "namespace-1", "ip-4"]
        );
    }

    #[test]
    fn templates_echo_the_request() {
        let body = json!({"model": "m", "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "about pod-7"}]}
        ]});
        let prompt = Prompt::parse(&body, false).unwrap();
        let answer = SimAnswer::Template("{n}:{model}:{last_user}:{first_pseudonym}".into());
        assert_eq!(render(&answer, &prompt, 3), "3:m:about pod-7:pod-7");
    }

    #[test]
    fn chunks_keep_every_character() {
        let text = "é".repeat(10) + "abc";
        assert_eq!(chunks(&text, 4).concat(), text);
        assert_eq!(chunks(&text, 4).len(), 4);
    }
}
