//! Backup benchmark (`cargo bench --bench backup`; a plain `main`, not a timed test).
//!
//! Builds, once, a database of about 1 GB in a temporary data directory with the real schema and
//! realistic rows (users, orders, payments with their receipts' hashes, the revenue ledger, audit
//! entries, ticket messages; `BACKUP_BENCH_ORDERS` orders, default 500,000). Then, for
//! `BACKUP_BENCH_RUNS` runs (default 3):
//! 1. a writer commits every 5 ms through the bot's own [`Store`] (`Store::transaction`: an audit
//!    entry and a user update per transaction) for 10 s with no backup: its commit wait (from
//!    calling `transaction` to its return), worst and 99th percentile;
//! 2. the same writer while `ops::backup` runs (as `vpn-ticket-bot backup --out` does), and for
//!    the 2 s after it (the checkpoint the backup held back runs then): the backup's time split
//!    into copy and verification, and the writer's worst and 99th-percentile wait during the
//!    backup (also split into copy and verification) and after it.
//!
//! The backup file is deleted after each run, and the temporary directory (about 2 GB at its
//! largest) at the end.
#![allow(clippy::print_stdout)]

#[path = "support/env.rs"]
mod env;

use env::count_or;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde_json::json;
use vpn_ticket_bot::config::StorageConfig;
use vpn_ticket_bot::ops;
use vpn_ticket_bot::store::{self, Store, audit};

/// Writer period.
const TICK: Duration = Duration::from_millis(5);
/// How long the writer runs alone, for the figures without a backup.
const QUIET: Duration = Duration::from_secs(10);
/// How long the writer keeps going after the backup returned.
const TAIL: Duration = Duration::from_secs(2);

fn main() {
    let orders = count_or("BACKUP_BENCH_ORDERS", 500_000);
    let runs = count_or("BACKUP_BENCH_RUNS", 3);
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = StorageConfig {
        data_dir: dir.path().to_owned(),
        busy_timeout_ms: 5000,
        pool_size: 4,
    };
    let store = Store::open(&storage).expect("store");
    let t = Instant::now();
    let users = build(&storage.db_path(), orders);
    let bytes = std::fs::metadata(storage.db_path()).expect("size").len();
    println!(
        "built {orders} orders, {users} users: {:.0} MiB in {:.1} s",
        mib(bytes),
        t.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for run in 1..=runs {
        println!("run {run}");
        let quiet = runtime.block_on(writer_alone(&store, users));
        println!("  no backup:      writer {}", quiet.summary());
        let (report, [during, copy, check, after]) =
            runtime.block_on(writer_with_backup(&store, &storage, users));
        println!(
            "  backup:         {:.0} MiB, total {:.2} s = copy {:.2} s + verification {:.2} s \
             (+ {:.2} s rename, sync)",
            mib(report.bytes),
            report.took.as_secs_f64(),
            report.copy_took.as_secs_f64(),
            report.verify_took.as_secs_f64(),
            report
                .took
                .saturating_sub(report.copy_took + report.verify_took)
                .as_secs_f64()
        );
        println!("  during backup:  writer {}", during.summary());
        println!("    of which copy:         {}", copy.summary());
        println!("    of which verification: {}", check.summary());
        println!("  2 s after it:   writer {}", after.summary());
        std::fs::remove_file(&report.path).expect("remove backup");
    }
    drop(store);
    drop(dir);
}

/// Commit waits of one window.
struct Waits(Vec<Duration>);

impl Waits {
    fn summary(&self) -> String {
        let mut v = self.0.clone();
        v.sort_unstable();
        if v.is_empty() {
            return "no commits".into();
        }
        let p99 = v[(v.len() * 99).div_ceil(100) - 1];
        let over = v
            .iter()
            .filter(|d| **d > Duration::from_millis(100))
            .count();
        format!(
            "{} commits, max {:.1} ms, p99 {:.1} ms, median {:.2} ms, {over} over 100 ms",
            v.len(),
            ms(v[v.len() - 1]),
            ms(p99),
            ms(v[v.len() / 2]),
        )
    }
}

/// Commits every [`TICK`] until `stop`; returns (start, wait) of every commit.
async fn writer(store: Store, users: u64, stop: Arc<AtomicBool>) -> Vec<(Instant, Duration)> {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut out = Vec::new();
    let mut n: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        n += 1;
        let user = i64::try_from(1_000 + (n * 7919) % users).expect("small");
        let started = Instant::now();
        store
            .transaction(move |tx| {
                let now = store::now_ms();
                let entry = audit::NewEntry {
                    actor: None,
                    action: "bench.write",
                    target_type: Some("user"),
                    target_id: Some(user.to_string()),
                    session_id: None,
                    payload: json!({ "n": n, "note": "a writer during the backup bench" }),
                };
                audit::append(tx, &entry, now)?;
                tx.execute(
                    "UPDATE users SET updated_at = ?1 WHERE discord_id = ?2",
                    params![now, user],
                )?;
                Ok(())
            })
            .await
            .expect("commit");
        out.push((started, started.elapsed()));
    }
    out
}

