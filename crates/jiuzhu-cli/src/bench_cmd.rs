//! `jiuzhu bench …`: throughput of the case engine through the same code path the API uses
//! (`Store::execute`), against a baseline of raw INSERTs into the same database.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use clap::Subcommand;
use jiuzhu_domain::{DivisionCode, DivisionLevel, Fen, Program, Relation, Role, case};
use jiuzhu_store::auth::{UserActor, hash_password};
use jiuzhu_store::{
    Actor, Command, CommandContext, CommandOutcome, NewUser, Store, demo, divisions,
};

use crate::{DbArg, cli_ctx, open_store};

/// 珙县: the county whose 低保 procedure the bench drives.
const COUNTY: &str = "511526";
/// Commands per case: apply (one item missing: 一次性告知), submit the missing item, request
/// the economic check, its result, the home visit with two investigators, the review, the
/// public notice, its end, the township head's decision.
pub const COMMANDS_PER_CASE: usize = 9;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Drive N 珙县 低保 cases from application to decision; needs an EMPTY database.
    #[command(
        long_about = "Drive N 珙县 低保 cases from application to the township head's decision \
through Store::execute (the code path of the JSON API), 9 commands per case, and time them \
against the same number of raw INSERTs of the commands' JSON into a scratch table, one \
statement per row in one transaction.\n\n\
The database must be empty (no accounts): the bench creates its own accounts, grants and \
households and must never write into a real database. Use a new SQLite file or a new \
PostgreSQL database and throw it away afterwards.\n\n\
Ends with one line: BENCH name=cases n=N seconds=S baseline_seconds=B ratio=R commands=C \
commands_per_second=X"
    )]
    Cases {
        /// Number of cases (each with its own household).
        #[arg(long)]
        cases: usize,
        #[command(flatten)]
        db: DbArg,
    },
    /// Import a generated file of N households (2.5 members each) through the store; needs a
    /// database without households.
    #[command(
        long_about = "Generate a valid import file of N 珙县 households (1-4 members, 2.5 on average) in the temp dir, import it through Store::import_households (one transaction, the code path of the web upload and `jiuzhu import households`), and time it (reading and checking the file included) against as many raw single-row INSERTs as the file has member rows.\n\nThe database must have no households. Ends with one line: BENCH name=import n=N seconds=S parse_seconds=P baseline_seconds=B ratio=R members=M …"
    )]
    Import {
        #[arg(long)]
        households: usize,
        #[command(flatten)]
        db: DbArg,
    },
    /// One month's rosters and payment files for N households; needs an EMPTY database.
    #[command(
        long_about = "Create N recipient households (each with a bank account and one entitlement: \
低保, 特困, 高龄 or 残疾人两项补贴; a quarter of them new, with two months of back-pay) across every \
county of the built-in jurisdictions, in bulk with raw SQL (not timed). Then time generating the \
2026-03 rosters of every county (GenerateRosters through Store::execute) plus writing each county's \
CSV payment file (Store::export_payments); the townships' settlement and the counties' \
submission in between are not timed. The baseline is one raw INSERT … SELECT aggregate of the \
same amounts (lines and total per county, township and program) in the same database.\n\n\
The database must be empty (no accounts, no households): use a new SQLite file or a new \
PostgreSQL database and drop it afterwards.\n\n\
Ends with one line: BENCH name=payroll n=N seconds=S baseline_seconds=B ratio=R peak_rss_mb=M"
    )]
    Payroll {
        #[arg(long)]
        households: usize,
        #[command(flatten)]
        db: DbArg,
    },
}

pub async fn run(cmd: BenchCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCmd::Cases { cases, db } => bench_cases(cases, &db.url()).await,
        BenchCmd::Import { households, db } => {
            crate::import_cmd::bench(households, &db.url()).await
        }
        BenchCmd::Payroll { households, db } => {
            crate::payroll_bench::bench(households, &db.url()).await
        }
    }
}

/// The staff of one township.
#[derive(Clone)]
struct Office {
    cw: Actor,
    cw2: Actor,
    reviewer: Actor,
    head: Actor,
}

fn user_id(a: &Actor) -> i64 {
    match a {
        Actor::User(u) => u.id,
        Actor::System { .. } => 0,
    }
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("a valid bench date-time")
}

