//! `users.panel_id` and `panel_tombstones`: which panel a customer's client lives on, the load
//! of each panel by our own counts, the placement of a new customer (inside one write
//! transaction, so concurrent approvals cannot overfill a panel), and the clients a failover
//! left behind on a dead panel.
//!
//! A customer with a client and a NULL `panel_id` (before several panels existed) is on the
//! first configured panel, which every function here takes as `first`.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::UserId;
use crate::error::Result;

/// The panel `user` is placed on (`None`: not placed, no client).
///
/// # Errors
/// SQLite errors.
pub fn panel_of(conn: &Connection, user: UserId, first: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT coalesce(panel_id, CASE WHEN panel_email IS NOT NULL THEN ?2 END)
               FROM users WHERE discord_id = ?1",
            params![user, first],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// Every placed customer's panel.
///
/// # Errors
/// SQLite errors.
pub fn panels_of_all(conn: &Connection, first: &str) -> Result<HashMap<UserId, String>> {
    let rows = super::query_all(
        conn,
        "SELECT discord_id, coalesce(panel_id, ?1) FROM users
          WHERE panel_id IS NOT NULL OR panel_email IS NOT NULL",
        [first],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows.into_iter().collect())
}

/// Moves `user` to `panel`.
///
/// # Errors
/// SQLite errors.
pub fn set_panel(conn: &Connection, user: UserId, panel: &str, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE users SET panel_id = ?2, updated_at = ?3 WHERE discord_id = ?1")?
        .execute(params![user, panel, now])?;
    Ok(())
}

/// Customers counted against `panel`: active ones, and those with an approval in flight.
///
/// # Errors
/// SQLite errors.
pub fn load(conn: &Connection, panel: &str, first: &str) -> Result<u32> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM users u
              WHERE coalesce(u.panel_id, CASE WHEN u.panel_email IS NOT NULL THEN ?2 END) = ?1
                AND (u.status = 'active' OR EXISTS (SELECT 1 FROM payments p
                      WHERE p.user_id = u.discord_id
                        AND p.status IN ('approving', 'provisioning_pending')))",
        )?
        .query_row(params![panel, first], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// A panel placement may choose: its id and capacity (0 = no limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `[[panels]]` id.
    pub id: String,
    /// Active customers it takes at most; 0 = no limit.
    pub capacity: u32,
}

/// The customer's panel, placing them first when they have none: the least-loaded candidate
/// with room (ties: the earlier candidate). Run it inside a write transaction. `None` when no
/// candidate has room.
///
/// # Errors
/// SQLite errors.
pub fn place(
    tx: &Connection,
    user: UserId,
    candidates: &[Candidate],
    first: &str,
    now: i64,
) -> Result<Option<String>> {
    if let Some(placed) = panel_of(tx, user, first)? {
        return Ok(Some(placed));
    }
    let mut best: Option<(u32, &Candidate)> = None;
    for c in candidates {
        let n = load(tx, &c.id, first)?;
        let room = c.capacity == 0 || n < c.capacity;
        if room && best.is_none_or(|(b, _)| n < b) {
            best = Some((n, c));
        }
    }
    let Some((_, chosen)) = best else {
        return Ok(None);
    };
    set_panel(tx, user, &chosen.id, now)?;
    Ok(Some(chosen.id.clone()))
}

/// Remembers a client to delete on `panel` once it answers.
///
/// # Errors
/// SQLite errors.
pub fn add_tombstone(
    conn: &Connection,
    panel: &str,
    email: &str,
    user: UserId,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO panel_tombstones (panel_id, email, user_id, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    )?
    .execute(params![panel, email, user, now])?;
    Ok(())
}

/// The client keys to delete on `panel`.
///
/// # Errors
/// SQLite errors.
pub fn tombstones(conn: &Connection, panel: &str) -> Result<Vec<String>> {
    super::query_all(
        conn,
        "SELECT email FROM panel_tombstones WHERE panel_id = ?1 ORDER BY created_at, email",
        [panel],
        |r| r.get(0),
    )
}

/// Forgets a deleted client.
///
/// # Errors
/// SQLite errors.
pub fn remove_tombstone(conn: &Connection, panel: &str, email: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM panel_tombstones WHERE panel_id = ?1 AND email = ?2")?
        .execute(params![panel, email])?;
    Ok(())
}
