//! Revenue: the append-only ledger of approved payments and the per-period totals the admin
//! dashboard reads.
//!
//! [`record_sale`] / [`record_refund`] append a ledger row and add it at once to the four cached
//! periods it falls in — day `2026-11-21`, month `2026-11`, quarter `2026-Q4`, year `2026`, all
//! in the shop's time zone (`shop.time_zone`), so a sale at 23:30 UTC on 31 December is already
//! 1 January (and the next quarter and year) in Europe/Berlin. They take the caller's connection
//! so the approval puts them in its own transaction. A refund counts in the period in which it
//! is recorded (not the sale's) and subtracts; refunds do not count as sales.
//!
//! The cache is only a cache: [`RevenueService::refresh_cache`] (every 5 minutes, as
//! [`RevenueRefreshJob`]) recomputes every total from the ledger in one IMMEDIATE transaction —
//! read and replace are atomic, so a sale committed concurrently is either in the ledger read or
//! added after the replace, never lost — which also repairs a cache changed by hand or computed
//! under another time zone. The service keeps the ledger's day totals between refreshes
//! ([`periods::LedgerDays`]): the ledger is append-only, so a refresh reads only the rows
//! appended since the last one, and every row again when the ledger's row count shows that a row
//! it counted is gone or one was added behind it (which the database's triggers and rowids
//! rule out; only a change by hand with the triggers dropped). A row changed in place that way
//! is only seen by the first refresh after a restart. How the local days are found is in
//! [`periods`]. The dashboard reads
//! [`RevenueService::totals`] (today, this month, this quarter, this year, per currency) and
//! [`RevenueService::last_days`] for the chart ([`chart`] draws it), both from the cache only.

pub mod chart;
pub mod periods;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use jiff::tz::TimeZone;
use rusqlite::Connection;

use crate::clock::Clock;
use crate::domain::PaymentId;
use crate::error::Result;
use crate::store::Store;
use crate::store::revenue::{self, CacheRow};
use crate::tasks::Job;

pub use periods::{DayFinder, LedgerDays, PeriodKeys};

/// Appends a sale of `amount_minor` (> 0, minor units) in `currency` (ISO 4217) at `at_ms`
/// (Unix ms) for `payment`, and adds it to the cached day, month, quarter and year of `at_ms` in
/// `tz`. Returns the ledger row id. Call it inside the approval's transaction (pass the
/// `Transaction`; it derefs to `Connection`) so ledger, cache and payment change together.
///
/// # Errors
/// [`crate::Error::Db`]: a unique violation when this payment already has a sale, a CHECK
/// violation for a non-positive amount or a currency that is not 3 letters, other SQLite errors.
pub fn record_sale(
    conn: &Connection,
    payment: PaymentId,
    amount_minor: i64,
    currency: &str,
    at_ms: i64,
    tz: &TimeZone,
) -> Result<i64> {
    let id = revenue::record_sale(conn, payment, amount_minor, currency, at_ms)?;
    add_to_periods(conn, currency, amount_minor, true, at_ms, tz)?;
    Ok(id)
}

/// Appends a refund of `amount_minor` (> 0; stored negated) at `at_ms`, optionally tied to
/// `payment`, with a free-text `note`, and subtracts it from the cached periods of `at_ms` in
/// `tz`. Returns the ledger row id. Call it inside the caller's transaction.
///
/// # Errors
/// [`crate::Error::Db`]: a CHECK violation for a non-positive amount or a bad currency, other
/// SQLite errors.
pub fn record_refund(
    conn: &Connection,
    payment: Option<PaymentId>,
    amount_minor: i64,
    currency: &str,
    at_ms: i64,
    tz: &TimeZone,
    note: &str,
) -> Result<i64> {
    let id = revenue::record_refund(conn, payment, amount_minor, currency, at_ms, note)?;
    add_to_periods(conn, currency, -amount_minor, false, at_ms, tz)?;
    Ok(id)
}

