//! [`CryptoPayClient`]: the [`CryptoPayApi`] over HTTPS with the project's reqwest.
//!
//! Every call is `POST {base}{method}` with a JSON body and the `Crypto-Pay-API-Token` header;
//! answers are sorted by [`interpret`] into a result or a [`CryptoPayError`]. Redirects are
//! not followed; hosts on loopback (the emulator) bypass environment proxies.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::{CryptoPayError, CryptoPayResult};
use super::types::{AppInfo, CreateInvoice, Invoice, InvoiceId};
use super::{CryptoPayApi, GET_INVOICES_MAX};
use crate::config::Secret;

/// The header carrying the app token.
pub const TOKEN_HEADER: &str = "Crypto-Pay-API-Token";

/// The real client. Cheap to share behind an `Arc`; `Debug` never shows the token.
pub struct CryptoPayClient {
    http: reqwest::Client,
    base: Url,
    token: Secret,
    timeout: Duration,
}

impl std::fmt::Debug for CryptoPayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoPayClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl CryptoPayClient {
    /// A client for `base_url` (`…/api/`, e.g. [`super::MAINNET_URL`]; a missing final `/` is
    /// added) with this app token; `timeout` bounds each request, connection included.
    /// No request is sent.
    ///
    /// # Errors
    /// [`CryptoPayError::Config`] for a base URL that is not http(s), an empty token, or a
    /// TLS set-up failure.
    pub fn new(base_url: &str, token: Secret, timeout: Duration) -> CryptoPayResult<Self> {
        let mut base = Url::parse(base_url.trim()).map_err(|e| {
            CryptoPayError::Config(format!(
                "the Crypto Pay URL {base_url:?} is not a URL ({e})"
            ))
        })?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(CryptoPayError::Config(format!(
                "the Crypto Pay URL {base_url:?} is not http(s)"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        if token.is_empty() {
            return Err(CryptoPayError::Config(
                "the Crypto Pay token is empty".into(),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vpn-ticket-bot/", env!("CARGO_PKG_VERSION")));
        if crate::net::is_loopback(&base) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| CryptoPayError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            token,
            timeout,
        })
    }

    /// The base URL in use (ends with `/`).
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Calls `method` with `params` (a JSON object) and reads `result` as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> CryptoPayResult<T> {
        let url = self
            .base
            .join(method)
            .map_err(|e| CryptoPayError::Config(format!("bad method {method}: {e}")))?;
        let resp = self
            .http
            .post(url)
            .header(TOKEN_HEADER, self.token.expose())
            .header(ACCEPT, "application/json")
            .json(&params)
            .send()
            .await
            .map_err(|e| self.transport_error(method, &e))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(method, &e))?;
        let result = interpret(method, status, &content_type, &body)?;
        read_result(method, result)
    }

    fn transport_error(&self, method: &'static str, e: &reqwest::Error) -> CryptoPayError {
        let reason = if e.is_timeout() {
            format!("no answer within {} s", self.timeout.as_secs_f32())
        } else {
            let mut text = if e.is_connect() {
                "cannot connect".to_owned()
            } else {
                "request failed".to_owned()
            };
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        };
        CryptoPayError::Unavailable {
            method,
            reason,
            http_status: None,
        }
    }
}

/// Reads `result` as `T`, naming the path of the first field that does not fit.
fn read_result<T: DeserializeOwned>(method: &'static str, result: Value) -> CryptoPayResult<T> {
    serde_path_to_error::deserialize(result).map_err(|e| CryptoPayError::Protocol {
        method,
        detail: format!("result does not parse at {}: {}", e.path(), e.inner()),
    })
}

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
        let detail = describe_body(status, content_type, body);
        return Err(match status {
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
        });
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
    let (code, name) = refusal(&envelope);
    let auth = status == 401
        || code == Some(401)
        || name.eq_ignore_ascii_case("UNAUTHORIZED")
        || (status == 403 && !name.eq_ignore_ascii_case("METHOD_DISABLED"));
    Err(if auth {
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
    })
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

#[async_trait]
impl CryptoPayApi for CryptoPayClient {
    async fn create_invoice(&self, params: &CreateInvoice) -> CryptoPayResult<Invoice> {
        params.validate()?;
        let body = serde_json::to_value(params).map_err(|e| CryptoPayError::Invalid {
            field: "params",
            reason: e.to_string(),
        })?;
        self.call("createInvoice", body).await
    }

    async fn get_invoices(&self, ids: &[InvoiceId]) -> CryptoPayResult<Vec<Invoice>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(GET_INVOICES_MAX) {
            let list = chunk
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            // `count` defaults to 100 on the service: always ask for the whole chunk.
            let result: Value = self
                .call(
                    "getInvoices",
                    json!({ "invoice_ids": list, "count": chunk.len() }),
                )
                .await?;
            let items = match result {
                Value::Object(mut map) if map.contains_key("items") => map["items"].take(),
                bare @ Value::Array(_) => bare,
                other => {
                    return Err(CryptoPayError::Protocol {
                        method: "getInvoices",
                        detail: format!("expected {{\"items\":[…]}} or an array, got {other}"),
                    });
                }
            };
            out.extend(read_result::<Vec<Invoice>>("getInvoices", items)?);
        }
        Ok(out)
    }

    async fn delete_invoice(&self, id: InvoiceId) -> CryptoPayResult<bool> {
        self.call("deleteInvoice", json!({ "invoice_id": id }))
            .await
    }

    async fn get_me(&self) -> CryptoPayResult<AppInfo> {
        self.call("getMe", json!({})).await
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn bad_configuration_is_refused_and_debug_hides_the_token() {
        let t = || Secret::new("123:SECRET-TOKEN");
        assert!(matches!(
            CryptoPayClient::new("ftp://x/api/", t(), Duration::from_secs(1)),
            Err(CryptoPayError::Config(_))
        ));
        assert!(matches!(
            CryptoPayClient::new(
                super::super::TESTNET_URL,
                Secret::new(" "),
                Duration::from_secs(1)
            ),
            Err(CryptoPayError::Config(_))
        ));
        let c = CryptoPayClient::new("https://pay.crypt.bot/api", t(), Duration::from_secs(1))
            .expect("client");
        assert_eq!(c.base_url(), "https://pay.crypt.bot/api/");
        let debug = format!("{c:?}");
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
    }
}
