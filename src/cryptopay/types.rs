//! The Crypto Pay objects we use: [`Invoice`] (read leniently), [`CreateInvoice`] (checked
//! locally before sending), [`WebhookUpdate`] and [`AppInfo`].
//!
//! Field names follow the official reference (help.send.tg/en/articles/10279948-crypto-pay-api,
//! formerly help.crypt.bot/crypto-pay-api) as echoed by the `crypto-pay-api` crate
//! (escwxyz, `src/models/invoice/mod.rs`) and two TypeScript SDKs; see [`super`] for what was
//! and was not verified. Numbers the service may send as JSON numbers or strings (`amount`,
//! `paid_amount`, `invoice_id`) are accepted either way; unknown fields are ignored.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::amount::is_positive_decimal;
use super::error::CryptoPayError;

/// The service's invoice id (`invoice_id`, an integer). Displayed as the bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvoiceId(pub i64);

impl std::fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for InvoiceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for InvoiceId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .map(Self)
                .ok_or_else(|| D::Error::custom(format!("invoice_id {n} is not an integer"))),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Self)
                .map_err(|_| D::Error::custom(format!("invoice_id {s:?} is not an integer"))),
            other => Err(D::Error::custom(format!(
                "expected an invoice_id, got {other}"
            ))),
        }
    }
}

/// An invoice's `status`. The service documents `active`, `paid` and `expired`; any other
/// string is kept in [`Self::Other`] instead of failing the whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    /// Waiting for payment.
    Active,
    /// Paid: `paid_asset`, `paid_amount`, `paid_at` are filled.
    Paid,
    /// Not paid before `expiration_date`; cannot be paid any more.
    Expired,
    /// A status this code does not know (sent as is).
    Other(String),
}

impl InvoiceStatus {
    /// The wire form (`active`, `paid`, `expired` or the unknown string).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Other(s) => s,
        }
    }

    /// Reads the wire form; never fails.
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "paid" => Self::Paid,
            "expired" => Self::Expired,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InvoiceStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InvoiceStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// How an invoice's `amount` is denominated (`currency_type`; the service's default is
/// `crypto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CurrencyType {
    /// `amount` is in `asset` (USDT, TON, BTC...).
    #[default]
    Crypto,
    /// `amount` is in `fiat` (USD, EUR, RUB...); the payer picks one of `accepted_assets`.
    Fiat,
}

/// An invoice as the service returns it (`createInvoice`, `getInvoices`, webhook `payload`).
/// Amounts are decimal strings exactly as sent (JSON numbers are turned into their text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// `invoice_id`.
    pub invoice_id: InvoiceId,
    /// `hash`: the invoice's short public hash (also in the pay links).
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// `status`.
    pub status: InvoiceStatus,
    /// `currency_type` (missing ⇒ `crypto`, the service's default).
    #[serde(default)]
    pub currency_type: CurrencyType,
    /// `asset`: the crypto code when `currency_type` is `crypto`.
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// `fiat`: the fiat code when `currency_type` is `fiat`.
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fiat: Option<String>,
    /// `accepted_assets` (fiat invoices): sent as an array, a comma-separated string or absent.
    #[serde(default, deserialize_with = "assets")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted_assets: Vec<String>,
    /// `amount` in `asset` or `fiat`, a decimal string ("12.5").
    #[serde(deserialize_with = "text")]
    pub amount: String,
    /// `paid_asset`: what the payer paid with (once paid).
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_asset: Option<String>,
    /// `paid_amount` in `paid_asset` (once paid), a decimal string.
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_amount: Option<String>,
    /// `paid_fiat_rate`: price of `paid_asset` in `fiat` (fiat invoices, once paid).
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_fiat_rate: Option<String>,
    /// `bot_invoice_url`: the pay link to show the customer (`https://t.me/CryptoBot?start=…`).
    #[serde(deserialize_with = "text")]
    pub bot_invoice_url: String,
    /// `description` given at creation.
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `payload` given at creation (our order reference).
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// `created_at`, ISO 8601 as sent.
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `paid_at`, ISO 8601 as sent (once paid).
    #[serde(default, deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// `expiration_date`, ISO 8601 as sent (only when `expires_in` was given). The crate
    /// names it `expires_date`; both are read.
    #[serde(default, alias = "expires_date", deserialize_with = "opt_text")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

impl Invoice {
    /// The code `amount` is denominated in: `fiat` for fiat invoices, `asset` otherwise.
    pub fn currency_code(&self) -> Option<&str> {
        match self.currency_type {
            CurrencyType::Crypto => self.asset.as_deref(),
            CurrencyType::Fiat => self.fiat.as_deref(),
        }
    }
}

/// Parameters of `createInvoice`. Serialises to the JSON body the service reads
/// (`accepted_assets` comma-separated, only for fiat invoices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateInvoice {
    /// `currency_type`.
    pub currency_type: CurrencyType,
    /// `asset` (required for crypto invoices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// `fiat` (required for fiat invoices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fiat: Option<String>,
    /// `accepted_assets` (fiat invoices only; empty ⇒ every asset the service supports).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "comma_list")]
    pub accepted_assets: Vec<String>,
    /// `amount`: a positive decimal string ("12.50"); see [`super::amount_from_minor`].
    pub amount: String,
    /// `description` shown to the payer (≤ 1024 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `payload`: our reference, returned on the invoice (≤ 4096 characters).
    pub payload: String,
    /// `expires_in`: seconds the invoice can be paid, 1..=[`MAX_EXPIRES_IN`].
    pub expires_in: u32,
}

