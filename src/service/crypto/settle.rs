//! What Crypto Pay's answer about one invoice does: `paid` → checked against our row and settled
//! once (or refused: mismatch), `expired` → recorded and the customer offered a new one, `active`
//! → nothing. Every move is a guarded update inside one transaction, so racing checks (poller,
//! button, webhook wake-ups) settle an invoice at most once.

use rusqlite::Connection;

use crate::cryptopay::{Invoice, InvoiceStatus, minor_from_amount};
use crate::domain::PaymentId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::{Delivery, InvoiceEvent, OwnerAlert};
use crate::domain::status::{InvoiceState, OrderStatus, PaymentSource, PaymentStatus};
use crate::error::{Error, Result};
use crate::service::approval::start_settled;
use crate::service::state::{enqueue, refresh_views};
use crate::store::crypto_invoices::StoredInvoice;
use crate::store::{self, crypto_invoices, orders::Order, payments::NewUnattendedPayment};

use super::{CheckOutcome, CryptoPayments, PROVIDER, audit_invoice};

/// What the settling transaction decided.
enum Settled {
    /// Settled now: this payment was created `approving`.
    Now(PaymentId),
    /// Someone settled it before.
    Already,
    /// Paid but refused, for this reason.
    Refused(String),
}

impl CryptoPayments {
    /// Applies Crypto Pay's answer `invoice` about our `row`.
    pub(super) async fn apply(
        &self,
        row: StoredInvoice,
        invoice: &Invoice,
    ) -> Result<CheckOutcome> {
        match &invoice.status {
            InvoiceStatus::Active => Ok(CheckOutcome::Waiting(self.view(&row))),
            InvoiceStatus::Expired => self.expire(row).await,
            InvoiceStatus::Paid => self.settle(row, invoice).await,
            InvoiceStatus::Other(status) => {
                tracing::warn!(
                    invoice = invoice.invoice_id.0,
                    status,
                    "unknown invoice status; waiting"
                );
                Ok(CheckOutcome::Waiting(self.view(&row)))
            }
        }
    }

    /// `paid`: verify, then settle (payment + provisioning) or refuse (alert + audit).
    async fn settle(&self, row: StoredInvoice, invoice: &Invoice) -> Result<CheckOutcome> {
        let differs = mismatch(&row, invoice);
        let paid = invoice.paid_asset.clone().zip(invoice.paid_amount.clone());
        let now = self.deps.clock.now_ms();
        let decided = self
            .deps
            .store
            .transaction(move |tx| {
                let Some(current) = crypto_invoices::get(tx, row.id)? else {
                    return Err(Error::Internal("invoice row missing"));
                };
                match current.state {
                    InvoiceState::Active => {}
                    InvoiceState::Mismatch => {
                        return Ok(Settled::Refused(current.last_error.unwrap_or_default()));
                    }
                    _ => return Ok(Settled::Already),
                }
                let order = store::orders::get(tx, row.order_id)?
                    .ok_or(Error::Internal("invoice's order missing"))?;
                if let Some(reason) = differs.or_else(|| not_payable(&order)) {
                    refuse(tx, &current, &order, &reason, paid.as_ref(), now)?;
                    return Ok(Settled::Refused(reason));
                }
                // An invoice is only made for an order whose method is a Crypto Pay one.
                let method = order
                    .payment_method
                    .clone()
                    .unwrap_or_else(|| "cryptobot".into());
                let payment = accept(tx, &current, &order, method, paid.as_ref(), now)?;
                Ok(Settled::Now(payment))
            })
            .await?;
        match decided {
            Settled::Now(payment) => {
                let outcome = self.approval.provision_settled(payment).await?;
                Ok(CheckOutcome::Settled(outcome))
            }
            Settled::Already => Ok(CheckOutcome::AlreadyPaid),
            Settled::Refused(reason) => Ok(CheckOutcome::NotSettled(reason)),
        }
    }

    /// `expired`: recorded once; the customer is offered a new invoice if the order still waits.
    async fn expire(&self, row: StoredInvoice) -> Result<CheckOutcome> {
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| {
                let (from, to) = (InvoiceState::Active, InvoiceState::Expired);
                if !crypto_invoices::transition(tx, row.id, from, to, None, now)? {
                    return Ok(());
                }
                let invoice_id = row.invoice_id.unwrap_or_default();
                let payload = serde_json::json!({ "order": row.order_id });
                audit_invoice(tx, AuditAction::InvoiceExpired, invoice_id, payload, now)?;
                let Some(order) = store::orders::get(tx, row.order_id)? else {
                    return Ok(());
                };
                if order.status == OrderStatus::PendingPayment {
                    enqueue(tx, &notice(&order, invoice_id, InvoiceEvent::Expired), now)?;
                }
                Ok(())
            })
            .await?;
        Ok(CheckOutcome::Expired)
    }

    /// An invoice still unpaid whose order closed (cancelled, abandoned, ticket deleted) is
    /// deleted at Crypto Pay, so nobody pays for nothing. Returns whether it was.
    pub(super) async fn cancel_if_order_closed(&self, row: &StoredInvoice) -> Result<bool> {
        let order = row.order_id;
        let closed = self
            .deps
            .store
            .call(move |c| Ok(store::orders::get(c, order)?.is_some_and(|o| o.closed_at.is_some())))
            .await?;
        let Some(invoice_id) = row.invoice_id.filter(|_| closed) else {
            return Ok(false);
        };
        if let Err(e) = self
            .api
            .delete_invoice(crate::cryptopay::InvoiceId(invoice_id))
            .await
        {
            tracing::warn!(invoice_id, error = %e, "deleting the invoice of a closed order failed");
            return Ok(false);
        }
        let (id, now) = (row.id, self.deps.clock.now_ms());
        self.deps
            .store
            .transaction(move |tx| {
                let (from, to) = (InvoiceState::Active, InvoiceState::Cancelled);
                let note = Some("its order closed");
                if crypto_invoices::transition(tx, id, from, to, note, now)? {
                    let payload = serde_json::json!({ "order": order });
                    audit_invoice(tx, AuditAction::InvoiceCancelled, invoice_id, payload, now)?;
                }
                Ok(true)
            })
            .await
    }
}

