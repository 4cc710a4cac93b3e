//! The three ways a provisioning attempt ends: finalized (one transaction: payment approved,
//! order completed, subscription, ledger sale, audit, link delivery, card update, ticket deletion
//! job), failed (compensation: delete a client this attempt created or put a renewal's previous
//! expiry and limit back; payment back to `pending`, order back to `under_review`, the card live
//! again with why, the reason returned; an order whose ticket was deleted meanwhile is closed
//! instead) or delayed by an outage (`provisioning_pending`, customer told).

use crate::domain::ChannelId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::status::{OrderStatus, PaymentStatus, SubscriptionStatus};
use crate::error::{Error, Result};
use crate::panel::Inbound;
use crate::panel::link::{customer_link, subscription_url};
use crate::service::growth;
use crate::service::orders::{TICKET_DELETED, close_order, schedule_channel_deletion};
use crate::service::panels::subscription::customer_url;
use crate::service::state::{Target, audit, enqueue, move_order, move_payment, refresh_views};
use crate::store::{
    self, orders::Order, payments::Payment, users::ClientIdentity, users::Subscription,
};

use super::progress::{Context, save_progress};
use super::terms::Terms;
use super::{ApprovalOutcome, ApprovalService, Approved, ProvisionFailure, ProvisionStep};

impl ApprovalService {
    /// Builds the customer's `vless://` link on `inbound` at `panel.public_host`.
    pub(super) fn build_link(
        &self,
        inbound: &Inbound,
        id: &ClientIdentity,
    ) -> Result<String, ProvisionFailure> {
        customer_link(
            inbound,
            &id.uuid,
            &id.email,
            &id.sub_id,
            &self.deps.config.panel.public_host,
        )
        .map_err(|e| ProvisionFailure::Link(e.to_string()))
    }

    /// Step 4: records everything in one transaction; on a store failure, compensates.
    pub(super) async fn finalize(&self, ctx: &Context) -> Result<ApprovalOutcome> {
        let now = self.deps.clock.now_ms();
        let terms = ctx.terms.ok_or(Error::Internal(
            "approval reached finalize without stored terms",
        ))?;
        let link = ctx.link.clone().unwrap_or_default();
        let config = &self.deps.config;
        let sub_url = customer_url(config, &ctx.identity.sub_id).or_else(|| {
            config
                .panel
                .subscription_base_url
                .as_deref()
                .filter(|b| !b.trim().is_empty())
                .map(|b| subscription_url(b, &ctx.identity.sub_id))
        });
        let hours = i64::from(self.deps.config.orders.delete_ticket_after_hours);
        let delete_at = now + hours * 3_600_000;
        let (p, o, id) = (ctx.payment.clone(), ctx.order.clone(), ctx.identity.clone());
        let tz = self.deps.config.shop_time_zone();
        let referrals = self.deps.config.referrals.clone();
        let sent = link.clone();
        let result = self
            .deps
            .store
            .transaction(move |tx| {
                record(tx, (&p, &o), &id, terms, (&referrals, &tz), now)?;
                store::users::set_access_link(tx, o.user_id, &sent, sub_url.as_deref(), now)?;
                // The ticket as it is now: it may have been deleted while the panel was called.
                let ticket = store::orders::get(tx, o.id)?.and_then(|o| o.ticket_channel_id);
                let delivery = Delivery::DeliverLink {
                    user_id: o.user_id,
                    order_id: o.id,
                    payment_id: p.id,
                    ticket_channel_id: ticket,
                    link: sent,
                    subscription_url: sub_url,
                    expiry_at: terms.expiry_ms,
                    traffic_limit_bytes: terms.total_bytes,
                    renewal: terms.extend,
                    provisional: false,
                };
                queue_approved(tx, &p, ticket, &delivery, delete_at, now)?;
                save_progress(tx, p.id, ProvisionStep::Finalized, Some(terms), false, now)
            })
            .await;
        if let Err(e) = result {
            tracing::error!(payment = %ctx.payment.id, error = %e, "recording an approval failed");
            return self.fail(ctx, ProvisionFailure::Store(e.to_string())).await;
        }
        self.crash_point(ProvisionStep::Finalized)?;
        Ok(ApprovalOutcome::Approved(Approved {
            payment_id: ctx.payment.id,
            order_id: ctx.order.id,
            user_id: ctx.order.user_id,
            email: ctx.identity.email.clone(),
            link,
            expiry_ms: terms.expiry_ms,
            renewal: terms.extend,
        }))
    }