async fn bench_cases(n: usize, url: &str) -> anyhow::Result<ExitCode> {
    if n == 0 {
        bail!("--cases must be at least 1");
    }
    let store = open_store(url).await?;
    let system = Actor::system("bench");
    let counts = store.counts(&system).await?;
    if counts.users > 0 || counts.households > 0 {
        bail!(
            "refusing to run the bench on {}: it has {} accounts and {} households. The bench \
             creates accounts, grants, households and cases and must never write into a real \
             database: give it a new, empty database (no accounts), e.g. a new SQLite file or a \
             new PostgreSQL database, and drop it afterwards",
            jiuzhu_store::error::redact_url(url),
            counts.users,
            counts.households
        );
    }

    // ---- setup (not timed) --------------------------------------------------------------
    let setup_started = Instant::now();
    let rows = divisions::parse(divisions::BUILTIN)?;
    store.load_divisions(&cli_ctx()?, &rows).await?;
    let county = DivisionCode::parse(COUNTY).map_err(|e| anyhow!("{e}"))?;
    let in_county = |code: &DivisionCode| code.as_str().starts_with(COUNTY);
    let villages: Vec<_> = rows
        .iter()
        .filter(|d| d.level() == DivisionLevel::Village && in_county(&d.code))
        .cloned()
        .collect();
    let ctx = |key: String| CommandContext::new(system.clone(), key, Utc::now());
    let hash =
        tokio::task::spawn_blocking(|| hash_password("bench-password-not-for-login")).await??;
    let mut n_users = 0usize;
    let verifier = account(&*store, &hash, &mut n_users, Role::CountyVerifier, &county).await?;
    // The profile's 低保 grants of 珙县's townships (pilot towns and the later rollout).
    let grants: Vec<_> = demo::profile_grants(&rows)?
        .into_iter()
        .filter(|g| g.program == Program::Dibao && in_county(&g.township))
        .collect();
    if grants.is_empty() {
        bail!("the built-in profiles grant no 低保 authority to a township of {COUNTY}");
    }
    let mut offices: HashMap<DivisionCode, Office> = HashMap::new();
    for g in grants {
        let township = g.township.clone();
        let key = format!("bench:grant:{}:{}", g.township, g.from);
        store
            .execute(&ctx(key), Command::GrantDelegation(g))
            .await?;
        if let Entry::Vacant(slot) = offices.entry(township.clone()) {
            let office = Office {
                cw: account(
                    &*store,
                    &hash,
                    &mut n_users,
                    Role::TownshipCaseworker,
                    &township,
                )
                .await?,
                cw2: account(
                    &*store,
                    &hash,
                    &mut n_users,
                    Role::TownshipCaseworker,
                    &township,
                )
                .await?,
                reviewer: account(
                    &*store,
                    &hash,
                    &mut n_users,
                    Role::TownshipReviewer,
                    &township,
                )
                .await?,
                head: account(&*store, &hash, &mut n_users, Role::TownshipHead, &township).await?,
            };
            slot.insert(office);
        }
    }
    let villages: Vec<_> = villages
        .into_iter()
        .filter(|v| v.code.parent().is_some_and(|t| offices.contains_key(&t)))
        .collect();
    let mut households = Vec::with_capacity(n);
    for (i, h) in demo::households(&villages, n, 20_251_125)?
        .into_iter()
        .enumerate()
    {
        let village = h.division.clone();
        let done = store
            .execute(
                &ctx(format!("bench:household:{i}")),
                Command::RegisterHousehold(h),
            )
            .await?;
        let CommandOutcome::HouseholdRegistered { household_id } = done.outcome else {
            bail!("unexpected outcome {:?}", done.outcome);
        };
        households.push((household_id, village));
    }
    eprintln!(
        "bench: setup done in {:.1}s: {} accounts, {} townships with a 低保 grant, {} households in {} villages of 珙县",
        setup_started.elapsed().as_secs_f64(),
        n_users,
        offices.len(),
        households.len(),
        villages.len()
    );

    // ---- the cases (timed) --------------------------------------------------------------
    // One command at a time, each case from application to decision before the next: all
    // cases are in one county and so append to one hash chain; driving 4 cases at once (a
    // JoinSet) measured no faster on PostgreSQL (986 against 1,053 commands/s, N=2,000). The
    // loop runs in a spawned task, on a runtime worker like an API request handler: driven
    // from `block_on` on the main thread, every await crossed threads and the same run took
    // 30 s instead of 17 s on PostgreSQL.
    eprintln!(
        "bench: driving {n} cases × {COMMANDS_PER_CASE} commands on {}, one command at a time",
        store.backend()
    );
    let driver = store.clone();
    let seconds = tokio::spawn(async move {
        let tenth = n.div_ceil(10).max(1);
        let started = Instant::now();
        for (i, (household, village)) in households.iter().enumerate() {
            let Some(office) = village.parent().and_then(|t| offices.get(&t)) else {
                bail!("no township office for village {village}");
            };
            drive_case(&*driver, i, *household, village, office, &verifier)
                .await
                .with_context(|| format!("case {i}"))?;
            let d = i + 1;
            if d % tenth == 0 || d == n {
                eprintln!(
                    "bench: {d}/{n} cases ({}%) in {:.1}s",
                    d * 100 / n,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        anyhow::Ok(started.elapsed().as_secs_f64())
    })
    .await??;
    let commands = n * COMMANDS_PER_CASE;

    // ---- the baseline: raw INSERTs of the same number of rows ---------------------------
    let payloads: Vec<String> = (0..commands)
        .map(|i| serde_json::to_string(&sample_command(i)))
        .collect::<Result<_, _>>()?;
    eprintln!("bench: baseline: {commands} raw INSERTs in one transaction");
    let baseline_seconds = baseline(url, &payloads).await?;

    println!(
        "BENCH name=cases n={n} seconds={seconds:.3} baseline_seconds={baseline_seconds:.3} ratio={:.2} commands={commands} commands_per_second={:.0}",
        seconds / baseline_seconds,
        commands as f64 / seconds
    );
    Ok(ExitCode::SUCCESS)
}

/// The lifecycle's command bodies with their actors and times, in order.
fn lifecycle(
    household: i64,
    village: &DivisionCode,
    o: &Office,
    verifier: &Actor,
) -> Vec<(Actor, &'static str, case::CommandBody)> {
    let apply = case::CommandBody::Apply {
        case: case::NewCase {
            case_id: 0,
            number: String::new(),
            program: Program::Dibao,
            village: village.clone(),
            household_id: household,
            origin: case::Origin::Household,
        },
        materials: [
            "application_form",
            "verification_authorization",
            "identity_documents",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    };
    vec![
        (o.cw.clone(), "2023-03-01 09:00", apply),
        (
            o.cw.clone(),
            "2023-03-02 09:00",
            case::CommandBody::SubmitMaterials {
                materials: vec!["integrity_statement".into()],
            },
        ),
        (
            o.cw.clone(),
            "2023-03-02 10:00",
            case::CommandBody::RequestCheck,
        ),
        (
            verifier.clone(),
            "2023-03-03 10:00",
            case::CommandBody::RecordCheckResult {
                passed: true,
                summary: "核对家庭收入、财产均在规定范围内".into(),
                reasons: vec![],
            },
        ),
        (
            o.cw.clone(),
            "2023-03-06 10:00",
            case::CommandBody::RecordHomeVisit {
                investigators: vec![user_id(&o.cw), user_id(&o.cw2)],
                members: vec![case::MemberFacts {
                    member_seq: 1,
                    relation: Relation::Head,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: Fen::from_yuan(300).unwrap_or_default(),
                    note: "患慢性病".into(),
                }],
                findings: "家庭收入低于当地低保标准".into(),
            },
        ),
        (
            o.reviewer.clone(),
            "2023-03-07 10:00",
            case::CommandBody::SignReview {
                recommendation: case::Recommendation::Approve {
                    proposed_amount: Fen::from_yuan(300),
                },
                opinion: "经审核，符合条件，拟批准".into(),
                disputed: false,
            },
        ),
        (
            o.cw.clone(),
            "2023-03-08 09:00",
            case::CommandBody::PostNotice,
        ),
        (
            o.cw.clone(),
            "2023-03-16 09:00",
            case::CommandBody::EndNotice,
        ),
        (
            o.head.clone(),
            "2023-03-16 15:00",
            case::CommandBody::Decide {
                decision: case::DecisionRequest::Approve {
                    basis: jiuzhu_domain::benefit::AmountBasis::TopUp {
                        standard: "rural".into(),
                        add_ons: Vec::new(),
                    },
                    start_month: NaiveDate::from_ymd_opt(2023, 3, 1).unwrap_or_default(),
                    expected_amount: None,
                },
            },
        ),
    ]
}

/// Creates the bench's n-th account and returns it as an actor.
async fn account(
    store: &dyn Store,
    hash: &str,
    n_users: &mut usize,
    role: Role,
    division: &DivisionCode,
) -> anyhow::Result<Actor> {
    *n_users += 1;
    let username = format!("bench.{n_users}");
    let ctx = CommandContext::new(
        Actor::system("bench"),
        format!("bench:user:{username}"),
        Utc::now(),
    );
    let done = store
        .execute(
            &ctx,
            Command::CreateUser(NewUser {
                username: username.clone(),
                display_name: format!("压测{}{n_users}", role.name_zh()),
                role,
                division: division.clone(),
                password_hash: hash.to_string(),
            }),
        )
        .await?;
    let CommandOutcome::UserCreated { user_id } = done.outcome else {
        bail!("unexpected outcome {:?}", done.outcome);
    };
    Ok(Actor::User(UserActor {
        id: user_id,
        username,
        role,
        division: division.clone(),
    }))
}

/// Runs one case from application to decision, one command at a time.
async fn drive_case(
    store: &dyn Store,
    i: usize,
    household: i64,
    village: &DivisionCode,
    office: &Office,
    verifier: &Actor,
) -> anyhow::Result<()> {
    let mut case_id = None;
    for (step, (actor, when, body)) in lifecycle(household, village, office, verifier)
        .into_iter()
        .enumerate()
    {
        let ctx = CommandContext::new(actor, format!("bench:case:{i}:{step}"), Utc::now());
        let cmd = Command::Case {
            case_id,
            case_command: case::Command { at: at(when), body },
        };
        let done = store
            .execute(&ctx, cmd)
            .await
            .with_context(|| format!("step {step}"))?;
        match done.outcome {
            CommandOutcome::CaseRecorded {
                case_id: id, stage, ..
            } => {
                case_id = Some(id);
                if step + 1 == COMMANDS_PER_CASE && stage != case::Stage::Decided {
                    bail!("the case ended at stage {stage:?}, not decided");
                }
            }
            other => bail!("step {step}: unexpected outcome {other:?}"),
        }
    }
    Ok(())
}

/// A command of the lifecycle as the baseline's payload (the i-th command of the run).
fn sample_command(i: usize) -> Command {
    static OFFICE: std::sync::OnceLock<Office> = std::sync::OnceLock::new();
    let office = OFFICE.get_or_init(|| {
        let user = |id: i64, role: Role| {
            Actor::User(UserActor {
                id,
                username: format!("bench.{id}"),
                role,
                division: DivisionCode::parse("511526101000").expect("a valid code"),
            })
        };
        Office {
            cw: user(2, Role::TownshipCaseworker),
            cw2: user(3, Role::TownshipCaseworker),
            reviewer: user(4, Role::TownshipReviewer),
            head: user(5, Role::TownshipHead),
        }
    });
    let village = DivisionCode::parse("511526101201").expect("a valid code");
    let case_no = i / COMMANDS_PER_CASE;
    let step = i % COMMANDS_PER_CASE;
    let (_, when, body) =
        lifecycle(case_no as i64 + 1, &village, office, &office.cw).swap_remove(step);
    Command::Case {
        case_id: (step > 0).then_some(case_no as i64 + 1),
        case_command: case::Command { at: at(when), body },
    }
}

/// Times `payloads.len()` single-row INSERTs in one transaction into a scratch table of a
/// second connection pool on the same database; drops the table afterwards.
pub(crate) async fn baseline(url: &str, payloads: &[String]) -> anyhow::Result<f64> {
    if url.starts_with("sqlite:") {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        use std::str::FromStr;
        // The same journal and sync settings as the store's own connections.
        let options = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = sqlx::SqlitePool::connect_with(options).await?;
        sqlx::query("DROP TABLE IF EXISTS bench_baseline")
            .execute(&pool)
            .await?;
        sqlx::query("CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            .execute(&pool)
            .await?;
        let started = Instant::now();
        let mut tx = pool.begin().await?;
        for p in payloads {
            sqlx::query("INSERT INTO bench_baseline (payload) VALUES (?)")
                .bind(p)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let seconds = started.elapsed().as_secs_f64();
        sqlx::query("DROP TABLE bench_baseline")
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(seconds)
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query("DROP TABLE IF EXISTS bench_baseline")
            .execute(&pool)
            .await?;
        sqlx::query(
            "CREATE TABLE bench_baseline (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let started = Instant::now();
        let mut tx = pool.begin().await?;
        for p in payloads {
            sqlx::query("INSERT INTO bench_baseline (payload) VALUES ($1)")
                .bind(p)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let seconds = started.elapsed().as_secs_f64();
        sqlx::query("DROP TABLE bench_baseline")
            .execute(&pool)
            .await?;
        pool.close().await;
        Ok(seconds)
    }
}
