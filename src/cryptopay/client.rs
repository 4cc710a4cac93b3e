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

use super::answer::interpret;

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
    /// The client `[cryptobot]` describes: `api_url` (else Crypto Pay's mainnet or testnet),
    /// `token`, `timeout_secs`.
    ///
    /// # Errors
    /// As [`CryptoPayClient::new`].
    pub fn from_config(c: &crate::config::CryptobotConfig) -> CryptoPayResult<Self> {
        Self::new(
            c.api_base(),
            c.token.clone(),
            Duration::from_secs(c.timeout_secs),
        )
    }

    /// A client for `base_url` (`…/api/`, e.g. [`super::MAINNET_URL`]; a missing final `/` is
    /// added) with this app token; `timeout` bounds each request, connection included.
    /// No request is sent.
    ///
    /// # Errors
    /// [`CryptoPayError::Config`] for a base URL that is not http(s), an empty token, or a
    /// TLS set-up failure.
    pub fn new(base_url: &str, token: Secret, timeout: Duration) -> CryptoPayResult<Self> {
        if token.is_empty() {
            return Err(CryptoPayError::Config(
                "the Crypto Pay token is empty".into(),
            ));
        }
        let (http, base) = crate::net::api_client("the Crypto Pay URL", base_url, timeout)
            .map_err(CryptoPayError::Config)?;
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
        let reason = crate::net::transport_failure(e, self.timeout);
        CryptoPayError::Unavailable {
            method,
            reason,
            http_status: None,
        }
    }
}

/// The invoices of a `getInvoices` result: `{"items":[…]}` or a bare array.
///
/// # Errors
/// [`CryptoPayError::Protocol`] for another shape or an item that is not an [`Invoice`].
pub(crate) fn invoices_of(result: Value) -> CryptoPayResult<Vec<Invoice>> {
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
    read_result("getInvoices", items)
}

/// Reads `result` as `T`, naming the path of the first field that does not fit.
///
/// # Errors
/// [`CryptoPayError::Protocol`] naming that path.
pub(crate) fn read_result<T: DeserializeOwned>(
    method: &'static str,
    result: Value,
) -> CryptoPayResult<T> {
    serde_path_to_error::deserialize(result).map_err(|e| CryptoPayError::Protocol {
        method,
        detail: format!("result does not parse at {}: {}", e.path(), e.inner()),
    })
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
            out.extend(invoices_of(result)?);
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
