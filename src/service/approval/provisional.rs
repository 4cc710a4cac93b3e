//! Temporary access while a receipt waits (`orders.provisional_enabled`, off by default; seed
//! 003): a new customer's accepted receipt — not a near duplicate, not banned (banned customers
//! cannot submit), never had temporary access — gets the **real** client at once with
//! `provisional_percent` % of the plan's traffic for `provisional_days` days, and the link by DM
//! marked as temporary. The client identity is recorded on the payment before the panel call,
//! so the approval reuses it: it rewrites the same client to the full plan (same uuid and subId:
//! the link never changes). A rejection disables it; if that fails, it lapses at its expiry.
//! Single-panel shops only (placement happens at approval).

use crate::domain::PaymentId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::status::{OrderKind, PaymentSource, PaymentStatus};
use crate::error::Result;
use crate::service::state::{Target, audit, enqueue};
use crate::store;

use super::progress::Context;
use super::{ApprovalService, InFlight, terms};

impl ApprovalService {
    /// Grants temporary access on `payment`'s receipt if the shop offers it and the payment is
    /// eligible. Returns whether it was granted. A panel failure only means no temporary access
    /// (logged); the review goes on as usual.
    ///
    /// # Errors
    /// Store errors.
    pub async fn grant_provisional(&self, payment: PaymentId) -> Result<bool> {
        let cfg = self.deps.config.orders.clone();
        let offered = cfg.provisional_enabled
            && !self.deps.panels.is_several()
            && !self.deps.breaker.is_outage();
        if !offered {
            return Ok(false);
        }
        let Some(_guard) = InFlight::claim(&self.in_flight, payment) else {
            return Ok(false);
        };
        let mut ctx = self.load(payment).await?;
        let user = ctx.order.user_id;
        let before = self
            .deps
            .store
            .call(move |c| store::payments::had_provisional(c, user))
            .await?;
        if before || !eligible(&ctx) {
            return Ok(false);
        }
        let now = self.deps.clock.now_ms();
        let t = terms::provisional(
            &ctx.order.plan,
            now,
            cfg.provisional_percent,
            cfg.provisional_days,
        );
        let id = ctx.identity.clone();
        let recorded = self
            .deps
            .store
            .transaction(move |tx| {
                let who = (id.uuid.as_str(), id.email.as_str(), id.sub_id.as_str());
                if !store::payments::set_provisional(tx, payment, who, now)? {
                    return Ok(false);
                }
                let payload =
                    serde_json::json!({ "expiry_ms": t.expiry_ms, "total_bytes": t.total_bytes });
                audit(
                    tx,
                    None,
                    AuditAction::PaymentProvisional,
                    Target::Payment(payment),
                    None,
                    payload,
                    now,
                )?;
                Ok(true)
            })
            .await?;
        if !recorded {
            return Ok(false);
        }
        ctx.terms = Some(t);
        if self.apply(&mut ctx).await.is_err() {
            tracing::warn!(%payment, "temporary access could not be created; the review goes on");
            return Ok(false);
        }
        self.send_provisional(&ctx, t).await?;
        Ok(true)
    }

    /// Queues the temporary link (keyed apart from the approval's link).
    async fn send_provisional(&self, ctx: &Context, t: terms::Terms) -> Result<()> {
        let delivery = Delivery::DeliverLink {
            user_id: ctx.order.user_id,
            order_id: ctx.order.id,
            payment_id: ctx.payment.id,
            ticket_channel_id: ctx.order.ticket_channel_id,
            link: ctx.link.clone().unwrap_or_default(),
            subscription_url: None,
            expiry_at: t.expiry_ms,
            traffic_limit_bytes: t.total_bytes,
            renewal: false,
            provisional: true,
        };
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| enqueue(tx, &delivery, now))
            .await
    }

    /// After a rejection: disables the temporary client of `payment`, if it had one (a failure
    /// is logged; the client lapses at its expiry anyway).
    pub(super) async fn withdraw_provisional(&self, payment: PaymentId) -> Result<()> {
        let p = self
            .deps
            .store
            .call(move |c| store::payments::get(c, payment))
            .await?;
        let Some((_, email, _)) = p
            .filter(|p| p.provisional_at.is_some())
            .and_then(|p| p.client)
        else {
            return Ok(());
        };
        if let Err(e) = self.deps.panel.set_client_enabled(&email, false).await {
            tracing::warn!(%payment, error = %e, "disabling temporary access failed; it lapses at its expiry");
        }
        Ok(())
    }
}

/// A payment that may get temporary access: a pending receipt of a new customer's first-kind
/// order, not a near duplicate, with no access before.
fn eligible(ctx: &Context) -> bool {
    let p = &ctx.payment;
    p.status == PaymentStatus::Pending
        && p.source == PaymentSource::Receipt
        && p.near_duplicate.is_none()
        && p.provisional_at.is_none()
        && p.client.is_none()
        && !ctx.had_client
        && ctx.order.kind == OrderKind::New
}
