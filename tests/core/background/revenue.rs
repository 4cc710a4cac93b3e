//! Revenue: period keys and totals in the shop's time zone across day, quarter and year
//! boundaries, refunds, the refreshed cache equal to the incremental one (also when a refresh
//! reads only the rows appended since the one before), and the append-only ledger.
//!
//! Ledger rows are written through a plain connection with `foreign_keys` off (payments need not
//! exist: the ledger and its cache are under test here, not approvals).

use jiff::tz::TimeZone;
use rusqlite::Connection;
use vpn_ticket_bot::domain::PaymentId;
use vpn_ticket_bot::service::revenue::{self, CurrencyTotal, PeriodKeys, RevenueService, periods};
use vpn_ticket_bot::store::revenue::{CacheRow, cache_rows};

use super::clock;
use crate::common;

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn berlin() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn open(dir: &std::path::Path) -> Connection {
    drop(common::store(dir)); // creates and migrates bot.db
    let conn = Connection::open(dir.join("bot.db")).unwrap();
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    conn
}

fn total(currency: &str, total_minor: i64, sales: i64) -> CurrencyTotal {
    CurrencyTotal {
        currency: currency.into(),
        total_minor,
        sales,
    }
}

fn whole_cache(conn: &Connection) -> Vec<CacheRow> {
    ["day", "month", "quarter", "year"]
        .iter()
        .flat_map(|p| cache_rows(conn, p).unwrap())
        .collect()
}

#[test]
fn period_keys_follow_the_shop_time_zone() {
    let tz = berlin();
    // 23:30 UTC on 31 December is 00:30 on 1 January in Berlin (UTC+1).
    let keys = PeriodKeys::at(ms("2026-12-31T23:30:00Z"), &tz);
    assert_eq!(
        (
            keys.day.as_str(),
            keys.month.as_str(),
            keys.quarter.as_str(),
            keys.year.as_str()
        ),
        ("2027-01-01", "2027-01", "2027-Q1", "2027")
    );
    let utc = PeriodKeys::at(ms("2026-12-31T23:30:00Z"), &TimeZone::UTC);
    assert_eq!(
        (utc.day.as_str(), utc.quarter.as_str()),
        ("2026-12-31", "2026-Q4")
    );
    // Summer time (UTC+2): 22:30 UTC is already the next day.
    assert_eq!(
        PeriodKeys::at(ms("2026-07-15T22:30:00Z"), &tz).day,
        "2026-07-16"
    );
    assert_eq!(
        PeriodKeys::at(ms("2026-07-15T21:59:59.999Z"), &tz).day,
        "2026-07-15"
    );
    // Quarter edges.
    assert_eq!(
        PeriodKeys::at(ms("2026-03-31T21:59:59Z"), &tz).quarter,
        "2026-Q1"
    );
    assert_eq!(
        PeriodKeys::at(ms("2026-03-31T22:00:00Z"), &tz).quarter,
        "2026-Q2"
    );
    // A day of 23 hours (spring forward) has the right bounds.
    let (start, end, _) = periods::DayFinder::new(&tz).bounds(ms("2026-03-29T12:00:00Z"));
    assert_eq!(
        (start, end),
        (ms("2026-03-28T23:00:00Z"), ms("2026-03-29T22:00:00Z"))
    );
}

