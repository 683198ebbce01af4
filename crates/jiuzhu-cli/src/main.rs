//! `jiuzhu`: run the social-assistance casework system and administer its database.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use jiuzhu_domain::{DivisionCode, Role};
use jiuzhu_store::auth::{check_new_password, hash_password, new_secret};
use jiuzhu_store::{
    Actor, Command, CommandContext, CommandOutcome, PageRequest, Store, demo, divisions,
};
use tracing::info;

mod bench_cmd;
mod calendar_cmd;
mod delegation_cmd;
mod import_cmd;
mod payroll_bench;
mod payroll_cmd;
mod profile_cmd;
mod supervise_cmd;

/// The embedded default database when neither --db nor JIUZHU_DATABASE_URL is given.
const DEFAULT_DB: &str = "sqlite://jiuzhu.db";
/// The demo database `serve --demo` creates (or reuses) in the current directory.
const DEMO_DB: &str = "sqlite://jiuzhu-demo.db";

#[derive(Parser)]
#[command(
    name = "jiuzhu",
    version,
    about = "jiuzhu 救助: social assistance casework for counties that delegate review and confirmation to townships",
    long_about = "jiuzhu 救助 runs social assistance casework (低保, 特困, 临时救助, …) for counties \
that have delegated review and confirmation authority to their townships.\n\n\
Quick start: `jiuzhu serve --demo` creates a local SQLite demo database and serves the \
web UI on http://127.0.0.1:8080.\n\n\
The database is chosen by --db or JIUZHU_DATABASE_URL: sqlite://PATH (the embedded \
default, sqlite://jiuzhu.db) or postgres://USER@HOST:PORT/DB (production). Migrations \
run automatically whenever a database is opened."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Args, Clone)]
struct DbArg {
    /// Database URL: sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(
        long = "db",
        env = "JIUZHU_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    db: Option<String>,
}

impl DbArg {
    /// The URL given, or the embedded default.
    fn url(&self) -> String {
        self.db.clone().unwrap_or_else(|| DEFAULT_DB.to_string())
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the web UI and the JSON API.
    #[command(
        long_about = "Serve the Chinese web UI, the JSON API under /api/v1 and /healthz.\n\n\
With --demo (and no --db) jiuzhu creates or reuses ./jiuzhu-demo.db, fills it with the \
jurisdiction tree, one demo account per role per seed locality and about 2,000 fictitious \
households, and prints the demo accounts. Stop with Ctrl-C: requests in flight finish first."
    )]
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address and port to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: SocketAddr,
        /// Use (and if needed create) a demo database with demo accounts and fictitious households.
        #[arg(long)]
        demo: bool,
        /// Number of fictitious households in a new demo database.
        #[arg(long, default_value_t = demo::DEMO_HOUSEHOLDS, requires = "demo", value_name = "N")]
        demo_households: usize,
    },
    /// Create or upgrade the database schema and load the jurisdiction table.
    #[command(
        long_about = "Create or upgrade the database schema (embedded, versioned migrations; \
an older database is upgraded in place, never recreated; a database of a newer jiuzhu is \
refused) and load the jurisdiction table: the built-in data/divisions.csv, or --divisions FILE."
    )]
    Migrate {
        #[command(flatten)]
        db: DbArg,
        /// Jurisdiction file (CSV with header code,name,note) instead of the built-in one.
        #[arg(long, value_name = "FILE")]
        divisions: Option<std::path::PathBuf>,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Delegation of confirmation authority to townships (授权): grant, revoke, list, who.
    #[command(subcommand)]
    Delegation(delegation_cmd::DelegationCmd),
    /// Official working days: is-working-day, add-working-days, working-days-between, import, years.
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCmd),
    /// Resident identity numbers (GB 11643): check.
    #[command(subcommand)]
    Id(calendar_cmd::IdCmd),
    /// Procedure profiles (程序配置) of the county plans: check, show, list.
    #[command(subcommand)]
    Profile(profile_cmd::ProfileCmd),
    /// Benchmarks on an empty, throw-away database: cases, import, payroll.
    #[command(subcommand)]
    Bench(bench_cmd::BenchCmd),
    /// Import households and members from .xlsx or .csv (批量导入).
    #[command(subcommand)]
    Import(import_cmd::ImportCmd),
    /// Funds (资金发放): roster, settle, submit, export, import-returns, reconcile, reserve, account, change.
    #[command(subcommand)]
    Payroll(payroll_cmd::PayrollCmd),
    /// County supervision (监督): draw the month's spot-check sample.
    #[command(subcommand)]
    Supervise(supervise_cmd::SuperviseCmd),
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account. Prints a generated initial password unless --password-stdin is given.
    #[command(long_about = "Create an account attached to one jurisdiction.\n\n\
