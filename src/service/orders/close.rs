//! Closing orders: the customer's cancel, abandonment (no receipt in time), a deleted ticket
//! channel, a customer who left the guild; each with its audit entry, the customer's notice, the
//! review card of a payment in review, and the ticket channel's deletion.

use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::scheduled::ScheduledTask;
use crate::domain::status::{OrderStatus, PaymentStatus};
use crate::domain::{ChannelId, OrderId, UserId};
use crate::error::Result;
use crate::service::state::{Target, audit, enqueue, move_order, move_payment};
use crate::store::transcripts::Source;
use crate::store::{self, orders::Order};

use super::{OrderService, owned_order};

/// Why an order whose ticket channel was deleted is closed.
pub(crate) const TICKET_DELETED: &str = "ticket channel deleted";

/// Why an order the customer cancelled is closed.
pub(crate) const CANCELLED_BY_CUSTOMER: &str = "cancelled by customer";

/// The start of why an order without a receipt is closed (`abandoned: no receipt within 48 h`).
pub(crate) const ABANDONED_PREFIX: &str = "abandoned: no receipt within ";

/// Why an unpaid order of a customer who left the guild is closed.
pub(crate) const CUSTOMER_LEFT: &str = "the customer left the server";

/// How many abandoned orders one [`OrderService::close_abandoned_once`] pass closes at most.
const ABANDON_BATCH: u32 = 100;

impl OrderService {
    /// The customer cancels their open order (before provisioning). A payment waiting for review
    /// is rejected (`order cancelled`) so nothing is left in flight.
    ///
    /// # Errors
    /// [`UserError::NotFound`] when it is not the user's order, [`UserError::InvalidState`] when
    /// it is provisioning or closed; store errors.
    pub async fn cancel(&self, user: UserId, order: OrderId) -> Result<()> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let o = owned_order(tx, user, order)?;
                close_order(tx, &o, Some(user), CANCELLED_BY_CUSTOMER, now)
            })
            .await
    }

    /// The ticket channel `channel` was deleted (by hand, live or while the bot was away, or
    /// found gone when the bot tried to use it). An order waiting for a receipt or under review
    /// is cancelled (a payment in review is cancelled on its card). An order provisioning keeps
    /// going without its ticket: it completes and is delivered by DM, or, if provisioning fails,
    /// is closed then. Returns the order affected, `None` when there was nothing to do (unknown
    /// channel, closed order, or already handled).
    ///
    /// # Errors
    /// Store errors.
    pub async fn ticket_channel_deleted(&self, channel: ChannelId) -> Result<Option<OrderId>> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let Some(mut o) = store::orders::find_by_ticket_channel(tx, channel)? else {
                    return Ok(None);
                };
                // Whoever deleted it, the transcript keeps what was seen (a deletion by the
                // bot archived the full history first; that mark stays).
                store::transcripts::archive(tx, o.id, Source::Seen, now)?;
                match o.status {
                    OrderStatus::PendingPayment | OrderStatus::UnderReview => {
                        store::orders::detach_ticket(tx, o.id, now)?;
                        o.ticket_channel_id = None; // gone: nothing to post there
                        close_order(tx, &o, None, TICKET_DELETED, now)?;
                    }
                    OrderStatus::Provisioning => {
                        store::orders::detach_ticket(tx, o.id, now)?;
                        let payload = serde_json::json!({ "channel": channel });
                        audit(
                            tx,
                            None,
                            AuditAction::OrderTicketDeleted,
                            Target::Order(o.id),
                            None,
                            payload,
                            now,
                        )?;
                    }
                    _ => return Ok(None),
                }
                Ok(Some(o.id))
            })
            .await
    }

    /// Member `user` left the guild (seen live, or found gone when the bot came back). An order
    /// still waiting for a receipt is closed (nobody will pay it); a payment under review stays
    /// for the admins (it was paid) and provisioning goes on (the link is sent by DM). Returns the
    /// order closed, if any.
    ///
    /// # Errors
    /// Store errors.
    pub async fn member_left(&self, user: UserId) -> Result<Option<OrderId>> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let Some(o) = store::orders::find_open_for_user(tx, user)? else {
                    return Ok(None);
                };
                if o.status != OrderStatus::PendingPayment {
                    return Ok(None);
                }
                close_order(tx, &o, None, CUSTOMER_LEFT, now)?;
                Ok(Some(o.id))
            })
            .await
    }

    /// Closes (`abandoned`) orders still waiting for a receipt `orders.abandon_after_hours` after
    /// they last started waiting (opened, or reopened by a rejected receipt: see
    /// `Order::waiting_since`), telling the customer and scheduling the ticket's deletion now.
    /// Returns how many were closed. Run periodically by the jobs framework.
    ///
    /// # Errors
    /// Store errors.
    pub async fn close_abandoned_once(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        let hours = i64::from(self.config.orders.abandon_after_hours);
        let before = now - hours * 3_600_000;
        self.store
            .transaction(move |tx| {
                let stale = store::orders::list_waiting_since(tx, before, ABANDON_BATCH)?;
                let reason = format!("{ABANDONED_PREFIX}{hours} h");
                for o in &stale {
                    move_order(
                        tx,
                        o.id,
                        (o.status, OrderStatus::Abandoned),
                        Some(&reason),
                        now,
                    )?;
                    after_close(tx, o, None, &reason, now)?;
                }
                Ok(stale.len())
            })
            .await
    }
}

