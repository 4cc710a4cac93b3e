//! What one answer of the panel means: done (a JSON envelope), the session or token was refused
//! (redirect to the login page, 401/403/404, the v2.0–2.2.1 "log in again" text), or failed
//! (5xx = unavailable, other statuses and non-JSON bodies = protocol errors).

use reqwest::StatusCode;
use serde_json::value::RawValue;

use super::Raw;
use crate::panel::error::{ErrorContext, PanelError};
use crate::panel::types::Envelope;

/// What one answer means.
pub(super) enum Step {
    /// A JSON envelope (its `success` is the caller's to read), `obj` still as text.
    Done(Envelope<Box<RawValue>>),
    /// The session (or token) was not accepted: the signal, for the log.
    AuthLost(String),
    /// A failure to report.
    Fail(PanelError),
}

/// Sorts `raw`, the answer to a request made with a session (`bearer` false) or a token.
pub(super) fn interpret(ctx: &ErrorContext, raw: &Raw, bearer: bool) -> Step {
    let status = raw.status;
    if status.is_redirection() {
        let to = raw.location.as_deref().unwrap_or("?");
        return Step::AuthLost(format!("HTTP {} redirect to {to}", status.as_u16()));
    }
    if matches!(status.as_u16(), 401 | 403 | 404) {
        return Step::AuthLost(format!("HTTP {}", status.as_u16()));
    }
    if status.is_server_error() {
        return Step::Fail(PanelError::Unavailable {
            ctx: ctx.clone(),
            reason: format!("HTTP {}{}", status.as_u16(), snippet(&raw.body)),
            http_status: Some(status.as_u16()),
        });
    }
    if !status.is_success() {
        return Step::Fail(PanelError::Protocol {
            ctx: ctx.clone(),
            detail: format!("HTTP {}{}", status.as_u16(), snippet(&raw.body)),
        });
    }
    match parse_envelope(raw) {
        Ok(env) if !env.success && !bearer && is_session_text(&env.msg) => {
            Step::AuthLost(format!("session expired ({})", env.msg))
        }
        Ok(env) => Step::Done(env),
        Err(detail) => Step::Fail(PanelError::Protocol {
            ctx: ctx.clone(),
            detail,
        }),
    }
}

pub(super) fn bearer_refused(ctx: ErrorContext, status: StatusCode, signal: &str) -> PanelError {
    if status == StatusCode::NOT_FOUND {
        PanelError::Protocol {
            ctx,
            detail: "HTTP 404: the route does not exist on this panel, or the API token is not \
                     accepted (v3.0.0-3.0.1 answer 404 to bad tokens)"
                .into(),
        }
    } else {
        PanelError::Auth {
            ctx,
            reason: format!("API token refused ({signal})"),
        }
    }
}

/// The envelope of a 2xx answer, `obj` kept as its JSON text: read into its type by the caller,
/// never into a `Value` tree first (an inbound's is every client, 2.4 MiB at 2,400).
pub(super) fn parse_envelope(raw: &Raw) -> Result<Envelope<Box<RawValue>>, String> {
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("HTTP {} with an empty body", raw.status.as_u16()));
    }
    if raw.content_type.contains("html") || raw.body.trim_ascii_start().starts_with(b"<") {
        return Err(format!("HTML instead of JSON{}", snippet(&raw.body)));
    }
    serde_json::from_slice(&raw.body)
        .map_err(|e| format!("not a JSON envelope ({e}){}", snippet(&raw.body)))
}

/// The v2.0–2.2.1 "please log in again" `msg` (English; other languages are caught by the
/// HTTP signals of later versions).
fn is_session_text(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("log in again") || m.contains("login again") || m.contains("session has expired")
}

pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        " with an empty body".into()
    } else {
        let cut: String = text.chars().take(80).collect();
        format!(": {cut:?}")
    }
}
