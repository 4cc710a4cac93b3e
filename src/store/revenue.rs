//! `revenue_ledger` (append-only: refunds are new negative rows, the database refuses UPDATE and
//! DELETE) and `revenue_cache` (per-period totals rebuilt from the ledger).

use rusqlite::{Connection, Row, params};

use crate::domain::PaymentId;
use crate::domain::status::LedgerKind;
use crate::error::Result;

/// A ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Row id.
    pub id: i64,
    /// The payment it records.
    pub payment_id: Option<PaymentId>,
    /// Sale or refund.
    pub kind: LedgerKind,
    /// Minor units; positive for sales, negative for refunds.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Unix ms.
    pub at: i64,
    /// Free text.
    pub note: Option<String>,
}

/// A cached total for one period and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRow {
    /// `day`, `month`, `quarter` or `year`.
    pub period: String,
    /// `2026-11-21`, `2026-11`, `2026-Q4`, `2026` (shop time zone).
    pub period_key: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum in minor units (refunds subtracted).
    pub total_minor: i64,
    /// Number of sales.
    pub sales: i64,
}

fn entry(r: &Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.get(0)?,
        payment_id: r.get(1)?,
        kind: r.get(2)?,
        amount_minor: r.get(3)?,
        currency: r.get(4)?,
        at: r.get(5)?,
        note: r.get(6)?,
    })
}

/// Records a sale (positive `amount_minor`). One sale per payment: a second call for the same
/// payment is a unique violation.
///
/// # Errors
/// SQLite errors.
pub fn record_sale(
    conn: &Connection,
    payment: PaymentId,
    amount_minor: i64,
    currency: &str,
    at: i64,
) -> Result<i64> {
    insert(
        conn,
        Some(payment),
        LedgerKind::Sale,
        amount_minor,
        currency,
        at,
        None,
    )
}

/// Records a refund of `amount_minor` (positive number; stored negated).
///
/// # Errors
/// SQLite errors.
pub fn record_refund(
    conn: &Connection,
    payment: Option<PaymentId>,
    amount_minor: i64,
    currency: &str,
    at: i64,
    note: &str,
) -> Result<i64> {
    insert(
        conn,
        payment,
        LedgerKind::Refund,
        -amount_minor,
        currency,
        at,
        Some(note),
    )
}

fn insert(
    conn: &Connection,
    payment: Option<PaymentId>,
    kind: LedgerKind,
    amount_minor: i64,
    currency: &str,
    at: i64,
    note: Option<&str>,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO revenue_ledger (payment_id, kind, amount_minor, currency, at, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![payment, kind, amount_minor, currency, at, note])?;
    Ok(conn.last_insert_rowid())
}

/// Ledger rows with `from <= at < to` (Unix ms), in time order.
///
/// # Errors
/// SQLite errors.
pub fn entries_between(conn: &Connection, from: i64, to: i64) -> Result<Vec<LedgerEntry>> {
    super::query_all(
        conn,
        "SELECT id, payment_id, kind, amount_minor, currency, at, note FROM revenue_ledger
         WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
        params![from, to],
        entry,
    )
}

