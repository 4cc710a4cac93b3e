//! `bot_config`: small persistent key/value settings of the running bot (e.g. the dashboard
//! message id), so they survive restarts.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Key under which the dashboard message id is stored.
pub const DASHBOARD_MESSAGE: &str = "dashboard_message_id";

/// Key holding when (Unix ms) staff were last warned that the guild has no room for a ticket
/// channel; removed when a ticket channel is created again.
pub const GUILD_FULL_WARNED: &str = "guild_full_warned_at";

/// The value stored under `key`.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM bot_config WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Stores `value` under `key`, replacing any earlier value.
///
/// # Errors
/// SQLite errors.
pub fn set(conn: &Connection, key: &str, value: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO bot_config (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute(params![key, value, now])?;
    Ok(())
}

/// Removes `key`. Returns whether it existed.
///
/// # Errors
/// SQLite errors.
pub fn remove(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM bot_config WHERE key = ?1")?
        .execute([key])?
        == 1)
}