Roles and the level they sit at:\n  \
county_admin, county_supervisor, county_verifier, finance_officer: a county (6 digits) or a prefecture above counties\n  \
township_caseworker, township_reviewer, township_head: a township or street office (12 digits, …TTT000)\n  \
village_assistant: a village or community (12 digits)\n\n\
Example: jiuzhu user add --username gx.zhang --name 张某 --role township_caseworker --division 511526101000")]
    Add {
        #[command(flatten)]
        db: DbArg,
        /// Login name: 3–32 letters, digits, '.', '_' or '-', starting with a letter.
        #[arg(long)]
        username: String,
        /// Display name shown in the UI and on documents.
        #[arg(long)]
        name: String,
        /// Role (see above).
        #[arg(long)]
        role: Role,
        /// Division code of the account's jurisdiction.
        #[arg(long)]
        division: DivisionCode,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Deactivate an account (it can no longer log in; its sessions and tokens stop working).
    Deactivate {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Set a new password (generated unless --password-stdin); ends the account's sessions and API tokens.
    Passwd {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk every hash chain of the event log and recompute every hash.
    #[command(
        long_about = "Walk every hash chain of the event log (one per county) and recompute \
every event's SHA-256. Exits 0 when the chain is intact, 3 naming the first broken event \
when an event was altered, deleted or inserted, 1 on any other error."
    )]
    Verify {
        #[command(flatten)]
        db: DbArg,
    },
}

/// Exit code of `audit verify` when the chain is broken.
const EXIT_CHAIN_BROKEN: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The calendar, ID and profile commands need no database: no logging, no async runtime.
    let cli = match cli.command {
        Cmd::Calendar(cmd) => return calendar_cmd::run_calendar(cmd),
        Cmd::Id(cmd) => return calendar_cmd::run_id(cmd),
        Cmd::Profile(cmd) => return profile_cmd::run_profile(cmd),
        command => Cli { command },
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JIUZHU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the store named by a URL, choosing the backend by scheme.
/// Opens the database; case commands run by the installed profiles
/// (`$JIUZHU_PROFILE_DIR` over the built-in ones) and the calendar with its imported years.
async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let profiles = profile_cmd::load_profiles()
        .map_err(|e| anyhow!("the procedure profiles cannot be loaded: {e}"))?;
    let calendar = calendar_cmd::load_calendar()
        .map_err(|e| anyhow!("the working-day calendar cannot be loaded: {e}"))?;
    let rules = jiuzhu_store::Rules::new(profiles, calendar);
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(jiuzhu_store_sqlite::open(url).await?.with_rules(rules))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(jiuzhu_store_postgres::open(url).await?.with_rules(rules))
    } else {
        bail!(
            "unsupported database URL {}: use sqlite://PATH or postgres://USER@HOST/DB",
            jiuzhu_store::error::redact_url(url)
        );
    };
    Ok(store)
}

fn operator() -> String {
    std::env::var("USER").unwrap_or_else(|_| "cli".to_string())
}

fn cli_ctx() -> anyhow::Result<CommandContext> {
    Ok(CommandContext::new(
        Actor::system(operator()),
        format!("cli:{}", new_secret()?),
        chrono::Utc::now(),
    ))
}

