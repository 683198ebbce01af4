//! `jiuzhu import households FILE`: the household import from the command line, with a
//! progress bar on standard error; and `jiuzhu bench import`, its benchmark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use jiuzhu_domain::{DivisionCode, DivisionLevel};
use jiuzhu_store::{
    Actor, CommandContext, ImportMode, ImportProgress, ImportReport, ImportStage, divisions,
};

use crate::{DbArg, cli_ctx, find_user, open_store, operator};

#[derive(Subcommand)]
pub enum ImportCmd {
    /// Import households and members from an .xlsx or .csv file (one row per member).
    #[command(
        long_about = "Import households and members from an .xlsx (first sheet) or \
.csv file (UTF-8, or GBK as Excel saves it), one row per member, with the columns \
家庭编号, 村(社区)代码, 住址, 姓名, 身份证号码, 与户主关系 (see README). Every row is checked; \
the report lists row, column and reason. all-or-nothing (default): any error and nothing is \
imported; valid-only: households with an invalid row are skipped whole. Either way one \
transaction. Importing the same file again as the same account imports nothing twice.\n\n\
Exit status: 0 every household imported, 1 some or all not imported (see the report)."
    )]
    Households {
        /// The file (.xlsx or .csv).
        file: PathBuf,
        /// all-or-nothing or valid-only.
        #[arg(long, default_value = "all-or-nothing", value_parser = parse_mode)]
        mode: ImportMode,
        /// Import as this account (its jurisdiction and role apply) instead of the system
        /// operator.
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: Option<String>,
        #[command(flatten)]
        db: DbArg,
    },
}

fn parse_mode(s: &str) -> Result<ImportMode, String> {
    ImportMode::parse(s).ok_or_else(|| "use all-or-nothing or valid-only".to_string())
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} 户 {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn on_progress(bar: &ProgressBar) -> impl Fn(ImportProgress) + Send + Sync + use<> {
    let bar = bar.clone();
    move |p: ImportProgress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(match p.stage {
            ImportStage::Checking => "核对数据库",
            ImportStage::Writing => "写入",
            ImportStage::Done => "完成",
        });
    }
}

pub async fn run(cmd: ImportCmd) -> anyhow::Result<ExitCode> {
    let ImportCmd::Households {
        file,
        mode,
        as_user,
        db,
    } = cmd;
    let store = open_store(&db.url()).await?;
    let actor = match &as_user {
        Some(name) => find_user(&*store, name).await?.actor(),
        None => Actor::system(operator()),
    };
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let bar = progress_bar();
    bar.set_message("读取文件");
    let import =
        tokio::task::spawn_blocking(move || jiuzhu_excel::parse_file(&bytes, &name, mode)).await?;
    let ctx = CommandContext::new(actor, "import", chrono::Utc::now());
    let report = store
        .import_households(&ctx, import, &on_progress(&bar))
        .await?;
    bar.finish_and_clear();
    print_report(&report, started.elapsed().as_secs_f64());
    Ok(
        if report.households_skipped == 0 && report.issues.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

fn print_report(r: &ImportReport, seconds: f64) {
    for i in &r.issues {
        let row = if i.row == 0 {
            "文件".to_string()
        } else {
            format!("第{}行", i.row)
        };
        let col = if i.column.is_empty() {
            String::new()
        } else {
            format!(" {}", i.column)
        };
        println!("{row}{col}：{}", i.reason);
    }
    if r.replayed {
        println!(
            "此文件已由同一账号导入过（SHA-256 {}），本次未重复导入。",
            r.sha256
        );
    }
    println!(
        "imported {} of {} households ({} members), skipped {}, {} issues, mode {}, {:.2} s{}",
        r.households_imported,
        r.households,
        r.members_imported,
        r.households_skipped,
        r.issues.len(),
        r.mode.as_str(),
        seconds,
        match (r.first_household_id, r.last_household_id) {
            (Some(a), Some(b)) => format!(", household ids {a}-{b}"),
            _ => String::new(),
        }
    );
}

/// `jiuzhu bench import --households N`: generates a valid file of N households of 珙县 in
/// a temp dir, imports it through the store and prints one BENCH line (with a baseline of as
/// many raw single-row INSERTs as the file has member rows).
pub async fn bench(n: usize, url: &str) -> anyhow::Result<ExitCode> {
    if n == 0 {
        bail!("--households must be at least 1");
    }
    let store = open_store(url).await?;
    let system = Actor::system("bench");
    let counts = store.counts(&system).await?;
    if counts.households > 0 {
        bail!(
            "refusing to run the bench on {}: it has {} households. Give it a new, empty \
             database (e.g. a new SQLite file) and drop it afterwards",
            jiuzhu_store::error::redact_url(url),
            counts.households
        );
    }
    let rows = divisions::parse(divisions::BUILTIN)?;
    store.load_divisions(&cli_ctx()?, &rows).await?;
    let villages: Vec<DivisionCode> = rows
        .iter()
        .filter(|d| d.level() == DivisionLevel::Village && d.code.as_str().starts_with("511526"))
        .map(|d| d.code.clone())
        .collect();
    if villages.is_empty() {
        return Err(anyhow!("no villages of 511526 in the built-in divisions"));
    }
    let (text, members) = jiuzhu_excel::generate_csv(n, &villages, 0);
    let path = std::env::temp_dir().join(format!("jiuzhu-bench-import-{}.csv", std::process::id()));
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "bench: {} households, {members} member rows, {} MB in {}",
        n,
        text.len() / 1_000_000,
        path.display()
    );
    let payloads: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    drop(text);

    let started = Instant::now();
    let bytes = std::fs::read(&path)?;
    let import = tokio::task::spawn_blocking(move || {
        jiuzhu_excel::parse_file(&bytes, "bench.csv", ImportMode::AllOrNothing)
    })
    .await?;
    let parse_seconds = started.elapsed().as_secs_f64();
    let bar = progress_bar();
    let ctx = CommandContext::new(system.clone(), "bench", chrono::Utc::now());
    let report = store
        .import_households(&ctx, import, &on_progress(&bar))
        .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    if report.households_imported != n as u64 {
        bail!(
            "the bench imported {} of {n} households: {:?}",
            report.households_imported,
            report.issues.iter().take(5).collect::<Vec<_>>()
        );
    }
    eprintln!("bench: baseline: {members} raw INSERTs in one transaction");
    let baseline_seconds = crate::bench_cmd::baseline(url, &payloads).await?;
    println!(
        "BENCH name=import n={n} seconds={seconds:.3} parse_seconds={parse_seconds:.3} \
         baseline_seconds={baseline_seconds:.3} ratio={:.2} members={members} \
         households_per_second={:.0} backend={}",
        seconds / baseline_seconds,
        n as f64 / seconds,
        store.backend()
    );
    Ok(ExitCode::SUCCESS)
}