    /// Step 4 of a gift order (no client: steps 2 and 3 are skipped): one transaction approves
    /// the payment, completes the order, settles the books, issues the gift token (DM'd to the
    /// buyer) and schedules the ticket's deletion.
    pub(super) async fn finalize_gift(&self, ctx: &Context) -> Result<ApprovalOutcome> {
        let now = self.deps.clock.now_ms();
        let (p, o) = (ctx.payment.clone(), ctx.order.clone());
        let tz = self.deps.config.shop_time_zone();
        let referrals = self.deps.config.referrals.clone();
        let days = self.deps.config.gifts.expire_after_days;
        let hours = i64::from(self.deps.config.orders.delete_ticket_after_hours);
        let delete_at = now + hours * 3_600_000;
        self.deps
            .store
            .transaction(move |tx| {
                move_payment(
                    tx,
                    p.id,
                    (PaymentStatus::Approving, PaymentStatus::Approved),
                    None,
                    None,
                    now,
                )?;
                let done = (OrderStatus::Provisioning, OrderStatus::Completed);
                move_order(tx, o.id, done, Some("gift issued"), now)?;
                settle_books(tx, (&p, &o), &referrals, &tz, now)?;
                let gift = growth::issue_gift_in(tx, &o, days, now)?.map(|g| g.gift_id);
                let ticket = store::orders::get(tx, o.id)?.and_then(|o| o.ticket_channel_id);
                enqueue(tx, &Delivery::ReviewCard { payment_id: p.id }, now)?;
                if let Some(channel) = ticket {
                    schedule_channel_deletion(tx, channel, delete_at, now)?;
                }
                save_progress(tx, p.id, ProvisionStep::Finalized, None, false, now)?;
                let payload =
                    serde_json::json!({ "order": o.id, "gift": gift, "reviewer": p.reviewer_id });
                audit_approved(tx, &p, payload, now)
            })
            .await?;
        self.crash_point(ProvisionStep::Finalized)?;
        Ok(ApprovalOutcome::Approved(Approved {
            payment_id: ctx.payment.id,
            order_id: ctx.order.id,
            user_id: ctx.order.user_id,
            email: String::new(),
            link: String::new(),
            expiry_ms: 0,
            renewal: false,
        }))
    }

    /// Rolls back: deletes a client this attempt created (or puts a renewal's previous expiry
    /// and limit back), payment → `pending`, order → `under_review`, admin told `why` on the
    /// review card (the ticket stays locked: the payment is still under review). When the ticket
    /// was deleted while the panel was called, the order is closed instead (payment cancelled),
    /// so the customer can order again.
    pub(super) async fn fail(
        &self,
        ctx: &Context,
        why: ProvisionFailure,
    ) -> Result<ApprovalOutcome> {
        let kept = self.compensate(ctx).await;
        let now = self.deps.clock.now_ms();
        let (p, o, reason) = (ctx.payment.clone(), ctx.order.clone(), why.to_string());
        let step = ctx.step.min(ProvisionStep::IdentityStored);
        self.deps
            .store
            .transaction(move |tx| {
                let moves = (PaymentStatus::Approving, PaymentStatus::Pending);
                move_payment(tx, p.id, moves, None, Some(&reason), now)?;
                move_order(
                    tx,
                    o.id,
                    (OrderStatus::Provisioning, OrderStatus::UnderReview),
                    None,
                    now,
                )?;
                // The identity stays on the payment for the next attempt.
                save_progress(tx, p.id, step, kept, false, now)?;
                let payload = serde_json::json!({ "reason": reason });
                audit(
                    tx,
                    None,
                    AuditAction::PaymentProvisionFailed,
                    Target::Payment(p.id),
                    None,
                    payload,
                    now,
                )?;
                let o = store::orders::get(tx, o.id)?
                    .ok_or(Error::Internal("an order vanished during provisioning"))?;
                if o.ticket_deleted_at.is_some() {
                    // Its ticket was deleted while the panel was called: nowhere to pay or talk
                    // any more, so it is closed like any order whose ticket is deleted (the
                    // payment cancelled on its card) and the customer can order again.
                    return close_order(tx, &o, None, TICKET_DELETED, now);
                }
                // The card is live again with the reason; the ticket stays locked (under review).
                refresh_views(tx, &o, Some(p.id), now)
            })
            .await?;
        Ok(ApprovalOutcome::Failed(ctx.payment.id, why))
    }

    /// Undoes this attempt's panel writes. Returns the terms the next attempt must reuse: `None`
    /// when the panel is back as before (terms are then recomputed from the next attempt's "now"),
    /// the renewal's terms when it may have been extended and could not be put back (so a retry
    /// re-applies the same absolute values instead of extending twice).
    async fn compensate(&self, ctx: &Context) -> Option<Terms> {
        let email = &ctx.identity.email;
        let panel = &self.deps.panel;
        if ctx.client_created
            && let Err(e) = panel.delete_client(email).await
        {
            tracing::error!(%email, error = %e, "compensation: deleting the client failed");
        }
        let terms = ctx.terms.filter(|t| t.extend && ctx.wrote_panel)?;
        let (expiry, total) = terms.previous?;
        match panel.extend_client(email, expiry, total).await {
            Ok(()) => None,
            Err(e) => {
                tracing::error!(%email, error = %e, "compensation: restoring the expiry failed");
                Some(terms)
            }
        }
    }