/// Reads a new password from stdin (first line), or generates one.
fn new_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the password from standard input")?;
        let pw = s.lines().next().unwrap_or("").to_string();
        check_new_password(&pw)?;
        Ok((pw, false))
    } else {
        // 16 hex characters from the CSPRNG: easy to type once, then the user changes it.
        Ok((new_secret()?[..16].to_string(), true))
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Cmd::Serve {
            db,
            listen,
            demo,
            demo_households,
        } => serve(db, listen, demo, demo_households).await,
        Cmd::Migrate { db, divisions } => {
            let url = db.url();
            let store = open_store(&url).await?;
            let (rows, source) = match &divisions {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    let rows =
                        divisions::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
                    (rows, path.display().to_string())
                }
                None => (
                    divisions::parse(divisions::BUILTIN)?,
                    "built-in data/divisions.csv".to_string(),
                ),
            };
            let changed = store.load_divisions(&cli_ctx()?, &rows).await?;
            println!(
                "database {} is at schema version {}; jurisdictions: {} rows from {}, {} changed",
                jiuzhu_store::error::redact_url(&url),
                store.schema_version().await?,
                rows.len(),
                source,
                changed
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::User(cmd) => user(cmd).await,
        Cmd::Delegation(cmd) => delegation_cmd::run(cmd).await,
        Cmd::Bench(cmd) => bench_cmd::run(cmd).await,
        Cmd::Import(cmd) => import_cmd::run(cmd).await,
        Cmd::Payroll(cmd) => payroll_cmd::run(cmd).await,
        Cmd::Supervise(cmd) => supervise_cmd::run(cmd).await,
        Cmd::Calendar(cmd) => Ok(calendar_cmd::run_calendar(cmd)),
        Cmd::Id(cmd) => Ok(calendar_cmd::run_id(cmd)),
        Cmd::Profile(cmd) => Ok(profile_cmd::run_profile(cmd)),
        Cmd::Audit(AuditCmd::Verify { db }) => {
            let url = db.url();
            let store = open_store(&url).await?;
            let report = store.verify_chain().await?;
            match report.first_break {
                None => {
                    println!(
                        "audit chain intact: {} events in {} chains verified",
                        report.events, report.chains
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!(
                        "audit chain BROKEN at event {}/{}: {}",
                        b.chain, b.seq, b.reason
                    );
                    // The count includes the broken event itself when an event broke the
                    // chain, and every event of the chain when its head did.
                    println!("({} events checked)", report.events);
                    Ok(ExitCode::from(EXIT_CHAIN_BROKEN))
                }
            }
        }
    }
}

async fn user(cmd: UserCmd) -> anyhow::Result<ExitCode> {
    let url = |db: DbArg| db.url();
    match cmd {
        UserCmd::Add {
            db,
            username,
            name,
            role,
            division,
            password_stdin,
        } => {
            let store = open_store(&url(db)).await?;
            let (password, generated) = new_password(password_stdin)?;
            let hash = tokio::task::spawn_blocking(move || {
                hash_password(&password).map(|h| (h, password))
            })
            .await??;
            let (password_hash, password) = hash;
            let done = store
                .execute(
                    &cli_ctx()?,
                    Command::CreateUser(jiuzhu_store::NewUser {
                        username: username.clone(),
                        display_name: name,
                        role,
                        division,
                        password_hash,
                    }),
                )
                .await?;
            let CommandOutcome::UserCreated { user_id } = done.outcome else {
                bail!("unexpected outcome {:?}", done.outcome);
            };
            println!("created user {username} (id {user_id}, role {role})");
            if generated {
                println!("initial password (shown once, ask the user to change it): {password}");
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List { db } => {
            let store = open_store(&url(db)).await?;
            let actor = Actor::system(operator());
            let mut page = 1;
            println!(
                "{:>5}  {:<24} {:<20} {:<13} {:<6} name",
                "id", "username", "role", "division", "active"
            );
            loop {
                let users = store.users(&actor, PageRequest::new(page, 200)).await?;
                for u in &users.items {
                    println!(
                        "{:>5}  {:<24} {:<20} {:<13} {:<6} {}",
                        u.id,
                        u.username,
                        u.role.as_str(),
                        u.division.as_str(),
                        u.active,
                        u.display_name
                    );
                }
                if page >= users.pages() {
                    break;
                }
                page += 1;
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Deactivate {
            db,
            username,
            reason,
        } => {
            let store = open_store(&url(db)).await?;
            let user = find_user(&*store, &username).await?;
            store
                .execute(
                    &cli_ctx()?,
                    Command::SetUserActive {
                        user_id: user.id,
                        active: false,
                        reason,
                    },
                )
                .await?;
            println!("deactivated user {username}");
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Passwd {
            db,
            username,
            password_stdin,
        } => {
            let store = open_store(&url(db)).await?;
            let user = find_user(&*store, &username).await?;
            let (password, generated) = new_password(password_stdin)?;
            let shown = password.clone();
            let password_hash =
                tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            store
                .execute(
                    &cli_ctx()?,
                    Command::SetPassword {
                        user_id: user.id,
                        password_hash,
                    },
                )
                .await?;
            println!("password of {username} changed; their sessions and API tokens were ended");
            if generated {
                println!("new password (shown once): {shown}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The account with this username, or an error saying there is none.
async fn find_user(store: &dyn Store, username: &str) -> anyhow::Result<jiuzhu_store::User> {
    Ok(store
        .credentials(username)
        .await?
        .ok_or_else(|| anyhow!("no user named {username}; see `jiuzhu user list`"))?
        .user)
}

async fn serve(
    db: DbArg,
    listen: SocketAddr,
    demo_mode: bool,
    demo_households: usize,
) -> anyhow::Result<ExitCode> {
    let url = match (db.db, demo_mode) {
        (Some(url), _) => url,
        (None, true) => DEMO_DB.to_string(),
        (None, false) => DEFAULT_DB.to_string(),
    };
    let store = open_store(&url).await?;
    if demo_mode {
        info!(db = %jiuzhu_store::error::redact_url(&url), "preparing demo data");
        let started = std::time::Instant::now();
        let summary = demo::seed_with(
            &*store,
            &demo::SeedOptions {
                households: demo_households,
                cases: true,
                now: chrono::Utc::now(),
            },
        )
        .await?;
        info!(
            seconds = started.elapsed().as_secs_f64(),
            cases = summary.cases.created.len(),
            "demo data ready"
        );
        print_demo_accounts(&summary);
    } else if store
        .divisions(&Actor::system(operator()), None)
        .await?
        .is_empty()
    {
        // A fresh production database still needs its jurisdiction table. One that has it
        // keeps it: the operator may have loaded their own with `migrate --divisions`.
        let rows = divisions::parse(divisions::BUILTIN)?;
        store.load_divisions(&cli_ctx()?, &rows).await?;
    }
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!(
        "jiuzhu listening on http://{addr}  (database {})",
        jiuzhu_store::error::redact_url(&url)
    );
    info!(%addr, backend = store.backend(), "serving");
    let state = jiuzhu_server::AppState::new(store);
    jiuzhu_server::serve(listener, state, shutdown).await?;
    info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn print_demo_accounts(summary: &demo::DemoSummary) {
    let colour = std::io::stdout().is_terminal();
    let (on, off) = if colour {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("", "")
    };
    println!(
        "{on}==== 演示模式 DEMO MODE: fictitious data, demo accounts — not for real casework ===={off}"
    );
    if summary.households_created > 0 {
        println!(
            "created {} fictitious households",
            summary.households_created
        );
    }
    if summary.grants_created > 0 {
        println!(
            "created {} delegation grants from the seed plans' procedure profiles",
            summary.grants_created
        );
    }
    let cases = &summary.cases;
    if !cases.created.is_empty() {
        let per_locality: Vec<String> = cases
            .per_locality()
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        let per_stage: Vec<String> = cases
            .per_stage()
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        println!(
            "created {} demo cases ({}); by stage: {}",
            cases.created.len(),
            per_locality.join(", "),
            per_stage.join(", ")
        );
    }
    if let Some(anchor) = cases.anchor
        && anchor
            < chrono::Utc::now().naive_utc() + chrono::Duration::hours(8)
                - chrono::Duration::days(1)
    {
        println!(
            "demo case dates end on {} (the working-day calendar ends soon after): import next year's calendar for current dates",
            anchor.date()
        );
    }
    println!("demo accounts (password for all: {}):", demo::DEMO_PASSWORD);
    for a in &summary.accounts {
        println!(
            "  {:<22} {:<12} {} {}",
            a.username,
            a.role.name_zh(),
            a.division.as_str(),
            a.division_name
        );
    }
    for a in &summary.cases.staff {
        println!(
            "  {:<22} {:<12} {} {}",
            a.username,
            "第二经办人",
            a.division.as_str(),
            a.division_name
        );
    }
    println!(
        "{on}================================================================================{off}"
    );
}

/// Registers the SIGINT/SIGTERM handlers *now* (before "listening" is printed, so a signal
/// sent right after that line is never the default, abrupt termination) and returns the
/// future that resolves on the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            info!("shutdown requested; finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            info!("shutdown requested; finishing requests in flight");
        })
    }
}
