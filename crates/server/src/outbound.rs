//! The one way out to Slack and MCP clients: every message is rendered with real names (secrets
//! already redacted by the engine), then passed through the anonymizer under the receiver's
//! policy, and only the resulting [`Scrubbed`] value is sent. A pseudonym can be longer than the
//! name it replaces, so a Slack message that breaks Block Kit's limits once scrubbed is
//! rendered again on a tighter budget rather than cut.

use std::sync::Arc;

use kubewhy_report::slack::{self, Budget, Message};
use kubewhy_scrub::{Dictionary, Policy, ScrubConfig, ScrubError, Scrubbed, Scrubber};

use crate::work::Analysis;

/// Why nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The anonymizer refused the text.
    #[error(transparent)]
    Scrub(#[from] ScrubError),
    /// The anonymizer's dictionary could not be built.
    #[error("nothing was sent: {0}")]
    Dictionary(String),
    /// Even the tightest rendering breaks Slack's limits.
    #[error("the message does not fit Slack's limits: {0}")]
    TooLarge(String),
}

/// A scrubber for one receiver, over the names of `analysis` when the policy replaces names.
pub fn scrubber(
    analysis: Option<&Analysis>,
    policy: Policy,
    config: &ScrubConfig,
) -> Result<Scrubber, SealError> {
    let Some(analysis) = analysis.filter(|_| policy.replaces_names()) else {
        return Ok(Scrubber::new(
            Arc::new(Dictionary::default()),
            config,
            policy,
        )?);
    };
    let dictionary = analysis.dictionary().map_err(SealError::Dictionary)?;
    let mut scrubber = Scrubber::new(dictionary, config, policy)?;
    let names = analysis.names();
    scrubber.insist_on(names.iter().map(|(n, c)| (n.as_str(), *c)))?;
    Ok(scrubber)
}

/// Renders with `render` and scrubs every message with `scrubber`, tightening the budget until
/// every scrubbed message is within Block Kit's limits.
pub fn seal(
    scrubber: &mut Scrubber,
    render: impl Fn(Budget) -> Vec<Message>,
) -> Result<Vec<Scrubbed>, SealError> {
    let mut budget = Budget::default();
    let mut last = String::new();
    for _ in 0..4 {
        let sealed = render(budget)
            .iter()
            .map(|m| scrubber.scrub_json(&m.to_json()))
            .collect::<Result<Vec<_>, _>>()?;
        let broken: Vec<String> = sealed
            .iter()
            .filter_map(Scrubbed::as_json)
            .flat_map(slack::violations)
            .collect();
        if broken.is_empty() {
            return Ok(sealed);
        }
        last = broken.join("; ");
        budget = budget.tighter();
    }
    Err(SealError::TooLarge(last))
}
