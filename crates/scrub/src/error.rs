//! Why the anonymizer refused to produce anything. Every error means nothing was sent.

use crate::Policy;

/// Why scrubbing failed. The anonymizer fails closed: on any of these, no [`Scrubbed`] value is
/// produced, so nothing can be sent.
///
/// [`Scrubbed`]: crate::Scrubbed
#[derive(Debug, thiserror::Error)]
pub enum ScrubError {
    /// A `[scrub]` pattern in the config file is not a valid regular expression. Fix the pattern
    /// (the syntax is that of the `regex` crate: no look-around, no back-references) or remove it.
    #[error(
        "the [scrub] pattern `{pattern}` in the config file is not a valid regular expression; \
         fix it or remove it (nothing was sent): {source}"
    )]
    BadPattern {
        /// The pattern as written.
        pattern: String,
        /// What the regex parser said.
        #[source]
        source: regex::Error,
    },
    /// One of kubewhy's own detectors failed to compile. This is a bug in kubewhy: report it.
    #[error(
        "kubewhy's `{name}` detector could not be built, so nothing can be scrubbed or sent; \
         please report this bug: {source}"
    )]
    Detector {
        /// The detector.
        name: &'static str,
        /// What the regex compiler said.
        #[source]
        source: regex::Error,
    },
    /// The dictionary of names from the cluster could not be built (usually because the
    /// snapshot is too large for the matcher's limits). Narrow the run with `-n` or `-l`.
    #[error(
        "cannot build the dictionary of names to scrub from this snapshot, so nothing was sent; \
         narrow the run with -n NAMESPACE or -l SELECTOR: {source}"
    )]
    Dictionary {
        /// What the matcher builder said.
        #[source]
        source: aho_corasick::BuildError,
    },
    /// The final check over the bytes about to be sent still found something sensitive. If the
    /// value is not sensitive, add it to `[scrub] allow` in the config file; if it is a name of
    /// your cluster that kubewhy missed, add it to `[scrub] patterns` and report the miss.
    #[error(
        "the final check found {what} ({masked}) at byte {offset} of the text to send, so nothing \
         was sent; if it is not sensitive add it to [scrub] allow in the config file, otherwise \
         add a [scrub] pattern for it"
    )]
    Leak {
        /// What kind of value was found (`a hostname`, `a secret`).
        what: &'static str,
        /// The value, masked: at most its first two characters and its length.
        masked: String,
        /// Where it starts, in bytes.
        offset: usize,
    },
    /// A value scrubbed under a weaker policy was joined into a message for a stricter one (a
    /// Slack text, which keeps names, into a prompt for an LLM). Scrub the value again under the
    /// stricter policy.
    #[error(
        "a part scrubbed for {part} cannot go into a message scrubbed for {wanted}; \
         scrub that part again for {wanted}"
    )]
    PolicyMismatch {
        /// The policy the part was scrubbed under.
        part: Policy,
        /// The policy of the message.
        wanted: Policy,
    },
}
