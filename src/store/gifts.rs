//! `gifts`: subscriptions bought for someone else. Only the token's SHA-256 is stored; a
//! redemption is a guarded `issued → redeemed` (one winner), never by the buyer (a CHECK too).

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{OrderId, UserId};
use crate::error::Result;

/// A gift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    /// Row id.
    pub id: i64,
    /// SHA-256 of the token, hex.
    pub token_sha256: String,
    /// Who bought it.
    pub buyer: UserId,
    /// The purchase order.
    pub order_id: OrderId,
    /// The plan it grants.
    pub plan_id: String,
    /// `issued`, `redeemed` or `revoked`.
    pub status: String,
    /// Who redeemed it.
    pub redeemed_by: Option<UserId>,
    /// The redemption's order.
    pub redeemed_order: Option<OrderId>,
    /// When it expires (Unix ms).
    pub expires_at: i64,
    /// Unix ms.
    pub created_at: i64,
}

const COLUMNS: &str = "id, token_sha256, buyer_id, order_id, plan_id, status, redeemed_by, \
    redeemed_order, expires_at, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Gift> {
    Ok(Gift {
        id: r.get(0)?,
        token_sha256: r.get(1)?,
        buyer: r.get(2)?,
        order_id: r.get(3)?,
        plan_id: r.get(4)?,
        status: r.get(5)?,
        redeemed_by: r.get(6)?,
        redeemed_order: r.get(7)?,
        expires_at: r.get(8)?,
        created_at: r.get(9)?,
    })
}

/// Issues a gift for the purchase `order`. Returns its id.
///
/// # Errors
/// SQLite errors; a unique violation when the order already issued one.
pub fn insert(
    conn: &Connection,
    token_sha256: &str,
    (buyer, order, plan_id): (UserId, OrderId, &str),
    expires_at: i64,
    now: i64,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO gifts (token_sha256, buyer_id, order_id, plan_id, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        token_sha256,
        buyer,
        order,
        plan_id,
        expires_at,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The gift whose token hashes to `token_sha256`.
///
/// # Errors
/// SQLite errors.
pub fn by_token_hash(conn: &Connection, token_sha256: &str) -> Result<Option<Gift>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM gifts WHERE token_sha256 = ?1"
        ))?
        .query_row([token_sha256], from_row)
        .optional()?)
}

/// The gift with this id.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Gift>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM gifts WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The gift bought by `order`.
///
/// # Errors
/// SQLite errors.
pub fn of_order(conn: &Connection, order: OrderId) -> Result<Option<Gift>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM gifts WHERE order_id = ?1"))?
        .query_row([order], from_row)
        .optional()?)
}

/// `issued → redeemed` by `user` with the redemption `order`, if unexpired. Returns whether this
/// call redeemed it.
///
/// # Errors
/// SQLite errors (a CHECK violation when `user` is the buyer).
pub fn redeem(conn: &Connection, id: i64, user: UserId, order: OrderId, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE gifts SET status = 'redeemed', redeemed_by = ?2, redeemed_order = ?3,
                 redeemed_at = ?4
             WHERE id = ?1 AND status = 'issued' AND expires_at > ?4",
        )?
        .execute(params![id, user, order, now])?;
    Ok(n == 1)
}

/// `issued → revoked` by `admin`. Returns whether this call revoked it.
///
/// # Errors
/// SQLite errors.
pub fn revoke(conn: &Connection, id: i64, admin: UserId) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE gifts SET status = 'revoked', revoked_by = ?2 WHERE id = ?1 AND status = 'issued'")?
        .execute(params![id, admin])?;
    Ok(n == 1)
}
