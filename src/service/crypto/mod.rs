//! Automatic payment by Crypto Pay invoices: the customer picks a `kind = "cryptobot"` method,
//! gets an invoice for the order's price, pays it in @CryptoBot, and the bot settles it and
//! provisions through the same state machine as an admin's approval, with no admin in the loop.
//!
//! Money safety, whatever mix of polling, button presses, webhook repeats and restarts:
//! - the invoice row (`crypto_invoices`, `creating`, with a unique `payload`
//!   `vtb:<order>:<nonce>`) is written before `createInvoice` is called;
//! - only Crypto Pay's answer to `getInvoices` counts (a webhook only wakes the poller);
//! - a `paid` invoice is checked against the row (invoice id, payload, currency type,
//!   fiat/asset, amount to the minor unit) and settled in **one transaction** that moves the row
//!   `active → paid` (a guarded update: one winner), inserts the payment (`source =
//!   cryptobot`, already `approving`) and moves the order to `provisioning`; then
//!   [`ApprovalService::provision_settled`] drives it (after a crash, the reconciler does);
//! - a paid invoice that does not match, or whose order closed, is never provisioned: it is
//!   marked `mismatch`, audited, the owners are alerted and the customer told;
//! - an expired invoice is marked so and the ticket offers a new one; an unpaid invoice of a
//!   closed order is deleted at Crypto Pay.

mod settle;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::config::{InvoiceCurrency, PaymentKind};
use crate::cryptopay::webhook::{Wake, WebhookListener};
use crate::cryptopay::{
    CreateInvoice, CryptoPayApi, CryptoPayError, CurrencyType, Invoice, InvoiceId,
    amount_from_minor,
};
use crate::domain::audit::AuditAction;
use crate::domain::status::{InvoiceState, OrderStatus};
use crate::domain::{OrderId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::Deps;
use crate::service::approval::{ApprovalOutcome, ApprovalService};
use crate::service::orders::owned_order;
use crate::service::state::{Target, audit};
use crate::store::crypto_invoices::{self, NewInvoice, StoredInvoice};
use crate::tasks::Job;

/// The provider's name in messages.
pub const PROVIDER: &str = "Crypto Pay";

/// A `creating` row older than this was interrupted before Crypto Pay answered (a crash): it is
/// marked failed, so the order can get a new invoice. Its invoice, if Crypto Pay made one, was
/// never shown to anyone and simply expires there.
const STALE_CREATING_MS: i64 = 10 * 60 * 1000;

/// What the customer is shown to pay: the invoice's pay link and terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    /// The order.
    pub order_id: OrderId,
    /// Crypto Pay's `invoice_id`.
    pub invoice_id: i64,
    /// `bot_invoice_url`: where to pay.
    pub pay_url: String,
    /// The decimal amount (`"12.50"`).
    pub amount: String,
    /// What `amount` is in (`USD` for a fiat invoice, `USDT` for a crypto one).
    pub unit: String,
    /// Assets a fiat invoice may be paid in (empty = any).
    pub accepted_assets: Vec<String>,
    /// When it expires (Unix ms).
    pub expires_at: Option<i64>,
}

/// What a check of one order's invoice found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Not paid yet; still payable.
    Waiting(InvoiceView),
    /// Paid and settled now: provisioning ran (its outcome) or is run by another task (`None`).
    Settled(Option<ApprovalOutcome>),
    /// Already settled earlier (by the poller, another click or a webhook).
    AlreadyPaid,
    /// It expired unpaid; a new one can be asked for.
    Expired,
    /// Paid, but not settled (mismatch or closed order): staff were alerted.
    NotSettled(String),
}

/// What one poll pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Invoices asked about.
    pub checked: usize,
    /// Invoices settled (paid and matched).
    pub settled: usize,
    /// Invoices found expired.
    pub expired: usize,
    /// Paid invoices not settled.
    pub not_settled: usize,
    /// Unpaid invoices of closed orders deleted at Crypto Pay.
    pub cancelled: usize,
}

/// The Crypto Pay payment service.
pub struct CryptoPayments {
    deps: Deps,
    api: Arc<dyn CryptoPayApi>,
    approval: Arc<ApprovalService>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for CryptoPayments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CryptoPayments").finish_non_exhaustive()
    }
}

