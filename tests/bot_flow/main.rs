//! The real bot (`discord::start`, the production wiring) through the unmodified serenity/poise
//! client against the Discord emulator (proxy and TLS modes) and the 3x-ui panel emulator, on a
//! temporary data directory. Every wait is on emulator state (`wait_for`), never a sleep.
//!
//! `main.rs`: the whole story (order → review → approve → link) and what follows it;
//! `flows.rs`: reject, cancel, deleted tickets, closed DMs, overflow, outages, renewal;
//! `admin.rs`: `/admin health|revenue|backup` and `/renew`;
//! `polish.rs`: the dashboard chart, the closed approval prompt, a full server, expiring notices;
//! `operations.rs`: a restart between Approve and Confirm, backup during traffic and restore;
//! `refusals.rs`: near-duplicate flag, expired and support confirms;
//! `crypto.rs`: paying a Crypto Pay invoice with no admin click, an expired invoice replaced;
//! `growth.rs`: trial, promo code, referral, gift and ban through Discord;
//! `converge.rs`: retried views after newer states, Discord errors by class, the sweep, catch-up;
//! `languages.rs`: Russian clients, a Persian choice and the exact link;
//! `metrics.rs`: a scrape after a story, the listener and its token;
//! `transcripts.rs`: transcripts after the bot or a person deleted the ticket;
//! `cli.rs`: the binary's commands as a user runs them (`migrate`, `backup`, `restore`, `check`, `run`);
//! `world.rs`: the harness.

mod admin;
mod cli;
#[path = "../support/common.rs"]
mod common;
mod converge;
mod crypto;
mod flows;
mod growth;
#[path = "../support/receipt_images.rs"]
mod images;
mod languages;
mod metrics;
mod operations;
mod polish;
mod refusals;
mod transcripts;
mod world;

use std::time::Duration;

use vpn_ticket_bot::discord;
use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::scheduled::ScheduledTask;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::service::scheduled::ScheduledHandler;
use vpn_ticket_bot::sim::discord::{Budget, CommandOption, State};
use vpn_ticket_bot::store;
use world::{T, World, click_id, find_id, order_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_review_approve_and_deliver_the_link() {
    let w = World::start().await;
    let ticket = full_story(&w).await;
    dashboard_shows_the_sale(&w).await;
    ticket_deleted_a_day_later(&w, ticket).await;
    staff_commands(&w).await;
    w.stop().await;
}

/// `/admin extend` and `/admin revoke` on the customer of the full story: refused for others, the customer
/// told by DM, the panel changed.
async fn staff_commands(w: &World) {
    let carol = CommandOption::User("customer", w.carol);
    let extend = [carol.clone(), CommandOption::Int("days", 10)];
    let i = w
        .emu
        .run_subcommand(w.sam, w.general, "admin", "extend", &extend);
    w.reply_to(&i, "not allowed").await;
    let i = w
        .emu
        .run_subcommand(w.alice, w.general, "admin", "extend", &extend);
    w.reply_to(&i, "Extended").await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("extended your VPN access by 10 days"))
                .map(|_| ())
        })
        .await
        .expect("extension DM");

    let revoke = [carol, CommandOption::Str("reason", "chargeback".into())];
    let i = w
        .emu
        .run_subcommand(w.alice, w.general, "admin", "revoke", &revoke);
    w.reply_to(&i, "Revoked").await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("revoked your VPN access: chargeback"))
                .map(|_| ())
        })
        .await
        .expect("revocation DM");
    let email = format!("u{}", w.carol);
    let client = w.sim.clients().into_iter().find(|c| c.email == email);
    assert_eq!(client.map(|c| c.enable), Some(false), "client disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_in_tls_mode_under_rate_limits() {
    let w = World::start_with(true).await;
    // A tight bot-wide budget without headers: serenity meets 429s and retries them.
    w.emu.set_global_rate_limit(Some(Budget {
        limit: 2,
        window: Duration::from_millis(300),
        announce: false,
    }));
    full_story(&w).await;
    let limited = w
        .emu
        .log()
        .iter()
        .filter(|e| e.status() == Some(429))
        .count();
    assert!(limited > 0, "the rate limit was hit (and serenity retried)");
    let metrics = vpn_ticket_bot::metrics::http::scrape(&w.app).await.unwrap();
    let held: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("vtb_discord_rate_limits_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(
        held > 0,
        "serenity's rate-limit waits are counted:\n{metrics}"
    );
    w.stop().await;
}

