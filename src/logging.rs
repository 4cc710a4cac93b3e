//! Logging: human-readable lines to stderr (journald under systemd), JSON lines to daily-rotated
//! files `<data_dir>/logs/bot.YYYY-MM-DD.log`, and errors also to `errors.YYYY-MM-DD.log`.
//! The level comes from `RUST_LOG` when set, else `logging.level`. Panics are logged as errors.
//! Secrets never reach a log line: config values print through their redacting `Debug`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LoggingConfig;
use crate::error::{Error, Result};

/// Rotated log files kept per kind.
const KEEP_FILES: usize = 30;

/// Keeps the file writers' background threads alive; dropping it flushes the files.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _guards: Vec<WorkerGuard>,
}

fn filter(config: &LoggingConfig) -> EnvFilter {
    let level = crate::discord::quiet_serenity_spans(&config.level);
    match std::env::var("RUST_LOG") {
        Ok(s) if !s.trim().is_empty() => {
            EnvFilter::try_new(crate::discord::quiet_serenity_spans(&s)).unwrap_or_else(|_| {
                eprintln!(
                    "RUST_LOG={s:?} is not a valid filter; using {:?}",
                    config.level
                );
                EnvFilter::new(&level)
            })
        }
        _ => EnvFilter::new(&level),
    }
}

fn appender(dir: &Path, prefix: &str) -> Result<RollingFileAppender> {
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| Error::Io {
            action: "cannot open log file in",
            path: dir.to_owned(),
            source: std::io::Error::other(e),
        })
}

/// Log lines the `bot` file writer holds while its thread writes (then lines are dropped, as
/// tracing-appender does). The buffer is preallocated and touched at start-up, 32 bytes a line:
/// tracing-appender's default of 128,000 was 4 MiB per writer, a third of the bot's idle
/// memory; 8,192 lines (256 KiB) absorb a burst of every order's lines for seconds of a stalled
/// disk.
const LOG_BUFFER_LINES: usize = 8192;

/// The same for the `errors` file, which gets ERROR lines only: 1,024 lines (32 KiB).
const ERROR_LOG_BUFFER_LINES: usize = 1024;

/// A non-blocking writer of `file` holding up to `lines` lines.
fn buffered(
    file: RollingFileAppender,
    lines: usize,
) -> (tracing_appender::non_blocking::NonBlocking, WorkerGuard) {
    tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(lines)
        .finish(file)
}

/// Installs the global subscriber and the panic hook. `logs_dir` = `None` logs to stderr only.
///
/// # Errors
/// [`Error::Io`] when the log directory cannot be created or written.
pub fn init(config: &LoggingConfig, logs_dir: Option<&Path>) -> Result<LogGuard> {
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter(config));
    let mut guards = Vec::new();
    let (all_layer, errors_layer) = match logs_dir.filter(|_| config.files) {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(Error::io("cannot create log directory", dir))?;
            let (all, g1) = buffered(appender(dir, "bot")?, LOG_BUFFER_LINES);
            let (errors, g2) = buffered(appender(dir, "errors")?, ERROR_LOG_BUFFER_LINES);
            guards.extend([g1, g2]);
            (
                Some(
                    fmt::layer()
                        .json()
                        .with_writer(all)
                        .with_filter(filter(config)),
                ),
                Some(
                    fmt::layer()
                        .json()
                        .with_writer(errors)
                        .with_filter(LevelFilter::ERROR),
                ),
            )
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(all_layer)
        .with(errors_layer)
        .try_init()
        .map_err(|e| Error::Io {
            action: "cannot install the logger for",
            path: logs_dir.map(Path::to_owned).unwrap_or_default(),
            source: std::io::Error::other(e),
        })?;
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".into());
        tracing::error!(%location, panic = %message, "panic");
    }));
    Ok(LogGuard { _guards: guards })
}
