//! An in-process Crypto Pay: an axum server on 127.0.0.1 (port 0) answering `createInvoice`,
//! `getInvoices`, `deleteInvoice` and `getMe` under `/api/` like the real service (GET query or
//! POST JSON/form, the `Crypto-Pay-API-Token` header, `{"ok":…}` envelopes with the HTTP status
//! in `error.code`), holding invoices in memory. The test moves invoices ([`CryptoPaySim::pay`],
//! [`CryptoPaySim::expire`], [`CryptoPaySim::tamper`]), injects [`Fault`]s for the next
//! requests, and sends signed webhook deliveries ([`CryptoPaySim::send_webhook`], with
//! [`WebhookMutation`]s for forged ones).
//!
//! ```no_run
//! # async fn demo() {
//! use vpn_ticket_bot::sim::cryptopay::{CryptoPaySim, Fault};
//! let sim = CryptoPaySim::start("1234:sim-token").await;
//! let base = sim.base_url(); // http://127.0.0.1:PORT/api/
//! sim.fail_next(Some("getInvoices"), Fault::Status(502), 1);
//! # }
//! ```
//!
//! Modelled, not verified against the service: the error names other than `UNAUTHORIZED` and
//! `EXPIRES_IN_INVALID` (see [`crate::cryptopay`]), the newest-first order of `getInvoices`,
//! and a fiat invoice paid at rate 1 in its first accepted asset. Timestamps (`created_at`,
//! `paid_at`, `request_date`) come from the system clock.

mod routes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::Secret;
use crate::cryptopay::webhook::{SIGNATURE_HEADER, sign};
use crate::cryptopay::{CurrencyType, Invoice, InvoiceId, InvoiceStatus};

/// A fault served instead of (or before) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This HTTP status with an HTML body (a proxy's 502 page, a 500 from a crash).
    Status(u16),
    /// The normal answer after this delay (tokio time: a paused clock controls it).
    Slow(Duration),
    /// `{"ok":false,"error":{"code":code,"name":name}}`, with HTTP status `code` when it is
    /// 400..=599 and 200 otherwise.
    OkFalse {
        /// `error.code`.
        code: i64,
        /// `error.name`.
        name: String,
    },
    /// HTTP 200 with a body that is not JSON.
    Garbage,
}

/// How [`CryptoPaySim::send_webhook_with`] forges a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookMutation {
    /// The same JSON with different spacing, carrying the signature of the original bytes.
    ReSerialized,
    /// `request_date` this many minutes in the past (correctly signed).
    StaleDate(i64),
    /// `request_date` this many minutes in the future (correctly signed).
    FutureDate(i64),
    /// Signed with another token.
    WrongToken,
}

struct FaultRule {
    method: Option<String>,
    fault: Fault,
    left: u32,
}

/// The emulator's memory.
#[derive(Default)]
pub(crate) struct State {
    next_id: i64,
    next_update_id: i64,
    /// Invoices in creation order.
    pub(crate) invoices: Vec<Invoice>,
    requests: HashMap<String, u32>,
    faults: Vec<FaultRule>,
}

impl State {
    /// The next fault for `method`, consuming one use of it.
    fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|r| r.left > 0 && r.method.as_deref().is_none_or(|m| m == method))?;
        let rule = &mut self.faults[i];
        rule.left -= 1;
        let fault = rule.fault.clone();
        if rule.left == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }

    fn find_mut(&mut self, id: InvoiceId) -> Option<&mut Invoice> {
        self.invoices.iter_mut().find(|i| i.invoice_id == id)
    }
}

/// State shared by the handle and the server.
pub(crate) struct Shared {
    token: String,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("cryptopay sim lock")
    }
}

/// A running emulated Crypto Pay. Dropping it stops the server.
pub struct CryptoPaySim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    http: reqwest::Client,
}

impl CryptoPaySim {
    /// Starts the service on 127.0.0.1 with a free port, accepting this app token.
    pub async fn start(token: &str) -> Self {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            state: Mutex::new(State {
                next_id: 1001,
                next_update_id: 1,
                ..State::default()
            }),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let server = routes::serve(listener, shared.clone());
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("webhook client");
        Self {
            shared,
            addr,
            server,
            http,
        }
    }