/// Replaces the whole cache with `rows` (one transaction is the caller's: pass a `Transaction`).
///
/// # Errors
/// SQLite errors.
pub fn replace_cache(conn: &Connection, rows: &[CacheRow], now: i64) -> Result<()> {
    conn.execute("DELETE FROM revenue_cache", [])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO revenue_cache (period, period_key, currency, total_minor, sales, refreshed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in rows {
        stmt.execute(params![
            r.period,
            r.period_key,
            r.currency,
            r.total_minor,
            r.sales,
            now
        ])?;
    }
    Ok(())
}

/// Adds `amount_minor` (and one sale when `sale`) to a cached period total, creating it.
///
/// # Errors
/// SQLite errors.
pub fn add_to_cache(
    conn: &Connection,
    period: &str,
    period_key: &str,
    currency: &str,
    amount_minor: i64,
    sale: bool,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO revenue_cache (period, period_key, currency, total_minor, sales, refreshed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (period, period_key, currency) DO UPDATE SET
            total_minor = total_minor + excluded.total_minor,
            sales = sales + excluded.sales,
            refreshed_at = excluded.refreshed_at",
    )?
    .execute(params![
        period,
        period_key,
        currency,
        amount_minor,
        i64::from(sale),
        now
    ])?;
    Ok(())
}

/// Cached totals of one period kind, newest key first.
///
/// # Errors
/// SQLite errors.
pub fn cache_rows(conn: &Connection, period: &str) -> Result<Vec<CacheRow>> {
    super::query_all(
        conn,
        "SELECT period, period_key, currency, total_minor, sales FROM revenue_cache
         WHERE period = ?1 ORDER BY period_key DESC, currency",
        [period],
        cache_row,
    )
}

/// Calls `f(at, currency, amount_minor)` for every ledger row with `id > after_id`, in id
/// (insertion) order — a range scan of the table, no sort — without allocating per row. A row is
/// a sale when `amount_minor > 0` and a refund when it is negative (the table's CHECK ties the
/// sign to `kind`, so `kind` is not read). Returns the number of rows and the last id seen
/// (`after_id` when there was none). Rows are appended as they happen, so this is nearly time
/// order, but callers must not rely on it.
///
/// # Errors
/// SQLite errors.
pub fn for_each_entry_after(
    conn: &Connection,
    after_id: i64,
    mut f: impl FnMut(i64, &str, i64),
) -> Result<(u64, i64)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, amount_minor, currency FROM revenue_ledger WHERE id > ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([after_id])?;
    let (mut n, mut last) = (0, after_id);
    while let Some(r) = rows.next()? {
        last = r.get(0)?;
        let currency = r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
        f(r.get(1)?, currency, r.get(2)?);
        n += 1;
    }
    Ok((n, last))
}

/// The number of ledger rows.
///
/// # Errors
/// SQLite errors.
pub fn count_entries(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM revenue_ledger")?
        .query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A ledger sum over one UTC time bucket and currency (see [`bucket_sums`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSum {
    /// Bucket start, Unix ms (a multiple of the bucket width).
    pub start: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum in minor units (refunds subtracted).
    pub total_minor: i64,
    /// Number of sale rows.
    pub sales: i64,
}

/// Ledger sums grouped by `width_ms`-wide UTC buckets (`at - at % width`) and currency, in
/// bucket order. Rows with a negative `at` are grouped toward zero (none exist in practice).
///
/// # Errors
/// SQLite errors.
pub fn bucket_sums(conn: &Connection, width_ms: i64) -> Result<Vec<BucketSum>> {
    super::query_all(
        conn,
        "SELECT at / ?1 AS bucket, currency, sum(amount_minor), sum(kind = 'sale')
         FROM revenue_ledger GROUP BY bucket, currency ORDER BY bucket, currency",
        [width_ms],
        |r| {
            Ok(BucketSum {
                start: r.get::<_, i64>(0)? * width_ms,
                currency: r.get(1)?,
                total_minor: r.get(2)?,
                sales: r.get(3)?,
            })
        },
    )
}

/// Cached totals of one period (`day`, `2026-11-21`...), by currency.
///
/// # Errors
/// SQLite errors.
pub fn cache_for(conn: &Connection, period: &str, period_key: &str) -> Result<Vec<CacheRow>> {
    cache_between(conn, period, period_key, period_key)
}

/// Cached totals of one period kind with `from_key <= period_key <= to_key` (keys sort
/// chronologically), oldest first, then by currency.
///
/// # Errors
/// SQLite errors.
pub fn cache_between(
    conn: &Connection,
    period: &str,
    from_key: &str,
    to_key: &str,
) -> Result<Vec<CacheRow>> {
    super::query_all(
        conn,
        "SELECT period, period_key, currency, total_minor, sales FROM revenue_cache
         WHERE period = ?1 AND period_key BETWEEN ?2 AND ?3 ORDER BY period_key, currency",
        params![period, from_key, to_key],
        cache_row,
    )
}

fn cache_row(r: &Row<'_>) -> rusqlite::Result<CacheRow> {
    Ok(CacheRow {
        period: r.get(0)?,
        period_key: r.get(1)?,
        currency: r.get(2)?,
        total_minor: r.get(3)?,
        sales: r.get(4)?,
    })
}
