//! `users`: customers, their ban flag and their one panel client (subscription).

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::status::SubscriptionStatus;
use crate::domain::{ChannelId, UserId};
use crate::error::Result;

/// A customer row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Discord user id.
    pub discord_id: UserId,
    /// 3x-ui client id (uuid), once chosen.
    pub panel_client_uuid: Option<String>,
    /// 3x-ui client email (unique on the panel, case-insensitive here).
    pub panel_email: Option<String>,
    /// 3x-ui subId.
    pub panel_sub_id: Option<String>,
    /// 3x-ui inbound id holding the client.
    pub inbound_id: Option<i64>,
    /// expiryTime in Unix ms; negative = -ms counted from first connection (3x-ui); `None` = none.
    pub expiry_at: Option<i64>,
    /// totalGB in bytes; 0 = unlimited.
    pub traffic_limit_bytes: i64,
    /// limitIp; 0 = unlimited.
    pub device_limit: i64,
    /// Subscription state.
    pub status: SubscriptionStatus,
    /// Banned customers cannot order.
    pub banned: bool,
    /// Why they were banned.
    pub ban_reason: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// The `vless://` link the customer was last sent (kept for `/status` during an outage).
    pub access_link: Option<String>,
    /// The subscription URL sent with it, if any.
    pub access_subscription_url: Option<String>,
}

/// The panel identity chosen for a customer's client (stored before the panel is called).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// Client uuid.
    pub uuid: String,
    /// Client email.
    pub email: String,
    /// subId.
    pub sub_id: String,
    /// Inbound id.
    pub inbound_id: i64,
}

/// Subscription terms after an approval, expiry or revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    /// expiryTime in Unix ms (negative = relative to first connection, 3x-ui).
    pub expiry_at: Option<i64>,
    /// totalGB in bytes; 0 = unlimited.
    pub traffic_limit_bytes: i64,
    /// limitIp; 0 = unlimited.
    pub device_limit: i64,
    /// New status.
    pub status: SubscriptionStatus,
}

/// The subscription part of a user row.
#[must_use]
pub fn subscription_of(u: &User) -> Subscription {
    Subscription {
        expiry_at: u.expiry_at,
        traffic_limit_bytes: u.traffic_limit_bytes,
        device_limit: u.device_limit,
        status: u.status,
    }
}

const COLUMNS: &str = "discord_id, panel_client_uuid, panel_email, panel_sub_id, inbound_id, \
    expiry_at, traffic_limit_bytes, device_limit, status, banned, ban_reason, created_at, updated_at, \
    access_link, access_subscription_url";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        discord_id: r.get(0)?,
        panel_client_uuid: r.get(1)?,
        panel_email: r.get(2)?,
        panel_sub_id: r.get(3)?,
        inbound_id: r.get(4)?,
        expiry_at: r.get(5)?,
        traffic_limit_bytes: r.get(6)?,
        device_limit: r.get(7)?,
        status: r.get(8)?,
        banned: r.get(9)?,
        ban_reason: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        access_link: r.get(13)?,
        access_subscription_url: r.get(14)?,
    })
}

/// Returns the user, inserting a fresh row (`status = none`) first if there is none.
///
/// # Errors
/// SQLite errors.
pub fn ensure(conn: &Connection, id: UserId, now: i64) -> Result<User> {
    conn.prepare_cached(
        "INSERT INTO users (discord_id, created_at, updated_at) VALUES (?1, ?2, ?2)
         ON CONFLICT (discord_id) DO NOTHING",
    )?
    .execute(params![id, now])?;
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM users WHERE discord_id = ?1"
        ))?
        .query_row([id], from_row)?)
}

/// The user with this Discord id.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, id: UserId) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM users WHERE discord_id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// The user whose panel client has this email (case-insensitive).
///
/// # Errors
/// SQLite errors.
pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM users WHERE panel_email = ?1"
        ))?
        .query_row([email], from_row)
        .optional()?)
}

/// Records the connection the customer is sent (`vless://` link and subscription URL), so it
/// can be shown again without the panel. Returns false when the user does not exist.
///
/// # Errors
/// SQLite errors.
pub fn set_access_link(
    conn: &Connection,
    id: UserId,
    link: &str,
    subscription_url: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET access_link = ?2, access_subscription_url = ?3, updated_at = ?4
             WHERE discord_id = ?1",
        )?
        .execute(params![id, link, subscription_url, now])?;
    Ok(n == 1)
}