/// What differs between the paid `invoice` and what we asked for in `row`, if anything.
fn mismatch(row: &StoredInvoice, invoice: &Invoice) -> Option<String> {
    let unit = row.fiat.as_deref().or(row.asset.as_deref()).unwrap_or("?");
    if Some(invoice.invoice_id.0) != row.invoice_id {
        return Some(format!("invoice id {} is not ours", invoice.invoice_id.0));
    }
    if invoice.payload.as_deref() != Some(row.payload.as_str()) {
        return Some(format!(
            "payload {:?} differs from {:?}",
            invoice.payload.as_deref().unwrap_or(""),
            row.payload
        ));
    }
    let (fiat, asset) = (invoice.fiat.as_deref(), invoice.asset.as_deref());
    let currency_ok = match row.fiat.as_deref() {
        Some(f) => fiat == Some(f),
        None => asset == row.asset.as_deref(),
    };
    if !currency_ok {
        let got = fiat.or(asset).unwrap_or("?");
        return Some(format!("paid in {got}, expected {unit}"));
    }
    if minor_from_amount(&invoice.amount, 2) != Some(row.amount_minor) {
        return Some(format!(
            "amount {} {unit}, expected {} {unit}",
            invoice.amount, row.amount
        ));
    }
    None
}

/// Why the order cannot take this payment now, if it cannot.
fn not_payable(order: &Order) -> Option<String> {
    match order.status {
        OrderStatus::PendingPayment => None,
        OrderStatus::UnderReview => Some(format!(
            "order #{} already has a receipt under review",
            order.id
        )),
        status => Some(format!("order #{} is {status}", order.id)),
    }
}

/// Settles: the payment (already `approving`), the invoice `active → paid`, the order to
/// `provisioning`, audit, views. Returns the payment.
fn accept(
    tx: &Connection,
    row: &StoredInvoice,
    order: &Order,
    method: String,
    paid: Option<&(String, String)>,
    now: i64,
) -> Result<PaymentId> {
    let new = NewUnattendedPayment {
        order_id: order.id,
        user_id: order.user_id,
        method,
        source: PaymentSource::Cryptobot,
        amount_minor: row.amount_minor,
        currency: row.currency.clone(),
    };
    let payment = store::payments::insert_unattended(tx, &new, PaymentStatus::Approving, now)?;
    let paid_ref = paid.map(|(a, m)| (a.as_str(), m.as_str()));
    if !crypto_invoices::settle_paid(tx, row.id, payment, paid_ref, now)? {
        return Err(Error::Internal(
            "invoice left `active` inside its own transaction",
        ));
    }
    start_settled(
        tx,
        payment,
        order.id,
        PaymentSource::Cryptobot.as_str(),
        now,
    )?;
    let invoice_id = row.invoice_id.unwrap_or_default();
    let payload = serde_json::json!({
        "order": order.id, "payment": payment,
        "paid_asset": paid.map(|p| &p.0), "paid_amount": paid.map(|p| &p.1),
    });
    audit_invoice(tx, AuditAction::InvoicePaid, invoice_id, payload, now)?;
    refresh_views(tx, order, Some(payment), now)?;
    Ok(payment)
}

/// Refuses a paid invoice: `active → mismatch`, audit, owners alerted, customer told.
fn refuse(
    tx: &Connection,
    row: &StoredInvoice,
    order: &Order,
    reason: &str,
    paid: Option<&(String, String)>,
    now: i64,
) -> Result<()> {
    let (from, to) = (InvoiceState::Active, InvoiceState::Mismatch);
    crypto_invoices::transition(tx, row.id, from, to, Some(reason), now)?;
    if let Some((asset, amount)) = paid {
        crypto_invoices::record_paid_with(tx, row.id, asset, amount, now)?;
    }
    let invoice_id = row.invoice_id.unwrap_or_default();
    tracing::error!(invoice_id, order = %order.id, reason, "{PROVIDER} invoice paid but not settled");
    let payload = serde_json::json!({
        "order": order.id, "reason": reason,
        "paid_asset": paid.map(|p| &p.0), "paid_amount": paid.map(|p| &p.1),
    });
    audit_invoice(tx, AuditAction::InvoiceMismatch, invoice_id, payload, now)?;
    let alert = OwnerAlert::InvoiceNotSettled {
        invoice_id,
        order_id: order.id,
        user_id: order.user_id,
        reason: reason.to_owned(),
    };
    enqueue(tx, &Delivery::OwnerAlert { alert }, now)?;
    enqueue(
        tx,
        &notice(order, invoice_id, InvoiceEvent::NotSettled),
        now,
    )
}

fn notice(order: &Order, invoice_id: i64, event: InvoiceEvent) -> Delivery {
    Delivery::InvoiceNotice {
        user_id: order.user_id,
        order_id: order.id,
        ticket_channel_id: order
            .ticket_channel_id
            .filter(|_| order.ticket_deleted_at.is_none()),
        invoice_id,
        event,
    }
}