#[test]
fn totals_by_day_month_quarter_and_year_across_a_year_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(dir.path());
    let tz = berlin();
    let tx = conn.transaction().unwrap();
    // 23:30 Berlin on 31 Dec 2026, then 00:30 Berlin on 1 Jan 2027 (23:30 UTC).
    revenue::record_sale(
        &tx,
        PaymentId(1),
        500,
        "USD",
        ms("2026-12-31T22:30:00Z"),
        &tz,
    )
    .unwrap();
    revenue::record_sale(
        &tx,
        PaymentId(2),
        700,
        "USD",
        ms("2026-12-31T23:30:00Z"),
        &tz,
    )
    .unwrap();
    revenue::record_sale(
        &tx,
        PaymentId(3),
        900,
        "EUR",
        ms("2027-01-01T10:00:00Z"),
        &tz,
    )
    .unwrap();
    revenue::record_sale(
        &tx,
        PaymentId(4),
        100,
        "USD",
        ms("2026-10-01T08:00:00Z"),
        &tz,
    )
    .unwrap();
    tx.commit().unwrap();

    let old_year = revenue::totals_at(&conn, &tz, ms("2026-12-31T22:45:00Z")).unwrap();
    assert_eq!(old_year.keys.day, "2026-12-31");
    assert_eq!(old_year.today, [total("USD", 500, 1)]);
    assert_eq!(old_year.this_month, [total("USD", 500, 1)]);
    assert_eq!(old_year.this_quarter, [total("USD", 600, 2)]);
    assert_eq!(old_year.this_year, [total("USD", 600, 2)]);

    let new_year = revenue::totals_at(&conn, &tz, ms("2027-01-01T12:00:00Z")).unwrap();
    assert_eq!(new_year.keys.quarter, "2027-Q1");
    let both = [total("EUR", 900, 1), total("USD", 700, 1)];
    assert_eq!(new_year.today, both);
    assert_eq!(new_year.this_month, both);
    assert_eq!(new_year.this_quarter, both);
    assert_eq!(new_year.this_year, both);

    let empty = revenue::totals_at(&conn, &tz, ms("2027-02-01T12:00:00Z")).unwrap();
    assert!(empty.today.is_empty() && empty.this_month.is_empty());
    assert_eq!(empty.this_year, both);
}

#[test]
fn refunds_subtract_in_the_period_they_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(dir.path());
    let tz = berlin();
    let day = ms("2026-11-21T10:00:00Z");
    revenue::record_sale(&conn, PaymentId(1), 500, "USD", day, &tz).unwrap();
    revenue::record_sale(&conn, PaymentId(2), 500, "USD", day + 1, &tz).unwrap();
    revenue::record_refund(
        &conn,
        Some(PaymentId(1)),
        200,
        "USD",
        day + 2,
        &tz,
        "partial",
    )
    .unwrap();
    revenue::record_refund(
        &conn,
        None,
        300,
        "USD",
        ms("2026-12-02T10:00:00Z"),
        &tz,
        "goodwill",
    )
    .unwrap();

    let nov = revenue::totals_at(&conn, &tz, day).unwrap();
    assert_eq!(nov.today, [total("USD", 800, 2)], "refunds are not sales");
    let dec = revenue::totals_at(&conn, &tz, ms("2026-12-02T12:00:00Z")).unwrap();
    assert_eq!(dec.today, [total("USD", -300, 0)]);
    assert_eq!(dec.this_quarter, [total("USD", 500, 2)]);
    assert!(revenue::record_refund(&conn, None, 0, "USD", day, &tz, "zero").is_err());
    assert!(revenue::record_sale(&conn, PaymentId(1), 500, "USD", day, &tz).is_err());
}

/// Deterministic pseudo-random ledger over two years: two currencies, sales and refunds.
fn seed_ledger(conn: &mut Connection, tz: &TimeZone, rows: i64) {
    let tx = conn.transaction().unwrap();
    let start = ms("2025-01-01T00:00:00Z");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = start + i64::try_from(x % (2 * 365 * 86_400_000)).unwrap();
        let amount = 100 + i64::try_from(x % 900).unwrap();
        let currency = if x.is_multiple_of(3) { "EUR" } else { "USD" };
        if x.is_multiple_of(10) {
            revenue::record_refund(&tx, None, amount, currency, at, tz, "refund").unwrap();
        } else {
            revenue::record_sale(&tx, PaymentId(i + 1), amount, currency, at, tz).unwrap();
        }
    }
    tx.commit().unwrap();
}

