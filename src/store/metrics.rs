//! The counts a metrics scrape reads: the outbox backlog, given-up deliveries per kind and
//! customers per subscription status.

use rusqlite::Connection;

use crate::error::Result;
use crate::metrics::Snapshot;

/// The counts now.
///
/// # Errors
/// SQLite errors.
pub fn snapshot(conn: &mut Connection) -> Result<Snapshot> {
    let outbox_pending = conn.query_row(
        "SELECT count(*) FROM outbox WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?;
    let grouped = |sql: &str| -> Result<Vec<(String, i64)>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    Ok(Snapshot {
        outbox_pending,
        outbox_failed: grouped(
            "SELECT kind, count(*) FROM outbox WHERE status = 'failed' GROUP BY kind ORDER BY kind",
        )?,
        subscriptions: grouped(
            "SELECT status, count(*) FROM users GROUP BY status ORDER BY status",
        )?,
    })
}
