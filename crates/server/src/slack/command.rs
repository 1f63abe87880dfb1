//! Slash commands: the form Slack posts, and the text after `/kubewhy`, parsed into what to do.

use std::collections::HashMap;

use serde::Deserialize;

/// The fields of a slash command that kubewhy reads (Slack sends more).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SlashCommand {
    /// `/kubewhy`.
    #[serde(default)]
    pub command: String,
    /// What follows the command.
    #[serde(default)]
    pub text: String,
    /// Who asked.
    pub user_id: String,
    /// Where.
    pub channel_id: String,
    /// Where the answer goes: at most five posts within 30 minutes.
    pub response_url: String,
    /// The workspace.
    #[serde(default)]
    pub team_id: String,
}

impl SlashCommand {
    /// Parses a form body (HTTP) or the fields of a Socket Mode payload.
    pub fn from_form(body: &[u8]) -> Result<Self, String> {
        serde_urlencoded::from_bytes(body).map_err(|e| format!("malformed slash command form: {e}"))
    }

    /// From a Socket Mode payload's fields.
    pub fn from_fields(fields: &HashMap<String, String>) -> Result<Self, String> {
        let get = |k: &str| fields.get(k).cloned();
        Ok(Self {
            command: get("command").unwrap_or_default(),
            text: get("text").unwrap_or_default(),
            user_id: get("user_id").ok_or("the payload has no user_id")?,
            channel_id: get("channel_id").ok_or("the payload has no channel_id")?,
            response_url: get("response_url").ok_or("the payload has no response_url")?,
            team_id: get("team_id").unwrap_or_default(),
        })
    }
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `analyze [NAMESPACE]`.
    Analyze {
        /// The namespace.
        namespace: Option<String>,
    },
    /// `explain KIND/NAME [-n NAMESPACE]`.
    Explain {
        /// The kind.
        kind: String,
        /// The name.
        name: String,
        /// The namespace.
        namespace: Option<String>,
    },
    /// `checks [ID]`.
    Checks {
        /// One check.
        id: Option<String>,
    },
    /// `help`.
    Help,
}

/// How to use the command.
pub const USAGE: &str = "*Usage*\n\
• `/kubewhy analyze [NAMESPACE]`: what is broken, worst first\n\
• `/kubewhy explain KIND/NAME -n NAMESPACE`: why one object fails and how to fix it (`deploy/web -n shop`)\n\
• `/kubewhy checks [ID]`: the checks, or one check's documentation\n\
• `/kubewhy help`: this\n\
Mention @kubewhy in a thread to ask follow-up questions.";

impl Command {
    /// Parses the text after the command.
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (namespace, rest) = take_namespace(&words)?;
        match rest.as_slice() {
            [] | ["help"] if namespace.is_none() => Ok(Self::Help),
            [] | ["analyze"] => Ok(Self::Analyze { namespace }),
            ["analyze", ns] if namespace.is_none() => Ok(Self::Analyze {
                namespace: Some(valid_name(ns)?.to_owned()),
            }),
            ["explain", target] => {
                let (kind, name) = target
                    .split_once('/')
                    .filter(|(k, n)| !k.is_empty() && !n.is_empty())
                    .ok_or_else(|| format!("`{target}` is not KIND/NAME (e.g. `deploy/web`)"))?;
                Ok(Self::Explain {
                    kind: valid_name(kind)?.to_owned(),
                    name: valid_name(name)?.to_owned(),
                    namespace,
                })
            }
            ["explain", kind, name] => Ok(Self::Explain {
                kind: valid_name(kind)?.to_owned(),
                name: valid_name(name)?.to_owned(),
                namespace,
            }),
            ["checks"] if namespace.is_none() => Ok(Self::Checks { id: None }),
            ["checks", id] if namespace.is_none() => Ok(Self::Checks {
                id: Some((*id).to_owned()),
            }),
            [first, ..] => Err(format!("I don't understand `{}`.", truncate(first))),
        }
    }

    /// The analysis it asks for; `None` for `checks` and `help`, answered without one.
    #[must_use]
    pub fn request(&self) -> Option<crate::work::Request> {
        use crate::work::Request;
        match self {
            Self::Analyze { namespace } => Some(Request::Analyze {
                namespace: namespace.clone(),
            }),
            Self::Explain {
                kind,
                name,
                namespace,
            } => Some(Request::Explain {
                kind: kind.clone(),
                name: name.clone(),
                namespace: namespace.clone(),
            }),
            Self::Checks { .. } | Self::Help => None,
        }
    }

    /// A stable form for logs: the command and its arguments, nothing else.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Analyze { namespace } => {
                format!("analyze {}", namespace.as_deref().unwrap_or(""))
                    .trim_end()
                    .to_owned()
            }
            Self::Explain {
                kind,
                name,
                namespace,
            } => match namespace {
                Some(ns) => format!("explain {kind}/{name} -n {ns}"),
                None => format!("explain {kind}/{name}"),
            },
            Self::Checks { id } => format!("checks {}", id.as_deref().unwrap_or(""))
                .trim_end()
                .to_owned(),
            Self::Help => "help".to_owned(),
        }
    }
}

