//! What one answer of the vpn-api service means, sorted for the circuit breaker and the
//! approval state machine: no answer, a timeout or a 5xx is [`PanelError::Unavailable`] (try
//! again later); 401/403 is [`PanelError::Auth`] (the key is wrong: tell the owner, do not
//! retry); 400/422 is [`PanelError::Rejected`] with FastAPI's `detail` (a string, or a list of
//! `{msg}` objects); anything else unexpected is [`PanelError::Protocol`].

use reqwest::StatusCode;
use serde_json::Value;

use crate::panel::error::{ErrorContext, PanelError};

/// At most this many bytes of an unexpected body go into an error.
const SNIPPET: usize = 160;

/// Sorts an answer with `status` and `body` into its JSON value or an error.
pub(super) fn interpret(
    ctx: &ErrorContext,
    status: StatusCode,
    body: &[u8],
) -> Result<Value, PanelError> {
    let code = status.as_u16();
    let detail = || detail_of(body);
    if status.is_server_error() {
        return Err(PanelError::Unavailable {
            ctx: ctx.clone(),
            reason: format!("HTTP {code}: {}", detail()),
            http_status: Some(code),
        });
    }
    if matches!(code, 401 | 403) {
        return Err(PanelError::Auth {
            ctx: ctx.clone(),
            reason: format!("API key refused (HTTP {code}: {})", detail()),
        });
    }
    if matches!(code, 400 | 422) {
        return Err(PanelError::Rejected {
            ctx: ctx.clone(),
            msg: detail(),
        });
    }
    if !status.is_success() {
        return Err(PanelError::Protocol {
            ctx: ctx.clone(),
            detail: format!("HTTP {code}: {}", detail()),
        });
    }
    serde_json::from_slice(body).map_err(|e| PanelError::Protocol {
        ctx: ctx.clone(),
        detail: format!("not JSON ({e}): {}", snippet(body)),
    })
}

/// FastAPI's `{"detail": ...}`: a string, or a list of validation errors whose `msg`s are
/// joined; the body's start when there is no such field.
fn detail_of(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return snippet(body);
    };
    match v.get("detail") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.get("msg")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned)
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
        None => snippet(body),
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET)]);
    if text.trim().is_empty() {
        "empty body".to_owned()
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort(code: u16, body: &str) -> Result<Value, PanelError> {
        let ctx = ErrorContext::new("ensure_client", "add-user");
        interpret(&ctx, StatusCode::from_u16(code).unwrap(), body.as_bytes())
    }

    #[test]
    fn answers_are_sorted_for_the_breaker() {
        assert!(matches!(
            sort(500, r#"{"detail":"internal_error"}"#),
            Err(PanelError::Unavailable { http_status: Some(500), reason, .. }) if reason.contains("internal_error")
        ));
        assert!(matches!(
            sort(401, r#"{"detail":"Invalid or missing API key"}"#),
            Err(PanelError::Auth { reason, .. }) if reason.contains("Invalid or missing API key")
        ));
        assert!(matches!(sort(403, ""), Err(PanelError::Auth { .. })));
        let list =
            r#"{"detail":[{"loc":["body","uuid"],"msg":"field required","type":"missing"}]}"#;
        assert!(
            matches!(sort(422, list), Err(PanelError::Rejected { msg, .. }) if msg == "field required")
        );
        assert!(matches!(
            sort(400, r#"{"detail":"uuid is required"}"#),
            Err(PanelError::Rejected { msg, .. }) if msg == "uuid is required"
        ));
        assert!(matches!(
            sort(404, "Not Found"),
            Err(PanelError::Protocol { .. })
        ));
        assert!(matches!(
            sort(200, "<html>"),
            Err(PanelError::Protocol { .. })
        ));
        assert_eq!(sort(200, r#"{"status":"ok"}"#).unwrap()["status"], "ok");
    }
}
