//! Reject with a reason: payment `rejected` (its hashes stay for duplicate detection), order back
//! to `pending_payment` (the ticket is unlocked for a new receipt), the customer told the reason,
//! the card updated, an audit entry. Admins and owners only, checked on every click.

use crate::domain::PaymentId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::role::Permission;
use crate::domain::status::{OrderStatus, PaymentStatus, RejectCode};
use crate::error::{Error, Result, UserError};
use crate::service::admin_sessions::refuse_audit;
use crate::service::roles::Actor;
use crate::service::state::{Target, audit, enqueue, move_order, move_payment, refresh_views};
use crate::store;

use super::ApprovalService;

impl ApprovalService {
    /// `actor` rejects `payment` for `reason` (the modal's text).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without the role (audited), [`UserError::NotFound`],
    /// [`UserError::InvalidState`] when the payment is not pending; store errors.
    pub async fn reject(&self, actor: &Actor, payment: PaymentId, reason: &str) -> Result<()> {
        self.reject_with(actor, payment, (RejectCode::Other, reason), false)
            .await
    }

    /// `actor` rejects `payment` for a standard `code` and the admin's `text` (may be empty for
    /// a standard code: the customer then reads the code's sentence); with `ban`, the customer
    /// is banned in the same transaction (reason: the text, else the code).
    ///
    /// # Errors
    /// As [`ApprovalService::reject`]; [`UserError::InvalidState`] for an empty text with the
    /// code `other`.
    pub async fn reject_with(
        &self,
        actor: &Actor,
        payment: PaymentId,
        (code, text): (RejectCode, &str),
        ban: bool,
    ) -> Result<()> {
        let allowed = self.deps.roles.require(actor, Permission::ReviewPayments);
        let (admin, reason) = (actor.user, text.trim().to_owned());
        if code == RejectCode::Other && reason.chars().count() < 3 {
            return Err(UserError::InvalidState {
                reason: "say why (at least 3 characters) when the reason is \"other\"".into(),
            }
            .into());
        }
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| {
                if let Err(refusal) = allowed {
                    refuse_audit(tx, admin, payment, None, "forbidden", now)?;
                    return Ok(Err(refusal));
                }
                let Some(p) = store::payments::get(tx, payment)? else {
                    return Ok(Err(UserError::NotFound {
                        what: format!("payment #{payment}"),
                    }));
                };
                if p.status != PaymentStatus::Pending {
                    return Ok(Err(UserError::InvalidState {
                        reason: format!("payment #{payment} is already {}", p.status),
                    }));
                }
                let o = store::orders::get(tx, p.order_id)?.ok_or_else(|| UserError::NotFound {
                    what: format!("order #{}", p.order_id),
                })?;
                let moves = (PaymentStatus::Pending, PaymentStatus::Rejected);
                move_payment(tx, payment, moves, Some(admin), Some(&reason), now)?;
                store::payments::set_reason_code(tx, payment, code)?;
                move_order(
                    tx,
                    o.id,
                    (OrderStatus::UnderReview, OrderStatus::PendingPayment),
                    None,
                    now,
                )?;
                let payload = serde_json::json!({
                    "reason": reason, "code": code.as_str(), "order": o.id, "ban": ban,
                });
                audit(
                    tx,
                    Some(admin),
                    AuditAction::PaymentReject,
                    Target::Payment(payment),
                    None,
                    payload,
                    now,
                )?;
                notify(tx, &o, payment, (code, &reason), now)?;
                if ban {
                    let why = if reason.is_empty() {
                        code.as_str()
                    } else {
                        reason.as_str()
                    };
                    crate::service::growth::ban_in(tx, admin, o.user_id, why, now, false)?;
                }
                Ok(Ok(p.created_at))
            })
            .await?
            .map_err(Error::from)
            .map(|received| {
                #[allow(clippy::cast_precision_loss)]
                let waited = (now - received) as f64 / 1000.0;
                self.deps.metrics.approval("rejected", Some(waited));
            })?;
        self.withdraw_provisional(payment).await
    }
}

fn notify(
    tx: &rusqlite::Connection,
    o: &store::orders::Order,
    payment: PaymentId,
    (code, reason): (RejectCode, &str),
    now: i64,
) -> Result<()> {
    let told = Delivery::ReceiptRejected {
        user_id: o.user_id,
        order_id: o.id,
        payment_id: payment,
        ticket_channel_id: o.ticket_channel_id,
        reason: reason.to_owned(),
        reason_code: Some(code.as_str().to_owned()),
    };
    enqueue(tx, &told, now)?;
    // The card shows the rejection; the ticket unlocks for a new receipt.
    refresh_views(tx, o, Some(payment), now)
}
