//! The services' only way to change an order's or a payment's status, queue a delivery or write
//! an audit entry: each status move is checked against `domain::transitions` and then applied
//! with the store's guarded update, inside the caller's transaction. A move that lost a race (the
//! row was no longer in `from`) is an [`UserError::InvalidState`], which rolls the transaction
//! back.

use rusqlite::Connection;

use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::ids::AdminSessionId;
use crate::domain::status::{OrderStatus, PaymentStatus};
use crate::domain::transitions::{order_move_allowed, payment_move_allowed};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Result, UserError};
use crate::store;

/// Moves order `id` from `from` to `to`.
///
/// # Errors
/// [`UserError::InvalidState`] when the move is not an edge of the state machine or the order is
/// no longer in `from`; SQLite errors.
pub fn move_order(
    conn: &Connection,
    id: OrderId,
    (from, to): (OrderStatus, OrderStatus),
    reason: Option<&str>,
    now: i64,
) -> Result<()> {
    if !order_move_allowed(from, to) {
        return Err(invalid(format!(
            "order #{id} cannot go from {from} to {to}"
        )));
    }
    if store::orders::transition(conn, id, from, to, reason, now)? {
        Ok(())
    } else {
        Err(invalid(format!("order #{id} is no longer {from}")))
    }
}

/// Moves payment `id` from `from` to `to`, recording the reviewer and reason.
///
/// # Errors
/// As [`move_order`].
pub fn move_payment(
    conn: &Connection,
    id: PaymentId,
    (from, to): (PaymentStatus, PaymentStatus),
    reviewer: Option<UserId>,
    reason: Option<&str>,
    now: i64,
) -> Result<()> {
    if !payment_move_allowed(from, to) {
        return Err(invalid(format!(
            "payment #{id} cannot go from {from} to {to}"
        )));
    }
    if store::payments::transition(conn, id, from, to, reviewer, reason, now)? {
        Ok(())
    } else {
        Err(invalid(format!("payment #{id} is no longer {from}")))
    }
}

/// Queues `delivery`: a one-shot message once per idempotency key (a no-op when it was already
/// queued), a view ([`Delivery::is_view`]) re-armed so it renders the state this transaction
/// commits.
///
/// # Errors
/// SQLite errors.
pub fn enqueue(conn: &Connection, delivery: &Delivery, now: i64) -> Result<()> {
    let (key, kind, payload) = (
        delivery.idempotency_key(),
        delivery.kind(),
        delivery.payload(),
    );
    if delivery.is_view() {
        store::outbox::enqueue_view(conn, &key, kind, &payload, now)
    } else {
        store::outbox::enqueue(conn, &key, kind, &payload, now).map(drop)
    }
}

/// Queues the views that show order `o` and, if given, its payment: the ticket (when it has
/// one) and the review card. Call it in every transaction that changes what they show.
///
/// # Errors
/// SQLite errors.
pub fn refresh_views(
    conn: &Connection,
    o: &store::orders::Order,
    payment: Option<PaymentId>,
    now: i64,
) -> Result<()> {
    if o.ticket_channel_id.is_some() {
        enqueue(conn, &Delivery::TicketView { order_id: o.id }, now)?;
    }
    if let Some(payment_id) = payment {
        enqueue(conn, &Delivery::ReviewCard { payment_id }, now)?;
    }
    Ok(())
}

/// What an audit entry is about.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// A payment.
    Payment(PaymentId),
    /// An order.
    Order(OrderId),
    /// A customer (their subscription).
    User(UserId),
    /// A Crypto Pay invoice (Crypto Pay's `invoice_id`, or our row id while it has none).
    Invoice(i64),
    /// A gift (its row id).
    Gift(i64),
    /// The database itself (backups).
    Database,
}

/// Appends an audit entry: `actor` (`None` = the bot) did `action` to `target`.
///
/// # Errors
/// SQLite errors.
pub fn audit(
    conn: &Connection,
    actor: Option<UserId>,
    action: AuditAction,
    target: Target,
    session: Option<AdminSessionId>,
    payload: serde_json::Value,
    now: i64,
) -> Result<()> {
    let (kind, id) = match target {
        Target::Payment(p) => ("payment", p.to_string()),
        Target::Order(o) => ("order", o.to_string()),
        Target::User(u) => ("user", u.to_string()),
        Target::Invoice(i) => ("invoice", i.to_string()),
        Target::Gift(g) => ("gift", g.to_string()),
        Target::Database => ("database", "bot.db".to_owned()),
    };
    store::audit::append(
        conn,
        &store::audit::NewEntry {
            actor,
            action: action.as_str(),
            target_type: Some(kind),
            target_id: Some(id),
            session_id: session,
            payload,
        },
        now,
    )?;
    Ok(())
}

fn invalid(reason: String) -> crate::Error {
    UserError::InvalidState { reason }.into()
}