    /// Parks the payment in `provisioning_pending` and tells the customer.
    pub(super) async fn delay(&self, ctx: &Context, why: &str) -> Result<ApprovalOutcome> {
        let now = self.deps.clock.now_ms();
        let (p, o, reason) = (ctx.payment.clone(), ctx.order.clone(), why.to_owned());
        self.deps
            .store
            .transaction(move |tx| {
                let moves = (PaymentStatus::Approving, PaymentStatus::ProvisioningPending);
                move_payment(tx, p.id, moves, None, Some(&reason), now)?;
                let payload = serde_json::json!({ "reason": reason });
                audit(
                    tx,
                    None,
                    AuditAction::PaymentProvisionDelayed,
                    Target::Payment(p.id),
                    None,
                    payload,
                    now,
                )?;
                let notice = Delivery::ProvisioningDelayed {
                    user_id: o.user_id,
                    order_id: o.id,
                    payment_id: p.id,
                    ticket_channel_id: o.ticket_channel_id,
                };
                enqueue(tx, &notice, now)?;
                enqueue(tx, &Delivery::ReviewCard { payment_id: p.id }, now)
            })
            .await?;
        Ok(ApprovalOutcome::Delayed(ctx.payment.id))
    }
}

/// The link delivery, the review card and the ticket's deletion job at `delete_at`.
fn queue_approved(
    tx: &rusqlite::Connection,
    p: &Payment,
    ticket: Option<ChannelId>,
    delivery: &Delivery,
    delete_at: i64,
    now: i64,
) -> Result<()> {
    enqueue(tx, delivery, now)?;
    enqueue(tx, &Delivery::ReviewCard { payment_id: p.id }, now)?;
    if let Some(channel) = ticket {
        schedule_channel_deletion(tx, channel, delete_at, now)?;
    }
    Ok(())
}

/// What an approval settles besides the client: the ledger sale (paid payments only: a free
/// order is no sale), the order's promo code consumed, and the referee's first paid approval
/// earning their referrer's reward.
fn settle_books(
    tx: &rusqlite::Connection,
    (p, o): (&Payment, &Order),
    referrals: &crate::config::ReferralsConfig,
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> Result<()> {
    growth::consume_in(tx, o.id, now)?;
    if p.amount_minor > 0 {
        crate::service::revenue::record_sale(tx, p.id, p.amount_minor, &p.currency, now, tz)?;
        growth::earn_in(tx, referrals, (p.id, o), now)?;
    }
    Ok(())
}

/// Payment approved, order completed, subscription, the books ([`settle_books`]), audit.
fn record(
    tx: &rusqlite::Connection,
    (p, o): (&Payment, &Order),
    id: &ClientIdentity,
    terms: Terms,
    (referrals, tz): (&crate::config::ReferralsConfig, &jiff::tz::TimeZone),
    now: i64,
) -> Result<()> {
    let moves = (PaymentStatus::Approving, PaymentStatus::Approved);
    move_payment(tx, p.id, moves, None, None, now)?;
    move_order(
        tx,
        o.id,
        (OrderStatus::Provisioning, OrderStatus::Completed),
        Some("delivered"),
        now,
    )?;
    store::users::set_client(tx, o.user_id, id, now)?;
    let sub = Subscription {
        expiry_at: Some(terms.expiry_ms),
        traffic_limit_bytes: i64::try_from(terms.total_bytes).unwrap_or(i64::MAX),
        device_limit: i64::from(terms.limit_ip),
        status: SubscriptionStatus::Active,
    };
    store::users::set_subscription(tx, o.user_id, &sub, now)?;
    settle_books(tx, (p, o), referrals, tz, now)?;
    let payload = serde_json::json!({
        "order": o.id, "email": id.email, "expiry_ms": terms.expiry_ms,
        "reviewer": p.reviewer_id, "renewal": terms.extend,
    });
    audit_approved(tx, p, payload, now)
}

/// Audits the approval of `p` (by its reviewer; none for an unattended payment).
fn audit_approved(
    tx: &rusqlite::Connection,
    p: &Payment,
    payload: serde_json::Value,
    now: i64,
) -> Result<()> {
    audit(
        tx,
        p.reviewer_id,
        AuditAction::PaymentApproved,
        Target::Payment(p.id),
        None,
        payload,
        now,
    )
}
