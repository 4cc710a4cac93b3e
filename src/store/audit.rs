//! `audit_logs`: who did what to which target, when, with which session. Append-only: the
//! database refuses UPDATE and DELETE on this table (triggers in 0001_init.sql).

use rusqlite::{Connection, Row, params};

use crate::domain::UserId;
use crate::domain::ids::AdminSessionId;
use crate::error::Result;

/// An entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry<'a> {
    /// The Discord user who acted; `None` = the bot itself.
    pub actor: Option<UserId>,
    /// Dotted action name: [`AuditAction::as_str`] (`payment.approved`, `receipt.duplicate`,
    /// `confirm.refused`...).
    ///
    /// [`AuditAction::as_str`]: crate::domain::audit::AuditAction::as_str
    pub action: &'a str,
    /// Kind of target (`payment`, `order`, `user`...).
    pub target_type: Option<&'a str>,
    /// Target id as text.
    pub target_id: Option<String>,
    /// Admin session used, if any.
    pub session_id: Option<AdminSessionId>,
    /// Details.
    pub payload: serde_json::Value,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// Unix ms.
    pub at: i64,
    /// Actor (`None` = the bot).
    pub actor: Option<UserId>,
    /// Action name; parse it into an [`AuditAction`].
    ///
    /// [`AuditAction`]: crate::domain::audit::AuditAction
    pub action: String,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Admin session used.
    pub session_id: Option<AdminSessionId>,
    /// Details.
    pub payload: serde_json::Value,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let payload: String = r.get(7)?;
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        target_type: r.get(4)?,
        target_id: r.get(5)?,
        session_id: r.get(6)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

/// Appends an entry; returns its id.
///
/// # Errors
/// SQLite errors.
pub fn append(conn: &Connection, e: &NewEntry<'_>, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_logs (at, actor_id, action, target_type, target_id, session_id, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        now,
        e.actor,
        e.action,
        e.target_type,
        e.target_id,
        e.session_id,
        e.payload.to_string()
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The newest `limit` entries, newest first.
///
/// # Errors
/// SQLite errors.
pub fn recent(conn: &Connection, limit: u32) -> Result<Vec<Entry>> {
    super::query_all(
        conn,
        "SELECT id, at, actor_id, action, target_type, target_id, session_id, payload
         FROM audit_logs ORDER BY id DESC LIMIT ?1",
        [limit],
        from_row,
    )
}

/// Entries about one target, oldest first.
///
/// # Errors
/// SQLite errors.
pub fn for_target(conn: &Connection, target_type: &str, target_id: &str) -> Result<Vec<Entry>> {
    super::query_all(
        conn,
        "SELECT id, at, actor_id, action, target_type, target_id, session_id, payload
         FROM audit_logs WHERE target_type = ?1 AND target_id = ?2 ORDER BY id",
        params![target_type, target_id],
        from_row,
    )
}