/// `/order` → ticket (visibility) → method → receipt → review card → refusals → approve →
/// confirm → DM link on the panel → card updated → a second confirm refused.
async fn full_story(w: &World) -> u64 {
    let (ticket, order) = w.open_ticket(w.carol).await;

    // The ticket sits under the tickets category; customer and staff see it, others do not.
    let (parent, carol, alice, sam, mallory) = w.emu.read(|s: &State| {
        (
            s.channels[&ticket].parent_id,
            s.can_view(w.carol, ticket),
            s.can_view(w.alice, ticket),
            s.can_view(w.sam, ticket),
            s.can_view(w.mallory, ticket),
        )
    });
    assert_eq!(parent, Some(w.tickets));
    assert!(carol && alice && sam, "customer and staff see the ticket");
    assert!(!mallory, "another member does not");

    w.pick_method(w.carol, ticket, order).await;
    let (card, png) = w.upload(w.carol, ticket, 1, 1).await;
    w.message_in(ticket, "receipt acknowledgement", |m| {
        m.content.contains("waiting for an admin")
    })
    .await;

    // The card: the stored receipt bytes attached, plan, price, customer, Approve / Reject.
    let (file, locked) = w.emu.read(|s| {
        (
            s.file(card.attachments[0].id).map(<[u8]>::to_vec),
            !s.can_send(w.carol, ticket),
        )
    });
    assert_eq!(
        file.as_deref(),
        Some(png.as_slice()),
        "the receipt image is on the card"
    );
    let embed = serde_json::to_string(&card.embeds).unwrap();
    for text in ["1 month", "5.00 USD", &format!("<@{}>", w.carol)] {
        assert!(embed.contains(text), "{text} on the card: {embed}");
    }
    let approve = click_id(&card, |id| matches!(id, CustomId::Approve(_)));
    assert!(find_id(&card, |id| matches!(id, CustomId::Reject(_))).is_some());
    w.emu
        .wait_for(T, |s| (!s.can_send(w.carol, ticket)).then_some(()))
        .await
        .unwrap_or_else(|_| panic!("ticket locked (locked at card time: {locked})"));

    // A non-admin's click is refused server side.
    let i = w.emu.click_button(w.mallory, card.id, &approve);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.click_button(w.sam, card.id, &approve);
    w.reply_to(&i, "not allowed").await;

    // Approve → ephemeral Confirm / Cancel → Confirm.
    let i = w.emu.click_button(w.alice, card.id, &approve);
    let prompt = w.reply_to(&i, "Approve payment").await;
    let confirm = click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)));
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "approved: client").await;

    // The customer's DM holds a vless:// link of a client that exists on the panel, and a QR.
    let dm = w.link_dm(w.carol).await;
    let clients = w.sim.clients();
    let client = clients
        .iter()
        .find(|c| c.email == format!("u{}", w.carol))
        .expect("client on the panel");
    assert!(
        dm.content.contains(&format!("vless://{}@", client.id)),
        "{}",
        dm.content
    );
    assert!(dm.content.contains("https://sub.example.test/sub/"));
    assert_eq!(dm.attachments.len(), 1, "QR code attached");

    // The card shows the outcome; a second confirm is refused.
    w.message_in(w.admin_channel, "updated card", |m| {
        m.id == card.id && m.content.contains("Approved")
    })
    .await;
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "Not approved").await;
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    assert_eq!(w.sim.clients().len(), clients.len(), "no second client");
    ticket
}

/// One dashboard message in the admin channel, edited (not reposted) to show the sale; its id is
/// stored for the next start.
async fn dashboard_shows_the_sale(w: &World) {
    let admin = w.admin_channel;
    let dashboard = w
        .emu
        .wait_for(T, |s| {
            s.messages_in(admin)
                .into_iter()
                .find(|m| {
                    let e = serde_json::to_string(&m.embeds).unwrap_or_default();
                    e.contains("Revenue") && e.contains("5.00 USD (1 sale)")
                })
                .cloned()
        })
        .await
        .expect("dashboard with the sale");
    let dashboards = w.emu.read(|s| {
        s.messages_in(admin)
            .iter()
            .filter(|m| serde_json::to_string(&m.embeds).is_ok_and(|e| e.contains("Revenue")))
            .count()
    });
    assert_eq!(dashboards, 1, "edited in place");
    let stored = store::bot_config::get(
        &w.app.store.conn().unwrap(),
        store::bot_config::DASHBOARD_MESSAGE,
    )
    .unwrap();
    assert_eq!(stored, Some(dashboard.id.to_string()));
}

/// The completed order's ticket deletion is scheduled `delete_ticket_after_hours` (24) later; the
/// bot's `delete_channel` handler deletes it (run here directly instead of waiting a day), and
/// the resulting CHANNEL_DELETE leaves the completed order alone.
async fn ticket_deleted_a_day_later(w: &World, ticket: u64) {
    let key = ScheduledTask::DeleteChannel {
        channel_id: vpn_ticket_bot::domain::ChannelId(ticket),
    }
    .dedupe_key();
    let job = store::scheduled_jobs::find_by_key(&w.app.store.conn().unwrap(), &key)
        .unwrap()
        .expect("deletion scheduled");
    let due_in_ms = job.run_at - w.app.clock.now_ms();
    assert!(
        (86_400_000 - 60_000..=86_400_000).contains(&due_in_ms),
        "due in {due_in_ms} ms"
    );
    let http = w.running.as_ref().unwrap().http.clone();
    let handler = discord::DiscordDeliverer::new(http, w.app.clone());
    ScheduledHandler::run(&handler, &job)
        .await
        .expect("deleted");
    assert!(w.emu.read(|s| !s.channels.contains_key(&ticket)));
    // Idempotent: a second run (after a crash) finds it gone and succeeds.
    ScheduledHandler::run(&handler, &job)
        .await
        .expect("already gone");
    let user = vpn_ticket_bot::domain::UserId(w.carol);
    let last = store::orders::find_open_for_user(&w.app.store.conn().unwrap(), user).unwrap();
    assert!(last.is_none(), "nothing reopened");
}
