//! `outbox`: deliveries to do (DMs, review-card updates...), written in the same transaction as
//! the state change that causes them, delivered at least once by a job, never lost on restart.
//! The idempotency key makes enqueueing the same delivery twice a no-op.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::status::OutboxStatus;
use crate::error::Result;

/// An outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    /// Row id.
    pub id: i64,
    /// Unique key, e.g. `dm_link:payment:42`.
    pub idempotency_key: String,
    /// Deliverer-defined kind.
    pub kind: String,
    /// What to deliver.
    pub payload: serde_json::Value,
    /// Delivery state.
    pub status: OutboxStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// Not before this Unix ms.
    pub next_attempt_at: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub delivered_at: Option<i64>,
}

const COLUMNS: &str = "id, idempotency_key, kind, payload, status, attempts, next_attempt_at, \
    last_error, created_at, delivered_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let payload: String = r.get(3)?;
    Ok(OutboxItem {
        id: r.get(0)?,
        idempotency_key: r.get(1)?,
        kind: r.get(2)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        status: r.get(4)?,
        attempts: r.get(5)?,
        next_attempt_at: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        delivered_at: r.get(9)?,
    })
}

/// Queues a delivery due now. Returns its id, or `None` when the key was already queued.
///
/// # Errors
/// SQLite errors.
pub fn enqueue(
    conn: &Connection,
    key: &str,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<Option<i64>> {
    let n = conn
        .prepare_cached(
            "INSERT INTO outbox (idempotency_key, kind, payload, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (idempotency_key) DO NOTHING",
        )?
        .execute(params![key, kind, payload.to_string(), now])?;
    Ok((n == 1).then(|| conn.last_insert_rowid()))
}

/// The item with this key.
///
/// # Errors
/// SQLite errors.
pub fn find_by_key(conn: &Connection, key: &str) -> Result<Option<OutboxItem>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE idempotency_key = ?1"
        ))?
        .query_row([key], from_row)
        .optional()?)
}

/// Pending items due at `now`, oldest first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<OutboxItem>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2"
        ),
        params![now, limit],
        from_row,
    )
}

/// Marks a pending item delivered. Returns false if it was not pending.
///
/// # Errors
/// SQLite errors.
pub fn mark_delivered(conn: &Connection, id: i64, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2,
             last_error = NULL WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, now])?;
    Ok(n == 1)
}

/// Records a failed attempt: retry at `retry_at` (Unix ms), or give up (`failed`) when `None`.
///
/// # Errors
/// SQLite errors.
pub fn record_failure(
    conn: &Connection,
    id: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                status = CASE WHEN ?3 IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = coalesce(?3, next_attempt_at)
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, error, retry_at])?;
    Ok(n == 1)
}