fn add_to_periods(
    conn: &Connection,
    currency: &str,
    amount_minor: i64,
    sale: bool,
    at_ms: i64,
    tz: &TimeZone,
) -> Result<()> {
    let keys = PeriodKeys::at(at_ms, tz);
    for (period, key) in keys.pairs() {
        revenue::add_to_cache(conn, period, key, currency, amount_minor, sale, at_ms)?;
    }
    Ok(())
}

/// Recomputes every cached total from the ledger (every row) and replaces the cache; returns the
/// number of cache rows. Pass a `Transaction` (IMMEDIATE, so no sale slips between read and
/// replace).
///
/// # Errors
/// SQLite errors.
pub fn rebuild_cache(conn: &Connection, tz: &TimeZone, now_ms: i64) -> Result<usize> {
    let mut days = LedgerDays::new(tz);
    Ok(refresh_cache_with(conn, &mut days, now_ms)?.cache_rows)
}

/// As [`rebuild_cache`], from day totals kept since an earlier refresh: brings `days` up to date
/// with the ledger (only the rows appended since it last read; every row again, from scratch,
/// when the ledger holds fewer or more rows up to there than it counted) and replaces the cache
/// with its totals. Pass a `Transaction` (IMMEDIATE).
///
/// # Errors
/// SQLite errors; `days` is then partly updated: drop it.
pub fn refresh_cache_with(
    conn: &Connection,
    days: &mut LedgerDays,
    now_ms: i64,
) -> Result<Refreshed> {
    let mut ledger_rows = days.catch_up(conn)?;
    if days.rows() != revenue::count_entries(conn)? {
        // A row it counted is gone, or one was inserted behind the last id it read: only by hand,
        // with the ledger's triggers dropped. Count again from the first row.
        tracing::warn!("the revenue ledger changed behind the cache refresh; reading it all again");
        *days = LedgerDays::new(days.time_zone());
        ledger_rows += days.catch_up(conn)?;
    }
    let rows = days.cache_rows();
    revenue::replace_cache(conn, &rows, now_ms)?;
    Ok(Refreshed {
        cache_rows: rows.len(),
        ledger_rows,
    })
}

/// What [`refresh_cache_with`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Cache rows written.
    pub cache_rows: usize,
    /// Ledger rows read.
    pub ledger_rows: u64,
}

/// One currency's total over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sales minus refunds, minor units.
    pub total_minor: i64,
    /// Number of sales.
    pub sales: i64,
}

impl From<CacheRow> for CurrencyTotal {
    fn from(r: CacheRow) -> Self {
        Self {
            currency: r.currency,
            total_minor: r.total_minor,
            sales: r.sales,
        }
    }
}

/// The dashboard's totals at one instant, per currency (sorted by code; a currency with no
/// entry in a period is absent from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueTotals {
    /// The periods the totals are for.
    pub keys: PeriodKeys,
    /// The local day.
    pub today: Vec<CurrencyTotal>,
    /// The local month.
    pub this_month: Vec<CurrencyTotal>,
    /// The local quarter.
    pub this_quarter: Vec<CurrencyTotal>,
    /// The local year.
    pub this_year: Vec<CurrencyTotal>,
}

/// One day of the chart: its key and its totals per currency (empty when nothing was sold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTotal {
    /// `YYYY-MM-DD` (shop time zone).
    pub day: String,
    /// Totals per currency.
    pub totals: Vec<CurrencyTotal>,
}

/// The cached totals of the periods containing `now_ms` in `tz` (four indexed reads).
///
/// # Errors
/// SQLite errors.
pub fn totals_at(conn: &Connection, tz: &TimeZone, now_ms: i64) -> Result<RevenueTotals> {
    let keys = PeriodKeys::at(now_ms, tz);
    let read = |period: &str, key: &str| -> Result<Vec<CurrencyTotal>> {
        Ok(revenue::cache_for(conn, period, key)?
            .into_iter()
            .map(CurrencyTotal::from)
            .collect())
    };
    Ok(RevenueTotals {
        today: read("day", &keys.day)?,
        this_month: read("month", &keys.month)?,
        this_quarter: read("quarter", &keys.quarter)?,
        this_year: read("year", &keys.year)?,
        keys,
    })
}