impl CryptoPayments {
    /// A service on `api` (the [`crate::cryptopay::CryptoPayClient`], or the emulator's).
    #[must_use]
    pub fn new(deps: Deps, api: Arc<dyn CryptoPayApi>, approval: Arc<ApprovalService>) -> Self {
        Self {
            deps,
            api,
            approval,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Notified to make the poll job check now (a verified webhook, a new invoice).
    #[must_use]
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Starts the webhook listener on `cryptobot.webhook_listen` (`None` when it is off). A
    /// verified update only wakes the poll job, which asks Crypto Pay: the body is never trusted.
    ///
    /// # Errors
    /// The bind error (address in use, permission).
    pub async fn start_webhook(&self) -> std::io::Result<Option<WebhookListener>> {
        let c = &self.deps.config.cryptobot;
        let Some(addr) = c.webhook_addr() else {
            return Ok(None);
        };
        let waker = self.wake.clone();
        let wake: Wake = Arc::new(move |_| waker.notify_one());
        let max_age_ms =
            i64::try_from(c.webhook_max_age_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let listener = WebhookListener::start(
            addr,
            c.webhook_path.clone(),
            c.token.clone(),
            max_age_ms,
            self.deps.clock,
            wake,
        )
        .await?;
        tracing::info!(addr = %listener.local_addr(), "Crypto Pay webhook listener started");
        Ok(Some(listener))
    }

    /// The invoice the customer should pay for `order`: the live one if it is still payable,
    /// else a new one (`createInvoice` for the order's price, our payload, the configured
    /// lifetime and assets). Idempotent: a repeated pick returns the same invoice.
    ///
    /// # Errors
    /// [`UserError::NotFound`] for an order that is not the customer's;
    /// [`UserError::InvalidState`] when the order is no longer waiting for a payment, its method
    /// is not a Crypto Pay one, an invoice is being created right now, or the previous invoice
    /// was paid; [`UserError::ProviderUnavailable`] when Crypto Pay cannot be reached or refuses
    /// (recorded as a failed creation and audited); store errors.
    pub async fn open_invoice(&self, user: UserId, order: OrderId) -> Result<InvoiceView> {
        if let Some(view) = self.payable_invoice(user, order).await? {
            return Ok(view);
        }
        let (row_id, request) = self.record_creating(user, order).await?;
        match self.api.create_invoice(&request).await {
            Ok(invoice) => self.record_created(row_id, &invoice).await,
            Err(e) => {
                self.record_create_failed(row_id, order, &e).await?;
                Err(UserError::ProviderUnavailable { provider: PROVIDER }.into())
            }
        }
    }

    /// The customer's "I paid — check now": asks Crypto Pay about the order's newest invoice
    /// and settles it if paid.
    ///
    /// # Errors
    /// [`UserError::NotFound`] for an order that is not the customer's or has no invoice;
    /// [`UserError::ProviderUnavailable`] when Crypto Pay cannot be asked (the poller keeps
    /// trying); store errors; [`Error::Crashed`] from the approval's fail point.
    pub async fn check_order(&self, user: UserId, order: OrderId) -> Result<CheckOutcome> {
        let row = self
            .deps
            .store
            .call(move |c| {
                owned_order(c, user, order)?;
                crypto_invoices::latest_for_order(c, order)
            })
            .await?
            .ok_or_else(|| UserError::NotFound {
                what: format!("an invoice for order #{order}"),
            })?;
        match row.state {
            InvoiceState::Active => {}
            InvoiceState::Paid => return Ok(CheckOutcome::AlreadyPaid),
            InvoiceState::Expired | InvoiceState::Cancelled | InvoiceState::Failed => {
                return Ok(CheckOutcome::Expired);
            }
            InvoiceState::Mismatch => {
                return Ok(CheckOutcome::NotSettled(row.last_error.unwrap_or_default()));
            }
            InvoiceState::Creating => {
                return Err(creating_now(order));
            }
        }
        let id = InvoiceId(row.invoice_id.unwrap_or_default());
        let answer = self.api.get_invoices(&[id]).await.map_err(|e| {
            tracing::warn!(%order, error = %e, "checking an invoice failed");
            Error::from(UserError::ProviderUnavailable { provider: PROVIDER })
        })?;
        let Some(invoice) = answer.into_iter().find(|i| i.invoice_id == id) else {
            return Ok(CheckOutcome::Waiting(self.view(&row)));
        };
        self.apply(row, &invoice).await
    }

    /// One pass of the poller: asks Crypto Pay about every active invoice at once, settles the
    /// paid ones, records the expired ones, deletes unpaid invoices of closed orders, and fails
    /// `creating` rows a crash left behind.
    ///
    /// # Errors
    /// [`Error::User`] ([`UserError::ProviderUnavailable`]) when Crypto Pay cannot be asked (the
    /// next pass retries); store errors; [`Error::Crashed`] from the approval's fail point.
    pub async fn poll_once(&self) -> Result<PollReport> {
        self.fail_stale_creating().await?;
        let active = self
            .deps
            .store
            .call(|c| crypto_invoices::list_in(c, InvoiceState::Active))
            .await?;
        let mut report = PollReport::default();
        if active.is_empty() {
            return Ok(report);
        }
        let ids: Vec<InvoiceId> = active
            .iter()
            .filter_map(|r| r.invoice_id.map(InvoiceId))
            .collect();
        let answers = self.api.get_invoices(&ids).await.map_err(|e| {
            tracing::warn!(error = %e, "polling Crypto Pay failed");
            Error::from(UserError::ProviderUnavailable { provider: PROVIDER })
        })?;
        report.checked = answers.len();
        for row in active {
            let Some(answer) = answers
                .iter()
                .find(|i| Some(i.invoice_id.0) == row.invoice_id)
            else {
                continue;
            };
            let outcome = self.apply(row.clone(), answer).await?;
            self.count(&mut report, &row, &outcome).await?;
        }
        Ok(report)
    }

    /// Adds `outcome` to the report; an invoice still waiting whose order closed is deleted.
    async fn count(
        &self,
        report: &mut PollReport,
        row: &StoredInvoice,
        outcome: &CheckOutcome,
    ) -> Result<()> {
        match outcome {
            CheckOutcome::Settled(_) => report.settled += 1,
            CheckOutcome::Expired => report.expired += 1,
            CheckOutcome::NotSettled(_) => report.not_settled += 1,
            CheckOutcome::Waiting(_) => {
                if self.cancel_if_order_closed(row).await? {
                    report.cancelled += 1;
                }
            }
            CheckOutcome::AlreadyPaid => {}
        }
        Ok(())
    }

    /// The order's live invoice if it can still be paid; expires one Crypto Pay says expired.
    async fn payable_invoice(&self, user: UserId, order: OrderId) -> Result<Option<InvoiceView>> {
        let live = self
            .deps
            .store
            .call(move |c| {
                owned_order(c, user, order)?;
                crypto_invoices::latest_for_order(c, order)
            })
            .await?;
        let Some(row) = live else { return Ok(None) };
        match row.state {
            InvoiceState::Active => {}
            InvoiceState::Creating if !self.is_stale(&row) => return Err(creating_now(order)),
            InvoiceState::Paid => {
                return Err(UserError::InvalidState {
                    reason: format!("order #{order} is already paid"),
                }
                .into());
            }
            _ => return Ok(None),
        }
        if row.expires_at.is_none_or(|t| t > self.deps.clock.now_ms()) {
            return Ok(Some(self.view(&row)));
        }
        // Past its expiry by our clock: only Crypto Pay's answer may retire it.
        match self.check_order(user, order).await {
            Ok(CheckOutcome::Expired) => Ok(None),
            Ok(CheckOutcome::Waiting(view)) => Ok(Some(view)),
            Ok(_) => Err(UserError::InvalidState {
                reason: format!("order #{order} is already paid"),
            }
            .into()),
            Err(e) => Err(e),
        }
    }

    fn is_stale(&self, row: &StoredInvoice) -> bool {
        self.deps.clock.now_ms() - row.created_at > STALE_CREATING_MS
    }

    /// Writes the `creating` row for a new invoice of `order` and builds its request.
    async fn record_creating(&self, user: UserId, order: OrderId) -> Result<(i64, CreateInvoice)> {
        let cfg = self.deps.config.clone();
        let now = self.deps.clock.now_ms();
        let nonce = nonce()?;
        self.deps
            .store
            .transaction(move |tx| {
                let o = owned_order(tx, user, order)?;
                payable(&cfg, &o)?;
                if let Some(stale) = crypto_invoices::latest_for_order(tx, order)?
                    .filter(|r| r.state == InvoiceState::Creating)
                {
                    let note = Some("interrupted before Crypto Pay answered");
                    let (from, to) = (InvoiceState::Creating, InvoiceState::Failed);
                    crypto_invoices::transition(tx, stale.id, from, to, note, now)?;
                }
                let (new, request) = invoice_request(&cfg, &o, &nonce);
                let id = crypto_invoices::insert_creating(tx, &new, now).map_err(|e| {
                    if crate::store::constraint::is_unique_violation(&e, "crypto_invoices.order_id")
                    {
                        creating_now(order)
                    } else {
                        e
                    }
                })?;
                Ok((id, request))
            })
            .await
    }

    /// Stores what `createInvoice` answered: `creating → active`, audited.
    async fn record_created(&self, row_id: i64, invoice: &Invoice) -> Result<InvoiceView> {
        let now = self.deps.clock.now_ms();
        let lifetime = i64::from(self.deps.config.cryptobot.invoice_lifetime_minutes) * 60_000;
        let (id, url) = (invoice.invoice_id.0, invoice.bot_invoice_url.clone());
        let row = self
            .deps
            .store
            .transaction(move |tx| {
                if !crypto_invoices::activate(tx, row_id, id, &url, Some(now + lifetime), now)? {
                    return Err(Error::Internal("invoice row left `creating` meanwhile"));
                }
                let row = crypto_invoices::get(tx, row_id)?
                    .ok_or(Error::Internal("invoice row missing"))?;
                let payload = serde_json::json!({
                    "order": row.order_id, "amount": row.amount,
                    "currency": row.fiat.as_ref().or(row.asset.as_ref()),
                });
                audit_invoice(tx, AuditAction::InvoiceCreate, id, payload, now)?;
                Ok(row)
            })
            .await?;
        Ok(self.view(&row))
    }

    /// `creating → failed` after Crypto Pay refused or could not be reached, audited.
    async fn record_create_failed(
        &self,
        row_id: i64,
        order: OrderId,
        e: &CryptoPayError,
    ) -> Result<()> {
        tracing::warn!(%order, error = %e, "creating a Crypto Pay invoice failed");
        let now = self.deps.clock.now_ms();
        let why = e.to_string();
        self.deps
            .store
            .transaction(move |tx| {
                let (from, to) = (InvoiceState::Creating, InvoiceState::Failed);
                crypto_invoices::transition(tx, row_id, from, to, Some(&why), now)?;
                let payload = serde_json::json!({ "order": order, "error": why });
                audit_invoice(tx, AuditAction::InvoiceCreateFailed, row_id, payload, now)
            })
            .await
    }

    /// Fails `creating` rows older than [`STALE_CREATING_MS`] (a crash between the row and
    /// Crypto Pay's answer): their invoice was never shown, so nobody can pay it.
    async fn fail_stale_creating(&self) -> Result<()> {
        let before = self.deps.clock.now_ms() - STALE_CREATING_MS;
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| {
                for row in crypto_invoices::list_in(tx, InvoiceState::Creating)? {
                    if row.created_at < before {
                        let (from, to) = (InvoiceState::Creating, InvoiceState::Failed);
                        let note = Some("interrupted before Crypto Pay answered");
                        crypto_invoices::transition(tx, row.id, from, to, note, now)?;
                    }
                }
                Ok(())
            })
            .await
    }
}

/// The order may get an invoice: waiting for a payment, by a Crypto Pay method.
fn payable(cfg: &crate::config::Config, o: &crate::store::orders::Order) -> Result<()> {
    if o.status != OrderStatus::PendingPayment {
        return Err(UserError::InvalidState {
            reason: format!("order #{} is no longer waiting for a payment", o.id),
        }
        .into());
    }
    let by_crypto = o
        .payment_method
        .as_deref()
        .and_then(|m| cfg.payment_method(m))
        .is_some_and(|m| m.kind == PaymentKind::Cryptobot);
    if by_crypto {
        Ok(())
    } else {
        Err(UserError::InvalidState {
            reason: format!("order #{} is not paid by {PROVIDER}", o.id),
        }
        .into())
    }
}

/// The row and the `createInvoice` request for order `o`'s price.
fn invoice_request(
    cfg: &crate::config::Config,
    o: &crate::store::orders::Order,
    nonce: &str,
) -> (NewInvoice, CreateInvoice) {
    let c = &cfg.cryptobot;
    let amount = amount_from_minor(o.plan.price_minor, 2);
    let (currency_type, asset, fiat, accepted) = match c.currency_type {
        InvoiceCurrency::Fiat => (
            CurrencyType::Fiat,
            None,
            Some(o.plan.currency.clone()),
            c.accepted_assets.clone(),
        ),
        InvoiceCurrency::Crypto => (
            CurrencyType::Crypto,
            Some(c.asset.clone()),
            None,
            Vec::new(),
        ),
    };
    let payload = format!("vtb:{}:{nonce}", o.id);
    let new = NewInvoice {
        order_id: o.id,
        currency_type: currency_type_str(currency_type).to_owned(),
        asset: asset.clone(),
        fiat: fiat.clone(),
        amount: amount.clone(),
        amount_minor: o.plan.price_minor,
        currency: o.plan.currency.clone(),
        payload: payload.clone(),
    };
    let request = CreateInvoice {
        currency_type,
        asset,
        fiat,
        accepted_assets: accepted,
        amount,
        description: Some(format!("{} — order #{}", o.plan.name, o.id)),
        payload,
        expires_in: c.invoice_lifetime_minutes.saturating_mul(60),
    };
    (new, request)
}

/// Audits `action` on Crypto Pay invoice `invoice_id`, done by the bot.
fn audit_invoice(
    tx: &rusqlite::Connection,
    action: AuditAction,
    invoice_id: i64,
    payload: serde_json::Value,
    now: i64,
) -> Result<()> {
    audit(
        tx,
        None,
        action,
        Target::Invoice(invoice_id),
        None,
        payload,
        now,
    )
}

/// `crypto` or `fiat`, as stored and as Crypto Pay spells it.
const fn currency_type_str(t: CurrencyType) -> &'static str {
    match t {
        CurrencyType::Crypto => "crypto",
        CurrencyType::Fiat => "fiat",
    }
}

impl CryptoPayments {
    /// What the customer sees of a stored invoice.
    fn view(&self, row: &StoredInvoice) -> InvoiceView {
        let accepted = if row.fiat.is_some() {
            self.deps.config.cryptobot.accepted_assets.clone()
        } else {
            Vec::new()
        };
        InvoiceView {
            order_id: row.order_id,
            invoice_id: row.invoice_id.unwrap_or_default(),
            pay_url: row.pay_url.clone().unwrap_or_default(),
            amount: row.amount.clone(),
            unit: row
                .fiat
                .clone()
                .or_else(|| row.asset.clone())
                .unwrap_or_default(),
            accepted_assets: accepted,
            expires_at: row.expires_at,
        }
    }
}

fn creating_now(order: OrderId) -> Error {
    UserError::InvalidState {
        reason: format!("an invoice for order #{order} is being created; try again in a moment"),
    }
    .into()
}

/// 64 random bits, hex: the payload's nonce (payloads are unique even for the same order).
fn nonce() -> Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// The `crypto_poll` job: [`CryptoPayments::poll_once`] every `cryptobot.poll_interval_secs`,
/// and at once when woken (a new invoice, a verified webhook).
pub struct CryptoPollJob(pub Arc<CryptoPayments>);

#[async_trait]
impl Job for CryptoPollJob {
    fn name(&self) -> &'static str {
        "crypto_poll"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(self.0.deps.config.cryptobot.poll_interval_secs)
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.0.waker())
    }

    async fn run_once(&self) -> Result<()> {
        let r = self.0.poll_once().await?;
        if r.settled + r.expired + r.not_settled + r.cancelled > 0 {
            tracing::info!(
                settled = r.settled,
                expired = r.expired,
                not_settled = r.not_settled,
                cancelled = r.cancelled,
                "Crypto Pay invoices checked"
            );
        }
        Ok(())
    }
}
