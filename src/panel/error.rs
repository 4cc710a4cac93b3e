//! [`PanelError`]: every way a panel call can fail, with the operation and route it was about.
//!
//! Errors carry the route relative to the panel base URL (so neither the `webBasePath` nor any
//! credential appears), the operation name, and the panel's `msg` when it sent one. Secrets never
//! reach an error: they are [`crate::config::Secret`]s and are only exposed into request bodies
//! and headers.

use std::fmt;

/// What was being done when an error happened: the [`super::PanelApi`] operation and the route
/// relative to the base URL (`panel/api/inbounds/list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorContext {
    /// Operation name (`ensure_client`, `login`...).
    pub op: &'static str,
    /// Route relative to the base URL, or `(local check)` for checks done before sending.
    pub route: String,
}

impl ErrorContext {
    /// Builds a context.
    pub fn new(op: &'static str, route: impl Into<String>) -> Self {
        Self {
            op,
            route: route.into(),
        }
    }
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.op, self.route)
    }
}

/// A failed panel call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PanelError {
    /// The panel could not be reached or is broken: connection refused, timeout, HTTP 5xx.
    /// Worth retrying later.
    #[error("panel unavailable during {ctx}: {reason}")]
    Unavailable {
        /// Where.
        ctx: ErrorContext,
        /// What happened (`timed out after 5 s`, `HTTP 500 with an empty body`...).
        reason: String,
        /// The HTTP status when the panel answered (5xx); `None` when it did not answer at all
        /// (connection refused, timeout): only then is the panel really down.
        http_status: Option<u16>,
    },
    /// Login refused (wrong credentials or 2FA code, rate limit), API token rejected, or the
    /// session could not be re-established.
    #[error("panel authentication failed during {ctx}: {reason}")]
    Auth {
        /// Where.
        ctx: ErrorContext,
        /// Why (the panel's `msg`, or the HTTP signal seen).
        reason: String,
    },
    /// The client, inbound or route does not exist.
    #[error("not found on the panel during {ctx}: {what}")]
    NotFound {
        /// Where.
        ctx: ErrorContext,
        /// What was missing (the panel's `msg` when it sent one).
        what: String,
    },
    /// The email (or subId) is already used by another client on the panel.
    #[error("duplicate on the panel during {ctx}: {msg}")]
    Duplicate {
        /// Where.
        ctx: ErrorContext,
        /// The panel's `msg`.
        msg: String,
    },
    /// The panel answered `success:false` (HTTP 200) for another reason, or a value was refused
    /// before sending; `msg` is the panel's (localised) text.
    #[error("panel refused {ctx}: {msg}")]
    Rejected {
        /// Where.
        ctx: ErrorContext,
        /// The panel's `msg`, or the local check that failed.
        msg: String,
    },
    /// The panel answered something unexpected: HTML, non-JSON, a JSON shape that does not parse,
    /// an unexpected status code.
    #[error("unexpected panel answer during {ctx}: {detail}")]
    Protocol {
        /// Where.
        ctx: ErrorContext,
        /// What was seen.
        detail: String,
    },
    /// The panel configuration cannot be used (bad URL, unreadable CA file, bad TOTP secret).
    #[error("panel configuration: {0}")]
    Config(String),
    /// The backend cannot do this at all (see [`super::Capabilities`]): skip it, it is not an
    /// outage.
    #[error("the backend does not support {0}")]
    Unsupported(&'static str),
}

impl PanelError {
    /// The operation and route, when the error came from a call.
    pub fn context(&self) -> Option<&ErrorContext> {
        match self {
            Self::Unavailable { ctx, .. }
            | Self::Auth { ctx, .. }
            | Self::NotFound { ctx, .. }
            | Self::Duplicate { ctx, .. }
            | Self::Rejected { ctx, .. }
            | Self::Protocol { ctx, .. } => Some(ctx),
            Self::Config(_) | Self::Unsupported(_) => None,
        }
    }

    /// Maps a `success:false` answer to a variant. The Go error inside `msg` is not localised, so
    /// matching it is the documented last resort (`xui-api.md` §3): "not found" ⇒ [`Self::NotFound`],
    /// "duplicate"/"already in use" ⇒ [`Self::Duplicate`], anything else ⇒ [`Self::Rejected`].
    pub fn from_refusal(ctx: ErrorContext, msg: &str) -> Self {
        let lower = msg.to_ascii_lowercase();
        let msg = msg.to_owned();
        if lower.contains("duplicate") || lower.contains("already in use") {
            Self::Duplicate { ctx, msg }
        } else if lower.contains("not found") {
            Self::NotFound { ctx, what: msg }
        } else {
            Self::Rejected { ctx, msg }
        }
    }
}

/// Result alias for panel calls.
pub type PanelResult<T> = Result<T, PanelError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_sorted_by_the_go_error() {
        let ctx = || ErrorContext::new("ensure_client", "panel/api/inbounds/addClient");
        assert!(matches!(
            PanelError::from_refusal(ctx(), "Something went wrong (Duplicate email: alice)"),
            PanelError::Duplicate { .. }
        ));
        assert!(matches!(
            PanelError::from_refusal(ctx(), "x (email already in use: a)"),
            PanelError::Duplicate { .. }
        ));
        assert!(matches!(
            PanelError::from_refusal(ctx(), "Something went wrong (record not found)"),
            PanelError::NotFound { .. }
        ));
        let e = PanelError::from_refusal(ctx(), "Something went wrong (empty client ID)");
        assert!(matches!(e, PanelError::Rejected { .. }));
        assert_eq!(
            e.to_string(),
            "panel refused ensure_client (panel/api/inbounds/addClient): Something went wrong (empty client ID)"
        );
    }
}
