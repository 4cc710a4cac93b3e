//! Crypto Pay (the payment API of @CryptoBot): the [`CryptoPayApi`] trait, its HTTP client
//! [`CryptoPayClient`], the objects it speaks ([`Invoice`], [`CreateInvoice`]), exact
//! minor-unit ↔ decimal-string conversion, and webhook verification ([`webhook`]).
//!
//! This module only speaks HTTP to Crypto Pay; what an invoice means for an order is the
//! service layer's business. The webhook body is never trusted for money: a verified update
//! only wakes whoever re-reads the invoice with `getInvoices`.
//!
//! # Protocol
//! - Hosts: [`MAINNET_URL`] (@CryptoBot) and [`TESTNET_URL`] (@CryptoTestnetBot); HTTPS.
//! - Every method is `{base}{method}` (GET query or POST JSON; this client POSTs JSON) with the
//!   header `Crypto-Pay-API-Token: <app token>`.
//! - Answers: `{"ok":true,"result":…}` or `{"ok":false,"error":{"code":400,"name":"…"}}`, the
//!   HTTP status matching `error.code` (400 refused parameter, 401 bad token, 405 unknown
//!   method).
//! - `createInvoice`: `currency_type` (`crypto` default, needs `asset`; `fiat` needs `fiat` and
//!   takes `accepted_assets`, comma-separated), `amount` as a decimal string, `description`
//!   (≤ 1024), `payload` (≤ 4 kB), `expires_in` (1..=2 678 400 s).
//! - `getInvoices`: `invoice_ids` (comma-separated), `status`, `asset`, `fiat`, `offset`,
//!   `count` (1..=1000, **default 100**); result `{"items":[…]}`.
//! - `deleteInvoice(invoice_id)` ⇒ `true`; `getMe` ⇒ the app (`app_id`, `name`,
//!   `payment_processing_bot_username`).
//! - Webhook: POST of an `Update` (`update_id` — not unique —, `update_type` `invoice_paid`,
//!   `request_date` ISO 8601, `payload` the invoice), header `crypto-pay-api-signature` =
//!   hex HMAC-SHA-256 of the raw body keyed with the raw 32-byte SHA-256 of the token.
//!
//! # Sources and what was verified
//! Checked (read, not copied): the `crypto-pay-api` crate (escwxyz,
//! `src/models/invoice/mod.rs` field names and types, `src/webhook/handler.rs` signature
//! algorithm and `crypto-pay-api-signature` header, `src/models/response.rs`,
//! `src/models/invoice/params.rs` for `getInvoices` filters); the official page's changelog
//! (help.send.tg/en/articles/10279948-crypto-pay-api: `currency_type`, `fiat`,
//! `accepted_assets` added to `createInvoice` in 1.2; webhook retries for 3 days, then
//! disabled, since 1.5.2); the `@gramio/crypto-pay-api` and another TypeScript SDK's `Invoice`
//! (`expiration_date`, `accepted_assets`, `paid_fiat_rate`, `bot_invoice_url`); the
//! LulzLoL231 Python client (HTTP 401 for a bad token, HTTP 400 with
//! `error.name = "EXPIRES_IN_INVALID"`, 403 `METHOD_DISABLED`, 405 for unknown methods,
//! `{"error":{"code","name"}}`). The signature algorithm is pinned by a known-answer test
//! computed with Python's `hmac`/`hashlib`.
//!
//! Not verified (the official reference's body was not readable here): the exact error names
//! other than `UNAUTHORIZED`, `EXPIRES_IN_INVALID` and `METHOD_DISABLED` (the emulator's
//! `AMOUNT_INVALID`, `ASSET_INVALID`... are modelled guesses; the client only passes names
//! through); whether `accepted_assets` is refused on crypto invoices (we refuse it locally);
//! the expiry field's name (`expiration_date` per the SDKs, `expires_date` per the crate: both
//! are read); whether webhook retries carry a fresh `request_date`.

mod amount;
mod answer;
mod client;
mod error;
mod types;
pub mod webhook;

use async_trait::async_trait;

pub use amount::{amount_from_minor, is_positive_decimal, minor_from_amount};
pub(crate) use answer::interpret;
pub use client::{CryptoPayClient, TOKEN_HEADER};
pub(crate) use client::{invoices_of, read_result};
pub use error::{CryptoPayError, CryptoPayResult};
pub(crate) use types::split_list;
pub use types::{
    AppInfo, CreateInvoice, CurrencyType, Invoice, InvoiceId, InvoiceStatus, MAX_DESCRIPTION_CHARS,
    MAX_EXPIRES_IN, MAX_PAYLOAD_CHARS, WebhookUpdate,
};

/// The mainnet API base (@CryptoBot).
pub const MAINNET_URL: &str = "https://pay.crypt.bot/api/";
/// The testnet API base (@CryptoTestnetBot; test coins, a separate token).
pub const TESTNET_URL: &str = "https://testnet-pay.crypt.bot/api/";
/// The most invoices one `getInvoices` call returns (`count` ≤ 1000); longer id lists are
/// split into several calls.
pub const GET_INVOICES_MAX: usize = 1000;

/// What the shop needs from Crypto Pay. Implemented by [`CryptoPayClient`]; tests use it
/// against [`crate::sim::cryptopay::CryptoPaySim`].
#[async_trait]
pub trait CryptoPayApi: Send + Sync {
    /// `createInvoice`: checks `params` locally ([`CreateInvoice::validate`]), then creates
    /// the invoice and returns it (status `active`, `bot_invoice_url` to show the payer).
    ///
    /// # Errors
    /// [`CryptoPayError::Invalid`] before sending; otherwise any call error (a parameter the
    /// service refuses is [`CryptoPayError::Rejected`]). Not idempotent: a timeout may still
    /// have created an invoice. Such an orphan is harmless (its link was never shown; it
    /// expires after `expires_in`), and `getInvoices` has no `payload` filter to find it.
    async fn create_invoice(&self, params: &CreateInvoice) -> CryptoPayResult<Invoice>;

    /// `getInvoices` for these ids (one call per [`GET_INVOICES_MAX`] ids; none for an empty
    /// list). Unknown ids are simply absent from the result; the order is the service's.
    ///
    /// # Errors
    /// Any call error; the first failing chunk stops the whole read.
    async fn get_invoices(&self, ids: &[InvoiceId]) -> CryptoPayResult<Vec<Invoice>>;

    /// `deleteInvoice`: the service's boolean (`true` once deleted).
    ///
    /// # Errors
    /// Any call error; an unknown id is [`CryptoPayError::Rejected`].
    async fn delete_invoice(&self, id: InvoiceId) -> CryptoPayResult<bool>;

    /// `getMe`: checks the token and names the app.
    ///
    /// # Errors
    /// A refused token is [`CryptoPayError::Auth`]; otherwise any call error.
    async fn get_me(&self) -> CryptoPayResult<AppInfo>;
}
