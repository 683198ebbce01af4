//! `jiuzhu supervise …`: county supervision from the command line. `sample` draws the
//! month's spot-check sample (抽查) of a county with a recorded seed: the same data and seed
//! give the same sample on any machine (method in ARCHITECTURE.md "Supervision").

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::Subcommand;
use jiuzhu_domain::DivisionCode;
use jiuzhu_domain::supervision::Month;
use jiuzhu_store::{Command, CommandOutcome, StoreError, SupervisionCommand};

use crate::{DbArg, cli_ctx, open_store};

#[derive(Subcommand)]
pub enum SuperviseCmd {
    /// Draw the spot-check sample (抽查) of a county's township decisions of one month.
    #[command(
        long_about = "Draw the spot-check sample (抽查) of a county's township decisions of one \
month (by decision date), stratified by township, program and approval/refusal, at the \
profile's rate (supervision.spot_check_percent, raised per program by \
supervision.spot_check_program_percent), rounding up per stratum.\n\n\
Prints the sampled case numbers, one per line, on standard output; the draw (seed, method, \
candidates, sample) is recorded in the audit log. The same data and seed give the same \
sample. A county and month is drawn once: a second draw is refused unless --redraw-reason \
says why, and then replaces the first (both stay in the log).\n\n\
Example: jiuzhu supervise sample --county 650205 --period 2023-03 --seed 20230401"
    )]
    Sample {
        #[command(flatten)]
        db: DbArg,
        /// County-level division code (6 digits).
        #[arg(long)]
        county: DivisionCode,
        /// The month of the decisions, YYYY-MM (it must be over).
        #[arg(long)]
        period: Month,
        /// The seed (0 to 18446744073709551615), chosen in public or from a recorded source.
        #[arg(long)]
        seed: u64,
        /// Replace the month's existing draw, for this reason (recorded).
        #[arg(long, value_name = "TEXT")]
        redraw_reason: Option<String>,
    },
}

pub async fn run(cmd: SuperviseCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        SuperviseCmd::Sample {
            db,
            county,
            period,
            seed,
            redraw_reason,
        } => {
            let store = open_store(&db.url()).await?;
            let done = store
                .execute(
                    &cli_ctx()?,
                    Command::Supervision(SupervisionCommand::DrawSample {
                        county: county.clone(),
                        period,
                        seed,
                        redraw_reason,
                    }),
                )
                .await
                .map_err(|e| match e {
                    StoreError::Supervision {
                        code, message_zh, ..
                    } => anyhow!("{message_zh} ({code})"),
                    other => anyhow!(other),
                })?;
            let CommandOutcome::SampleDrawn {
                draw_id,
                candidates,
                method,
                case_numbers,
                ..
            } = done.outcome
            else {
                bail!("unexpected outcome {:?}", done.outcome);
            };
            for n in &case_numbers {
                println!("{n}");
            }
            eprintln!(
                "draw {draw_id}: {} of {candidates} township decisions of {period} in {county}, \
                 seed {seed}, method {method}",
                case_numbers.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