/// Cancels `o` (pending payment or under review), rejecting a payment in review (its card then
/// shows the cancellation).
pub(crate) fn close_order(
    tx: &rusqlite::Connection,
    o: &Order,
    actor: Option<UserId>,
    reason: &str,
    now: i64,
) -> Result<()> {
    if o.status == OrderStatus::UnderReview {
        let in_review = store::payments::list_for_order(tx, o.id)?
            .into_iter()
            .find(|p| p.status == PaymentStatus::Pending);
        if let Some(p) = in_review {
            move_payment(
                tx,
                p.id,
                (p.status, PaymentStatus::Rejected),
                None,
                Some(reason),
                now,
            )?;
            enqueue(tx, &Delivery::ReviewCard { payment_id: p.id }, now)?;
        }
    }
    move_order(
        tx,
        o.id,
        (o.status, OrderStatus::Cancelled),
        Some(reason),
        now,
    )?;
    after_close(tx, o, actor, reason, now)
}

/// Audit, customer notice, the promo code's release and the ticket's deletion for a closed
/// order.
fn after_close(
    tx: &rusqlite::Connection,
    o: &Order,
    actor: Option<UserId>,
    reason: &str,
    now: i64,
) -> Result<()> {
    crate::service::growth::release_in(tx, o.id, now)?;
    let payload = serde_json::json!({ "reason": reason, "from": o.status.as_str() });
    audit(
        tx,
        actor,
        AuditAction::OrderClose,
        Target::Order(o.id),
        None,
        payload,
        now,
    )?;
    let notice = Delivery::OrderClosed {
        user_id: o.user_id,
        order_id: o.id,
        ticket_channel_id: o.ticket_channel_id,
        reason: reason.to_owned(),
    };
    enqueue(tx, &notice, now)?;
    if let Some(channel) = o.ticket_channel_id {
        schedule_channel_deletion(tx, channel, now + CLOSED_TICKET_GRACE_MS, now)?;
    }
    Ok(())
}

/// How long the ticket of a closed order outlives its closing notice (Unix ms to add to the
/// close): 5 s, so the notice is posted and can be read before the channel goes. The deletion
/// job runs at the scheduled-jobs runner's first pass after that (5–10 s after the close).
pub const CLOSED_TICKET_GRACE_MS: i64 = 5_000;

/// Schedules the [`ScheduledTask::DeleteChannel`] job of a ticket at `run_at` (Unix ms), once
/// per channel.
///
/// # Errors
/// Store errors.
pub fn schedule_channel_deletion(
    tx: &rusqlite::Connection,
    channel: ChannelId,
    run_at: i64,
    now: i64,
) -> Result<()> {
    let task = ScheduledTask::DeleteChannel {
        channel_id: channel,
    };
    store::scheduled_jobs::schedule(
        tx,
        &task.dedupe_key(),
        task.kind(),
        &task.payload(),
        run_at,
        now,
    )?;
    Ok(())
}