/// The cached totals of the `days` local days ending with the day of `now_ms`, oldest first,
/// one entry per day (empty totals for days without entries).
///
/// # Errors
/// SQLite errors.
pub fn last_days_at(
    conn: &Connection,
    tz: &TimeZone,
    now_ms: i64,
    days: u16,
) -> Result<Vec<DayTotal>> {
    let today = DayFinder::new(tz).day(now_ms);
    let mut dates = Vec::with_capacity(usize::from(days));
    let mut date = today;
    for _ in 0..days {
        dates.push(date);
        match date.yesterday() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    dates.reverse();
    let (Some(first), Some(last)) = (dates.first(), dates.last()) else {
        return Ok(Vec::new());
    };
    let (from, to) = (
        PeriodKeys::of_date(*first).day,
        PeriodKeys::of_date(*last).day,
    );
    let mut rows = revenue::cache_between(conn, "day", &from, &to)?
        .into_iter()
        .peekable();
    let mut out = Vec::with_capacity(dates.len());
    for date in dates {
        let day = PeriodKeys::of_date(date).day;
        let mut totals = Vec::new();
        while let Some(row) = rows.next_if(|r| r.period_key == day) {
            totals.push(CurrencyTotal::from(row));
        }
        out.push(DayTotal { day, totals });
    }
    Ok(out)
}

/// What one refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    /// Cache rows written.
    pub cache_rows: usize,
    /// Ledger rows read: all of them on the first refresh, then those appended since the one
    /// before.
    pub ledger_rows: u64,
    /// Of the wall time, how long the IMMEDIATE transaction's work took (writers wait that long
    /// at most).
    pub locked: Duration,
    /// Wall time the refresh took (reading, computing and writing).
    pub took: Duration,
}

/// The kept day totals, also after a panic in another refresh (the value is then `None` or
/// whole: it is only replaced, never changed in place).
fn lock(kept: &Mutex<Option<LedgerDays>>) -> std::sync::MutexGuard<'_, Option<LedgerDays>> {
    kept.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The revenue service: cache refresh and dashboard reads for the shop's time zone.
/// Cheap to clone (clones share the day totals kept between refreshes).
#[derive(Debug, Clone)]
pub struct RevenueService {
    store: Store,
    tz: TimeZone,
    clock: Clock,
    /// The ledger's day totals as of the last refresh; `None` before the first one, or after one
    /// failed.
    days: Arc<Mutex<Option<LedgerDays>>>,
}

impl RevenueService {
    /// A service for the shop time zone `tz` (validated at config load).
    pub fn new(store: Store, tz: TimeZone, clock: Clock) -> Self {
        Self {
            store,
            tz,
            clock,
            days: Arc::default(),
        }
    }

    /// The shop's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Recomputes the whole cache from the ledger in one IMMEDIATE transaction
    /// ([`refresh_cache_with`]), from the day totals kept since the refresh before: the
    /// transaction reads only the ledger rows appended since. The first refresh (or the first
    /// after one failed) reads every row before the transaction, in a plain read that writers do
    /// not wait for, so the write lock is never held for a whole scan.
    ///
    /// # Errors
    /// Store errors; the cache is left as it was (and the next refresh reads every row).
    pub async fn refresh_cache(&self) -> Result<RefreshReport> {
        let started = std::time::Instant::now();
        let (tz, now, kept) = (self.tz.clone(), self.clock.now_ms(), self.days.clone());
        let mut read_before = 0;
        if lock(&kept).is_none() {
            let tz = tz.clone();
            let days = self
                .store
                .call_blocking(move |conn| {
                    let mut days = LedgerDays::new(&tz);
                    days.catch_up(conn)?;
                    Ok(days)
                })
                .await?;
            read_before = days.rows();
            lock(&kept).get_or_insert(days);
        }
        let (done, locked) = self
            .store
            .transaction(move |tx| {
                let locked = std::time::Instant::now();
                let mut kept = lock(&kept);
                let mut days = kept.take().unwrap_or_else(|| LedgerDays::new(&tz));
                let done = refresh_cache_with(tx, &mut days, now)?;
                *kept = Some(days);
                Ok((done, locked.elapsed()))
            })
            .await?;
        Ok(RefreshReport {
            cache_rows: done.cache_rows,
            ledger_rows: read_before + done.ledger_rows,
            locked,
            took: started.elapsed(),
        })
    }

