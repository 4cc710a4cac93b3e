//! End-to-end load benchmark (`cargo bench --bench bot_load`; a plain `main`, not a timed test).
//!
//! The real bot (serenity + poise, the production wiring) against the Discord and 3x-ui panel
//! emulators in this process, on a temporary data directory: `BOT_LOAD_CUSTOMERS` customers
//! (default 60), `BOT_LOAD_CONCURRENCY` at a time (default 10), each going through the whole
//! story: `/order` → ticket → payment method → receipt upload → review card → an admin's
//! Approve + Confirm → the link by DM. Prints the throughput, the latency of each phase (median,
//! 95th percentile, worst) and the process's peak RSS (emulators included). Every customer must
//! get a link whose client exists on the panel, or the run fails. `RUST_LOG` turns the bot's log
//! on (stderr).
#![allow(clippy::print_stdout)]

#[path = "support/env.rs"]
mod env;
#[path = "../tests/support/receipt_images.rs"]
mod images;
#[path = "support/proc_status.rs"]
mod proc_status;

use env::count_or;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use proc_status::{kib_to_mib, status_kib};
use vpn_ticket_bot::demo::world::{StepError, World, WorldOptions};

/// How long each phase of one customer took.
struct Timings {
    ticket: Duration,
    card: Duration,
    link: Duration,
}

fn main() {
    // The bot's own log on stderr when RUST_LOG asks for it (e.g. RUST_LOG=vpn_ticket_bot=warn).
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let customers = count_or("BOT_LOAD_CUSTOMERS", 60);
    let concurrency = count_or("BOT_LOAD_CONCURRENCY", 10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(customers, concurrency));
}

async fn run(customers: usize, concurrency: usize) {
    let world = Arc::new(
        World::start(WorldOptions::default())
            .await
            .expect("the world starts"),
    );
    let people: Vec<(u64, Vec<u8>)> = (0..customers)
        .map(|i| {
            let user = world.emu.add_user(&format!("customer{i}"), &[]);
            let seed = 10_000 + i as u64;
            (user, images::png(&images::receipt(seed, 480, 800)))
        })
        .collect();
    let rss_before = status_kib("VmRSS");
    let started = Instant::now();
    let results: Vec<Result<Timings, StepError>> = futures_util::stream::iter(people)
        .map(|(user, png)| {
            let w = world.clone();
            async move { customer(&w, user, png).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let mut timings = Vec::new();
    for r in results {
        match r {
            Ok(t) => timings.push(t),
            Err(e) => panic!("a customer did not get through: {e}"),
        }
    }
    let clients = world.sim.clients().len();
    assert_eq!(clients, customers, "one panel client per customer");

    println!(
        "{customers} customers, {concurrency} at a time: {:.1} s, {:.1} orders/s (order → link \
         by DM, every step through the emulated Discord and panel)",
        took.as_secs_f64(),
        f64::from(u32::try_from(customers).unwrap_or(u32::MAX)) / took.as_secs_f64()
    );
    report("/order → ticket open", timings.iter().map(|t| t.ticket));
    report(
        "receipt upload → review card",
        timings.iter().map(|t| t.card),
    );
    report(
        "Approve → Confirm → link DM",
        timings.iter().map(|t| t.link),
    );
    if let (Some(peak), Some(before)) = (status_kib("VmHWM"), rss_before) {
        println!(
            "peak RSS: {:.1} MiB for the whole process (bot + both emulators + request log; \
             {:.1} MiB before the customers came)",
            kib_to_mib(peak),
            kib_to_mib(before)
        );
    }
    let world = Arc::try_unwrap(world).expect("no customer task holds the world any more");
    let aborted = world.stop().await;
    assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
}

/// One customer's whole story; the admin (alice) approves their card.
async fn customer(w: &World, user: u64, png: Vec<u8>) -> Result<Timings, StepError> {
    let t = Instant::now();
    let (ticket, order) = w.open_ticket(user).await?;
    let ticket_took = t.elapsed();
    w.pick_method(user, ticket, order).await?;

    let t = Instant::now();
    w.send_receipt(user, ticket, "pay.png", png)?;
    let mention = format!("<@{user}>");
    let admin = w.admin_channel;
    let card = w
        .wait(&format!("the review card of {user}"), |s| {
            s.messages_in(admin)
                .into_iter()
                .find(|m| {
                    !m.attachments.is_empty()
                        && serde_json::to_string(&m.embeds)
                            .is_ok_and(|e| e.contains("Payment #") && e.contains(&mention))
                })
                .cloned()
        })
        .await?;
    let card_took = t.elapsed();

    let t = Instant::now();
    w.approve(&card).await?;
    let dm = w.dm(user, "vless://").await?;
    let link_took = t.elapsed();
    let client = w
        .sim
        .client(&format!("u{user}"))
        .ok_or_else(|| StepError::Unexpected(format!("no panel client for {user}")))?;
    if !dm.content.contains(&client.id) {
        return Err(StepError::Unexpected(format!(
            "the DM of {user} does not hold its client's link"
        )));
    }
    Ok(Timings {
        ticket: ticket_took,
        card: card_took,
        link: link_took,
    })
}

/// Prints the median, 95th percentile and worst of `times`.
fn report(what: &str, times: impl Iterator<Item = Duration>) {
    let mut v: Vec<Duration> = times.collect();
    v.sort();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v[i].as_secs_f64() * 1000.0
    };
    println!(
        "  {what:<32} median {:>6.1} ms   p95 {:>6.1} ms   worst {:>6.1} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
}
