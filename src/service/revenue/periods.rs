//! Period keys in the shop's time zone and the from-scratch computation of the revenue cache.
//!
//! SQLite cannot bucket by a time-zone-aware day (offsets change with DST), so the days are
//! found in Rust. Two ways are implemented and measured by `benches/revenue.rs` (1,000,000
//! rows, 2 shared cores, release):
//! - [`LedgerDays`] (used by `refresh_cache`, and by [`cache_rows_by_scan`]): ledger rows are
//!   streamed in id order (a range scan of the table: `at`, `amount_minor`, `currency`) and their
//!   local day looked up in Rust; the last day's UTC bounds are cached, so jiff is consulted about
//!   once per day, not per row, and each currency's running day total is only added to the map
//!   when its day changes. The ledger is append-only (the database refuses UPDATE and DELETE), so
//!   the day totals, once computed, only need the rows appended since: `refresh_cache` keeps them
//!   between refreshes and reads only those rows, plus a `count(*)` that shows no row it already
//!   counted went away (20–35 ms in all for 1,000,000 rows). Its first refresh reads every row
//!   (0.25–0.4 s), before it takes the write lock. Out-of-order rows are only slower, never
//!   wrong.
//! - [`cache_rows_by_buckets`]: SQLite sums the ledger per 15-minute UTC bucket and currency
//!   (`GROUP BY at / 900000`), and Rust maps each bucket to its local day. Every offset in use
//!   today is a multiple of 15 minutes, so a local midnight always falls on a bucket boundary; a
//!   bucket that would straddle one (an exotic historical offset) is detected and the
//!   computation falls back to the scan. About 0.9 s: SQLite sorts the computed `GROUP BY` key in
//!   a temporary b-tree.
//!
//! Both produce day totals; months, quarters and years are rolled up from the days.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::Connection;

use crate::error::Result;
use crate::store::revenue::{self, CacheRow};

/// Width of the UTC buckets SQLite sums (15 minutes, in ms).
pub const BUCKET_MS: i64 = 15 * 60 * 1000;

/// The four period keys of one local date: `2026-11-21`, `2026-11`, `2026-Q4`, `2026`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeriodKeys {
    /// `YYYY-MM-DD`
    pub day: String,
    /// `YYYY-MM`
    pub month: String,
    /// `YYYY-Qn`
    pub quarter: String,
    /// `YYYY`
    pub year: String,
}

impl PeriodKeys {
    /// The keys of a local date.
    #[must_use]
    pub fn of_date(date: Date) -> Self {
        let (y, m) = (date.year(), date.month());
        Self {
            day: format!("{y:04}-{m:02}-{:02}", date.day()),
            month: format!("{y:04}-{m:02}"),
            quarter: format!("{y:04}-Q{}", (m - 1) / 3 + 1),
            year: format!("{y:04}"),
        }
    }

    /// The keys of the instant `at_ms` (Unix ms) in `tz`.
    #[must_use]
    pub fn at(at_ms: i64, tz: &TimeZone) -> Self {
        Self::of_date(DayFinder::new(tz).day(at_ms))
    }

    /// `(period, key)` pairs as stored in `revenue_cache`: day, month, quarter, year.
    #[must_use]
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("day", &self.day),
            ("month", &self.month),
            ("quarter", &self.quarter),
            ("year", &self.year),
        ]
    }
}

/// Finds the local date of Unix-ms instants, remembering the UTC bounds of the last day found.
#[derive(Debug, Clone)]
pub struct DayFinder {
    tz: TimeZone,
    last: Option<(i64, i64, Date)>,
}

impl DayFinder {
    /// A finder for `tz`.
    #[must_use]
    pub fn new(tz: &TimeZone) -> Self {
        Self {
            tz: tz.clone(),
            last: None,
        }
    }

    /// The local date of `at_ms`. Instants outside jiff's range (years ±9999) are clamped.
    pub fn day(&mut self, at_ms: i64) -> Date {
        self.bounds(at_ms).2
    }