fn take_namespace<'a>(words: &[&'a str]) -> Result<(Option<String>, Vec<&'a str>), String> {
    let mut namespace = None;
    let mut rest = Vec::new();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        if let Some(ns) = word
            .strip_prefix("--namespace=")
            .or_else(|| word.strip_prefix("-n="))
        {
            namespace = Some(valid_name(ns)?.to_owned());
        } else if matches!(*word, "-n" | "--namespace") {
            let ns = iter.next().ok_or("`-n` needs a namespace")?;
            namespace = Some(valid_name(ns)?.to_owned());
        } else {
            rest.push(*word);
        }
    }
    Ok((namespace, rest))
}

/// Kubernetes names are DNS labels or subdomains; kinds are words. Anything else is refused
/// before it reaches the engine.
fn valid_name(s: &str) -> Result<&str, String> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(s)
    } else {
        Err(format!("`{}` is not a Kubernetes name", truncate(s)))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_parse_as_an_sre_types_them() {
        assert_eq!(Command::parse(""), Ok(Command::Help));
        assert_eq!(
            Command::parse("analyze"),
            Ok(Command::Analyze { namespace: None })
        );
        assert_eq!(
            Command::parse("analyze shop"),
            Ok(Command::Analyze {
                namespace: Some("shop".into())
            })
        );
        assert_eq!(
            Command::parse("analyze -n shop"),
            Ok(Command::Analyze {
                namespace: Some("shop".into())
            })
        );
        let explain = Command::Explain {
            kind: "deploy".into(),
            name: "web".into(),
            namespace: Some("shop".into()),
        };
        assert_eq!(
            Command::parse("explain deploy/web -n shop").as_ref(),
            Ok(&explain)
        );
        assert_eq!(
            Command::parse("explain -n shop deploy web").as_ref(),
            Ok(&explain)
        );
        assert_eq!(
            Command::parse("checks KW101"),
            Ok(Command::Checks {
                id: Some("KW101".into())
            })
        );
        assert_eq!(explain.describe(), "explain deploy/web -n shop");
    }

    #[test]
    fn bad_syntax_says_what_was_wrong() {
        assert!(
            Command::parse("explain web")
                .unwrap_err()
                .contains("KIND/NAME")
        );
        assert!(
            Command::parse("restart everything")
                .unwrap_err()
                .contains("`restart`")
        );
        assert!(
            Command::parse("analyze -n")
                .unwrap_err()
                .contains("needs a namespace")
        );
        assert!(
            Command::parse("explain deploy/<@U1>")
                .unwrap_err()
                .contains("not a Kubernetes name")
        );
    }

    #[test]
    fn a_malformed_form_is_an_error() {
        assert!(SlashCommand::from_form(b"text=analyze").is_err());
        let ok = SlashCommand::from_form(b"command=%2Fkubewhy&text=analyze+shop&user_id=U1&channel_id=C1&response_url=http%3A%2F%2Fx%2Fy").unwrap();
        assert_eq!(ok.text, "analyze shop");
    }
}
