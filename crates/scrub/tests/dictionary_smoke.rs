//! The benchmark's generated cluster, small: the dictionary holds every kind of name the
//! generator plants, and scrubbed evidence keeps none of them. Nothing here is timed.

#[path = "../benches/support/cluster.rs"]
mod cluster;

use std::sync::Arc;

use kubewhy_scrub::{Category, Dictionary, Policy, ScrubConfig, Scrubber};
use kubewhy_source::files;

#[test]
fn a_generated_cluster_is_fully_scrubbed() {
    let loaded = files::parse([files::Input {
        name: "cluster.json".into(),
        text: cluster::cluster_json(400),
    }]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
    let dictionary = Arc::new(Dictionary::from_snapshot(&loaded.snapshot).unwrap());
    let pod = cluster::pod_name(7, 2);
    for (name, category) in [
        (pod.as_str(), Category::Pod),
        ("svc-00007", Category::Deployment),
        ("svc-00007-api", Category::SecretName),
        ("svc-00007-config", Category::ConfigMap),
        ("svc-00007-data", Category::Pvc),
        ("svc-00007-sa", Category::ServiceAccount),
        ("team-000-registry", Category::SecretName),
        ("team-000.shop.acme-corp.com", Category::Host),
        ("svc-00007-db", Category::Service),
        ("pw-00007-Zq8rT2", Category::Secret),
        ("team-000", Category::Namespace),
    ] {
        assert_eq!(dictionary.category(name), Some(category), "{name}");
    }
    let mut scrubber =
        Scrubber::new(dictionary, &ScrubConfig::default(), Policy::Pseudonymize).unwrap();
    let evidence = cluster::evidence(7, 2);
    let out = scrubber.scrub_text(&evidence).unwrap();
    for planted in [
        pod.as_str(),
        "svc-00007",
        "team-000",
        "acme",
        "pw-00007",
        "ops@",
        "10.2.0.7",
        "10.96.0.10",
    ] {
        assert!(!out.as_str().contains(planted), "{planted} in\n{out}");
    }
    assert!(out.as_str().contains("CrashLoopBackOff") || out.as_str().contains("Back-off"));
}