    /// `(start, end, date)`: the local date of `at_ms` and its UTC bounds `[start, end)` in ms.
    pub fn bounds(&mut self, at_ms: i64) -> (i64, i64, Date) {
        if let Some(b @ (start, end, _)) = self.last
            && (start..end).contains(&at_ms)
        {
            return b;
        }
        let ts = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(if at_ms < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
        let date = ts.to_zoned(self.tz.clone()).date();
        let start_of = |d: Date| {
            d.to_zoned(self.tz.clone())
                .ok()
                .map(|z| z.timestamp().as_millisecond())
        };
        let start = start_of(date).unwrap_or(at_ms);
        let end = date
            .tomorrow()
            .ok()
            .and_then(start_of)
            .unwrap_or(at_ms.saturating_add(1));
        self.last = Some((start, end, date));
        (start, end, date)
    }
}

/// Day totals: (date, currency) → (total_minor, sales).
type DayTotals = BTreeMap<(Date, String), (i64, i64)>;

fn add(days: &mut DayTotals, date: Date, currency: &str, amount: i64, sales: i64) {
    let key = (date, currency.to_owned());
    let slot = days.entry(key).or_insert((0, 0));
    slot.0 += amount;
    slot.1 += sales;
}

/// The ledger's totals per local day and currency in one time zone, as of the ledger rows read
/// so far; [`LedgerDays::catch_up`] reads the rows appended since (see the module doc).
#[derive(Debug, Clone)]
pub struct LedgerDays {
    finder: DayFinder,
    days: DayTotals,
    /// The last ledger id read (0: none yet).
    last_id: i64,
    /// How many rows were read.
    rows: u64,
}

/// One currency's running total of one day, while rows are streamed.
struct OpenDay {
    currency: String,
    date: Date,
    total: i64,
    sales: i64,
}

impl LedgerDays {
    /// No rows read yet, for the time zone `tz`.
    #[must_use]
    pub fn new(tz: &TimeZone) -> Self {
        Self {
            finder: DayFinder::new(tz),
            days: DayTotals::new(),
            last_id: 0,
            rows: 0,
        }
    }

    /// The time zone of the days.
    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.finder.tz
    }

    /// How many ledger rows were read (every row with an id up to the last one read).
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Reads the ledger rows appended since the last call (every row the first time) and adds
    /// them to the day totals; returns how many were read.
    ///
    /// # Errors
    /// SQLite errors; the totals are then partly updated: drop this value.
    pub fn catch_up(&mut self, conn: &Connection) -> Result<u64> {
        let (finder, days) = (&mut self.finder, &mut self.days);
        let mut open: Vec<OpenDay> = Vec::new();
        let (n, last) =
            revenue::for_each_entry_after(conn, self.last_id, |at, currency, amount| {
                let date = finder.day(at);
                let sale = i64::from(amount > 0);
                match open.iter_mut().find(|o| o.currency == currency) {
                    Some(o) if o.date == date => {
                        o.total += amount;
                        o.sales += sale;
                    }
                    Some(o) => {
                        add(days, o.date, &o.currency, o.total, o.sales);
                        (o.date, o.total, o.sales) = (date, amount, sale);
                    }
                    None => open.push(OpenDay {
                        currency: currency.to_owned(),
                        date,
                        total: amount,
                        sales: sale,
                    }),
                }
            })?;
        for o in open {
            add(days, o.date, &o.currency, o.total, o.sales);
        }
        self.last_id = last;
        self.rows += n;
        Ok(n)
    }

    /// The cache rows of these day totals: days, months, quarters and years (sorted by period,
    /// key, currency).
    #[must_use]
    pub fn cache_rows(&self) -> Vec<CacheRow> {
        roll_up(&self.days)
    }
}

/// Cache rows computed by streaming every ledger row (see the module doc).
///
/// # Errors
/// SQLite errors.
pub fn cache_rows_by_scan(conn: &Connection, tz: &TimeZone) -> Result<Vec<CacheRow>> {
    let mut days = LedgerDays::new(tz);
    days.catch_up(conn)?;
    Ok(days.cache_rows())
}

/// Cache rows computed from SQLite's 15-minute bucket sums (see the module doc); falls back to
/// [`cache_rows_by_scan`] if a bucket straddles a local midnight.
///
/// # Errors
/// SQLite errors.
pub fn cache_rows_by_buckets(conn: &Connection, tz: &TimeZone) -> Result<Vec<CacheRow>> {
    let mut finder = DayFinder::new(tz);
    let mut days = DayTotals::new();
    for bucket in revenue::bucket_sums(conn, BUCKET_MS)? {
        let (_, end, date) = finder.bounds(bucket.start);
        if bucket.start < 0 || end < bucket.start + BUCKET_MS {
            tracing::debug!(
                start = bucket.start,
                "bucket straddles a local day; scanning"
            );
            return cache_rows_by_scan(conn, tz);
        }
        add(
            &mut days,
            date,
            &bucket.currency,
            bucket.total_minor,
            bucket.sales,
        );
    }
    Ok(roll_up(&days))
}

/// Day totals → cache rows for days, months, quarters and years (sorted by period, key,
/// currency).
fn roll_up(days: &DayTotals) -> Vec<CacheRow> {
    let mut all: BTreeMap<(&'static str, String, &str), (i64, i64)> = BTreeMap::new();
    for ((date, currency), &(total, sales)) in days {
        let keys = PeriodKeys::of_date(*date);
        for (period, key) in keys.pairs() {
            let slot = all
                .entry((period, key.to_owned(), currency.as_str()))
                .or_insert((0, 0));
            slot.0 += total;
            slot.1 += sales;
        }
    }
    all.into_iter()
        .map(|((period, key, currency), (total, sales))| CacheRow {
            period: period.to_owned(),
            period_key: key,
            currency: currency.to_owned(),
            total_minor: total,
            sales,
        })
        .collect()
}
