//! `scheduled_jobs`: delays that must survive a restart (delete a ticket channel at time T...).
//! A dedupe key makes scheduling the same job twice a no-op.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::status::JobStatus;
use crate::error::Result;

/// A scheduled job row.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledJob {
    /// Row id.
    pub id: i64,
    /// Unique key, e.g. `delete_channel:123`.
    pub dedupe_key: String,
    /// Job kind ([`crate::domain::scheduled::ScheduledTask::kind`]).
    pub kind: String,
    /// Job data ([`crate::domain::scheduled::ScheduledTask::payload`]).
    pub payload: serde_json::Value,
    /// Due at this Unix ms.
    pub run_at: i64,
    /// State.
    pub status: JobStatus,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub finished_at: Option<i64>,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<ScheduledJob> {
    let payload: String = r.get(3)?;
    Ok(ScheduledJob {
        id: r.get(0)?,
        dedupe_key: r.get(1)?,
        kind: r.get(2)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        run_at: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        finished_at: r.get(9)?,
    })
}

/// Schedules a job at `run_at` (Unix ms). Returns its id, or `None` if the key already exists.
///
/// # Errors
/// SQLite errors.
pub fn schedule(
    conn: &Connection,
    dedupe_key: &str,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    now: i64,
) -> Result<Option<i64>> {
    let n = conn
        .prepare_cached(
            "INSERT INTO scheduled_jobs (dedupe_key, kind, payload, run_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (dedupe_key) DO NOTHING",
        )?
        .execute(params![dedupe_key, kind, payload.to_string(), run_at, now])?;
    Ok((n == 1).then(|| conn.last_insert_rowid()))
}

/// The job with this dedupe key, in any state.
///
/// # Errors
/// SQLite errors.
pub fn find_by_key(conn: &Connection, dedupe_key: &str) -> Result<Option<ScheduledJob>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, dedupe_key, kind, payload, run_at, status, attempts, last_error,
                created_at, finished_at
             FROM scheduled_jobs WHERE dedupe_key = ?1",
        )?
        .query_row([dedupe_key], from_row)
        .optional()?)
}

/// Pending jobs due at `now`, earliest first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<ScheduledJob>> {
    super::query_all(
    conn,
    "SELECT id, dedupe_key, kind, payload, run_at, status, attempts, last_error, created_at,
            finished_at
         FROM scheduled_jobs WHERE status = 'pending' AND run_at <= ?1 ORDER BY run_at, id LIMIT ?2",
    params![now, limit], from_row,
)
}

/// Marks a pending job `to` (done or cancelled). Returns false if it was not pending.
///
/// # Errors
/// SQLite errors.
pub fn finish(conn: &Connection, id: i64, to: JobStatus, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE scheduled_jobs SET status = ?2, finished_at = ?3
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, to, now])?;
    Ok(n == 1)
}

/// Cancels the pending job with this key. Returns whether one was cancelled.
///
/// # Errors
/// SQLite errors.
pub fn cancel_by_key(conn: &Connection, dedupe_key: &str, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE scheduled_jobs SET status = 'cancelled', finished_at = ?2
             WHERE dedupe_key = ?1 AND status = 'pending'",
        )?
        .execute(params![dedupe_key, now])?;
    Ok(n == 1)
}

/// Records a failed run and moves the job to `retry_at` (Unix ms).
///
/// # Errors
/// SQLite errors.
pub fn record_failure(conn: &Connection, id: i64, error: &str, retry_at: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE scheduled_jobs SET attempts = attempts + 1, last_error = ?2, run_at = ?3
             WHERE id = ?1 AND status = 'pending'",
        )?
        .execute(params![id, error, retry_at])?;
    Ok(n == 1)
}