#[test]
fn refresh_rebuilds_exactly_the_incremental_cache() {
    for zone in ["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns", "UTC"] {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(dir.path());
        let tz = TimeZone::get(zone).unwrap();
        seed_ledger(&mut conn, &tz, 3_000);
        let incremental = whole_cache(&conn);
        assert!(incremental.len() > 700, "{zone}: {}", incremental.len());

        let by_scan = periods::cache_rows_by_scan(&conn, &tz).unwrap();
        let by_buckets = periods::cache_rows_by_buckets(&conn, &tz).unwrap();
        assert_eq!(by_scan, by_buckets, "{zone}");

        let tx = conn.transaction().unwrap();
        revenue::rebuild_cache(&tx, &tz, 1).unwrap();
        tx.commit().unwrap();
        assert_eq!(whole_cache(&conn), incremental, "{zone}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_service_refresh_repairs_a_damaged_cache_and_serves_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let tz = berlin();
    let mut conn = open(dir.path());
    seed_ledger(&mut conn, &tz, 500);
    let expected = whole_cache(&conn);
    conn.execute("UPDATE revenue_cache SET total_minor = 0", [])
        .unwrap();
    conn.execute("DELETE FROM revenue_cache WHERE period = 'year'", [])
        .unwrap();

    let service = RevenueService::new(common::store(dir.path()), tz.clone(), clock());
    let report = service.refresh_cache().await.unwrap();
    assert_eq!(report.cache_rows, expected.len());
    assert_eq!(whole_cache(&conn), expected);

    let at = ms("2026-06-30T12:00:00Z");
    let totals = service.totals(at).await.unwrap();
    let quarter: Vec<CurrencyTotal> = expected
        .iter()
        .filter(|r| r.period == "quarter" && r.period_key == "2026-Q2")
        .cloned()
        .map(CurrencyTotal::from)
        .collect();
    assert!(!quarter.is_empty());
    assert_eq!(totals.this_quarter, quarter);

    let days = service.last_days(at, 7).await.unwrap();
    let keys: Vec<&str> = days.iter().map(|d| d.day.as_str()).collect();
    assert_eq!(
        keys,
        [
            "2026-06-24",
            "2026-06-25",
            "2026-06-26",
            "2026-06-27",
            "2026-06-28",
            "2026-06-29",
            "2026-06-30"
        ]
    );
    let last = days.last().unwrap();
    assert_eq!(last.totals, totals.today);
}

/// More ledger rows after a refresh: backdated into old days, a third currency, refunds.
fn more_rows(conn: &mut Connection, tz: &TimeZone, first_payment: i64) {
    let tx = conn.transaction().unwrap();
    for i in 0..300 {
        let at = ms("2025-03-01T00:00:00Z") + i * 7_777_777;
        let currency = ["USD", "EUR", "GBP"][usize::try_from(i % 3).unwrap()];
        if i % 7 == 0 {
            revenue::record_refund(&tx, None, 50 + i, currency, at, tz, "late").unwrap();
        } else {
            revenue::record_sale(&tx, PaymentId(first_payment + i), 100 + i, currency, at, tz)
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// The cache the stateless full rebuild writes, leaving the database's cache as it was.
fn fully_rebuilt(conn: &mut Connection, tz: &TimeZone) -> Vec<CacheRow> {
    let tx = conn.transaction().unwrap();
    revenue::rebuild_cache(&tx, tz, 1).unwrap();
    let rows = whole_cache(&tx);
    tx.rollback().unwrap();
    rows
}

#[tokio::test(start_paused = true)]
async fn later_refreshes_read_only_the_new_rows_and_still_rebuild_the_whole_cache() {
    let dir = tempfile::tempdir().unwrap();
    let tz = berlin();
    let mut conn = open(dir.path());
    seed_ledger(&mut conn, &tz, 2_000);
    let service = RevenueService::new(common::store(dir.path()), tz.clone(), clock());
    let first = service.refresh_cache().await.unwrap();
    assert_eq!(
        first.ledger_rows, 2_000,
        "the first refresh reads every row"
    );

    more_rows(&mut conn, &tz, 10_000);
    let expected = whole_cache(&conn);
    assert_eq!(fully_rebuilt(&mut conn, &tz), expected);
    // A cache damaged by hand in a period no new row touches is repaired all the same.
    conn.execute(
        "UPDATE revenue_cache SET total_minor = 1 WHERE period = 'day' AND period_key < '2025-02'",
        [],
    )
    .unwrap();
    conn.execute("DELETE FROM revenue_cache WHERE period = 'quarter'", [])
        .unwrap();
    // A clone shares what the first refresh kept (the job runs on a clone).
    let second = service.clone().refresh_cache().await.unwrap();
    assert_eq!(second.ledger_rows, 300, "only the rows appended since");
    assert_eq!(second.cache_rows, expected.len());
    assert_eq!(whole_cache(&conn), expected);
    let third = service.refresh_cache().await.unwrap();
    assert_eq!(third.ledger_rows, 0);
    assert_eq!(whole_cache(&conn), expected);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_reads_every_row_again_when_a_counted_row_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let tz = berlin();
    let mut conn = open(dir.path());
    seed_ledger(&mut conn, &tz, 1_000);
    let service = RevenueService::new(common::store(dir.path()), tz.clone(), clock());
    service.refresh_cache().await.unwrap();
    let before = whole_cache(&conn);

    // Only by hand, with the append-only trigger dropped: an old sale deleted, a new one added.
    conn.execute_batch(
        "DROP TRIGGER revenue_ledger_no_delete;
         DELETE FROM revenue_ledger WHERE id = 10;",
    )
    .unwrap();
    revenue::record_sale(
        &conn,
        PaymentId(5_000),
        800,
        "USD",
        ms("2026-06-01T10:00:00Z"),
        &tz,
    )
    .unwrap();
    let report = service.refresh_cache().await.unwrap();
    assert_eq!(
        report.ledger_rows,
        1 + 1_000,
        "the new row, then every row again"
    );
    let refreshed = whole_cache(&conn);
    assert_ne!(refreshed, before);
    assert_eq!(refreshed, fully_rebuilt(&mut conn, &tz));
}

#[test]
fn a_sale_is_a_positive_amount_and_a_refund_a_negative_one() {
    // The cache computation reads the sign of `amount_minor`, not `kind`: the table ties them.
    let dir = tempfile::tempdir().unwrap();
    let conn = open(dir.path());
    let insert = |kind: &str, amount: i64| {
        conn.execute(
            "INSERT INTO revenue_ledger (payment_id, kind, amount_minor, currency, at)
             VALUES (NULL, ?1, ?2, 'USD', 1)",
            rusqlite::params![kind, amount],
        )
    };
    assert!(insert("sale", -5).is_err());
    assert!(insert("refund", 5).is_err());
    assert!(insert("sale", 0).is_err());
    assert!(insert("refund", 0).is_err());
    insert("sale", 5).unwrap();
    insert("refund", -5).unwrap();
}

#[test]
fn the_ledger_refuses_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(dir.path());
    let tz = berlin();
    revenue::record_sale(
        &conn,
        PaymentId(1),
        500,
        "USD",
        ms("2026-11-21T10:00:00Z"),
        &tz,
    )
    .unwrap();
    let update = conn.execute("UPDATE revenue_ledger SET amount_minor = 1", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM revenue_ledger", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let n: i64 = conn
        .query_row("SELECT amount_minor FROM revenue_ledger", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 500);
}

/// A real payment (user, order, payment rows), as the approval has.
fn payment(conn: &Connection) -> PaymentId {
    use vpn_ticket_bot::domain::status::OrderKind;
    use vpn_ticket_bot::domain::{ChannelId, GuildId, UserId};
    use vpn_ticket_bot::store::{orders, payments, users};
    let user = UserId(1_100_000_000_000_000_001);
    users::ensure(conn, user, 1_000).unwrap();
    let ticket = Some((GuildId(7), ChannelId(8)));
    let order = orders::insert(conn, user, OrderKind::New, &common::plan(), ticket, 1_000).unwrap();
    let receipt = payments::Receipt {
        sha256: "a".repeat(64),
        phash: "ffee00112233aabb".into(),
        path: None,
        content_type: "image/png".into(),
        size: 1,
    };
    let new = payments::NewPayment {
        order_id: order,
        user_id: user,
        method: "bank".into(),
        amount_minor: 500,
        currency: "USD".into(),
        receipt,
        near_duplicate: None,
    };
    payments::insert(conn, &new, 2_000).unwrap()
}

#[tokio::test(start_paused = true)]
async fn record_sale_commits_or_rolls_back_with_the_callers_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let tz = berlin();
    let at = ms("2026-11-21T10:00:00Z");
    let pid = store.call(|c| Ok(payment(c))).await.unwrap();
    let tz2 = tz.clone();
    store
        .transaction(move |tx| revenue::record_sale(tx, pid, 500, "USD", at, &tz2))
        .await
        .unwrap();
    // A second approval of the same payment fails inside its transaction: nothing changes.
    let tz2 = tz.clone();
    let again = store
        .transaction(move |tx| {
            revenue::record_refund(tx, Some(pid), 100, "USD", at, &tz2, "in the same tx")?;
            revenue::record_sale(tx, pid, 500, "USD", at, &tz2)
        })
        .await;
    assert!(again.is_err(), "one sale per payment");
    let totals = store
        .call(move |c| revenue::totals_at(c, &tz, at))
        .await
        .unwrap();
    assert_eq!(
        totals.today,
        [total("USD", 500, 1)],
        "the refund was rolled back too"
    );
    assert_eq!(totals.this_year, [total("USD", 500, 1)]);
}
