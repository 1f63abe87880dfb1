//! Every saved input through its target: the corpus (`corpus/TARGET/`) and the inputs of
//! crashes found and fixed (`regressions/TARGET/`). Then a short campaign of each target with a
//! fixed seed, as the smoke variant of the documented campaigns.

use std::{path::Path, time::Duration};

use kubewhy_fuzz::{Campaign, Config, Features, TARGETS, campaign::read_dir, panics};

fn replay(folder: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut replayed = 0;
    for target in &TARGETS {
        let inputs = read_dir(&root.join(target.name)).unwrap();
        for (i, input) in inputs.iter().enumerate() {
            let result = panics::catch(|| (target.run)(input, &mut Features::default()));
            assert!(
                result.is_ok(),
                "{folder}/{}: input {i} crashed: {}",
                target.name,
                result.unwrap_err()
            );
        }
        replayed += inputs.len();
    }
    replayed
}

#[test]
fn the_corpus_replays_without_a_crash() {
    let replayed = replay("corpus");
    assert!(replayed >= TARGETS.len(), "only {replayed} corpus inputs");
}

#[test]
fn fixed_crashes_stay_fixed() {
    replay("regressions");
}

#[test]
fn a_short_campaign_of_each_target_finds_nothing() {
    for target in &TARGETS {
        let config = Config {
            duration: Duration::from_secs(5),
            seed: 7,
            timeout: Duration::from_mins(1),
            corpus_dir: Some(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("corpus")
                    .join(target.name),
            ),
            save: 0,
            ..Config::default()
        };
        let stats = Campaign::run(target, &config).unwrap();
        assert!(
            stats.execs > 10,
            "{}: only {} executions",
            target.name,
            stats.execs
        );
        assert!(
            stats.crashes.is_empty(),
            "{}: {:#?}",
            target.name,
            stats
                .crashes
                .iter()
                .map(|c| (&c.message, String::from_utf8_lossy(&c.input)))
                .collect::<Vec<_>>()
        );
    }
}
