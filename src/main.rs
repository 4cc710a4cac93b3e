//! Bootstrap only: parse the command line, load the config, start logging, dispatch to the
//! library. Every command's real work lives in the library so tests and the demo reuse it.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use vpn_ticket_bot::cli::{Cli, Command};
use vpn_ticket_bot::config::Config;
use vpn_ticket_bot::{Error, logging, ops, store::Store};

/// glibc's malloc, bounded: at most 2 arenas (instead of 8 per core, one taken by each thread
/// that allocates at the same time), and a fixed 128 KiB threshold above which blocks are
/// mapped and unmapped on their own (glibc otherwise raises it after the first large free, so
/// the 1.5 MiB buffers of each receipt's decoding stay in the arenas). Measured with
/// `benches/bot_process.rs` over 3,000 orders: RSS after 300 / 3,000 orders 65 / 76 MiB →
/// 42 / 46-49 MiB, while heaptrack showed a flat live heap of 15-16 MiB. mimalloc was tried and
/// held 50 MiB idle, 213 MiB at peak.
#[allow(unsafe_code)]
fn bound_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it runs first in `main`, before any other
    // thread exists, and a refused parameter (return 0) leaves glibc's default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

/// How often a running bot hands glibc's free memory back to the system.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Every [`TRIM_EVERY`], `malloc_trim(0)`: glibc returns only the free memory at the top of an
/// arena by itself, and what the bot frees between longer-lived blocks (request buffers,
/// decoded receipts, parsed events) stayed resident. Measured in TLS mode after 1,000 orders:
/// RSS 36.1 → 31.7 MiB (anonymous 17.8 → 13.4) on one call; the call walks the two arenas'
/// free lists (about a millisecond). A thread of its own (sleeping), so it also runs while the
/// async runtime is busy.
#[allow(unsafe_code)]
fn trim_malloc_periodically() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let trim = || loop {
            std::thread::sleep(TRIM_EVERY);
            // SAFETY: malloc_trim only releases free memory; glibc locks each arena itself.
            unsafe {
                libc::malloc_trim(0);
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("malloc-trim".into())
            .stack_size(64 * 1024)
            .spawn(trim)
        {
            tracing::warn!(error = %e, "cannot start the malloc trim thread; memory is not trimmed");
        }
    }
}

fn main() -> ExitCode {
    bound_malloc();
    let cli = Cli::parse();
    if let Command::Demo { record } = cli.command {
        return demo(record);
    }
    let config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let _logs = match logging::init(&config.logging, Some(&config.storage.logs_dir())) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::debug!(config = ?config, "configuration loaded");
    match dispatch(cli.command, &config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "command failed");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command, config: &Config) -> Result<(), Error> {
    match command {
        Command::Migrate => migrate(config),
        Command::Backup { out } => {
            let report = ops::backup(
                &config.storage,
                out.as_deref(),
                config.backup.keep_days,
                jiff::Timestamp::now(),
            )?;
            println!(
                "Backup written and verified: {} ({} bytes, schema version {}, {:.2} s: copy {:.2} s, \
                 verification {:.2} s)",
                report.path.display(),
                report.bytes,
                report.schema_version,
                report.took.as_secs_f64(),
                report.copy_took.as_secs_f64(),
                report.verify_took.as_secs_f64()
            );
            for old in &report.removed {
                println!("Removed old backup: {}", old.display());
            }
            Ok(())
        }
        Command::Restore { file, yes } => {
            let report = ops::restore(
                &config.storage,
                &file,
                |s| yes || ask(s),
                jiff::Timestamp::now(),
            )?;
            println!(
                "Restored {} into {}",
                report.summary.source.display(),
                report.summary.target.display()
            );
            if let Some(previous) = report.previous {
                println!("The previous database was kept as {}", previous.display());
            }
            Ok(())
        }
        Command::Check => check(config),
        Command::Run => run(config),
        Command::Demo { record } => play_demo(record),
    }
}

