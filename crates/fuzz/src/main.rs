//! `kubewhy-fuzz TARGET [--seconds N] [--seed S] [--timeout N] [--save N]`: runs one fuzz
//! campaign and prints what it did. Crashing and hanging inputs go to `crashes/TARGET/`, new
//! corpus inputs to `corpus/TARGET/` (at most `--save`, 20 unless told).

use std::{path::PathBuf, process::ExitCode, time::Duration};

use kubewhy_fuzz::{Campaign, Config, TARGETS, panics, target};

const USAGE: &str = "usage: kubewhy-fuzz TARGET [--seconds N] [--seed S] [--timeout SECONDS] [--save N] [--execs N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprintln!("{USAGE}");
        for t in &TARGETS {
            eprintln!("  {:<10} {}", t.name, t.about);
        }
        return ExitCode::from(2);
    };
    let Some(target) = target(name) else {
        eprintln!("unknown target `{name}`; the targets are {}", names());
        return ExitCode::from(2);
    };
    let config = match config(&args[1..], name) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    panics::quiet();
    let stats = match Campaign::run(target, &config) {
        Ok(stats) => stats,
        Err(e) => {
            eprintln!("kubewhy-fuzz: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{name}: {} executions in {:.1} s ({:.0}/s), corpus {} ({} new saved), {} behaviours, {} crashes",
        stats.execs,
        stats.elapsed.as_secs_f64(),
        stats.per_second(),
        stats.corpus,
        stats.saved,
        stats.behaviours,
        stats.crashes.len()
    );
    for crash in &stats.crashes {
        let at = crash
            .saved
            .as_ref()
            .map_or_else(String::new, |p| format!(" ({})", p.display()));
        println!("  crash{at}: {}", crash.message);
    }
    if stats.crashes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn names() -> String {
    TARGETS
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn config(args: &[String], name: &str) -> Result<Config, String> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config {
        duration: Duration::from_mins(1),
        seed: 1,
        timeout: Duration::from_secs(5),
        corpus_dir: Some(here.join("corpus").join(name)),
        save: 20,
        crashes_dir: Some(here.join("crashes").join(name)),
        max_execs: None,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value}: not a number"))
        };
        match flag.as_str() {
            "--seconds" => config.duration = Duration::from_secs(number()?),
            "--seed" => config.seed = number()?,
            "--timeout" => config.timeout = Duration::from_secs(number()?),
            "--save" => config.save = usize::try_from(number()?).unwrap_or(usize::MAX),
            "--execs" => config.max_execs = Some(number()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(config)
}
