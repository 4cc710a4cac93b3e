//! Bootstrap only: parse the command line, load the config, start logging, dispatch to the
//! library. Every command's real work lives in the library so tests and the demo reuse it.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use vpn_ticket_bot::cli::{Cli, Command};
use vpn_ticket_bot::config::Config;
use vpn_ticket_bot::{Error, logging, ops, store::Store};

fn main() -> ExitCode {
    let cli = Cli::parse();
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
                "Backup written and verified: {} ({} bytes, schema version {}, {:.2} s)",
                report.path.display(),
                report.bytes,
                report.schema_version,
                report.took.as_secs_f64()
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
        Command::Run | Command::Demo { .. } | Command::Check => Err(Error::NotConfirmed(format!(
            "`{}` is not available in this build yet: it arrives with the panel and Discord work \
             (migrate, backup and restore are complete)",
            command_name(&command)
        ))),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Run => "run",
        Command::Demo { .. } => "demo",
        Command::Migrate => "migrate",
        Command::Backup { .. } => "backup",
        Command::Restore { .. } => "restore",
        Command::Check => "check",
    }
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
