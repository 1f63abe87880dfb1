//! `kubewhy eval`: scores a backend's explanations on the demo's scenarios (and the archive
//! fixtures, given their folder) through the engine, and prints the report's tables.

use std::{path::Path, process::ExitCode};

use anyhow::{Result, bail};
use kubewhy_engine::eval::EvalOptions;

use crate::{
    args::{ColorWhen, EvalArgs, EvalFormat},
    commands::write_quietly,
};

pub(crate) async fn eval(
    args: EvalArgs,
    color: ColorWhen,
    config: Option<&Path>,
) -> Result<ExitCode> {
    if args.llm.dry_run {
        bail!("--dry-run sends nothing, so there is no answer to score; drop --dry-run");
    }
    let explain = crate::llm::explain_options(&args.llm, config)?;
    let report = kubewhy_engine::eval::run(EvalOptions {
        explain,
        fixtures: args.fixtures,
    })
    .await?;
    let json = matches!(args.output, EvalFormat::Json);
    write_quietly(color, |out| {
        kubewhy_report::eval::render(&report, json, out)
    })?;
    let below = args.min_pass_rate.is_some_and(|min| {
        report
            .suites
            .first()
            .is_some_and(|demo| demo.pass_rate() * 100.0 < min)
    });
    Ok(if below {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
