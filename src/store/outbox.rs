//! `outbox`: deliveries to do (DMs, review-card updates...), written in the same transaction as
//! the state change that causes them, delivered at least once by a job, never lost on restart.
//! The idempotency key makes enqueueing the same delivery twice a no-op ([`enqueue`]); a view
//! (a projection of the current state, e.g. a review card) is instead re-armed by [`enqueue_view`]
//! with a new [`OutboxItem::revision`], so one row per view coalesces every change.

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
    /// Bumped each time a view is re-armed: a delivery is only marked done if the revision it
    /// read is still current (else the state changed meanwhile and it is delivered again).
    pub revision: i64,
}

const COLUMNS: &str = "id, idempotency_key, kind, payload, status, attempts, next_attempt_at, \
    last_error, created_at, delivered_at, revision";

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
        revision: r.get(10)?,
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

/// Queues a view (a delivery rendered from the current state when it runs): inserts it due now,
/// or re-arms the existing row with this key: a delivered or failed row becomes pending and due
/// now with a fresh attempt count; a pending row keeps its schedule (a retry waiting out a
/// backoff stays waiting). Either way its revision is bumped, so a delivery running right now
/// does not count for this newer state.
///
/// # Errors
/// SQLite errors.
pub fn enqueue_view(
    conn: &Connection,
    key: &str,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (idempotency_key, kind, payload, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (idempotency_key) DO UPDATE SET
            revision = revision + 1,
            attempts = CASE WHEN status = 'pending' THEN attempts ELSE 0 END,
            next_attempt_at = CASE WHEN status = 'pending' THEN next_attempt_at ELSE ?4 END,
            last_error = CASE WHEN status = 'pending' THEN last_error ELSE NULL END,
            delivered_at = NULL,
            status = 'pending'",
    )?
    .execute(params![key, kind, payload.to_string(), now])?;
    Ok(())
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

/// Marks a pending item delivered, if its revision is still `revision` (the one delivered).
/// Returns false if it was not pending or was re-armed meanwhile (it then stays pending, due now).
/// A delivered payload loses its `token` (a gift code sent once): the database keeps only the
/// gift's hash.
///
/// # Errors
/// SQLite errors.
pub fn mark_delivered(conn: &Connection, id: i64, revision: i64, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2,
             last_error = NULL, payload = json_remove(payload, '$.token')
             WHERE id = ?1 AND status = 'pending' AND revision = ?3",
        )?
        .execute(params![id, now, revision])?;
    if n == 0 {
        conn.prepare_cached(
            "UPDATE outbox SET next_attempt_at = min(next_attempt_at, ?2)
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, now])?;
    }
    Ok(n == 1)
}

/// Records a failed attempt of revision `revision`: retry at `retry_at` (Unix ms), or give up
/// (`failed`) when `None`. A view re-armed meanwhile is never given up: it stays pending and is
/// tried again at `retry_at`, or at once. Returns false if the item was not pending.
///
/// # Errors
/// SQLite errors.
pub fn record_failure(
    conn: &Connection,
    id: i64,
    revision: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
                status = CASE WHEN ?3 IS NULL AND revision = ?4 THEN 'failed' ELSE 'pending' END,
                next_attempt_at = coalesce(?3, next_attempt_at)
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, error, retry_at, revision])?;
    Ok(n == 1)
}

/// Items of `kind` that were given up (`failed`), newest first, at most `limit`: what staff must
/// know about (e.g. links that never reached their customer).
///
/// # Errors
/// SQLite errors.
pub fn list_failed(conn: &Connection, kind: &str, limit: u32) -> Result<Vec<OutboxItem>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM outbox WHERE status = 'failed' AND kind = ?1
             ORDER BY id DESC LIMIT ?2"
        ),
        params![kind, limit],
        from_row,
    )
}

/// Approved payments whose link DM is not delivered nor on its way: the outbox row is missing
/// (`None`) or was given up (`Some`, status `failed`). At most `limit`, oldest payment first.
///
/// # Errors
/// SQLite errors.
pub fn approved_links_not_delivered(
    conn: &Connection,
    limit: u32,
) -> Result<Vec<(crate::domain::PaymentId, Option<OutboxItem>)>> {
    let ids: Vec<(crate::domain::PaymentId, Option<i64>)> = super::query_all(
        conn,
        "SELECT p.id, o.id FROM payments p
           LEFT JOIN outbox o ON o.idempotency_key = 'deliver_link:payment:' || p.id
          WHERE p.status = 'approved' AND (o.id IS NULL OR o.status = 'failed')
          ORDER BY p.id LIMIT ?1",
        params![limit],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    ids.into_iter()
        .map(|(payment, row)| {
            let item = match row {
                Some(id) => conn
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
                    .query_row([id], from_row)
                    .optional()?,
                None => None,
            };
            Ok((payment, item))
        })
        .collect()
}

/// How much the outbox still has to do: a health figure for staff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Deliveries still to be made (due now or waiting for a retry).
    pub pending: u64,
    /// Deliveries given up on (`failed`), kept for the record.
    pub failed: u64,
    /// `created_at` (Unix ms) of the oldest pending delivery.
    pub oldest_pending_at: Option<i64>,
}

/// Counts pending and failed deliveries (read through the `outbox_due` index).
///
/// # Errors
/// SQLite errors.
pub fn backlog(conn: &Connection) -> Result<Backlog> {
    let (pending, failed, oldest): (i64, i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT coalesce(sum(status = 'pending'), 0), coalesce(sum(status = 'failed'), 0),
                    min(CASE WHEN status = 'pending' THEN created_at END)
             FROM outbox WHERE status IN ('pending', 'failed')",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(Backlog {
        pending: u64::try_from(pending).unwrap_or(0),
        failed: u64::try_from(failed).unwrap_or(0),
        oldest_pending_at: oldest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_counts_pending_and_failed_only() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations::migrate(&mut conn).unwrap();
        assert_eq!(backlog(&conn).unwrap(), Backlog::default());
        let payload = serde_json::json!({});
        let ids: Vec<i64> = [("a", 3_000), ("b", 2_000), ("c", 1_000), ("d", 500)]
            .iter()
            .map(|(key, at)| enqueue(&conn, key, "k", &payload, *at).unwrap().unwrap())
            .collect();
        assert!(mark_delivered(&conn, ids[2], 0, 4_000).unwrap());
        assert!(record_failure(&conn, ids[3], 0, "gave up", None).unwrap());
        assert!(record_failure(&conn, ids[1], 0, "retry", Some(9_000)).unwrap());
        let b = backlog(&conn).unwrap();
        assert_eq!(
            b,
            Backlog {
                pending: 2,
                failed: 1,
                oldest_pending_at: Some(2_000),
            }
        );
    }
}
