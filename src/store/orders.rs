//! `orders`: one purchase attempt in one ticket channel, with a snapshot of the plan sold.
//! Status changes are guarded updates (`WHERE status = from`): a double click cannot apply twice.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::config::Plan;
use crate::domain::status::{OrderKind, OrderStatus};
use crate::domain::{ChannelId, GuildId, OrderId, UserId};
use crate::error::Result;

/// An order row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Row id.
    pub id: OrderId,
    /// Customer.
    pub user_id: UserId,
    /// New client or renewal.
    pub kind: OrderKind,
    /// Where the order is.
    pub status: OrderStatus,
    /// The plan as it was when the order was opened.
    pub plan: Plan,
    /// Payment method id, once picked.
    pub payment_method: Option<String>,
    /// Guild of the ticket.
    pub guild_id: Option<GuildId>,
    /// The ticket channel.
    pub ticket_channel_id: Option<ChannelId>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// When it was completed, cancelled or abandoned (Unix ms).
    pub closed_at: Option<i64>,
    /// Why it was closed.
    pub close_reason: Option<String>,
    /// When the order last started waiting for a receipt (Unix ms): its creation, or the
    /// rejection that reopened it. Abandonment counts from here.
    pub waiting_since: i64,
    /// The newest message of the ticket channel the bot has handled (a Discord snowflake);
    /// catch-up after downtime reads the messages posted after it.
    pub last_message_id: Option<u64>,
    /// When the ticket channel was deleted while the order was provisioning (Unix ms).
    pub ticket_deleted_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, kind, status, plan_id, plan_name, plan_days, plan_traffic_gib, \
    plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use, payment_method, \
    guild_id, ticket_channel_id, created_at, updated_at, closed_at, close_reason, \
    coalesce(waiting_since, created_at), last_message_id, ticket_deleted_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        id: r.get(0)?,
        user_id: r.get(1)?,
        kind: r.get(2)?,
        status: r.get(3)?,
        plan: Plan {
            id: r.get(4)?,
            name: r.get(5)?,
            days: r.get(6)?,
            traffic_gib: r.get(7)?,
            device_limit: r.get(8)?,
            price_minor: r.get(9)?,
            currency: r.get(10)?,
            start_on_first_use: r.get(11)?,
        },
        payment_method: r.get(12)?,
        guild_id: r.get(13)?,
        ticket_channel_id: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        closed_at: r.get(17)?,
        close_reason: r.get(18)?,
        waiting_since: r.get(19)?,
        last_message_id: r
            .get::<_, Option<i64>>(20)?
            .map(|m| u64::from_ne_bytes(m.to_ne_bytes())),
        ticket_deleted_at: r.get(21)?,
    })
}

/// Inserts an order in `pending_payment` for an existing user.
///
/// # Errors
/// SQLite errors; a unique violation on `orders_one_open_per_user` when the user already has an
/// open order, or on `ticket_channel_id` when the channel is taken.
pub fn insert(
    conn: &Connection,
    user_id: UserId,
    kind: OrderKind,
    plan: &Plan,
    ticket: Option<(GuildId, ChannelId)>,
    now: i64,
) -> Result<OrderId> {
    conn.prepare_cached(
        "INSERT INTO orders (user_id, kind, plan_id, plan_name, plan_days, plan_traffic_gib,
            plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use,
            guild_id, ticket_channel_id, created_at, updated_at, waiting_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?13)",
    )?
    .execute(params![
        user_id,
        kind,
        plan.id,
        plan.name,
        plan.days,
        plan.traffic_gib,
        plan.device_limit,
        plan.price_minor,
        plan.currency,
        plan.start_on_first_use,
        ticket.map(|t| t.0),
        ticket.map(|t| t.1),
        now
    ])?;
    Ok(OrderId(conn.last_insert_rowid()))
}

/// Records the list price (before a promo code) and the code of `order`.
///
/// # Errors
/// SQLite errors.
pub fn set_promo(
    conn: &Connection,
    order: OrderId,
    list_price_minor: i64,
    code: &str,
) -> Result<()> {
    conn.prepare_cached("UPDATE orders SET list_price_minor = ?2, promo_code = ?3 WHERE id = ?1")?
        .execute(params![order, list_price_minor, code])?;
    Ok(())
}

/// How many of `user`'s orders completed (any kind but a trial).
///
/// # Errors
/// SQLite errors.
pub fn count_completed_for_user(conn: &Connection, user: UserId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM orders WHERE user_id = ?1 AND status = 'completed' AND kind <> 'trial'",
        [user],
        |r| r.get(0),
    )?)
}

/// How many orders `user` ever opened, trials aside (any status).
///
/// # Errors
/// SQLite errors.
pub fn count_for_user_excluding_trials(conn: &Connection, user: UserId) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM orders WHERE user_id = ?1 AND kind <> 'trial'",
        [user],
        |r| r.get(0),
    )?)
}

/// The order with this id.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, id: OrderId) -> Result<Option<Order>> {
    query_one(conn, "id = ?1", params![id])
}

/// The customer's open order (pending payment, under review or provisioning), if any.
///
/// # Errors
/// SQLite errors.
pub fn find_open_for_user(conn: &Connection, user: UserId) -> Result<Option<Order>> {
    query_one(
        conn,
        "user_id = ?1 AND status IN ('pending_payment', 'under_review', 'provisioning')",
        params![user],
    )
}

