//! The scrubber's own mechanics: failing closed leaves the table as it was.

use std::sync::Arc;

use super::*;
use crate::{ScrubConfig, template};

fn scrubber() -> Scrubber {
    let mut b = DictionaryBuilder::new();
    b.name("checkout", Category::Deployment);
    Scrubber::new(
        Arc::new(b.build().unwrap()),
        &ScrubConfig::default(),
        Policy::Pseudonymize,
    )
    .unwrap()
}

#[test]
fn text_is_checked_again_after_rendering() {
    let s = scrubber();
    assert!(s.check("deployment-1 is fine").is_ok());
    let err = s.check("checkout is not").unwrap_err();
    assert!(matches!(
        err,
        ScrubError::Leak {
            what: "a name from the cluster",
            offset: 0,
            ..
        }
    ));
    assert!(s.check("ssh key AKIAIOSFODNN7EXAMPLE").is_err());
}

#[test]
fn a_failed_scrub_leaves_the_table_as_it_was() {
    let mut s = scrubber();
    s.scrub_text("checkout").unwrap();
    let before = s.table().len();
    // A template with a secret in it cannot be assembled, and a refused JSON value
    // issues no pseudonyms.
    let err = s.assemble(&[Part::Template(template!(
        "token=ghp_16C7e42F292c6912E7710c838347Ae178B4a"
    ))]);
    assert!(err.is_err());
    assert_eq!(s.table().len(), before);
}

#[test]
fn pseudonyms_of_this_table_are_not_scrubbed_again() {
    let mut s = scrubber();
    let first = s.scrub_text("checkout").unwrap();
    let again = s.scrub_text(&format!("history: {first}")).unwrap();
    assert_eq!(again.as_str(), "history: deployment-1");
}

#[test]
fn names_insisted_on_are_replaced_even_in_prose() {
    let mut b = DictionaryBuilder::new();
    b.name("cart", Category::Deployment);
    let dictionary = Arc::new(b.build().unwrap());
    let mut s = Scrubber::new(dictionary, &ScrubConfig::default(), Policy::Pseudonymize).unwrap();
    let prose = "FATAL cart giving up; deployment cart restarts";
    let plain = s.scrub_text(prose).unwrap();
    assert!(
        plain.as_str().starts_with("FATAL cart giving up"),
        "an ordinary word stays prose: {}",
        plain.as_str()
    );
    s.insist_on([("cart", Category::Deployment)]).unwrap();
    let insisted = s.scrub_text(prose).unwrap();
    assert!(!insisted.as_str().contains("cart"), "{}", insisted.as_str());
    let pseudonym = s.table().pseudonym_of("cart").unwrap().to_owned();
    assert_eq!(
        insisted.as_str().matches(pseudonym.as_str()).count(),
        2,
        "one pseudonym: {}",
        insisted.as_str()
    );
}
