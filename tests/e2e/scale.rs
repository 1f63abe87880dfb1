//! The smoke variant of the scale benchmark (`benches/scale`): one small cluster through the
//! whole measurement, asserting that the table is produced and that kubewhy, over the API, found
//! every kind of failure the generator put in. Timings are printed, never asserted.

#[path = "../../benches/scale/fetch.rs"]
mod fetch;
#[path = "../../benches/scale/measure.rs"]
mod measure;

#[test]
fn the_scale_benchmark_prints_its_table_and_finds_every_generated_failure() {
    if std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_err()
    {
        eprintln!("kubectl is not installed; skipping the scale benchmark's smoke test");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = measure::Tools {
        kubewhy: env!("CARGO_BIN_EXE_kubewhy").into(),
        kubectl: "kubectl".into(),
        dir: dir.path().to_owned(),
    };
    let row = measure::row(&tools, 1000, 0.3);
    let table = measure::table(std::slice::from_ref(&row));
    println!("{table}");
    assert!(table.starts_with("   pods"), "{table}");
    assert!(table.contains("parse floor"), "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim_start().starts_with("1000 ")),
        "{table}"
    );
    assert!(row.expected.len() >= 12, "{:?}", row.expected);
    let missed: Vec<&String> = row.expected.difference(&row.found).collect();
    assert!(
        missed.is_empty(),
        "kubewhy missed {missed:?}; it found {:?}",
        row.found
    );
    assert!(
        row.bytes > 10_000_000,
        "{} bytes served for 1000 pods",
        row.bytes
    );
}