    /// `http://127.0.0.1:PORT/api/`: what goes where [`crate::cryptopay::MAINNET_URL`] would.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    /// The accepted app token.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Marks an `active` invoice paid now: `paid_asset` is the invoice's asset (crypto) or its
    /// first accepted asset, USDT when none (fiat, at `paid_fiat_rate` 1); `paid_amount` is
    /// the amount. False for an unknown or not-active invoice.
    pub fn pay(&self, id: InvoiceId) -> bool {
        let mut st = self.shared.state();
        let Some(inv) = st.find_mut(id) else {
            return false;
        };
        if inv.status != InvoiceStatus::Active {
            return false;
        }
        inv.status = InvoiceStatus::Paid;
        inv.paid_at = Some(now_iso(0));
        inv.paid_amount = Some(inv.amount.clone());
        inv.paid_asset = match inv.currency_type {
            CurrencyType::Crypto => inv.asset.clone(),
            CurrencyType::Fiat => {
                inv.paid_fiat_rate = Some("1".into());
                Some(
                    inv.accepted_assets
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "USDT".into()),
                )
            }
        };
        true
    }

    /// Marks an `active` invoice expired. False for an unknown or not-active invoice.
    pub fn expire(&self, id: InvoiceId) -> bool {
        let mut st = self.shared.state();
        match st.find_mut(id) {
            Some(inv) if inv.status == InvoiceStatus::Active => {
                inv.status = InvoiceStatus::Expired;
                true
            }
            _ => false,
        }
    }

    /// Changes a stored invoice arbitrarily (forged amounts, payloads, statuses). False for an
    /// unknown invoice.
    pub fn tamper(&self, id: InvoiceId, change: impl FnOnce(&mut Invoice)) -> bool {
        let mut st = self.shared.state();
        st.find_mut(id).map(change).is_some()
    }

    /// Every invoice, in creation order.
    pub fn invoices(&self) -> Vec<Invoice> {
        self.shared.state().invoices.clone()
    }

    /// One invoice.
    pub fn invoice(&self, id: InvoiceId) -> Option<Invoice> {
        self.shared.state().find_mut(id).map(|i| i.clone())
    }

    /// Requests seen for this API method (`createInvoice`), faulted and refused ones included.
    pub fn request_count(&self, method: &str) -> u32 {
        self.shared
            .state()
            .requests
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    /// Serves `fault` to the next `times` requests for `method` (any method when `None`).
    /// Rules are used in the order they were added.
    pub fn fail_next(&self, method: Option<&str>, fault: Fault, times: u32) {
        self.shared.state().faults.push(FaultRule {
            method: method.map(str::to_owned),
            fault,
            left: times,
        });
    }

    /// POSTs a correctly signed `invoice_paid` update for this invoice (as stored now) to
    /// `url`, `request_date` now; returns the HTTP status.
    ///
    /// # Panics
    /// Unknown invoice, or `url` cannot be reached.
    pub async fn send_webhook(&self, url: &str, id: InvoiceId) -> StatusCode {
        self.deliver(url, id, None).await
    }

    /// Like [`Self::send_webhook`], forged as `mutation` says.
    ///
    /// # Panics
    /// As [`Self::send_webhook`].
    pub async fn send_webhook_with(
        &self,
        url: &str,
        id: InvoiceId,
        mutation: WebhookMutation,
    ) -> StatusCode {
        self.deliver(url, id, Some(mutation)).await
    }

    async fn deliver(&self, url: &str, id: InvoiceId, m: Option<WebhookMutation>) -> StatusCode {
        let (update_id, invoice) = {
            let mut st = self.shared.state();
            let inv = st
                .find_mut(id)
                .map(|i| routes::render(i))
                .expect("known invoice");
            st.next_update_id += 1;
            (st.next_update_id - 1, inv)
        };
        let offset_minutes = match m {
            Some(WebhookMutation::StaleDate(min)) => -min,
            Some(WebhookMutation::FutureDate(min)) => min,
            _ => 0,
        };
        let update = json!({
            "update_id": update_id,
            "update_type": "invoice_paid",
            "request_date": now_iso(offset_minutes * 60_000),
            "payload": invoice,
        });
        let raw = serde_json::to_vec(&update).expect("json");
        let token = match m {
            Some(WebhookMutation::WrongToken) => Secret::new(format!("{}-wrong", self.token())),
            _ => Secret::new(self.token()),
        };
        let signature = sign(&raw, &token);
        let body = match m {
            Some(WebhookMutation::ReSerialized) => {
                serde_json::to_vec_pretty(&update).expect("json")
            }
            _ => raw,
        };
        self.http
            .post(url)
            .header(SIGNATURE_HEADER, signature)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("webhook delivered")
            .status()
    }
}

impl Drop for CryptoPaySim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The system time shifted by `offset_ms`, ISO 8601 in UTC with milliseconds.
fn now_iso(offset_ms: i64) -> String {
    let ms = jiff::Timestamp::now().as_millisecond() + offset_ms;
    jiff::Timestamp::from_millisecond(ms)
        .expect("time in range")
        .to_string()
}

/// A fresh invoice hash (12 hex characters).
fn random_hash() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).expect("OS randomness");
    hex::encode_upper(b)
}
