//! Slack's request signing: `X-Slack-Signature` is `v0=` and the lowercase hex HMAC-SHA256 of
//! `v0:{timestamp}:{body}` under the app's signing secret.

use std::fmt::Write as _;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The signature Slack puts in `X-Slack-Signature` for a request with this body sent at
/// `timestamp` (unix seconds, the `X-Slack-Request-Timestamp` header), under `secret`.
#[must_use]
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut signature = String::with_capacity(3 + 2 * digest.len());
    signature.push_str("v0=");
    for byte in digest {
        let _ = write!(signature, "{byte:02x}");
    }
    signature
}

/// The two headers Slack sends with a signed request, for `body` sent now:
/// `X-Slack-Request-Timestamp` (unix seconds) and `X-Slack-Signature`.
#[must_use]
pub fn signed_headers(secret: &str, body: &[u8]) -> [(&'static str, String); 2] {
    let timestamp = jiff::Timestamp::now().as_second();
    [
        ("X-Slack-Request-Timestamp", timestamp.to_string()),
        ("X-Slack-Signature", sign(secret, timestamp, body)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_published_test_vector() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&\
                    channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&\
                    user_name=roadrunner&command=%2Fwebhook-collect&text=&\
                    response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F\
                    397700885554%2F96rGlfmibIGlgcZRskXaIFfN&\
                    trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            sign(
                "8f742231b10e8888abcd99yyyzzz85a5",
                1_531_420_618,
                body.as_bytes()
            ),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    #[test]
    fn signed_headers_sign_the_current_time() {
        let [(ts_name, ts), (sig_name, sig)] = signed_headers("secret", b"a=b");
        assert_eq!(ts_name, "X-Slack-Request-Timestamp");
        assert_eq!(sig_name, "X-Slack-Signature");
        let ts: i64 = ts.parse().unwrap();
        assert!((jiff::Timestamp::now().as_second() - ts).abs() < 5);
        assert_eq!(sig, sign("secret", ts, b"a=b"));
    }
}