async fn writer_alone(store: &Store, users: u64) -> Waits {
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(writer(store.clone(), users, stop.clone()));
    tokio::time::sleep(QUIET).await;
    stop.store(true, Ordering::SeqCst);
    Waits(
        task.await
            .expect("writer")
            .into_iter()
            .map(|(_, d)| d)
            .collect(),
    )
}

async fn writer_with_backup(
    store: &Store,
    storage: &StorageConfig,
    users: u64,
) -> (ops::BackupReport, [Waits; 4]) {
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(writer(store.clone(), users, stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let out = storage.data_dir.join("bench-backup.db");
    let storage = storage.clone();
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || {
        ops::backup(&storage, Some(&out), 0, jiff::Timestamp::now())
    })
    .await
    .expect("backup task")
    .expect("backup");
    let ended = Instant::now();
    tokio::time::sleep(TAIL).await;
    stop.store(true, Ordering::SeqCst);
    let all = task.await.expect("writer");
    let window = |from: Instant, to: Instant| {
        Waits(
            all.iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .map(|(_, d)| *d)
                .collect(),
        )
    };
    let copied = started + report.copy_took;
    let windows = [
        window(started, ended),
        window(started, copied),
        window(copied, ended),
        window(ended, ended + TAIL),
    ];
    (report, windows)
}

/// Fills the database at `path`: `orders` completed orders of `orders / 2` users, one approved
/// receipt payment each with its ledger sale, two audit entries and three ticket messages per
/// order. Returns the number of users.
fn build(path: &Path, orders: u64) -> u64 {
    let mut conn = Connection::open(path).expect("open");
    store::configure_connection(&conn, Duration::from_secs(5)).expect("pragmas");
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -524288;",
    )
    .expect("build pragmas");
    let users = orders / 2;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start_ms: i64 = 1_735_689_600_000;
    let batch = 50_000;
    let mut order_id = 0u64;
    while order_id < orders {
        let tx = conn.transaction().expect("tx");
        if order_id == 0 {
            insert_users(&tx, users, &mut rng, start_ms);
        }
        for _ in 0..batch.min(orders - order_id) {
            order_id += 1;
            insert_order(&tx, order_id, users, &mut rng, start_ms);
        }
        tx.commit().expect("commit");
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    // Built with `synchronous = OFF`: written out now, not by the kernel during the first run.
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .expect("sync");
    users
}

fn insert_users(conn: &Connection, users: u64, rng: &mut Rng, start_ms: i64) {
    let mut stmt = conn
        .prepare(
            "INSERT INTO users (discord_id, panel_client_uuid, panel_email, panel_sub_id,
                 inbound_id, expiry_at, traffic_limit_bytes, device_limit, status, created_at,
                 updated_at, access_link, panel_id)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, 107374182400, 2, 'active', ?6, ?6, ?7, 'main')",
        )
        .expect("users");
    for u in 0..users {
        let id = 1_000 + i64::try_from(u).expect("small");
        let uuid = rng.uuid();
        let sub = rng.hex(16);
        let at = start_ms + id * 60_000;
        stmt.execute(params![
            id,
            uuid,
            format!("shop-{id}@vpn"),
            sub,
            at + 30 * 86_400_000,
            at,
            format!(
                "vless://{uuid}@vpn.example.com:443?type=tcp&security=reality&pbk={}&fp=chrome&sni=www.example.com&sid={}#shop-{id}",
                rng.hex(43),
                rng.hex(8)
            ),
        ])
        .expect("user");
    }
}

