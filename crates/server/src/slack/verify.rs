//! Slack's request signing: `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256, keyed with the
//! signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`. The comparison is in constant
//! time, timestamps more than five minutes from now are refused, and a signature already seen
//! is refused as a replay (slash commands; Events API retries are deduplicated on `event_id`
//! instead, since Slack resends them on purpose).

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::Secret;

/// How far a request's timestamp may be from now.
pub const WINDOW_SECS: i64 = 300;

/// Why a request was refused; each has its own status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// A signing header is missing or not well formed.
    #[error("missing or malformed {0} header")]
    Missing(&'static str),
    /// The signature does not match.
    #[error("the signature does not match")]
    Forged,
    /// The timestamp is too far from now.
    #[error("the request timestamp is {0} s from now, more than {WINDOW_SECS} s")]
    Stale(i64),
    /// The same signed request was already received.
    #[error("this request was already received")]
    Replayed,
}

impl Rejected {
    /// The HTTP status it is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Missing(_) => StatusCode::BAD_REQUEST,
            Self::Forged => StatusCode::UNAUTHORIZED,
            Self::Stale(_) => StatusCode::FORBIDDEN,
            Self::Replayed => StatusCode::CONFLICT,
        }
    }
}

/// Checks requests signed with one secret.
#[derive(Debug)]
pub struct Verifier {
    secret: Secret,
    seen: Mutex<HashMap<String, Instant>>,
}

impl Verifier {
    /// A verifier for `secret`.
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        Self {
            secret,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies a request received at unix time `now`; with `once`, a signature seen before is
    /// a replay.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
        once: bool,
    ) -> Result<(), Rejected> {
        let header = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(Rejected::Missing(name))
        };
        let timestamp = header("x-slack-request-timestamp")?;
        let signature = header("x-slack-signature")?;
        let ts: i64 = timestamp
            .parse()
            .map_err(|_| Rejected::Missing("x-slack-request-timestamp"))?;
        // `abs_diff`: `now - ts` overflows for timestamps near `i64::MIN`, and wraps into the
        // window in a release build.
        let skew = now.abs_diff(ts);
        if skew > WINDOW_SECS.unsigned_abs() {
            return Err(Rejected::Stale(i64::try_from(skew).unwrap_or(i64::MAX)));
        }
        let hex = signature.strip_prefix("v0=").ok_or(Rejected::Forged)?;
        let claimed = decode_hex(hex).ok_or(Rejected::Forged)?;
        self.mac(timestamp, body)
            .verify_slice(&claimed)
            .map_err(|_| Rejected::Forged)?;
        if once {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let window = Duration::from_secs(WINDOW_SECS.unsigned_abs() * 2);
            seen.retain(|_, at| at.elapsed() < window);
            if seen.insert(signature.to_owned(), Instant::now()).is_some() {
                return Err(Rejected::Replayed);
            }
        }
        Ok(())
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        mac
    }

    /// The signature Slack would send for `body` at `timestamp`.
    #[must_use]
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let bytes = self.mac(timestamp, body).finalize().into_bytes();
        let hex = bytes.iter().fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        format!("v0={hex}")
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: i64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const EXPECTED: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn headers(ts: i64, signature: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-slack-request-timestamp",
            HeaderValue::from_str(&ts.to_string()).unwrap(),
        );
        h.insert(
            "x-slack-signature",
            HeaderValue::from_str(signature).unwrap(),
        );
        h
    }

    #[test]
    fn slacks_published_test_vector() {
        let verifier = Verifier::new(Secret::new(SECRET));
        assert_eq!(
            verifier.sign(&TIMESTAMP.to_string(), BODY.as_bytes()),
            EXPECTED
        );
        assert_eq!(
            verifier.verify(
                &headers(TIMESTAMP, EXPECTED),
                BODY.as_bytes(),
                TIMESTAMP + 10,
                true
            ),
            Ok(())
        );
    }

    #[test]
    fn forged_stale_replayed_and_missing_each_have_their_own_refusal() {
        let verifier = Verifier::new(Secret::new(SECRET));
        let body = BODY.as_bytes();
        let forged = EXPECTED.replace("a2114", "a2115");
        assert_eq!(
            verifier.verify(&headers(TIMESTAMP, &forged), body, TIMESTAMP, true),
            Err(Rejected::Forged)
        );
        assert_eq!(
            verifier.verify(
                &headers(TIMESTAMP, EXPECTED),
                b"text=tampered",
                TIMESTAMP,
                true
            ),
            Err(Rejected::Forged)
        );
        assert_eq!(
            verifier.verify(&headers(TIMESTAMP, EXPECTED), body, TIMESTAMP + 301, true),
            Err(Rejected::Stale(301))
        );
        assert_eq!(
            verifier.verify(&HeaderMap::new(), body, TIMESTAMP, true),
            Err(Rejected::Missing("x-slack-request-timestamp"))
        );
        assert_eq!(
            verifier.verify(&headers(TIMESTAMP, EXPECTED), body, TIMESTAMP, true),
            Ok(())
        );
        assert_eq!(
            verifier.verify(&headers(TIMESTAMP, EXPECTED), body, TIMESTAMP, true),
            Err(Rejected::Replayed)
        );
        assert_eq!(
            verifier.verify(&headers(TIMESTAMP, EXPECTED), body, TIMESTAMP, false),
            Ok(()),
            "event retries are deduplicated elsewhere"
        );
        let statuses: Vec<u16> = [
            Rejected::Missing("x"),
            Rejected::Forged,
            Rejected::Stale(1),
            Rejected::Replayed,
        ]
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
        assert_eq!(statuses, [400, 401, 403, 409]);
    }
}
