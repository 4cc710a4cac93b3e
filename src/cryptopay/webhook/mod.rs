//! Crypto Pay webhooks: [`verify_update`] checks one delivery (signature on the raw bytes,
//! then the body, then the `request_date` window) and [`WebhookListener`] serves them.
//!
//! The signature is the hex HMAC-SHA-256 of the **raw request body**, keyed with the raw
//! 32-byte SHA-256 of the app token, in the `crypto-pay-api-signature` header. Verification
//! runs on the bytes as received (a re-serialised body fails, by design) and compares in
//! constant time (`hmac`'s `verify_slice`). A verified update is still only a hint: the
//! invoice must be re-read with `getInvoices` before any money decision.

mod listener;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub use listener::{RECENT_CAPACITY, Wake, WebhookListener};

use super::types::WebhookUpdate;
use crate::config::Secret;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "crypto-pay-api-signature";

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// No `crypto-pay-api-signature` header.
    #[error("no signature header")]
    MissingSignature,
    /// The header is not 64 hex digits.
    #[error("the signature is not 64 hex digits")]
    MalformedSignature,
    /// The signature does not match the body (wrong token, altered or re-serialised body).
    #[error("the signature does not match the body")]
    BadSignature,
    /// Signed correctly but not an `Update` with an invoice, or `request_date` is not ISO 8601.
    #[error("the body does not parse: {0}")]
    Unparseable(String),
    /// `request_date` is older than the window allows.
    #[error("request_date is {age_ms} ms old (at most {max_age_ms} ms)")]
    Stale {
        /// How old, in milliseconds.
        age_ms: i64,
        /// The window, in milliseconds.
        max_age_ms: i64,
    },
    /// `request_date` is further in the future than the window allows.
    #[error("request_date is {ahead_ms} ms in the future (at most {max_age_ms} ms)")]
    Future {
        /// How far ahead, in milliseconds.
        ahead_ms: i64,
        /// The window, in milliseconds.
        max_age_ms: i64,
    },
}

impl WebhookRejection {
    /// The HTTP status to answer: 401 for signature problems, 400 for the rest.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MissingSignature | Self::MalformedSignature | Self::BadSignature => 401,
            Self::Unparseable(_) | Self::Stale { .. } | Self::Future { .. } => 400,
        }
    }
}

fn mac(token: &Secret) -> Hmac<Sha256> {
    let key = Sha256::digest(token.expose().as_bytes());
    <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes a key of any length")
}

/// The signature Crypto Pay sends for `raw_body` (lowercase hex). Used by the emulator.
pub fn sign(raw_body: &[u8], token: &Secret) -> String {
    let mut m = mac(token);
    m.update(raw_body);
    hex::encode(m.finalize().into_bytes())
}

/// Checks one delivery: the signature on `raw_body` (before anything is parsed), the body's
/// shape, then `request_date` against `now_ms` (Unix ms): older than `max_age_ms` or more
/// than `max_age_ms` ahead is refused.
///
/// # Errors
/// The [`WebhookRejection`] met first, in that order.
pub fn verify_update(
    raw_body: &[u8],
    signature_hex: Option<&str>,
    token: &Secret,
    now_ms: i64,
    max_age_ms: i64,
) -> Result<WebhookUpdate, WebhookRejection> {
    let sig = signature_hex.ok_or(WebhookRejection::MissingSignature)?;
    let sig = hex::decode(sig.trim()).map_err(|_| WebhookRejection::MalformedSignature)?;
    if sig.len() != 32 {
        return Err(WebhookRejection::MalformedSignature);
    }
    let mut m = mac(token);
    m.update(raw_body);
    m.verify_slice(&sig)
        .map_err(|_| WebhookRejection::BadSignature)?;
    let update: WebhookUpdate = serde_json::from_slice(raw_body)
        .map_err(|e| WebhookRejection::Unparseable(e.to_string()))?;
    let sent: jiff::Timestamp = update.request_date.trim().parse().map_err(|e| {
        WebhookRejection::Unparseable(format!(
            "request_date {:?} is not ISO 8601: {e}",
            update.request_date
        ))
    })?;
    let age_ms = now_ms.saturating_sub(sent.as_millisecond());
    if age_ms > max_age_ms {
        return Err(WebhookRejection::Stale { age_ms, max_age_ms });
    }
    if -age_ms > max_age_ms {
        return Err(WebhookRejection::Future {
            ahead_ms: -age_ms,
            max_age_ms,
        });
    }
    Ok(update)
}

#[cfg(test)]
mod tests;
