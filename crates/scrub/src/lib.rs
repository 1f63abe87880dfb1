//! kubewhy's anonymizer: the one way out of the process.
//!
//! Everything that leaves the machine (a prompt, a follow-up chat turn, a Slack message, an MCP
//! tool result) is a [`Scrubbed`] value, and only this crate can make one. A [`Scrubber`]
//! replaces, under its [`Policy`]:
//! - **names**, from a [`Dictionary`] built from the snapshot: every object's name, namespaces,
//!   nodes, containers, label and annotation values, env values, Ingress hosts, images, and every
//!   name an object *refers to* whether or not it exists (a missing Secret is often the cause),
//!   and the users of URLs with credentials; in their own case, capitalised or in capitals;
//! - **addresses and identifiers**, by detectors, in any text: IPs and CIDRs, hostnames, URLs,
//!   emails, cloud account, project and subscription ids (labelled or not), uids, digests, and
//!   names quoted after a kind (`volume "certs"`, `secret "stripe" not found`);
//! - **secrets**, by detectors and by env names, under every policy: tokens, keys, passwords,
//!   private keys, high-entropy strings.
//!
//! Pseudonyms are typed and readable (`deployment-1-pod-2`, `namespace-1`, `ip-4`, `secret-1`),
//! numbered in order of first appearance, and never clash with real text. [`unscrub`] restores
//! names and addresses in an answer and reports pseudonyms it does not know; it never restores a
//! secret. Scrubbing fails closed: every output is checked again by the same matchers, and any
//! hit, or a matcher that cannot be built, is an error and produces nothing.
//!
//! Kubernetes vocabulary is never scrubbed: kinds, reasons, field names, API groups, well-known
//! label keys, extended resources, exit codes and ports (`data/vocabulary.txt`). Names that are
//! ordinary words (`web`, `api`, `cache`) are replaced only where the text uses them as names;
//! [`Dictionary`] states the rule.
//!
//! A Secret *object's* name is a name (`secretname-1`, restored in answers); a secret *value* is
//! a `secret-N`, never restored, and never stored in a [`PseudonymTable`].

mod boundary;
mod category;
mod config;
mod detect;
mod dictionary;
mod error;
mod hash;
mod mask;
mod policy;
mod redact;
mod scrubbed;
mod scrubber;
mod spans;
mod table;
mod unscrub;
mod vocab;

pub use category::Category;
pub use config::ScrubConfig;
pub use dictionary::{Dictionary, DictionaryBuilder};
pub use error::ScrubError;
pub use mask::mask_credential;
pub use policy::Policy;
pub use redact::{REDACTED, Redactor};
pub use scrubbed::{EVIDENCE_CLOSE, EVIDENCE_OPEN, Part, Scrubbed, Template, fence_evidence};
pub use scrubber::Scrubber;
pub use table::{Entry, PseudonymTable};
pub use unscrub::{UnknownPseudonym, Unscrubbed, unscrub};
