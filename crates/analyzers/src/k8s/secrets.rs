//! What looks like a credential written in plain text: names that say they hold one (in
//! environment variables and ConfigMap keys), and values shaped like a private key or a token.
//! Secrets themselves are never read.

/// Names that say a variable holds a credential.
pub(crate) fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["secret", "password", "passwd"]
        .iter()
        .any(|word| lower.contains(word))
}

/// A name that says where a credential is rather than holding one: `DB_PASSWORD_FILE`,
/// `SECRETS_DIR`, `PASSWORD_SECRET_NAME`.
fn points_elsewhere(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["_FILE", "_PATH", "_DIR", "_NAME"]
        .iter()
        .any(|suffix| upper.ends_with(suffix))
}

/// A literal in a variable named like a secret, unless the name or the value (an absolute path)
/// says where the credential is rather than holding it.
pub(crate) fn secret_literal(name: &str, value: &str) -> bool {
    secret_name(name) && !value.is_empty() && !points_elsewhere(name) && !value.starts_with('/')
}

/// A ConfigMap key that says it holds a credential: what [`secret_name`] accepts, an API key or
/// private key, or `token` as a word of its own (`auth_token`, not `tokenizer.json`).
pub(crate) fn secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let joined: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    secret_name(key)
        || joined.contains("apikey")
        || joined.contains("privatekey")
        || lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word == "token" || word == "tokens")
}

/// A value that only names or configures a credential: a boolean, a number, a path, or a
/// template placeholder (`${DB_PASSWORD}`, `{{ .Values.password }}`).
pub(crate) fn not_a_credential(value: &str) -> bool {
    let value = value.trim();
    value.is_empty()
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none"
        )
        || value.parse::<f64>().is_ok()
        || value.starts_with('/')
        || (value.starts_with("${") && value.ends_with('}'))
        || (value.starts_with("{{") && value.ends_with("}}"))
}

/// Whether a ConfigMap entry holds a credential: a key named like one with a literal value, as
/// [`secret_literal`] and [`secret_key`] judge it.
pub(crate) fn secret_entry(key: &str, value: &str) -> bool {
    secret_key(key) && !points_elsewhere(key) && !not_a_credential(value)
}

/// Prefixes of tokens that issuers make recognisable on purpose.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "sk_live_",
    "rk_live_",
];

/// What in a value is a credential whatever its key: `private key` for a PEM private key
/// block, `AWS access key` or `token` for a token of a recognisable format.
pub(crate) fn credential_in(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    let words = value.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    for word in words {
        let aws = word.len() == 20
            && (word.starts_with("AKIA") || word.starts_with("ASIA"))
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if aws {
            return Some("an AWS access key");
        }
        if TOKEN_PREFIXES
            .iter()
            .any(|p| word.starts_with(p) && word.len() >= p.len() + 16)
        {
            return Some("an API token");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_literals_leave_out_paths_and_names() {
        assert!(secret_literal("SECRET_BLAH", "secretsquirrels"));
        assert!(secret_literal("db_password", "hunter2"));
        assert!(!secret_literal("DB_PASSWORD", ""));
        assert!(!secret_literal("DB_PASSWORD_FILE", "hunter2"));
        assert!(!secret_literal("client_secret_path", "x"));
        assert!(!secret_literal("SECRETS_DIR", "x"));
        assert!(!secret_literal("PASSWORD_SECRET_NAME", "db-credentials"));
        assert!(!secret_literal("DB_PASSWORD", "/run/secrets/db"));
        assert!(!secret_literal("USER", "hunter2"));
    }

    #[test]
    fn config_map_entries_need_a_literal_credential() {
        assert!(secret_entry("db.password", "hunter2"));
        assert!(secret_entry("AUTH_TOKEN", "abc123def"));
        assert!(secret_entry("stripeApiKey", "abc"));
        assert!(!secret_entry("tokenizer.json", "{}"));
        assert!(!secret_entry("password_min_length", "12"));
        assert!(!secret_entry("enable_password_auth", "true"));
        assert!(!secret_entry("DB_PASSWORD", "${DB_PASSWORD}"));
        assert!(!secret_entry("DB_PASSWORD_FILE", "hunter2"));
        assert!(!secret_entry("log_level", "debug"));
    }

    #[test]
    fn credentials_are_found_by_their_shape() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----";
        assert_eq!(credential_in(pem), Some("a private key"));
        assert_eq!(
            credential_in("aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key")
        );
        assert_eq!(
            credential_in("token: ghp_0123456789abcdefABCDEF"),
            Some("an API token")
        );
        assert_eq!(credential_in("-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(credential_in("level: debug\nAKIA"), None);
    }
}
