//! Receipt submission: the payment (`pending`) is stored, the order goes to `under_review`, the
//! ticket is locked and a review card is queued, all in one transaction. Exact duplicates are
//! caught by one mechanism only, the unique index on `payments.receipt_sha256` (an earlier upload
//! or an identical one racing this one): the violation rolls the transaction back and becomes a
//! [`UserError::DuplicateReceipt`] naming the earlier order, audited as `receipt.duplicate`.

use crate::domain::audit::AuditAction;
use crate::domain::status::OrderStatus;
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::state::{Target, audit, move_order, refresh_views};
use crate::store::{self, payments::NewPayment, payments::Receipt};

use super::{OrderService, owned_order};

impl OrderService {
    /// Accepts a receipt for `order` of `user`: `receipt` and `near_duplicate` (earlier payment,
    /// Hamming distance) come from the receipt pipeline. Returns the new payment.
    ///
    /// # Errors
    /// [`UserError::DuplicateReceipt`] for an exact duplicate; [`UserError::NotFound`] when the
    /// order is not the user's; [`UserError::InvalidState`] when no payment method was chosen or
    /// the order is not waiting for a payment; store errors.
    pub async fn submit_receipt(
        &self,
        user: UserId,
        order: OrderId,
        receipt: Receipt,
        near_duplicate: Option<(PaymentId, u32)>,
    ) -> Result<PaymentId> {
        self.submit_receipt_from(user, order, receipt, near_duplicate, None)
            .await
    }

    /// [`OrderService::submit_receipt`] for the ticket message `message` (a snowflake), recorded
    /// as the ticket's last handled message in the same transaction as the payment, so catch-up
    /// never submits it again.
    ///
    /// # Errors
    /// As [`OrderService::submit_receipt`].
    pub async fn submit_receipt_from(
        &self,
        user: UserId,
        order: OrderId,
        receipt: Receipt,
        near_duplicate: Option<(PaymentId, u32)>,
        message: Option<u64>,
    ) -> Result<PaymentId> {
        let now = self.clock.now_ms();
        let sha = receipt.sha256.clone();
        let automatic: Vec<String> = self
            .config
            .payment_methods
            .iter()
            .filter(|m| m.kind != crate::config::PaymentKind::Manual)
            .map(|m| m.id.clone())
            .collect();
        let result = self
            .store
            .transaction(move |tx| {
                let submitted =
                    insert_receipt(tx, (user, order), receipt, near_duplicate, &automatic, now)?;
                if let (Ok(_), Some(m)) = (&submitted, message) {
                    store::orders::set_last_message(tx, order, m)?;
                }
                Ok(submitted)
            })
            .await;
        match result {
            Ok(inner) => inner.map_err(Error::from),
            Err(e) if store::constraint::is_unique_violation(&e, "payments.receipt_sha256") => {
                self.duplicate(user, order, sha).await
            }
            Err(e) => Err(e),
        }
    }

    /// The receipt's SHA-256 is already stored (an earlier upload, or an identical one that won a
    /// race): the transaction rolled back; report and audit the duplicate.
    async fn duplicate(&self, user: UserId, order: OrderId, sha: String) -> Result<PaymentId> {
        let now = self.clock.now_ms();
        let earlier = self
            .store
            .transaction(move |tx| {
                let earlier =
                    store::payments::find_by_sha256(tx, &sha)?.map_or(order, |p| p.order_id);
                audit_duplicate(tx, user, order, earlier, now)?;
                Ok(earlier)
            })
            .await?;
        Err(UserError::DuplicateReceipt {
            earlier_order: earlier,
        }
        .into())
    }
}

/// The transaction of [`OrderService::submit_receipt`]: `Ok(Err)` for a refusal to commit with
/// its audit entry.
/// Orders paid by an automatic method (`automatic`: their ids) take no receipt.
fn insert_receipt(
    tx: &rusqlite::Connection,
    (user, order): (UserId, OrderId),
    receipt: Receipt,
    near_duplicate: Option<(PaymentId, u32)>,
    automatic: &[String],
    now: i64,
) -> Result<Result<PaymentId, UserError>> {
    let o = owned_order(tx, user, order)?;
    let Some(method) = o.payment_method.clone() else {
        return Ok(Err(UserError::InvalidState {
            reason: super::CHOOSE_METHOD_FIRST.into(),
        }));
    };
    if automatic.contains(&method) {
        return Ok(Err(UserError::InvalidState {
            reason: format!(
                "order #{order} is paid by invoice and needs no screenshot: pay the invoice, or \
                 pick another payment method to pay by receipt"
            ),
        }));
    }
    if o.status != OrderStatus::PendingPayment {
        return Ok(Err(UserError::InvalidState {
            reason: format!("order #{order} is not waiting for a receipt"),
        }));
    }
    move_order(tx, order, (o.status, OrderStatus::UnderReview), None, now)?;
    let new = NewPayment {
        order_id: order,
        user_id: user,
        method,
        amount_minor: o.plan.price_minor,
        currency: o.plan.currency.clone(),
        receipt,
        near_duplicate,
    };
    let payment = store::payments::insert(tx, &new, now)?;
    let payload = serde_json::json!({
        "sha256": new.receipt.sha256,
        "near_duplicate_of": near_duplicate.map(|d| d.0),
    });
    audit(
        tx,
        Some(user),
        AuditAction::ReceiptSubmit,
        Target::Payment(payment),
        None,
        payload,
        now,
    )?;
    // The ticket locks (the order is under review now) and the review card is posted.
    refresh_views(tx, &o, Some(payment), now)?;
    Ok(Ok(payment))
}

fn audit_duplicate(
    tx: &rusqlite::Connection,
    user: UserId,
    order: OrderId,
    earlier: OrderId,
    now: i64,
) -> Result<()> {
    let payload = serde_json::json!({ "earlier_order": earlier });
    audit(
        tx,
        Some(user),
        AuditAction::ReceiptDuplicate,
        Target::Order(order),
        None,
        payload,
        now,
    )
}