    /// The cached totals of the periods containing `now_ms` (Unix ms).
    ///
    /// # Errors
    /// Store errors.
    pub async fn totals(&self, now_ms: i64) -> Result<RevenueTotals> {
        let tz = self.tz.clone();
        self.store
            .call(move |conn| totals_at(conn, &tz, now_ms))
            .await
    }

    /// The last `days` local days up to the day of `now_ms`, oldest first, for a chart.
    ///
    /// # Errors
    /// Store errors.
    pub async fn last_days(&self, now_ms: i64, days: u16) -> Result<Vec<DayTotal>> {
        let tz = self.tz.clone();
        self.store
            .call(move |conn| last_days_at(conn, &tz, now_ms, days))
            .await
    }

    /// The dashboard chart: the last `days` local days up to the day of `now_ms` (Unix ms), as
    /// a PNG bar chart ([`chart::render_png`], [`chart::WIDTH`] × [`chart::HEIGHT`]) of the
    /// currency with the most sales in that window, or `fallback_currency` when nothing was sold.
    /// Drawn on the blocking pool.
    ///
    /// # Errors
    /// Store errors; [`crate::Error::Internal`] when the chart cannot be drawn (the cause is
    /// logged).
    pub async fn chart(
        &self,
        now_ms: i64,
        days: u16,
        fallback_currency: &str,
    ) -> Result<RevenueChart> {
        let totals = self.last_days(now_ms, days).await?;
        let fallback = fallback_currency.to_owned();
        tokio::task::spawn_blocking(move || {
            let currency = chart::main_currency(&totals, &fallback);
            let png = chart::render_png(&totals, &currency).map_err(|e| {
                tracing::error!(error = %e, "revenue chart not drawn");
                crate::Error::Internal("the revenue chart could not be drawn")
            })?;
            Ok(RevenueChart {
                currency,
                first_day: totals.first().map(|d| d.day.clone()).unwrap_or_default(),
                last_day: totals.last().map(|d| d.day.clone()).unwrap_or_default(),
                png,
            })
        })
        .await?
    }
}

/// A drawn revenue chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueChart {
    /// The charted currency (ISO 4217).
    pub currency: String,
    /// The first day shown, `YYYY-MM-DD` (shop time zone); empty when no day is shown.
    pub first_day: String,
    /// The last day shown (today), `YYYY-MM-DD`.
    pub last_day: String,
    /// The PNG bytes.
    pub png: Vec<u8>,
}

/// Refreshes the revenue cache every 5 minutes (`revenue_refresh`).
#[derive(Debug, Clone)]
pub struct RevenueRefreshJob(pub RevenueService);

#[async_trait]
impl Job for RevenueRefreshJob {
    fn name(&self) -> &'static str {
        "revenue_refresh"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(300)
    }

    async fn run_once(&self) -> Result<()> {
        let report = self.0.refresh_cache().await?;
        tracing::debug!(
            rows = report.cache_rows,
            ledger_rows = report.ledger_rows,
            locked_ms = report.locked.as_millis(),
            took_ms = report.took.as_millis(),
            "revenue cache refreshed"
        );
        Ok(())
    }
}
