//! Receipt pipeline benchmark (`cargo bench --bench receipts`; a plain `main`, not a timed test).
//!
//! Runs `ReceiptService::process` on distinct noisy RGB PNGs just under the 10 MiB cap (noise
//! defeats compression, so a PNG this size is the worst case for decoding and hashing), against a
//! temporary database already holding 2,000 receipt hashes (the near-duplicate scan reads them
//! all), and prints the median and spread of the time per receipt, plus the process's peak RSS
//! during the runs (`VmHWM` in /proc/self/status, reset through /proc/self/clear_refs after the
//! test pictures are made, when the kernel allows it).
#![allow(clippy::print_stdout)]

#[path = "../tests/support/receipt_images.rs"]
mod images;
#[path = "support/proc_status.rs"]
mod proc_status;

use std::time::{Duration, Instant};

use proc_status::{kib_to_mib, status_kib};

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::{Plan, ReceiptsConfig, StorageConfig};
use vpn_ticket_bot::domain::status::OrderKind;
use vpn_ticket_bot::domain::{OrderId, UserId};
use vpn_ticket_bot::service::receipts::ReceiptService;
use vpn_ticket_bot::store::{Store, orders, payments, users};

const RUNS: u64 = 7;
const STORED_HASHES: u64 = 2_000;

fn main() {
    let config = ReceiptsConfig::default();
    let dir = tempfile::tempdir().expect("temp dir");
    let storage = StorageConfig {
        data_dir: dir.path().to_owned(),
        busy_timeout_ms: 5000,
        pool_size: 4,
    };
    let store = Store::open(&storage).expect("store");
    let order = seed(&store);

    let (width, mut height) = (2000, 1750);
    let mut files = Vec::new();
    for seed in 0..RUNS {
        loop {
            let png = images::png(&images::noise(seed, width, height));
            if png.len() as u64 <= config.max_bytes {
                files.push(png);
                break;
            }
            height -= 10;
        }
    }
    let size = files.iter().map(Vec::len).max().unwrap_or(0);
    println!(
        "receipt: {width}×{height} RGB noise PNG, {size} bytes ({:.2} MiB; cap {:.0} MiB), \
         {STORED_HASHES} stored hashes, {RUNS} runs",
        mib(size as u64),
        mib(config.max_bytes)
    );

    let rss_before = status_kib("VmRSS");
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let service = ReceiptService::new(store, config, &storage, Clock::system());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut times: Vec<Duration> = Vec::new();
    for (i, bytes) in files.into_iter().enumerate() {
        let start = Instant::now();
        let accepted = runtime
            .block_on(service.process(UserId(1), order, "receipt.png", None, bytes))
            .expect("accepted");
        times.push(start.elapsed());
        assert!(accepted.receipt.path.is_some(), "run {i} stored");
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "time per receipt: median {:.1} ms (min {:.1} ms, max {:.1} ms)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    match (status_kib("VmHWM"), rss_before) {
        (Some(peak), Some(before)) => println!(
            "peak RSS: {:.1} MiB{} (RSS before the runs, test pictures in memory: {:.1} MiB)",
            kib_to_mib(peak),
            if reset {
                " during the runs"
            } else {
                " for the whole process"
            },
            kib_to_mib(before)
        ),
        _ => println!("peak RSS: not available (/proc/self/status unreadable)"),
    }
}

/// A user with an order, and `STORED_HASHES` earlier payments (each with its own user and
/// order) carrying random hashes for the near-duplicate scan.
fn seed(store: &Store) -> OrderId {
    let mut conn = store.conn().expect("conn");
    let tx = conn.transaction().expect("tx");
    let plan = Plan {
        id: "month".into(),
        name: "1 month".into(),
        days: 30,
        traffic_gib: 100,
        device_limit: 2,
        price_minor: 500,
        currency: "USD".into(),
        start_on_first_use: false,
    };
    let mut rng = images::Rng::new(42);
    for n in 0..STORED_HASHES {
        let user = UserId(1_000 + n);
        users::ensure(&tx, user, 0).expect("user");
        let order = orders::insert(&tx, user, OrderKind::New, &plan, None, 0).expect("order");
        let receipt = payments::Receipt {
            sha256: format!("{:016x}{:016x}{:016x}{:016x}", rng.next(), rng.next(), n, 0),
            phash: format!("{:016x}", rng.next()),
            path: None,
            content_type: "image/png".into(),
            size: 1,
        };
        let payment = payments::NewPayment {
            order_id: order,
            user_id: user,
            method: "bank".into(),
            amount_minor: 500,
            currency: "USD".into(),
            receipt,
            near_duplicate: None,
        };
        payments::insert(&tx, &payment, 0).expect("payment");
    }
    users::ensure(&tx, UserId(1), 0).expect("user");
    let order = orders::insert(&tx, UserId(1), OrderKind::New, &plan, None, 0).expect("order");
    tx.commit().expect("commit");
    order
}

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}