/// Records the panel client identity of a user. Returns false when the user does not exist.
///
/// # Errors
/// SQLite errors, including a unique violation when another user has that uuid/email/subId.
pub fn set_client(
    conn: &Connection,
    id: UserId,
    client: &ClientIdentity,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET panel_client_uuid = ?2, panel_email = ?3, panel_sub_id = ?4,
             inbound_id = ?5, updated_at = ?6 WHERE discord_id = ?1",
        )?
        .execute(params![
            id,
            client.uuid,
            client.email,
            client.sub_id,
            client.inbound_id,
            now
        ])?;
    Ok(n == 1)
}

/// Sets the subscription terms. Returns false when the user does not exist.
///
/// # Errors
/// SQLite errors.
pub fn set_subscription(
    conn: &Connection,
    id: UserId,
    sub: &Subscription,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET expiry_at = ?2, traffic_limit_bytes = ?3, device_limit = ?4,
             status = ?5, updated_at = ?6 WHERE discord_id = ?1",
        )?
        .execute(params![
            id,
            sub.expiry_at,
            sub.traffic_limit_bytes,
            sub.device_limit,
            sub.status,
            now
        ])?;
    Ok(n == 1)
}

/// Bans (`Some(reason)`) or unbans (`None`) a user. Returns false when the user does not exist.
///
/// # Errors
/// SQLite errors.
pub fn set_ban(conn: &Connection, id: UserId, reason: Option<&str>, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET banned = ?2, ban_reason = ?3, updated_at = ?4 WHERE discord_id = ?1",
        )?
        .execute(params![id, reason.is_some(), reason, now])?;
    Ok(n == 1)
}

/// Users in `status` whose positive expiry falls in `[from, to)` (Unix ms), soonest first.
///
/// # Errors
/// SQLite errors.
pub fn expiring_between(
    conn: &Connection,
    status: SubscriptionStatus,
    from: i64,
    to: i64,
) -> Result<Vec<User>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM users WHERE status = ?1 AND expiry_at >= ?2 AND expiry_at < ?3
         ORDER BY expiry_at"
        ),
        params![status, from, to],
        from_row,
    )
}

/// Every user in `status`, by Discord id.
///
/// # Errors
/// SQLite errors.
pub fn list_by_status(conn: &Connection, status: SubscriptionStatus) -> Result<Vec<User>> {
    super::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE status = ?1 ORDER BY discord_id"),
        [status],
        from_row,
    )
}

/// Every user that has a panel client identity (any status), by Discord id.
///
/// # Errors
/// SQLite errors.
pub fn list_with_client(conn: &Connection) -> Result<Vec<User>> {
    super::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM users WHERE panel_email IS NOT NULL ORDER BY discord_id"),
        [],
        from_row,
    )
}

/// Moves a user from `from` to `to` only if they are still in `from` with expiry `expiry_at`
/// (a compare-and-set against a concurrent renewal or admin change). Returns whether it moved.
///
/// # Errors
/// SQLite errors.
pub fn set_status_if(
    conn: &Connection,
    id: UserId,
    (from, expiry_at): (SubscriptionStatus, Option<i64>),
    to: SubscriptionStatus,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET status = ?4, updated_at = ?5
             WHERE discord_id = ?1 AND status = ?2 AND expiry_at IS ?3",
        )?
        .execute(params![id, from, expiry_at, to, now])?;
    Ok(n == 1)
}

/// Replaces the expiry (Unix ms) only if it is still `from` (compare-and-set). Returns whether it
/// changed.
///
/// # Errors
/// SQLite errors.
pub fn set_expiry_if(conn: &Connection, id: UserId, from: i64, to: i64, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET expiry_at = ?3, updated_at = ?4
             WHERE discord_id = ?1 AND expiry_at = ?2",
        )?
        .execute(params![id, from, to, now])?;
    Ok(n == 1)
}

/// The DM channel stored for customer `id` (see [`set_dm_channel`]); `None` when not known or
/// no such customer.
///
/// # Errors
/// SQLite errors.
pub fn dm_channel(conn: &Connection, id: UserId) -> Result<Option<ChannelId>> {
    Ok(conn
        .prepare_cached("SELECT dm_channel_id FROM users WHERE discord_id = ?1")?
        .query_row([id], |r| r.get::<_, Option<ChannelId>>(0))
        .optional()?
        .flatten())
}

/// Stores (or with `None` forgets) the DM channel of customer `id`; a user who is no customer
/// (no row) is left alone. Returns whether a row changed.
///
/// # Errors
/// SQLite errors.
pub fn set_dm_channel(conn: &Connection, id: UserId, channel: Option<ChannelId>) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE users SET dm_channel_id = ?2 WHERE discord_id = ?1")?
        .execute(params![id, channel])?
        > 0)
}