/// `demo` needs no config file: it generates its own. Only errors are logged (to stderr;
/// `RUST_LOG` wins) so the story stays readable.
fn demo(record: Option<std::path::PathBuf>) -> ExitCode {
    let logging = vpn_ticket_bot::config::LoggingConfig {
        level: "error,serenity=off".into(),
        files: false,
    };
    let _logs = match logging::init(&logging, None) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match play_demo(record) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn play_demo(record: Option<std::path::PathBuf>) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the async runtime for", "demo"))?;
    runtime
        .block_on(vpn_ticket_bot::demo::run(
            vpn_ticket_bot::demo::DemoOptions { record },
        ))
        .map(|_| ())
        .map_err(|e| Error::Command(e.to_string()))
}

/// Holds the data-directory lock and serves Discord until SIGTERM/SIGINT.
fn run(config: &Config) -> Result<(), Error> {
    let _lock = ops::lock::DataDirLock::acquire(&config.storage.data_dir)?;
    trim_malloc_periodically();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the async runtime for", "run"))?;
    runtime.block_on(vpn_ticket_bot::discord::serve(config.clone()))
}

/// Validates the config (done by loading it), logs in to the panel, prints the summary. Fails
/// when the panel cannot be used or `panel.inbound_id` does not exist on it.
fn check(config: &Config) -> Result<(), Error> {
    println!(
        "config: OK ({} plan(s), {} payment method(s))",
        config.plans.len(),
        config.payment_methods.len()
    );
    config.require_panel()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the async runtime for", "check"))?;
    if config.panels.len() > 1 {
        return check_several(config, &runtime);
    }
    let summary = runtime.block_on(ops::check::check(config))?;
    println!("{summary}");
    check_crypto_pay(config, &runtime)?;
    if summary.configured_inbound_found() {
        Ok(())
    } else {
        Err(Error::Command(format!(
            "panel.inbound_id = {} does not exist on the panel; pick one of the inbounds above",
            summary.configured_inbound
        )))
    }
}

/// `check` with `[[panels]]`: every panel in turn (a failing one does not hide the next), then
/// Crypto Pay; fails naming the first bad panel.
fn check_several(config: &Config, runtime: &tokio::runtime::Runtime) -> Result<(), Error> {
    let mut first_bad = None;
    for (i, (id, result)) in runtime
        .block_on(ops::check::check_all(config))
        .into_iter()
        .enumerate()
    {
        println!("[panels[{i}] {id}]");
        let bad = match result {
            Ok(summary) => {
                println!("{summary}");
                (!summary.configured_inbound_found())
                    .then(|| format!("panels[{i}].inbound_id does not exist on panel {id}"))
            }
            Err(e) => {
                println!("error: {e}");
                Some(format!("panel {id} (panels[{i}]): {e}"))
            }
        };
        first_bad = first_bad.or(bad);
    }
    check_crypto_pay(config, runtime)?;
    first_bad.map_or(Ok(()), |why| Err(Error::Command(why)))
}

fn check_crypto_pay(config: &Config, runtime: &tokio::runtime::Runtime) -> Result<(), Error> {
    match runtime.block_on(ops::check::check_crypto_pay(config)) {
        Some(Ok(line)) => println!("{line}"),
        Some(Err(e)) => {
            return Err(Error::Command(format!(
                "{e}: check cryptobot.token (or VTB_CRYPTOBOT_TOKEN), cryptobot.testnet and \
                 cryptobot.api_url"
            )));
        }
        None => {}
    }
    Ok(())
}

fn migrate(config: &Config) -> Result<(), Error> {
    let store = Store::open(&config.storage)?;
    match store.migrated() {
        (before, after) if before == after => {
            println!(
                "Database {} is up to date (schema version {after})",
                store.path().display()
            );
        }
        (before, after) => println!(
            "Migrated database {} from schema version {before} to {after}",
            store.path().display()
        ),
    }
    Ok(())
}

/// Shows the summary and asks on the terminal; refuses when there is no terminal to ask.
fn ask(summary: &ops::RestoreSummary) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("Not restoring: standard input is not a terminal; re-run with --yes to confirm.");
        return false;
    }
    println!("{summary}");
    print!("Restore this backup? Type 'yes' to continue: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}
