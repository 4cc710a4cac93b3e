//! `users.activated_at` / `users.first_use_deadline_at`: customers waiting for their first
//! connection (a negative `expiry_at`: ms counted from the first connection) and the one
//! compare-and-set that starts their clock. Kept apart from [`super::users`] so the customer
//! row's shape does not change.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::UserId;
use crate::error::Result;

/// An active customer whose first-use clock has not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The customer.
    pub user_id: UserId,
    /// The client key on the panel (`panel_email`).
    pub email: String,
    /// The stored expiry: negative, `-duration` in ms.
    pub expiry_at: i64,
    /// `traffic_limit_bytes` (0 = unlimited), re-sent when the bot sets the expiry itself.
    pub traffic_limit_bytes: i64,
    /// When the clock starts anyway (Unix ms); `None` = not set yet.
    pub deadline_at: Option<i64>,
}

/// Every active customer with a negative expiry and a client, by id.
///
/// # Errors
/// SQLite errors.
pub fn waiting(conn: &Connection) -> Result<Vec<Waiting>> {
    super::query_all(
        conn,
        "SELECT discord_id, panel_email, expiry_at, traffic_limit_bytes, first_use_deadline_at
           FROM users
          WHERE status = 'active' AND expiry_at < 0 AND panel_email IS NOT NULL
          ORDER BY discord_id",
        [],
        |r| {
            Ok(Waiting {
                user_id: r.get(0)?,
                email: r.get(1)?,
                expiry_at: r.get(2)?,
                traffic_limit_bytes: r.get(3)?,
                deadline_at: r.get(4)?,
            })
        },
    )
}

/// Sets the deadline of a customer who has none.
///
/// # Errors
/// SQLite errors.
pub fn set_deadline_if_unset(conn: &Connection, id: UserId, deadline_at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE users SET first_use_deadline_at = ?2
          WHERE discord_id = ?1 AND first_use_deadline_at IS NULL",
    )?
    .execute(params![id, deadline_at])?;
    Ok(())
}

/// Starts the clock: expiry `from` (negative) → `to` (absolute), `activated_at` = `started`,
/// only if the customer still has expiry `from` (a renewal in between wins). Returns whether
/// it changed.
///
/// # Errors
/// SQLite errors.
pub fn activate_if(
    conn: &Connection,
    id: UserId,
    (from, to): (i64, i64),
    started: i64,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE users SET expiry_at = ?3, activated_at = ?4, updated_at = ?5
              WHERE discord_id = ?1 AND expiry_at = ?2 AND expiry_at < 0",
        )?
        .execute(params![id, from, to, started, now])?;
    Ok(n == 1)
}

/// When the customer's clock started (`None`: not started or unknown).
///
/// # Errors
/// SQLite errors.
pub fn activated_at(conn: &Connection, id: UserId) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT activated_at FROM users WHERE discord_id = ?1",
            [id],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()?
        .flatten())
}