/// The largest `expires_in` the service accepts: 2 678 400 s (31 days).
pub const MAX_EXPIRES_IN: u32 = 2_678_400;
/// The longest `payload`, in characters (the reference says "up to 4kb").
pub const MAX_PAYLOAD_CHARS: usize = 4096;
/// The longest `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;

impl CreateInvoice {
    /// The most fractional digits this code lets `amount` have: 2 for fiat; the asset's
    /// on-chain precision for crypto (USDT/USDC/TRX 6, BTC/LTC 8, TON/JET 9, ETH/BNB 18, other
    /// assets 8). A local sanity bound: the service may be stricter.
    pub fn max_fraction_digits(&self) -> u32 {
        match self.currency_type {
            CurrencyType::Fiat => 2,
            CurrencyType::Crypto => match self.asset.as_deref().unwrap_or_default() {
                "USDT" | "USDC" | "TRX" => 6,
                "TON" | "JET" => 9,
                "ETH" | "BNB" => 18,
                _ => 8,
            },
        }
    }

    /// Checks what can be checked before sending.
    ///
    /// # Errors
    /// [`CryptoPayError::Invalid`] naming the first bad field: a crypto invoice without
    /// `asset` or with `accepted_assets`; a fiat invoice without `fiat`; `amount` not a positive decimal with at
    /// most [`Self::max_fraction_digits`] significant fractional digits; `payload` over
    /// [`MAX_PAYLOAD_CHARS`]; `description` over [`MAX_DESCRIPTION_CHARS`]; `expires_in`
    /// outside 1..=[`MAX_EXPIRES_IN`].
    pub fn validate(&self) -> Result<(), CryptoPayError> {
        let bad = |field, reason: String| Err(CryptoPayError::Invalid { field, reason });
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
        let currency = match self.currency_type {
            CurrencyType::Crypto if blank(&self.asset) => {
                bad("asset", "a crypto invoice needs an asset".into())
            }
            CurrencyType::Crypto if !self.accepted_assets.is_empty() => bad(
                "accepted_assets",
                "only fiat invoices take accepted_assets".into(),
            ),
            CurrencyType::Fiat if blank(&self.fiat) => {
                bad("fiat", "a fiat invoice needs a fiat currency".into())
            }
            _ => Ok(()),
        };
        currency?;
        let digits = self.max_fraction_digits();
        if !is_positive_decimal(&self.amount, digits) {
            return bad(
                "amount",
                format!(
                    "{:?} is not a positive decimal with at most {digits} fractional digits",
                    self.amount
                ),
            );
        }
        let payload_len = self.payload.chars().count();
        if payload_len > MAX_PAYLOAD_CHARS {
            return bad(
                "payload",
                format!("{payload_len} characters (at most {MAX_PAYLOAD_CHARS})"),
            );
        }
        if let Some(d) = &self.description {
            let n = d.chars().count();
            if n > MAX_DESCRIPTION_CHARS {
                return bad(
                    "description",
                    format!("{n} characters (at most {MAX_DESCRIPTION_CHARS})"),
                );
            }
        }
        if !(1..=MAX_EXPIRES_IN).contains(&self.expires_in) {
            return bad(
                "expires_in",
                format!("{} s is outside 1..={MAX_EXPIRES_IN}", self.expires_in),
            );
        }
        Ok(())
    }
}

/// A webhook delivery (`Update`): `update_id` is documented as **not unique**, `payload` is
/// the invoice at sending time (never trusted for money: re-read it with `getInvoices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookUpdate {
    /// `update_id`.
    pub update_id: i64,
    /// `update_type` (`invoice_paid` is the only documented one).
    pub update_type: String,
    /// `request_date`, ISO 8601 as sent.
    pub request_date: String,
    /// `payload`: the invoice.
    pub payload: Invoice,
}

/// What `getMe` returns about the app owning the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// `app_id`.
    #[serde(deserialize_with = "int")]
    pub app_id: i64,
    /// `name` of the app.
    #[serde(default, deserialize_with = "text")]
    pub name: String,
    /// `payment_processing_bot_username` (`CryptoBot` on mainnet, `CryptoTestnetBot` on
    /// testnet).
    #[serde(default, deserialize_with = "opt_text")]
    pub payment_processing_bot_username: Option<String>,
}

fn value_text(v: Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(format!("expected a string or a number, got {other}")),
    }
}

/// A string that may arrive as a JSON number (read as its decimal text).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    value_text(Value::deserialize(d)?)
        .map_err(D::Error::custom)?
        .ok_or_else(|| D::Error::custom("expected a string, got null"))
}

/// Like [`text`]; `null` and `""` read as `None`.
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_text(Value::deserialize(d)?)
        .map_err(D::Error::custom)?
        .filter(|s| !s.is_empty()))
}

fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let t = text(d)?;
    t.trim()
        .parse()
        .map_err(|_| D::Error::custom(format!("expected an integer, got {t:?}")))
}

/// An asset list sent as an array, a comma-separated string or `null`.
fn assets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(split_list(&s)),
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(D::Error::custom(format!(
                    "expected an asset code, got {other}"
                ))),
            })
            .collect(),
        other => Err(D::Error::custom(format!(
            "expected an asset list, got {other}"
        ))),
    }
}

/// Splits `"USDT, TON"` into `["USDT", "TON"]` (empty items dropped).
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[allow(clippy::ptr_arg)] // serde's serialize_with hands over &Vec<String>
fn comma_list<S: Serializer>(v: &Vec<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.join(","))
}

#[cfg(test)]
mod tests;
