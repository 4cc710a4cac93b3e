//! [`CryptoPayError`]: every way a Crypto Pay call can fail, with the API method it was about.
//!
//! Errors name the API method (`createInvoice`...) and what the service sent
//! (`{"ok":false,"error":{"code":400,"name":"EXPIRES_IN_INVALID"}}` ⇒ code 400, name
//! `EXPIRES_IN_INVALID`). The token never reaches an error: it is a [`crate::config::Secret`]
//! and only goes into the `Crypto-Pay-API-Token` header.

/// A failed Crypto Pay call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoPayError {
    /// The service could not be reached or is broken: connection refused, timeout, HTTP 5xx.
    /// Worth retrying later.
    #[error("Crypto Pay unavailable during {method}: {reason}")]
    Unavailable {
        /// The API method (`getInvoices`).
        method: &'static str,
        /// What happened (`no answer within 5 s`, `HTTP 502: "<html>…"`).
        reason: String,
        /// The HTTP status when the service answered (5xx); `None` when it did not answer at
        /// all (connection refused, timeout).
        http_status: Option<u16>,
    },
    /// The token was refused: HTTP 401/403 or an error named `UNAUTHORIZED` / code 401.
    #[error("Crypto Pay refused the API token during {method}: {reason}")]
    Auth {
        /// The API method.
        method: &'static str,
        /// The signal seen (`HTTP 401 UNAUTHORIZED`).
        reason: String,
    },
    /// The service answered `ok:false` for another reason (a parameter it refused, an unknown
    /// invoice, `METHOD_DISABLED`...).
    #[error("Crypto Pay refused {method}: {name}{}", code_suffix(*code))]
    Rejected {
        /// The API method.
        method: &'static str,
        /// `error.code` (usually the HTTP status, 400).
        code: Option<i64>,
        /// `error.name` (`EXPIRES_IN_INVALID`), or the error text when the service sent a bare
        /// string.
        name: String,
    },
    /// The service answered something unexpected: non-JSON, HTML, a JSON shape that does not
    /// parse, `ok:true` with a non-2xx status.
    #[error("unexpected Crypto Pay answer to {method}: {detail}")]
    Protocol {
        /// The API method.
        method: &'static str,
        /// What was seen.
        detail: String,
    },
    /// A parameter refused before sending ([`super::CreateInvoice::validate`]).
    #[error("invalid {field} (checked before sending): {reason}")]
    Invalid {
        /// The parameter (`amount`, `expires_in`...).
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The client cannot be built (bad base URL, empty token, TLS set-up).
    #[error("Crypto Pay configuration: {0}")]
    Config(String),
}

fn code_suffix(code: Option<i64>) -> String {
    code.map(|c| format!(" (code {c})")).unwrap_or_default()
}

impl CryptoPayError {
    /// Whether retrying the same call later may succeed: [`Self::Unavailable`], and a
    /// [`Self::Rejected`] with code 429 (rate limited). Everything else needs a change first.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable { .. } => true,
            Self::Rejected { code, .. } => *code == Some(429),
            Self::Auth { .. } | Self::Protocol { .. } | Self::Invalid { .. } | Self::Config(_) => {
                false
            }
        }
    }

    /// The API method the error came from (`None` for local checks and configuration).
    pub fn method(&self) -> Option<&'static str> {
        match self {
            Self::Unavailable { method, .. }
            | Self::Auth { method, .. }
            | Self::Rejected { method, .. }
            | Self::Protocol { method, .. } => Some(method),
            Self::Invalid { .. } | Self::Config(_) => None,
        }
    }
}

/// Result alias for Crypto Pay calls.
pub type CryptoPayResult<T> = Result<T, CryptoPayError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_method_and_the_service_error() {
        let e = CryptoPayError::Rejected {
            method: "createInvoice",
            code: Some(400),
            name: "EXPIRES_IN_INVALID".into(),
        };
        assert_eq!(
            e.to_string(),
            "Crypto Pay refused createInvoice: EXPIRES_IN_INVALID (code 400)"
        );
        assert!(!e.is_transient());
        assert_eq!(e.method(), Some("createInvoice"));
        let e = CryptoPayError::Rejected {
            method: "getInvoices",
            code: None,
            name: "x".into(),
        };
        assert_eq!(e.to_string(), "Crypto Pay refused getInvoices: x");
    }

    #[test]
    fn only_outages_and_rate_limits_are_transient() {
        let unavailable = CryptoPayError::Unavailable {
            method: "getInvoices",
            reason: "HTTP 502".into(),
            http_status: Some(502),
        };
        let limited = CryptoPayError::Rejected {
            method: "getInvoices",
            code: Some(429),
            name: "TOO_MANY_REQUESTS".into(),
        };
        let auth = CryptoPayError::Auth {
            method: "getMe",
            reason: "HTTP 401".into(),
        };
        assert!(unavailable.is_transient());
        assert!(limited.is_transient());
        assert!(!auth.is_transient());
        assert!(!CryptoPayError::Config("x".into()).is_transient());
    }
}
