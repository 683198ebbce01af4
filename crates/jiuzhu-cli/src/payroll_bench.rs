//! `jiuzhu bench payroll`: one month's rosters and payment files for N recipient households
//! through the store (`GenerateRosters` per county, `export_payments` per county), against a
//! baseline of one raw `INSERT … SELECT` aggregate of the same amounts in the same database.

use std::io::BufWriter;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use jiuzhu_domain::{DivisionCode, DivisionLevel};
use jiuzhu_store::payroll::{Month, PaymentFileFormat};
use jiuzhu_store::{Actor, Command, CommandContext, CommandOutcome, divisions};
use sqlx::AssertSqlSafe;

use crate::{cli_ctx, open_store};

/// The month the bench pays.
const MONTH: &str = "2026-03";

/// Peak resident set of this process (VmHWM), in MiB; 0 where /proc is not available.
pub fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// A raw connection pool on the bench's database (setup and baseline bypass the store).
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn open(url: &str) -> anyhow::Result<Raw> {
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
            use std::str::FromStr;
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(30));
            Ok(Raw::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?,
            ))
        } else {
            Ok(Raw::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await?,
            ))
        }
    }

    async fn exec(&self, sql: &str) -> anyhow::Result<u64> {
        Ok(match self {
            Raw::Sqlite(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await?
                .rows_affected(),
            Raw::Postgres(p) => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    fn is_sqlite(&self) -> bool {
        matches!(self, Raw::Sqlite(_))
    }

    async fn close(self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Postgres(p) => p.close().await,
        }
    }
}

pub async fn bench(n: usize, url: &str) -> anyhow::Result<ExitCode> {
    if n == 0 {
        bail!("--households must be at least 1");
    }
    let month: Month = MONTH.parse().map_err(anyhow::Error::msg)?;
    let m = month.index();
    let store = open_store(url).await?;
    let system = Actor::system("bench");
    let counts = store.counts(&system).await?;
    if counts.users > 0 || counts.households > 0 {
        bail!(
            "refusing to run the bench on {}: it has {} accounts and {} households. Give it a new, \
             empty database (a new SQLite file or a new PostgreSQL database) and drop it afterwards",
            jiuzhu_store::error::redact_url(url),
            counts.users,
            counts.households
        );
    }

    // ---- setup (not timed): N households with accounts and one entitlement each ---------
    let setup = Instant::now();
    let rows = divisions::parse(divisions::BUILTIN)?;
    store.load_divisions(&cli_ctx()?, &rows).await?;
    let villages: Vec<&DivisionCode> = rows
        .iter()
        .filter(|d| d.level() == DivisionLevel::Village)
        .map(|d| &d.code)
        .collect();
    let mut counties: Vec<String> = villages
        .iter()
        .map(|v| v.county_prefix().to_string())
        .collect();
    counties.sort();
    counties.dedup();
    let raw = Raw::open(url).await?;
    raw.exec("DROP TABLE IF EXISTS bench_villages").await?;
    raw.exec("CREATE TABLE bench_villages (idx BIGINT PRIMARY KEY, code TEXT NOT NULL)")
        .await?;
    let values: Vec<String> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| format!("({i}, '{}')", v.as_str()))
        .collect();
    raw.exec(&format!(
        "INSERT INTO bench_villages (idx, code) VALUES {}",
        values.join(", ")
    ))
    .await?;
    let v = villages.len();
    // Account numbers of 18 digits (no card check digit applies); holders are text only.
    let households = if raw.is_sqlite() {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
             INSERT INTO households (county_code, id, division_code, address, demo, created_at, \
             bank_account, account_holder) \
             SELECT substr(b.code, 1, 6), s.i, b.code, '压测地址', 1, '2026-03-01 00:00:00+00:00', \
             '6222' || printf('%014d', s.i), '压测户主' \
             FROM s JOIN bench_villages b ON b.idx = s.i % {v}"
        )
    } else {
        format!(
            "INSERT INTO households (county_code, id, division_code, address, demo, created_at, \
             bank_account, account_holder) \
             SELECT substr(b.code, 1, 6), s.i, b.code, '压测地址', true, '2026-03-01 00:00:00+00', \
             '6222' || lpad(s.i::text, 14, '0'), '压测户主' \
             FROM generate_series(1, {n}) AS s(i) JOIN bench_villages b ON b.idx = s.i % {v}"
        )
    };
    raw.exec(&households).await?;
    // Programs by household: 6 in 10 低保, 2 特困, 1 高龄, 1 残疾人两项补贴; amounts 300–349
    // yuan; a quarter new (start two months ago, not paid yet: three months with back-pay),
    // the others paid through last month.
    let now = if raw.is_sqlite() {
        "'2026-03-01 00:00:00+00:00'"
    } else {
        "'2026-03-01 00:00:00+00'"
    };
    raw.exec(&format!(
        "INSERT INTO entitlements (county_code, household_id, program, township_code, \
         village_code, case_id, one_off, status, start_ym, base_fen, monthly_fen, prev_fen, \
         effective_ym, paid_through_ym, updated_at) \
         SELECT county_code, id, \
         CASE WHEN id % 10 < 6 THEN 'dibao' WHEN id % 10 < 8 THEN 'tekun' \
              WHEN id % 10 = 8 THEN 'gaoling' ELSE 'canji' END, \
         substr(division_code, 1, 9) || '000', division_code, NULL, (1 = 0), 'active', \
         CASE WHEN id % 4 = 0 THEN {m} - 2 ELSE {m} - 12 END, \
         30000 + (id % 50) * 100, 30000 + (id % 50) * 100, 0, \
         CASE WHEN id % 4 = 0 THEN {m} - 2 ELSE {m} - 12 END, \
         CASE WHEN id % 4 = 0 THEN NULL ELSE {m} - 1 END, {now} FROM households \
         ORDER BY county_code, id"
    ))
    .await?;
    raw.exec(&format!(
        "INSERT INTO counters (name, value) VALUES ('household', {n}) \
         ON CONFLICT (name) DO UPDATE SET value = {n}"
    ))
    .await?;
    raw.exec("ANALYZE").await?;
    eprintln!(
        "bench: setup in {:.1}s: {n} households with an account and an entitlement in {} villages of {} counties",
        setup.elapsed().as_secs_f64(),
        v,
        counties.len()
    );

    // ---- baseline: one raw INSERT … SELECT aggregate of the same amounts ---------------
    // Run before the rosters: their submission sets the entitlements' `paid_through_ym` to
    // this month, after which the same statement finds no line at all (until this change
    // the baseline ran last and so aggregated zero rows). Its lines and total are checked
    // against the rosters' below.
    raw.exec("DROP TABLE IF EXISTS bench_baseline").await?;
    raw.exec(
        "CREATE TABLE bench_baseline (county_code TEXT, township_code TEXT, program TEXT, \
         lines BIGINT, total_fen BIGINT)",
    )
    .await?;
    // The month-$m amount of each entitlement as generation computes it for this data
    // (previous amount 0, effective from the start): months since the first unpaid one
    // times the monthly amount.
    let amount = format!(
        "({m} - CASE WHEN paid_through_ym IS NULL THEN start_ym ELSE paid_through_ym + 1 END + 1) * monthly_fen"
    );
    let started = Instant::now();
    raw.exec(&format!(
        "INSERT INTO bench_baseline (county_code, township_code, program, lines, total_fen) \
         SELECT county_code, township_code, program, COUNT(*), SUM({amount}) FROM entitlements \
         WHERE start_ym <= {m} AND (paid_through_ym IS NULL OR paid_through_ym < {m}) \
         GROUP BY county_code, township_code, program"
    ))
    .await?;
    let baseline_seconds = started.elapsed().as_secs_f64();
    // The same lines written one row per household, for comparison (stderr only).
    raw.exec(
        "CREATE TABLE bench_baseline_lines (county_code TEXT, township_code TEXT, program TEXT, \
         household_id BIGINT, amount_fen BIGINT)",
    )
    .await?;
    let started = Instant::now();
    raw.exec(&format!(
        "INSERT INTO bench_baseline_lines SELECT county_code, township_code, program, \
         household_id, {amount} FROM entitlements \
         WHERE start_ym <= {m} AND (paid_through_ym IS NULL OR paid_through_ym < {m})"
    ))
    .await?;
    let lines_seconds = started.elapsed().as_secs_f64();
    let (baseline_lines, baseline_total): (i64, i64) = match &raw {
        Raw::Sqlite(p) => {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(lines), 0) AS BIGINT), CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) FROM bench_baseline",
            )
            .fetch_one(p)
            .await?
        }
        Raw::Postgres(p) => {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(lines), 0) AS BIGINT), CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) FROM bench_baseline",
            )
            .fetch_one(p)
            .await?
        }
    };
    raw.exec("DROP TABLE bench_baseline_lines").await?;

    // ---- timed: the month's rosters of every county, then the payment files -------------
    let sys = system.clone();
    let ctx = move |key: String| CommandContext::new(sys.clone(), key, chrono::Utc::now());
    let driver = store.clone();
    let counties2 = counties.clone();
    let (generate_seconds, lines, total) = tokio::spawn(async move {
        let started = Instant::now();
        let (mut lines, mut total) = (0i64, 0i64);
        for c in &counties2 {
            let county = DivisionCode::parse(c).map_err(anyhow::Error::msg)?;
            let t = Instant::now();
            let out = driver
                .execute(
                    &ctx(format!("bench:roster:{c}")),
                    Command::GenerateRosters { county, month },
                )
                .await
                .with_context(|| format!("rosters of {c}"))?
                .outcome;
            if let CommandOutcome::RostersGenerated {
                lines: l, total: s, ..
            } = out
            {
                lines += l;
                total += s.fen();
                eprintln!(
                    "bench: rosters of {c}: {l} lines in {:.2}s",
                    t.elapsed().as_secs_f64()
                );
            }
        }
        anyhow::Ok((started.elapsed().as_secs_f64(), lines, total))
    })
    .await??;
    if lines != n as i64 {
        bail!("the rosters have {lines} lines for {n} households");
    }

    // Settlement and submission (not timed: the townships' and the county's own steps).
    let ctx = |key: String| CommandContext::new(system.clone(), key, chrono::Utc::now());
    let untimed = Instant::now();
    let mut townships: Vec<DivisionCode> = Vec::new();
    for c in &counties {
        let county = DivisionCode::parse(c).map_err(anyhow::Error::msg)?;
        for r in store.rosters(&system, month, &county).await? {
            if !townships.contains(&r.township) {
                townships.push(r.township.clone());
            }
        }
    }
    for t in &townships {
        store
            .execute(
                &ctx(format!("bench:settle:{t}")),
                Command::SettleRosters {
                    township: t.clone(),
                    month,
                },
            )
            .await
            .with_context(|| format!("settle {t}"))?;
    }
    for c in &counties {
        let county = DivisionCode::parse(c).map_err(anyhow::Error::msg)?;
        store
            .execute(
                &ctx(format!("bench:submit:{c}")),
                Command::SubmitRosters { county, month },
            )
            .await
            .with_context(|| format!("submit {c}"))?;
    }
    eprintln!(
        "bench: {} townships settled, {} counties submitted in {:.1}s (not timed)",
        townships.len(),
        counties.len(),
        untimed.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("jiuzhu-bench-payroll-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let driver = store.clone();
    let dir2 = dir.clone();
    let (export_seconds, file_lines, file_total) = tokio::spawn(async move {
        let started = Instant::now();
        let (mut lines, mut total) = (0i64, 0i64);
        for c in &counties {
            let county = DivisionCode::parse(c).map_err(anyhow::Error::msg)?;
            let path = dir2.join(format!("{c}-{MONTH}.csv"));
            let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
            let summary = driver
                .export_payments(
                    &CommandContext::new(
                        Actor::system("bench"),
                        format!("bench:export:{c}"),
                        chrono::Utc::now(),
                    ),
                    &county,
                    month,
                    PaymentFileFormat::Csv,
                    &mut w,
                    &|_, _| {},
                )
                .await
                .with_context(|| format!("payment file of {c}"))?;
            lines += summary.lines;
            total += summary.total.fen();
        }
        anyhow::Ok((started.elapsed().as_secs_f64(), lines, total))
    })
    .await??;
    let _ = std::fs::remove_dir_all(&dir);
    if (file_lines, file_total) != (lines, total) {
        bail!(
            "the payment files ({file_lines} lines, {file_total} fen) disagree with the rosters ({lines} lines, {total} fen)"
        );
    }
    let seconds = generate_seconds + export_seconds;

    raw.exec("DROP TABLE bench_baseline").await?;
    if (baseline_lines, baseline_total) != (lines, total) {
        bail!(
            "the baseline ({baseline_lines} lines, {baseline_total} fen) disagrees with the rosters ({lines} lines, {total} fen)"
        );
    }
    raw.exec("DROP TABLE bench_villages").await?;
    raw.close().await;
    eprintln!(
        "bench: on {}: rosters {generate_seconds:.3}s, payment files {export_seconds:.3}s ({lines} lines, {} yuan); raw aggregate {baseline_seconds:.3}s, raw per-line INSERT … SELECT {lines_seconds:.3}s",
        store.backend(),
        jiuzhu_domain::Fen::new(total).format_grouped()
    );
    println!(
        "BENCH name=payroll n={n} seconds={seconds:.3} baseline_seconds={baseline_seconds:.4} ratio={:.2} peak_rss_mb={}",
        seconds / baseline_seconds,
        peak_rss_mb()
    );
    Ok(ExitCode::SUCCESS)
}
