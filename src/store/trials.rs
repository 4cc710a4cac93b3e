//! `trials`: the one free trial of a Discord account (the primary key makes it once, ever).

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::{OrderId, UserId};
use crate::error::Result;

/// Records `user`'s trial as `order`.
///
/// # Errors
/// SQLite errors; a unique violation on `trials.user_id` when the account already had one.
pub fn insert(conn: &Connection, user: UserId, order: OrderId, now: i64) -> Result<()> {
    conn.prepare_cached("INSERT INTO trials (user_id, order_id, granted_at) VALUES (?1, ?2, ?3)")?
        .execute(params![user, order, now])?;
    Ok(())
}

/// When `user` got their trial, if ever (Unix ms).
///
/// # Errors
/// SQLite errors.
pub fn granted_at(conn: &Connection, user: UserId) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT granted_at FROM trials WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?)
}
