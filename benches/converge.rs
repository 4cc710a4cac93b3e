//! Convergence costs (`cargo bench --bench converge`; a plain `main`, not a timed test).
//!
//! The real bot against the Discord and 3x-ui emulators: `CONVERGE_TICKETS` customers (default
//! 100) each open a ticket; the bot stops; every customer posts `CONVERGE_MESSAGES` messages
//! (default 5) it does not see; then one catch-up (what the bot runs on `Ready`) reads them all
//! back, and one sweep (what the `sweep` job runs) checks every ticket. Prints the wall time of
//! each, per ticket, and the REST calls each made.
#![allow(clippy::print_stdout, clippy::cast_precision_loss)] // a report printed with ratios

#[path = "support/env.rs"]
mod env;

use env::count_or;
use std::sync::Arc;
use std::time::Instant;

use vpn_ticket_bot::demo::world::{TOKEN, World, WorldOptions};
use vpn_ticket_bot::discord::{DiscordDeliverer, Downloads, catch_up};
use vpn_ticket_bot::service::sweep::Sweep;

fn main() {
    let tickets = count_or("CONVERGE_TICKETS", 100);
    let messages = count_or("CONVERGE_MESSAGES", 5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(tickets, messages));
}

async fn run(tickets: usize, messages: usize) {
    let mut w = World::start(WorldOptions::default())
        .await
        .expect("world starts");
    let mut open = Vec::new();
    for i in 0..tickets {
        let user = w.emu.add_user(&format!("customer{i}"), &[]);
        let (ticket, _) = w.open_ticket(user).await.expect("ticket opens");
        open.push((user, ticket));
    }
    w.stop_bot().await;
    for (user, ticket) in &open {
        for n in 0..messages {
            w.emu
                .user_message(*user, *ticket, &format!("hello {n}"), None)
                .expect("customer posts");
        }
    }
    let http = Arc::new(w.emu.http_proxy_mode(TOKEN));
    let downloads = Downloads::new().expect("HTTP client");
    let calls = |w: &World| w.emu.read(|s| s.log().len());

    let before = calls(&w);
    let started = Instant::now();
    let done = catch_up(&http, &w.app, &downloads).await.expect("catch-up");
    let took = started.elapsed();
    let rest = calls(&w) - before;
    assert_eq!(done.tickets, tickets);
    assert_eq!(
        done.messages,
        tickets * (messages + 1),
        "welcome + posted messages"
    );
    println!(
        "catch-up: {tickets} open tickets x {messages} unseen messages: {:.1} ms ({:.2} ms per \
         ticket), {rest} REST calls ({:.1} per ticket)",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e3 / tickets as f64,
        rest as f64 / tickets as f64
    );

    let inspector = Arc::new(DiscordDeliverer::new(http.clone(), w.app.clone()));
    let sweep = Sweep::new(
        w.app.store.clone(),
        w.app.orders.clone(),
        w.app.clock,
        inspector,
    );
    let before = calls(&w);
    let started = Instant::now();
    let report = sweep.run_once().await.expect("sweep");
    let took = started.elapsed();
    let rest = calls(&w) - before;
    assert_eq!(report.tickets, tickets);
    assert_eq!(report.repaired_views, 0, "nothing to repair: {report:?}");
    println!(
        "sweep: {tickets} open tickets: {:.1} ms ({:.2} ms per ticket), {rest} REST calls ({:.1} \
         per ticket)",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e3 / tickets as f64,
        rest as f64 / tickets as f64
    );
    w.stop().await;
}
