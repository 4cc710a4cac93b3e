//! Revenue benchmark (not a test): 1,000,000 ledger rows over three years, then the time of a
//! full cache computation (both ways of finding local days), of the service's cache refresh (the
//! first one reads every row; later ones only the rows appended since, here none, then 1,000
//! new sales each time) and of the dashboard's totals query.
//!
//! Run with `cargo bench --bench revenue`. Rows are inserted in one transaction through the
//! store's prepared statements, on a connection with `foreign_keys` off (no payments exist).

use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use rusqlite::Connection;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::PaymentId;
use vpn_ticket_bot::service::revenue::{self, RevenueService, periods};
use vpn_ticket_bot::store::{self, Store};

const ROWS: i64 = 1_000_000;
const SPAN_MS: i64 = 3 * 365 * 86_400_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bot.db");
    let store = Store::open_path(&path, Duration::from_secs(5), 4).expect("store");
    let tz = TimeZone::get("Europe/Berlin").expect("tz");
    let start = jiff::Timestamp::from_second(1_735_689_600)
        .expect("2025-01-01")
        .as_millisecond();

    let mut conn = Connection::open(&path).expect("open");
    store::configure_connection(&conn, Duration::from_secs(5)).expect("pragmas");
    conn.pragma_update(None, "foreign_keys", "OFF")
        .expect("fk off");
    let t = Instant::now();
    insert_ledger(&mut conn, start);
    report("insert 1,000,000 ledger rows (1 tx)", t.elapsed());

    let t = Instant::now();
    let by_scan = periods::cache_rows_by_scan(&conn, &tz).expect("scan");
    report("compute cache: scan every row in Rust", t.elapsed());
    let t = Instant::now();
    let by_buckets = periods::cache_rows_by_buckets(&conn, &tz).expect("buckets");
    report("compute cache: SQL 15-min bucket sums", t.elapsed());
    assert_eq!(by_scan, by_buckets, "both methods agree");
    println!("  cache rows: {}", by_buckets.len());

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let service = RevenueService::new(store.clone(), tz.clone(), Clock::system());
    runtime.block_on(async {
        let r = service.refresh_cache().await.expect("refresh");
        report_refresh("refresh_cache, first: every row", r);
        let r = service.refresh_cache().await.expect("refresh");
        report_refresh("refresh_cache again, nothing new", r);
        for batch in 0..3 {
            let tx = conn.transaction().expect("tx");
            for i in 0..1_000 {
                let at = start + SPAN_MS + batch * 300_000 + i * 300;
                revenue::record_sale(
                    &tx,
                    PaymentId(2 * ROWS + batch * 1_000 + i),
                    700,
                    "EUR",
                    at,
                    &tz,
                )
                .expect("sale");
            }
            tx.commit().expect("commit");
            let r = service.refresh_cache().await.expect("refresh");
            report_refresh(
                &format!("refresh_cache after 1,000 new sales (#{batch})"),
                r,
            );
        }
        let mut cached: Vec<_> = ["day", "month", "quarter", "year"]
            .iter()
            .flat_map(|p| store::revenue::cache_rows(&conn, p).expect("cache"))
            .collect();
        cached.sort_by(|a, b| {
            (&a.period, &a.period_key, &a.currency).cmp(&(&b.period, &b.period_key, &b.currency))
        });
        let full = periods::cache_rows_by_scan(&conn, &tz).expect("scan");
        assert_eq!(cached, full, "the refreshed cache is the full computation");
        let now = start + SPAN_MS - 86_400_000;
        let n = 1_000;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(service.totals(now).await.expect("totals"));
        }
        report(
            "totals (async, via Store::call), mean of 1000",
            t.elapsed() / n,
        );
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(service.last_days(now, 30).await.expect("days"));
        }
        report("last_days(30) (async), mean of 1000", t.elapsed() / n);
    });
    let now = start + SPAN_MS - 86_400_000;
    let t = Instant::now();
    for _ in 0..10_000 {
        std::hint::black_box(revenue::totals_at(&conn, &tz, now).expect("totals"));
    }
    report(
        "totals_at (sync, one connection), mean of 10000",
        t.elapsed() / 10_000,
    );

    let tx = conn.transaction().expect("tx");
    let t = Instant::now();
    for i in 0..10_000 {
        revenue::record_sale(&tx, PaymentId(ROWS + 1 + i), 500, "USD", now + i, &tz).expect("sale");
    }
    report(
        "record_sale with cache update, mean of 10000",
        t.elapsed() / 10_000,
    );
    tx.commit().expect("commit");
}

/// Pseudo-random rows (xorshift): 90 % sales, 10 % refunds, two currencies.
fn insert_ledger(conn: &mut Connection, start: i64) {
    let tx = conn.transaction().expect("tx");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..ROWS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let at = start + i * (SPAN_MS / ROWS) + i64::try_from(x % 1000).expect("small");
        let amount = 100 + i64::try_from(x % 5_000).expect("small");
        let currency = if x.is_multiple_of(4) { "EUR" } else { "USD" };
        if x.is_multiple_of(10) {
            store::revenue::record_refund(&tx, None, amount, currency, at, "bench")
                .expect("refund");
        } else {
            store::revenue::record_sale(&tx, PaymentId(i + 1), amount, currency, at).expect("sale");
        }
    }
    tx.commit().expect("commit");
}

/// A refresh's time and how many ledger rows it read.
fn report_refresh(what: &str, r: revenue::RefreshReport) {
    report(&format!("{what} ({} rows read)", r.ledger_rows), r.took);
    report("  of which in the IMMEDIATE transaction", r.locked);
}

fn report(what: &str, took: Duration) {
    if took < Duration::from_millis(10) {
        println!("{what:<58} {:>10.1} µs", took.as_secs_f64() * 1e6);
    } else {
        println!("{what:<58} {:>10.1} ms", took.as_secs_f64() * 1e3);
    }
}
