//! Slack's requests, as anyone on the network can send them: the slash-command form and the
//! command text after `/kubewhy`, the fields of a Socket Mode payload, and request signing with
//! arbitrary headers. The first byte picks which. Signing must accept what it signed itself
//! (within the time window) and refuse any other signature.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use fastrand::Rng;
use kubewhy_server::{
    secrets::Secret,
    slack::{
        command::{Command, SlashCommand},
        verify::{Rejected, Verifier, WINDOW_SECS},
    },
};

use super::Target;
use crate::Features;

pub(crate) const TARGET: Target = Target {
    name: "slack",
    about: "the slash-command form and text, Socket Mode fields, and request signing",
    run,
    generate: generate_input,
    tokens: TOKENS,
};

const TOKENS: &[&str] = &[
    "command=%2Fkubewhy",
    "&text=",
    "&user_id=U1",
    "&channel_id=C1",
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fx",
    "&team_id=T1",
    "analyze",
    "explain",
    "checks",
    "help",
    " -n ",
    "--namespace=",
    "-n=",
    "deploy/web",
    "KW101",
    "%",
    "%ZZ",
    "+",
    "&",
    "=",
    "x-slack-signature: ",
    "x-slack-request-timestamp: ",
    "v0=",
    "1700000000",
    "-9223372036854775808",
    "9223372036854775807",
    "\n\n",
    "<@U1>",
];

/// The time requests are received at.
const NOW: i64 = 1_700_000_000;
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn run(input: &[u8], features: &mut Features) {
    let Some((&which, rest)) = input.split_first() else {
        return;
    };
    match which % 3 {
        0 => form(rest, features),
        1 => fields(rest, features),
        _ => signed(rest, features),
    }
}

fn command(text: &str, features: &mut Features) {
    match Command::parse(text) {
        Ok(command) => {
            let described = command.describe();
            features.add((
                "command",
                std::mem::discriminant(&command),
                described.split(' ').count(),
            ));
            // What a log line says is what was parsed.
            assert_eq!(
                Command::parse(&described).as_ref(),
                Ok(&command),
                "`{described}` reads back differently"
            );
        }
        Err(e) => features.add(("refused", head(&e))),
    }
}

fn form(body: &[u8], features: &mut Features) {
    match SlashCommand::from_form(body) {
        Ok(asked) => {
            features.add("form ok");
            command(&asked.text, features);
        }
        Err(e) => features.add(("form", head(&e))),
    }
    command(&String::from_utf8_lossy(body), features);
}

/// `key=value` lines, as a Socket Mode payload's fields.
fn fields(body: &[u8], features: &mut Features) {
    let text = String::from_utf8_lossy(body);
    let map: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    match SlashCommand::from_fields(&map) {
        Ok(asked) => command(&asked.text, features),
        Err(e) => features.add(("fields", head(&e))),
    }
}

/// Header lines, a blank line, the body.
fn signed(input: &[u8], features: &mut Features) {
    let split = input.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&input[..at], &input[at + 2..]),
        None => (input, &[][..]),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii_start();
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    let verifier = Verifier::new(Secret::new(SECRET));
    let result = verifier.verify(&headers, body, NOW, true);
    features.add((
        "verify",
        result
            .as_ref()
            .map_err(Rejected::status)
            .err()
            .map(|s| s.as_u16()),
    ));
    if let Some(ts) = headers
        .get("x-slack-request-timestamp")
        .and_then(|v| v.to_str().ok())
    {
        let signature = verifier.sign(ts, body);
        let mut good = HeaderMap::new();
        good.insert(
            "x-slack-request-timestamp",
            headers["x-slack-request-timestamp"].clone(),
        );
        if let Ok(value) = HeaderValue::from_str(&signature) {
            good.insert("x-slack-signature", value);
        }
        let fresh = ts
            .parse::<i64>()
            .is_ok_and(|t| t.abs_diff(NOW) <= WINDOW_SECS.unsigned_abs());
        let checked = Verifier::new(Secret::new(SECRET)).verify(&good, body, NOW, true);
        if fresh {
            assert_eq!(
                checked,
                Ok(()),
                "a request signed with the secret was refused"
            );
        } else {
            assert!(
                checked.is_err(),
                "a request outside the window was accepted (timestamp {ts})"
            );
        }
        let claimed = headers
            .get("x-slack-signature")
            .and_then(|v| v.to_str().ok())
            // Hex in capitals is the same MAC.
            .map(str::to_ascii_lowercase);
        if result.is_ok() {
            assert_eq!(
                claimed.as_deref(),
                Some(signature.as_str()),
                "a signature that is not ours was accepted"
            );
        }
    }
}

fn generate_input(rng: &mut Rng) -> Vec<u8> {
    let texts = [
        "analyze",
        "analyze shop",
        "explain deploy/web -n shop",
        "explain -n shop pod web",
        "checks KW101",
        "help",
        "",
        "restart all",
    ];
    let text = texts[rng.usize(..texts.len())].replace(' ', "+");
    let form = format!(
        "command=%2Fkubewhy&text={text}&user_id=U1&channel_id=C1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&team_id=T1"
    );
    match rng.u8(0..3) {
        0 => [b"\0".as_slice(), form.as_bytes()].concat(),
        1 => format!(
            "\u{1}command=/kubewhy\ntext={}\nuser_id=U1\nchannel_id=C1\nresponse_url=https://x/y\n",
            text.replace('+', " ")
        )
        .into_bytes(),
        _ => {
            let ts = NOW + rng.i64(-400..400);
            let signature =
                Verifier::new(Secret::new(SECRET)).sign(&ts.to_string(), form.as_bytes());
            format!("\u{2}x-slack-request-timestamp: {ts}\nx-slack-signature: {signature}\ncontent-type: application/x-www-form-urlencoded\n\n{form}").into_bytes()
        }
    }
}

/// A message up to its first quoted part: the part that does not echo the input.
fn head(message: &str) -> &str {
    message.split('`').next().unwrap_or(message)
}
