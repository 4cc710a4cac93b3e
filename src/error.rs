//! The crate's error type.
//!
//! Variants say which subsystem failed and carry enough context for the log. Errors that are safe
//! to show customers (not found, forbidden, duplicate receipt...) are domain variants added by the
//! services; everything here is for operators and logs.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::domain::OrderId;

/// Result alias for the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a one-time admin token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Older than its 5 minutes.
    Expired,
    /// Already consumed (a second click).
    Used,
    /// Issued to another admin.
    OtherAdmin,
    /// No such token (or it was purged).
    Unknown,
}

impl std::fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Expired => "this confirmation expired (5 minutes); click Approve again",
            Self::Used => "this confirmation was already used",
            Self::OtherAdmin => "this confirmation belongs to another admin",
            Self::Unknown => "unknown or expired confirmation; click Approve again",
        })
    }
}

/// Refusals that are safe to show to the person who caused them (the Discord layer shows the
/// `Display` text as an ephemeral reply). Anything else is an internal error: logged with
/// context, shown only as a generic message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The thing asked for does not exist (`what` is user-facing, e.g. "order #12").
    #[error("{what} was not found")]
    NotFound {
        /// What was looked up.
        what: String,
    },
    /// The role check failed.
    #[error("you are not allowed to {action}")]
    Forbidden {
        /// What was attempted ("approve payments").
        action: String,
    },
    /// The action does not fit the current state (already approved, order closed...).
    #[error("{reason}")]
    InvalidState {
        /// Why, for the user.
        reason: String,
    },
    /// The customer already has an open order.
    #[error("you already have an open order (#{order}); finish or cancel it first")]
    OpenOrderExists {
        /// The open order.
        order: OrderId,
    },
    /// The customer is banned from ordering.
    #[error("you cannot place orders in this shop")]
    Banned,
    /// Too many attempts.
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The panel is in outage mode (breaker open).
    #[error("the VPN service is temporarily unavailable; please try again later")]
    PanelUnavailable,
    /// The payment provider (Crypto Pay) could not be reached or refused the call; nothing was
    /// charged by the bot and the order is kept.
    #[error(
        "{provider} cannot be reached right now; your order is kept, please try again in a few minutes"
    )]
    ProviderUnavailable {
        /// The provider's name (`Crypto Pay`).
        provider: &'static str,
    },
    /// The exact same receipt was submitted before (any user, any status).
    #[error(
        "this receipt was already submitted before (order #{earlier_order}); upload your own payment receipt"
    )]
    DuplicateReceipt {
        /// The order of the earlier submission.
        earlier_order: OrderId,
    },
    /// The upload is not an acceptable receipt image.
    #[error("this file cannot be accepted as a receipt: {reason}")]
    BadReceipt {
        /// Why (format, size, dimensions, damaged...).
        reason: String,
    },
    /// A one-time admin confirmation was refused.
    #[error("{0}")]
    Token(TokenRefusal),
}

/// Every failure the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A refusal that is safe to show to the user.
    #[error(transparent)]
    User(#[from] UserError),
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
    /// An invariant of the bot broke (a bug): the text says which. Logged, never shown to users.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// An operator command (`demo`, `check`) finished without succeeding; the text says why and
    /// what to do. The services never return it.
    #[error("{0}")]
    Command(String),
    /// Discord refused or lost the bot: the token was refused, the client could not start, the
    /// gateway connection stopped, or a REST call failed (e.g. the dashboard's); the text says
    /// which, with Discord's error.
    #[error("{0}")]
    Discord(String),
    /// An HTTP client outside the panel failed: the attachment download client could not be
    /// built, or downloading a Discord attachment (a receipt) failed; the text says which.
    #[error("{0}")]
    Http(String),
    /// The OS random source gave no bytes (tokens, client uuids and subIds need it; never
    /// happens on Linux once booted). The text is `getrandom`'s error.
    #[error("OS random source: {0}")]
    Rng(String),
    /// The operator declined (or could not be asked) to confirm.
    #[error("{0}")]
    NotConfirmed(String),
    /// The 3x-ui panel failed (unavailable, auth, not found, duplicate, unexpected answer).
    #[error(transparent)]
    Panel(#[from] crate::panel::PanelError),
    /// Crash injection (tests): the approval service stopped after this provisioning step
    /// without any cleanup, as if the process had died there.
    #[error("simulated crash after provisioning step {0}")]
    Crashed(&'static str),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl Error {
    /// The text to show the user: the refusal itself for [`Error::User`], `None` for internal
    /// errors (show a generic message and log the error).
    #[must_use]
    pub fn user_message(&self) -> Option<String> {
        match self {
            Self::User(e) => Some(e.to_string()),
            _ => None,
        }
    }

    /// Wraps an I/O error with what was being done to which path.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
