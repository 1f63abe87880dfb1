//! What the dictionary collects from a snapshot, and how it matches.

use super::*;
use kubewhy_source::files;

fn shop() -> Dictionary {
    let loaded = files::parse([files::Input {
        name: "shop.yaml".into(),
        text: include_str!("../../testdata/shop.yaml").into(),
    }]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Dictionary::from_snapshot(&loaded.snapshot).unwrap()
}

#[test]
fn every_name_an_object_holds_or_refers_to_is_collected() {
    let d = shop();
    for (name, category) in [
        ("shop", Category::Namespace),
        ("checkout", Category::Deployment),
        ("checkout-7d4b9c-x2x2z", Category::Pod),
        ("checkout-7d4b9c", Category::ReplicaSet),
        ("payments-stripe", Category::SecretName),
        ("checkout-config", Category::ConfigMap),
        ("checkout-data", Category::Pvc),
        ("checkout-tls", Category::SecretName),
        ("regcred", Category::SecretName),
        ("checkout-sa", Category::ServiceAccount),
        ("orders", Category::Deployment),
        ("legacy-frontend", Category::Service),
        ("policy-webhook", Category::Service),
        ("security", Category::Namespace),
        ("shop.acme-corp.com", Category::Host),
        ("ip-10-0-1-5.ec2.internal", Category::Node),
        ("i-0abcd1234ef567890", Category::Id),
        ("ledger-sync", Category::Container),
        ("acme/checkout", Category::Image),
        ("payments-team", Category::Label),
        ("hunter2-very-secret", Category::Secret),
        ("accounts-db", Category::Value),
    ] {
        assert_eq!(d.category(name), Some(category), "{name}");
    }
}

#[test]
fn vocabulary_and_generic_names_are_not_collected() {
    let d = shop();
    for kept in [
        "app",
        "proxy",
        "nginx",
        "debug",
        "v1",
        "7d4b9c-x",
        "kubernetes.io/hostname",
    ] {
        assert!(!d.contains(kept), "{kept}");
    }
}

#[test]
fn matching_takes_the_longest_name_at_a_boundary() {
    let mut b = DictionaryBuilder::new();
    b.name("checkout", Category::Deployment)
        .name("checkout-api", Category::Deployment);
    let d = b.build().unwrap();
    let text = "checkout-api, checkout-apix, xcheckout";
    let mut found = Vec::new();
    d.find(text, false, false, &mut found);
    let matched: Vec<&str> = found.iter().map(|f| &text[f.start..f.end]).collect();
    assert_eq!(matched, ["checkout-api", "checkout"]);
}

#[test]
fn an_empty_dictionary_matches_nothing() {
    let d = DictionaryBuilder::new().build().unwrap();
    let mut found = Vec::new();
    d.find("anything", true, false, &mut found);
    assert!(found.is_empty() && d.is_empty());
}
