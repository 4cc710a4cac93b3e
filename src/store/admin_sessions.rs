//! `admin_sessions`: one-time confirmation tokens bound to an admin, an action and a payment.
//! Consumption is one guarded UPDATE, so of any number of concurrent confirms exactly one wins.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::ids::AdminSessionId;
use crate::domain::status::AdminAction;
use crate::domain::{PaymentId, UserId};
use crate::error::Result;

/// An admin session row. `token` is a secret: it is redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSession {
    /// Row id (safe to log and to put in the audit log).
    pub id: AdminSessionId,
    /// The token (hex of 128 random bits).
    pub token: String,
    /// The admin it is bound to.
    pub admin_id: UserId,
    /// The action it confirms.
    pub action: AdminAction,
    /// The payment it acts on.
    pub payment_id: PaymentId,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; the token is refused from this instant on.
    pub expires_at: i64,
    /// When it was used (Unix ms).
    pub consumed_at: Option<i64>,
}

impl std::fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSession")
            .field("id", &self.id)
            .field("token", &"[redacted]")
            .field("admin_id", &self.admin_id)
            .field("action", &self.action)
            .field("payment_id", &self.payment_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("consumed_at", &self.consumed_at)
            .finish()
    }
}

const COLUMNS: &str =
    "id, token, admin_id, action, payment_id, created_at, expires_at, consumed_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AdminSession> {
    Ok(AdminSession {
        id: r.get(0)?,
        token: r.get(1)?,
        admin_id: r.get(2)?,
        action: r.get(3)?,
        payment_id: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        consumed_at: r.get(7)?,
    })
}

/// Stores a new token.
///
/// # Errors
/// SQLite errors (unique violation if the token already exists).
pub fn insert(
    conn: &Connection,
    token: &str,
    admin: UserId,
    action: AdminAction,
    payment: PaymentId,
    now: i64,
    expires_at: i64,
) -> Result<AdminSessionId> {
    conn.prepare_cached(
        "INSERT INTO admin_sessions (token, admin_id, action, payment_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![token, admin, action, payment, now, expires_at])?;
    Ok(AdminSessionId(conn.last_insert_rowid()))
}

/// The session holding `token`.
///
/// # Errors
/// SQLite errors.
pub fn find_by_token(conn: &Connection, token: &str) -> Result<Option<AdminSession>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM admin_sessions WHERE token = ?1"
        ))?
        .query_row([token], from_row)
        .optional()?)
}

/// Consumes `token` for `admin` and `action` if it is unused and not expired at `now`: one
/// guarded UPDATE. Returns true for exactly one caller per token; on false, read the row with
/// [`find_by_token`] to tell expired / used / other admin / unknown apart.
///
/// # Errors
/// SQLite errors.
pub fn consume(
    conn: &Connection,
    token: &str,
    admin: UserId,
    action: AdminAction,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE admin_sessions SET consumed_at = ?4
             WHERE token = ?1 AND admin_id = ?2 AND action = ?3
               AND consumed_at IS NULL AND expires_at > ?4",
        )?
        .execute(params![token, admin, action, now])?;
    Ok(n == 1)
}

/// Deletes sessions that expired before `before` (Unix ms); the audit log keeps their ids.
/// Returns how many were deleted.
///
/// # Errors
/// SQLite errors.
pub fn purge_expired(conn: &Connection, before: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM admin_sessions WHERE expires_at < ?1")?
        .execute([before])?)
}