fn insert_order(conn: &Connection, id: u64, users: u64, rng: &mut Rng, start_ms: i64) {
    let id = i64::try_from(id).expect("small");
    let user = 1_000 + i64::try_from(rng.next() % users).expect("small");
    let at = start_ms + id * 120_000;
    let amount = 500 + i64::try_from(rng.next() % 2_000).expect("small");
    conn.prepare_cached(
        "INSERT INTO orders (id, user_id, kind, status, plan_id, plan_name, plan_days,
             plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency,
             plan_start_on_first_use, payment_method, guild_id, ticket_channel_id, created_at,
             updated_at, closed_at, close_reason, waiting_since, last_message_id)
         VALUES (?1, ?2, 'renewal', 'completed', 'month', '1 month', 30, 100, 2, ?3, 'USD', 0,
             'card', 900000000000000001, ?4, ?5, ?6, ?6, 'completed', ?5, ?7)",
    )
    .expect("orders")
    .execute(params![
        id,
        user,
        amount,
        1_100_000_000_000_000_000 + id,
        at,
        at + 600_000,
        1_200_000_000_000_000_000 + id * 4
    ])
    .expect("order");
    conn.prepare_cached(
        "INSERT INTO payments (id, order_id, user_id, method, source, amount_minor, currency,
             receipt_sha256, receipt_phash, receipt_path, receipt_content_type, receipt_size,
             review_channel_id, review_message_id, status, reviewer_id, client_uuid,
             client_email, client_sub_id, client_created, provision_step, created_at,
             updated_at, decided_at)
         VALUES (?1, ?1, ?2, 'card', 'receipt', ?3, 'USD', ?4, ?5, ?6, 'image/png', ?7,
             900000000000000002, ?8, 'approved', 900000000000000003, ?9, ?10, ?11, 0, 'done',
             ?12, ?13, ?13)",
    )
    .expect("payments")
    .execute(params![
        id,
        user,
        amount,
        rng.hex(64),
        rng.hex(16),
        format!("receipts/2025/{:02}/{}.png", id % 12 + 1, rng.hex(32)),
        40_000 + i64::try_from(rng.next() % 400_000).expect("small"),
        1_300_000_000_000_000_000 + id,
        rng.uuid(),
        format!("shop-{user}@vpn"),
        rng.hex(16),
        at + 60_000,
        at + 300_000,
    ])
    .expect("payment");
    conn.prepare_cached(
        "INSERT INTO revenue_ledger (payment_id, kind, amount_minor, currency, at)
         VALUES (?1, 'sale', ?2, 'USD', ?3)",
    )
    .expect("ledger")
    .execute(params![id, amount, at + 300_000])
    .expect("sale");
    insert_history(conn, id, user, amount, at);
}

/// The audit entries and ticket messages of order `id`.
fn insert_history(conn: &Connection, id: i64, user: i64, amount: i64, at: i64) {
    for (action, target, payload) in [
        (
            "payment.approved",
            "payment",
            json!({"order_id": id, "amount_minor": amount, "currency": "USD", "method": "card",
                   "reviewer": "900000000000000003", "near_duplicate": null}),
        ),
        (
            "order.completed",
            "order",
            json!({"user_id": user, "plan": "month", "days": 30, "link_sent": true,
                   "panel": "main", "inbound": 1}),
        ),
    ] {
        conn.prepare_cached(
            "INSERT INTO audit_logs (at, actor_id, action, target_type, target_id, payload)
             VALUES (?1, 900000000000000003, ?2, ?3, ?4, ?5)",
        )
        .expect("audit")
        .execute(params![
            at + 300_000,
            action,
            target,
            id.to_string(),
            payload.to_string()
        ])
        .expect("audit entry");
    }
    for (i, (bot, content)) in [
        (
            1,
            "Welcome! Pick a payment method below, then upload your receipt here.",
        ),
        (0, "hi, paid by card just now, receipt attached. thanks!"),
        (
            1,
            "Payment approved. Your link was sent to you by direct message.",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let i = i64::try_from(i).expect("small");
        conn.prepare_cached(
            "INSERT INTO ticket_messages (message_id, order_id, author_id, author_name,
                 author_bot, content, attachments, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .expect("messages")
        .execute(params![
            1_200_000_000_000_000_000 + id * 4 + i,
            id,
            if bot == 1 {
                900_000_000_000_000_009
            } else {
                user
            },
            if bot == 1 {
                "VPN Shop".to_owned()
            } else {
                format!("customer{user}")
            },
            bot,
            content,
            if i == 1 { "receipt.png" } else { "" },
            at + i * 60_000
        ])
        .expect("message");
    }
}

/// xorshift64: deterministic filler.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            write!(s, "{:016x}", self.next()).expect("to a String");
        }
        s.truncate(len);
        s
    }

    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
