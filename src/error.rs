//! The crate's error type.
//!
//! Variants say which subsystem failed and carry enough context for the log. Errors that are safe
//! to show customers (not found, forbidden, duplicate receipt...) are domain variants added by the
//! services; everything here is for operators and logs.

use std::path::PathBuf;

use crate::config::ConfigError;

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An SQLite statement failed.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// No pooled connection could be had (timeout or open failure).
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    /// Applying migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A file operation failed; `path` says which file.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot create", "cannot rename"...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data directory is locked by a running bot (or another restore).
    #[error(
        "the data directory {path} is in use by a running vpn-ticket-bot{holder}; stop it first \
         (systemctl stop vpn-ticket-bot)"
    )]
    Locked {
        /// The data directory.
        path: PathBuf,
        /// ` (pid N)` when the holder wrote its pid, else empty.
        holder: String,
    },
    /// A backup or restore file was refused; `reason` is written for the operator.
    #[error("{path}: {reason}")]
    BadBackup {
        /// The file that was checked.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The operator declined (or could not be asked) to confirm.
    #[error("{0}")]
    NotConfirmed(String),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl Error {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
