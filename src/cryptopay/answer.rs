//! What one Crypto Pay answer means: the `result` of an `{"ok":true}` envelope, or the
//! [`CryptoPayError`] that an `{"ok":false}` envelope, an HTML page or an odd status stands for.

use serde_json::Value;

use super::error::{CryptoPayError, CryptoPayResult};

/// Sorts one answer: `Ok(result)` for `{"ok":true,"result":…}` with a 2xx status, otherwise
/// the error it means (see [`CryptoPayError`]'s variants). The service answers errors with the
/// HTTP status in `error.code` (400 for a refused parameter, 401 for a bad token, 405 for an
/// unknown method), so `ok:false` bodies are read whatever the status.
pub(crate) fn interpret(
    method: &'static str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> CryptoPayResult<Value> {
    let envelope = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|v| v.get("ok").is_some_and(Value::is_boolean));
    let Some(mut envelope) = envelope else {
        return Err(non_envelope(method, status, content_type, body));
    };
    if envelope["ok"] == Value::Bool(true) {
        return match (status, envelope.get_mut("result").map(Value::take)) {
            (200..=299, Some(result)) => Ok(result),
            (200..=299, None) => Err(CryptoPayError::Protocol {
                method,
                detail: "ok:true without a result".into(),
            }),
            _ => Err(CryptoPayError::Protocol {
                method,
                detail: format!("ok:true with HTTP {status}"),
            }),
        };
    }
    Err(refused(method, status, &envelope))
}

/// A body that is not an envelope, sorted by the HTTP status alone.
fn non_envelope(
    method: &'static str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> CryptoPayError {
    let detail = describe_body(status, content_type, body);
    match status {
        500..=599 => CryptoPayError::Unavailable {
            method,
            reason: detail,
            http_status: Some(status),
        },
        401 | 403 => CryptoPayError::Auth {
            method,
            reason: detail,
        },
        429 => CryptoPayError::Rejected {
            method,
            code: Some(429),
            name: detail,
        },
        _ => CryptoPayError::Protocol { method, detail },
    }
}

/// An `ok:false` envelope: a refused token, an outage (5xx) or a refusal.
fn refused(method: &'static str, status: u16, envelope: &Value) -> CryptoPayError {
    let (code, name) = refusal(envelope);
    let auth = status == 401
        || code == Some(401)
        || name.eq_ignore_ascii_case("UNAUTHORIZED")
        || (status == 403 && !name.eq_ignore_ascii_case("METHOD_DISABLED"));
    if auth {
        CryptoPayError::Auth {
            method,
            reason: format!("HTTP {status} {name}"),
        }
    } else if (500..=599).contains(&status) {
        CryptoPayError::Unavailable {
            method,
            reason: format!("HTTP {status} {name}"),
            http_status: Some(status),
        }
    } else {
        CryptoPayError::Rejected { method, code, name }
    }
}

/// `(error.code, error.name)` of an `ok:false` envelope. Also reads the shape the
/// `crypto-pay-api` crate models (`"error": "NAME", "error_code": 400`).
fn refusal(envelope: &Value) -> (Option<i64>, String) {
    let int = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let error = &envelope["error"];
    let code = error
        .get("code")
        .and_then(int)
        .or_else(|| envelope.get("error_code").and_then(int));
    let name = error
        .get("name")
        .or_else(|| error.get("message"))
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("UNKNOWN_ERROR")
        .to_owned();
    (code, name)
}

fn describe_body(status: u16, content_type: &str, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let what = if text.is_empty() {
        "an empty body".to_owned()
    } else {
        let cut: String = text.chars().take(80).collect();
        let kind = if content_type.contains("html") || text.starts_with('<') {
            "HTML"
        } else {
            "a non-JSON body"
        };
        format!("{kind}: {cut:?}")
    };
    format!("HTTP {status} with {what}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sort(status: u16, body: &str) -> CryptoPayResult<Value> {
        interpret("getInvoices", status, "application/json", body.as_bytes())
    }

    #[test]
    fn answers_are_sorted_into_results_and_errors() {
        assert_eq!(
            sort(200, r#"{"ok":true,"result":{"items":[]}}"#),
            Ok(json!({"items": []}))
        );
        assert!(matches!(
            sort(
                401,
                r#"{"ok":false,"error":{"code":401,"name":"UNAUTHORIZED"}}"#
            ),
            Err(CryptoPayError::Auth { .. })
        ));
        assert!(matches!(
            sort(
                200,
                r#"{"ok":false,"error":{"code":401,"name":"UNAUTHORIZED"}}"#
            ),
            Err(CryptoPayError::Auth { .. })
        ));
        assert_eq!(
            sort(
                400,
                r#"{"ok":false,"error":{"code":400,"name":"EXPIRES_IN_INVALID"}}"#
            ),
            Err(CryptoPayError::Rejected {
                method: "getInvoices",
                code: Some(400),
                name: "EXPIRES_IN_INVALID".into()
            })
        );
        assert!(
            matches!(
                sort(
                    403,
                    r#"{"ok":false,"error":{"code":403,"name":"METHOD_DISABLED"}}"#
                ),
                Err(CryptoPayError::Rejected { .. })
            ),
            "a disabled method is not a token problem"
        );
        assert_eq!(
            sort(
                400,
                r#"{"ok":false,"error":"AMOUNT_TOO_SMALL","error_code":400}"#
            ),
            Err(CryptoPayError::Rejected {
                method: "getInvoices",
                code: Some(400),
                name: "AMOUNT_TOO_SMALL".into()
            }),
            "the crate's flat error shape"
        );
    }

    #[test]
    fn non_envelopes_are_sorted_by_status() {
        let html = interpret("getMe", 502, "text/html", b"<html>Bad Gateway</html>");
        assert!(matches!(
            html,
            Err(CryptoPayError::Unavailable {
                http_status: Some(502),
                ..
            })
        ));
        assert!(matches!(
            sort(200, "not json"),
            Err(CryptoPayError::Protocol { .. })
        ));
        assert!(matches!(
            sort(200, r#"{"result":1}"#),
            Err(CryptoPayError::Protocol { .. })
        ));
        assert!(matches!(sort(401, ""), Err(CryptoPayError::Auth { .. })));
        assert!(matches!(
            sort(500, r#"{"ok":true,"result":1}"#),
            Err(CryptoPayError::Protocol { .. })
        ));
    }
}
