//! `jiuzhu payroll …`: the monthly funds cycle (资金发放) from the command line: rosters,
//! settlement, submission, the bank's payment file, its return file, reconciliation with the
//! finance ledger, reserve funds, bank accounts and entitlement changes. Every change runs
//! through `Store::execute` (or the audited export/reconcile), as the system operator or,
//! with `--as USERNAME`, as that account (its role and jurisdiction apply).

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jiuzhu_domain::{DivisionCode, Fen, Program};
use jiuzhu_store::auth::new_secret;
use jiuzhu_store::payroll::{
    self as pr, DiffKind, EntitlementChange, Month, NewReserveMovement, PaymentFileFormat,
    ReserveKind, RosterSummary, RosterTotals,
};
use jiuzhu_store::{Actor, Command, CommandContext, CommandOutcome, Store};

use crate::{DbArg, find_user, open_store, operator};

#[derive(Args, Clone)]
pub struct Who {
    /// Act as this account (its role and jurisdiction apply) instead of the system operator.
    #[arg(long = "as", value_name = "USERNAME")]
    as_user: Option<String>,
}

#[derive(Subcommand)]
pub enum PayrollCmd {
    /// Generate (or rebuild) a county's rosters (花名册) of a month and print their totals.
    #[command(
        long_about = "Generate a county's rosters of a month: one per township and program, from \
the entitlements of approved cases, with back-pay (补发) for months since the start month not yet \
paid and the failed or returned payments of earlier months carried over. Generating again \
rebuilds every roster not settled yet (the same entitlements give the same lines); settled \
rosters stay as the township signed them; a submitted month is refused (payroll.roster_submitted). \
Prints the totals per township and program, the county total and the changes against the \
previous month (new, changed, stopped). Needs county_admin or finance_officer with --as."
    )]
    Roster {
        /// The county (6 digits).
        #[arg(long)]
        county: DivisionCode,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: Month,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// Print the rosters of a month under a county or township, with totals and the diff.
    Show {
        /// A county (6 digits) or township (12 digits).
        #[arg(long)]
        within: DivisionCode,
        #[arg(long)]
        month: Month,
        /// List every new, changed and stopped household, not only the counts.
        #[arg(long)]
        diff: bool,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// 月结: a township settles its rosters of a month (late after the profile's cutoff day).
    #[command(
        long_about = "Settle (月结) a township's rosters of a month. Settlement after the \
profile's payment.roster_cutoff_day of that month is allowed and flagged late. Refused when the \
county's entitlements changed since the rosters were generated (payroll.roster_stale: generate \
again), when already settled or when submitted. Needs township_caseworker or township_head with --as."
    )]
    Settle {
        /// The township or street office (12 digits).
        #[arg(long)]
        township: DivisionCode,
        #[arg(long)]
        month: Month,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// 报送财政: the county submits the month's settled rosters; they are frozen afterwards.
    #[command(
        long_about = "Submit a county's rosters of a month to finance. Every township must have \
settled (payroll.not_settled names the others) and every payment needs a bank account \
(payroll.missing_account names the households); the accounts as they are now go with the \
roster. A submitted month is frozen: generate, settle and submit are refused for it, and \
entitlement changes take effect from the next month."
    )]
    Submit {
        #[arg(long)]
        county: DivisionCode,
        #[arg(long)]
        month: Month,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// Write the bank's payment file (代发文件) of a submitted month: csv or fixed-width.
    #[command(
        long_about = "Write the payment file of a submitted county-month for the entrusted bank: \
one line per payment not yet answered by the bank, with the account, the amount in fen and the \
memo (the program's name when the profile's payment.label_program is true), then a total line. \
Formats: csv and fixed (fixed-width); see docs/payment-files.md. The file's SHA-256, lines and \
total are recorded in the audit log and printed."
    )]
    Export {
        #[arg(long)]
        county: DivisionCode,
        #[arg(long)]
        month: Month,
        /// csv or fixed.
        #[arg(long, default_value = "csv")]
        format: PaymentFileFormat,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// Import the bank's return file (回盘): payments paid, failed or returned.
    #[command(
        long_about = "Import the bank's return file of a submitted county-month (CSV: \
payment_id,amount_fen,result,reason; result paid, failed or returned). The whole file is refused, \
naming the line, when a line names a payment that is not one of that month, states another \
amount, or would pay a household twice for a month. Failed and returned payments are carried \
into the next roster generated."
    )]
    ImportReturns {
        #[arg(long)]
        county: DivisionCode,
        #[arg(long)]
        month: Month,
        /// The return file.
        file: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// Reconcile a submitted month's paid payments with the finance ledger (对账).
    #[command(
        long_about = "Compare the paid payments of a submitted county-month with the finance \
ledger (CSV: payment_id,household_id,program,amount_fen, then #total,<lines>,<amount_fen>; a \
wrong stated total refuses the ledger). Prints the consistency rate and every mismatch and \
records the result in the audit log. Exit status 1 when the rate is below the profile's \
supervision.ledger_consistency_min_percent."
    )]
    Reconcile {
        #[arg(long)]
        county: DivisionCode,
        #[arg(long)]
        month: Month,
        /// The ledger file.
        file: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// 备用金: allocate, spend, replenish a township's reserve fund, or print its statement.
    #[command(subcommand)]
    Reserve(ReserveCmd),
    /// Set a household's bank account (digits, 12–30; 16/19-digit cards pass the Luhn check).
    Account {
        #[arg(long)]
        household: i64,
        /// The account number (spaces and hyphens are ignored).
        #[arg(long)]
        account: String,
        /// The account holder: a member of the household.
        #[arg(long)]
        holder: String,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
    /// 动态管理: increase, reduce, suspend, resume or stop an entitlement from a month.
    Change {
        #[arg(long)]
        household: i64,
        /// dibao, tekun, linshi, gaoling or canji.
        #[arg(long)]
        program: Program,
        /// increase, reduce, suspend, resume or stop.
        #[arg(long)]
        change: String,
        /// The new monthly amount in yuan (increase, reduce).
        #[arg(long)]
        amount: Option<Fen>,
        /// The first month the change applies to (YYYY-MM).
        #[arg(long)]
        effective: Month,
        /// Why (recorded, and on the notice).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
pub enum ReserveCmd {
    /// The county allocates money to a township's reserve fund.
    Allocate(ReserveArgs),
    /// The county replenishes a township's reserve fund.
    Replenish(ReserveArgs),
    /// The township pays an emergency 临时救助 case from its reserve (never below zero).
    Spend {
        #[command(flatten)]
        args: ReserveArgs,
        /// The 临时救助 case paid.
        #[arg(long)]
        case: i64,
    },
    /// A township's reserve fund from one date to another: opening, entries, closing.
    Statement {
        #[arg(long)]
        township: DivisionCode,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Args)]
pub struct ReserveArgs {
    #[arg(long)]
    township: DivisionCode,
    /// Yuan, e.g. 5000.00.
    #[arg(long)]
    amount: Fen,
    #[arg(long, default_value = "")]
    note: String,
    #[command(flatten)]
    who: Who,
    #[command(flatten)]
    db: DbArg,
}

async fn actor(store: &dyn Store, who: &Who) -> anyhow::Result<Actor> {
    Ok(match &who.as_user {
        Some(name) => find_user(store, name).await?.actor(),
        None => Actor::system(operator()),
    })
}

fn ctx_for(actor: Actor) -> anyhow::Result<CommandContext> {
    Ok(CommandContext::new(
        actor,
        format!("cli:{}", new_secret()?),
        chrono::Utc::now(),
    ))
}

fn spinner(msg: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(msg.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn lines_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} 笔 {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Runs a command as `actor` and returns its outcome.
async fn exec(store: &dyn Store, actor: Actor, cmd: Command) -> anyhow::Result<CommandOutcome> {
    Ok(store.execute(&ctx_for(actor)?, cmd).await?.outcome)
}

pub fn print_rosters(rosters: &[RosterSummary]) {
    println!(
        "{:<12} {:<8} {:<9} {:>8} {:>16} {:>14} {:>14}  late",
        "township", "program", "status", "lines", "total", "back-pay", "carried"
    );
    for r in rosters {
        println!(
            "{:<12} {:<8} {:<9} {:>8} {:>16} {:>14} {:>14}  {}",
            r.township,
            r.program,
            r.status.as_str(),
            r.lines,
            r.total.format_grouped(),
            r.backpay.format_grouped(),
            r.carried.format_grouped(),
            if r.settled_late { "late" } else { "" }
        );
    }
    let mut counties: Vec<&DivisionCode> = rosters.iter().map(|r| &r.county).collect();
    counties.dedup();
    for c in counties {
        let t = RosterTotals::of(rosters.iter().filter(|r| &r.county == c));
        println!(
            "county {c}: {} lines, total {} yuan (back-pay {}, carried over {})",
            t.lines,
            t.total.format_grouped(),
            t.backpay.format_grouped(),
            t.carried.format_grouped()
        );
    }
}

async fn show(
    store: &dyn Store,
    actor: &Actor,
    within: &DivisionCode,
    month: Month,
    list_diff: bool,
) -> anyhow::Result<()> {
    let rosters = store.rosters(actor, month, within).await?;
    println!("rosters of {month} under {within}:");
    print_rosters(&rosters);
    let diff = store.roster_diff(actor, month, within).await?;
    let count = |k| diff.iter().filter(|d| d.kind == k).count();
    println!(
        "against {}: {} new, {} changed, {} stopped",
        month.prev(),
        count(DiffKind::New),
        count(DiffKind::Changed),
        count(DiffKind::Stopped)
    );
    if list_diff {
        for d in &diff {
            let amount = |f: Option<Fen>| f.map_or("-".to_string(), |f| f.to_string());
            println!(
                "{:?} household {} {} {}: {} -> {}",
                d.kind,
                d.household_id,
                d.program,
                d.township,
                amount(d.previous),
                amount(d.current)
            );
        }
    }
    Ok(())
}

pub async fn run(cmd: PayrollCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        PayrollCmd::Roster {
            county,
            month,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let bar = spinner(&format!("生成 {county} {month} 花名册"));
            let started = Instant::now();
            let out = exec(
                &*store,
                actor.clone(),
                Command::GenerateRosters {
                    county: county.clone(),
                    month,
                },
            )
            .await;
            bar.finish_and_clear();
            if let CommandOutcome::RostersGenerated {
                rosters,
                kept,
                lines,
                total,
                ..
            } = out?
            {
                println!(
                    "generated {rosters} roster(s) of {county} for {month} in {:.1}s: {lines} lines, {} yuan; {kept} settled roster(s) kept as they were",
                    started.elapsed().as_secs_f64(),
                    total.format_grouped()
                );
            }
            show(&*store, &actor, &county, month, false).await?;
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Show {
            within,
            month,
            diff,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            show(&*store, &actor, &within, month, diff).await?;
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Settle {
            township,
            month,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let out = exec(&*store, actor, Command::SettleRosters { township, month }).await?;
            if let CommandOutcome::RostersSettled {
                township,
                month,
                rosters,
                late,
            } = out
            {
                println!(
                    "settled {rosters} roster(s) of {township} for {month}{}",
                    if late {
                        " (late: after the profile's cutoff day)"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Submit {
            county,
            month,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let bar = spinner(&format!("报送 {county} {month}"));
            let out = exec(&*store, actor, Command::SubmitRosters { county, month }).await;
            bar.finish_and_clear();
            if let CommandOutcome::RostersSubmitted {
                county,
                month,
                rosters,
                lines,
                total,
            } = out?
            {
                println!(
                    "submitted {rosters} roster(s) of {county} for {month} to finance: {lines} lines, {} yuan; the month is frozen",
                    total.format_grouped()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Export {
            county,
            month,
            format,
            out,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let bar = lines_bar();
            bar.set_message("写入");
            let b = bar.clone();
            let progress = move |done: u64, total: u64| {
                b.set_length(total);
                b.set_position(done);
            };
            let summary = store
                .export_payments(&ctx_for(actor)?, &county, month, format, &mut w, &progress)
                .await;
            bar.finish_and_clear();
            let summary = match summary {
                Ok(s) => s,
                Err(e) => {
                    drop(w);
                    let _ = std::fs::remove_file(&out);
                    return Err(e.into());
                }
            };
            println!(
                "wrote {}: {} lines, {} yuan, sha256 {}",
                out.display(),
                summary.lines,
                summary.total.format_grouped(),
                summary.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::ImportReturns {
            county,
            month,
            file,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (UTF-8 CSV)", file.display()))?;
            let parsed = pr::parse_bank_returns(&text)?;
            let n = parsed.lines.len();
            let out = exec(
                &*store,
                actor,
                Command::ImportBankReturns {
                    county,
                    month,
                    sha256: parsed.sha256,
                    lines: parsed.lines,
                },
            )
            .await?;
            if let CommandOutcome::BankReturnsImported { counts } = out {
                println!(
                    "imported {n} answer(s): {} paid, {} failed, {} returned, {} unchanged; failed and returned payments are carried into the next roster",
                    counts.paid, counts.failed, counts.returned, counts.unchanged
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Reconcile {
            county,
            month,
            file,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (UTF-8 CSV)", file.display()))?;
            let ledger = pr::parse_ledger(&text)?;
            let r = store
                .reconcile(&ctx_for(actor)?, &county, month, &ledger)
                .await?;
            for m in &r.mismatches {
                println!("mismatch: {}", serde_json::to_string(m)?);
            }
            println!(
                "reconciled {county} {month}: {} paid here, {} ledger lines, {} matched, consistency {}{}",
                r.ours,
                r.ledger_lines,
                r.matched,
                r.rate_text(),
                match r.required_bp {
                    Some(bp) => format!(" (required {}.{:02}%)", bp / 100, bp % 100),
                    None => String::new(),
                }
            );
            Ok(if r.passes() {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: the consistency rate is below the profile's minimum");
                ExitCode::from(1)
            })
        }
        PayrollCmd::Reserve(cmd) => reserve(cmd).await,
        PayrollCmd::Account {
            household,
            account,
            holder,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            exec(
                &*store,
                actor.clone(),
                Command::SetBankAccount {
                    household_id: household,
                    account,
                    holder,
                },
            )
            .await?;
            if let Some(info) = store.bank_account(&actor, household).await? {
                println!(
                    "household {household}: account {} ({})",
                    info.account_masked, info.holder
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PayrollCmd::Change {
            household,
            program,
            change,
            amount,
            effective,
            reason,
            who,
            db,
        } => {
            let change = match (change.as_str(), amount) {
                ("increase", Some(monthly)) => EntitlementChange::Increase { monthly },
                ("reduce", Some(monthly)) => EntitlementChange::Reduce { monthly },
                ("suspend", None) => EntitlementChange::Suspend,
                ("resume", None) => EntitlementChange::Resume,
                ("stop", None) => EntitlementChange::Stop,
                ("increase" | "reduce", None) => bail!("--change {change} needs --amount"),
                ("suspend" | "resume" | "stop", Some(_)) => {
                    bail!("--change {change} takes no --amount")
                }
                _ => bail!(
                    "unknown --change {change}: use increase, reduce, suspend, resume or stop"
                ),
            };
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let out = exec(
                &*store,
                actor,
                Command::ChangeEntitlement {
                    household_id: household,
                    program,
                    change,
                    effective,
                    reason,
                },
            )
            .await?;
            if let CommandOutcome::EntitlementChanged { monthly, .. } = out {
                println!(
                    "household {household} {program}: {} yuan a month from {effective}",
                    monthly
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn reserve(cmd: ReserveCmd) -> anyhow::Result<ExitCode> {
    let (kind, args, case_id) = match cmd {
        ReserveCmd::Allocate(a) => (ReserveKind::Allocation, a, None),
        ReserveCmd::Replenish(a) => (ReserveKind::Replenishment, a, None),
        ReserveCmd::Spend { args, case } => (ReserveKind::Spending, args, Some(case)),
        ReserveCmd::Statement {
            township,
            from,
            to,
            who,
            db,
        } => {
            let store = open_store(&db.url()).await?;
            let actor = actor(&*store, &who).await?;
            let st = store.reserve_statement(&actor, &township, from, to).await?;
            println!(
                "reserve fund of {township} from {from} to {to}: opening {}",
                st.opening.format_grouped()
            );
            for e in &st.entries {
                println!(
                    "{} #{:<6} {:<13} {:>14} balance {:>14} {}{}",
                    e.date,
                    e.id,
                    e.kind.as_str(),
                    e.amount.format_grouped(),
                    e.balance.format_grouped(),
                    e.case_id.map_or(String::new(), |c| format!("case {c} ")),
                    e.note
                );
            }
            println!("closing {}", st.closing.format_grouped());
            return Ok(ExitCode::SUCCESS);
        }
    };
    let store = open_store(&args.db.url()).await?;
    let actor = actor(&*store, &args.who).await?;
    let out = exec(
        &*store,
        actor,
        Command::ReserveMovement(NewReserveMovement {
            township: args.township.clone(),
            kind,
            amount: args.amount,
            case_id,
            note: args.note,
        }),
    )
    .await?;
    if let CommandOutcome::ReserveMoved { entry_id, balance } = out {
        println!(
            "entry {entry_id}: {} {} yuan; the reserve fund of {} holds {} yuan",
            kind.as_str(),
            args.amount.format_grouped(),
            args.township,
            balance.format_grouped()
        );
    }
    Ok(ExitCode::SUCCESS)
}