/// The order whose ticket is `channel`.
///
/// # Errors
/// SQLite errors.
pub fn find_by_ticket_channel(conn: &Connection, channel: ChannelId) -> Result<Option<Order>> {
    query_one(conn, "ticket_channel_id = ?1", params![channel])
}

/// The order whose ticket channel `channel` was until it was deleted ([`detach_ticket`] keeps
/// it in `deleted_ticket_channel_id`), the newest if several; `None` for any other channel.
///
/// # Errors
/// Database errors.
pub fn find_by_deleted_ticket_channel(
    conn: &Connection,
    channel: ChannelId,
) -> Result<Option<OrderId>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM orders WHERE deleted_ticket_channel_id = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![channel], |r| r.get(0))
        .optional()?)
}

fn query_one(conn: &Connection, filter: &str, p: impl rusqlite::Params) -> Result<Option<Order>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE {filter}"))?
        .query_row(p, from_row)
        .optional()?)
}

/// Records the ticket channel of an order. Returns false when the order does not exist.
///
/// # Errors
/// SQLite errors (unique violation when the channel belongs to another order).
pub fn set_ticket_channel(
    conn: &Connection,
    id: OrderId,
    guild: GuildId,
    channel: ChannelId,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE orders SET guild_id = ?2, ticket_channel_id = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![id, guild, channel, now])?;
    Ok(n == 1)
}

/// Sets the payment method while the order is `pending_payment`. Returns false otherwise.
///
/// # Errors
/// SQLite errors.
pub fn set_payment_method(conn: &Connection, id: OrderId, method: &str, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE orders SET payment_method = ?2, updated_at = ?3
             WHERE id = ?1 AND status = 'pending_payment'",
        )?
        .execute(params![id, method, now])?;
    Ok(n == 1)
}

/// Moves the order from `from` to `to` if it is still in `from` (guarded update). Terminal states
/// (completed, cancelled, abandoned) also set `closed_at` and `close_reason`; a move to
/// `pending_payment` restarts `waiting_since`. Returns whether the
/// row changed. Whether `from → to` is allowed is the domain's call, not this function's.
///
/// # Errors
/// SQLite errors.
pub fn transition(
    conn: &Connection,
    id: OrderId,
    from: OrderStatus,
    to: OrderStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let closes = matches!(
        to,
        OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Abandoned
    );
    let n = conn
        .prepare_cached(
            "UPDATE orders SET status = ?3, updated_at = ?4,
                closed_at = CASE WHEN ?5 THEN ?4 ELSE closed_at END,
                close_reason = CASE WHEN ?5 THEN ?6 ELSE close_reason END,
                waiting_since = CASE WHEN ?7 THEN ?4 ELSE waiting_since END
             WHERE id = ?1 AND status = ?2",
        )?
        .execute(params![
            id,
            from,
            to,
            now,
            closes,
            reason,
            to == OrderStatus::PendingPayment
        ])?;
    Ok(n == 1)
}

/// Orders in `status` created before `before` (Unix ms), oldest first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn list_by_status(
    conn: &Connection,
    status: OrderStatus,
    before: i64,
    limit: u32,
) -> Result<Vec<Order>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM orders WHERE status = ?1 AND created_at < ?2
         ORDER BY created_at LIMIT ?3"
        ),
        params![status, before, limit],
        from_row,
    )
}

/// Orders waiting for a receipt since before `before` (Unix ms; see [`Order::waiting_since`]),
/// longest-waiting first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn list_waiting_since(conn: &Connection, before: i64, limit: u32) -> Result<Vec<Order>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM orders
             WHERE status = 'pending_payment' AND coalesce(waiting_since, created_at) < ?1
             ORDER BY coalesce(waiting_since, created_at) LIMIT ?2"
        ),
        params![before, limit],
        from_row,
    )
}

/// Open orders (pending payment, under review, provisioning) that have a ticket channel, oldest
/// first: what catch-up and the sweep look at.
///
/// # Errors
/// SQLite errors.
pub fn list_open_with_ticket(conn: &Connection) -> Result<Vec<Order>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM orders
             WHERE status IN ('pending_payment', 'under_review', 'provisioning')
               AND ticket_channel_id IS NOT NULL
             ORDER BY id"
        ),
        [],
        from_row,
    )
}

/// Records that the bot handled message `message` (a snowflake) of the ticket of `id`, if it is
/// newer than the one recorded. Returns false when a newer or the same message was already
/// recorded (the message was handled before: skip it).
///
/// # Errors
/// SQLite errors.
pub fn set_last_message(conn: &Connection, id: OrderId, message: u64) -> Result<bool> {
    let m = i64::from_ne_bytes(message.to_ne_bytes());
    let n = conn
        .prepare_cached(
            "UPDATE orders SET last_message_id = ?2
             WHERE id = ?1 AND (last_message_id IS NULL OR last_message_id < ?2)",
        )?
        .execute(params![id, m])?;
    Ok(n == 1)
}

/// Forgets the ticket channel of `id` (it was deleted) and records when. Returns whether the row
/// changed.
///
/// # Errors
/// SQLite errors.
pub fn detach_ticket(conn: &Connection, id: OrderId, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE orders SET deleted_ticket_channel_id = ticket_channel_id,
                 ticket_channel_id = NULL, ticket_deleted_at = ?2, updated_at = ?2
             WHERE id = ?1 AND ticket_channel_id IS NOT NULL",
        )?
        .execute(params![id, now])?;
    Ok(n == 1)
}
