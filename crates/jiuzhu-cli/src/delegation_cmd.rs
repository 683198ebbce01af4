//! `jiuzhu delegation …`: 授权 grants of confirmation authority, their revocation, and the
//! authority question itself, for operators and scripts.

use std::process::ExitCode;

use anyhow::bail;
use chrono::NaiveDate;
use clap::Subcommand;
use jiuzhu_domain::delegation::Authority;
use jiuzhu_domain::{DivisionCode, Fen, Program};
use jiuzhu_store::{Actor, Command, CommandOutcome, NewGrant};

use crate::{DbArg, cli_ctx, open_store, operator};

#[derive(Subcommand)]
pub enum DelegationCmd {
    /// Grant a program's confirmation authority to a township (授权书).
    #[command(
        long_about = "Grant a program's confirmation authority to a township (授权书/委托书).\n\n\
Programs: dibao, tekun, linshi, dishouru, gaoling, canji. Amounts strictly above --cap-yuan \
are decided by the county. Overlapping grants of one program to one township are refused.\n\n\
Example: jiuzhu delegation grant --program linshi --township 511526102000 --from 2020-05-01 \
--cap-yuan 3000 --basis \"珙县试点方案 二、三\""
    )]
    Grant {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        program: Program,
        /// Township or street office (12-digit code ending in 000).
        #[arg(long)]
        township: DivisionCode,
        /// First day of the authority (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        /// Last day (inclusive), if limited.
        #[arg(long)]
        until: Option<NaiveDate>,
        /// Cap in yuan (e.g. 3000 or 3000.00); above it the county decides.
        #[arg(long, value_name = "YUAN")]
        cap_yuan: Option<Fen>,
        /// The letter of authorization's number or the plan clause.
        #[arg(long)]
        basis: String,
    },
    /// Revoke a grant from a date, with a reason.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        /// The grant's id (see `jiuzhu delegation list`).
        #[arg(long)]
        grant: i64,
        /// From this day on the county decides again.
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        reason: String,
    },
    /// List grants, optionally under one division.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Only grants of townships under this code.
        #[arg(long)]
        within: Option<DivisionCode>,
    },
    /// Who confirms PROGRAM for a case in TOWNSHIP on DATE (for an amount)?
    #[command(
        long_about = "Who confirms PROGRAM for a case in TOWNSHIP on DATE (for AMOUNT yuan)?\n\n\
Prints `township grant=ID` or `county reason=…` and a Chinese explanation."
    )]
    Who {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        program: Program,
        #[arg(long)]
        township: DivisionCode,
        #[arg(long)]
        date: NaiveDate,
        /// The amount in yuan; required when the grant in force has a cap.
        #[arg(long, value_name = "YUAN")]
        amount_yuan: Option<Fen>,
    },
}

pub async fn run(cmd: DelegationCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        DelegationCmd::Grant {
            db,
            program,
            township,
            from,
            until,
            cap_yuan,
            basis,
        } => {
            let store = open_store(&db.url()).await?;
            let grant = NewGrant {
                program,
                township,
                from,
                until,
                cap: cap_yuan,
                basis,
            };
            let done = store
                .execute(&cli_ctx()?, Command::GrantDelegation(grant))
                .await?;
            let CommandOutcome::DelegationGranted { grant_id } = done.outcome else {
                bail!("unexpected outcome {:?}", done.outcome);
            };
            println!("granted: grant {grant_id}");
        }
        DelegationCmd::Revoke {
            db,
            grant,
            from,
            reason,
        } => {
            let store = open_store(&db.url()).await?;
            store
                .execute(
                    &cli_ctx()?,
                    Command::RevokeDelegation {
                        grant_id: grant,
                        effective: from,
                        reason,
                    },
                )
                .await?;
            println!("revoked: grant {grant} from {from}");
        }
        DelegationCmd::List { db, within } => {
            let store = open_store(&db.url()).await?;
            let actor = Actor::system(operator());
            println!(
                "{:>5}  {:<9} {:<13} {:<10} {:<10} {:>12}  {:<10} basis",
                "id", "program", "township", "from", "until", "cap", "revoked"
            );
            for g in store.grants(&actor, within.as_ref(), None).await? {
                println!(
                    "{:>5}  {:<9} {:<13} {:<10} {:<10} {:>12}  {:<10} {}",
                    g.id,
                    g.program.as_str(),
                    g.township.as_str(),
                    g.from,
                    g.until.map_or_else(|| "-".to_string(), |d| d.to_string()),
                    g.cap.map_or_else(|| "-".to_string(), |c| c.to_string()),
                    g.revoked
                        .as_ref()
                        .map_or_else(|| "-".to_string(), |r| r.effective.to_string()),
                    g.basis
                );
            }
        }
        DelegationCmd::Who {
            db,
            program,
            township,
            date,
            amount_yuan,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = Actor::system(operator());
            match store
                .authority(&actor, program, &township, date, amount_yuan)
                .await?
            {
                Authority::Township { grant_id, .. } => {
                    println!("township grant={grant_id}");
                    println!("由乡镇（街道）确认");
                }
                Authority::County { reason, .. } => {
                    let code = serde_json::to_value(&reason)
                        .ok()
                        .and_then(|v| v.get("reason").and_then(|r| r.as_str().map(String::from)))
                        .unwrap_or_default();
                    println!("county reason={code}");
                    println!("{}", reason.message_zh());
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
