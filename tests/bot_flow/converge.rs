//! Convergence: whatever order Discord's answers and retries land in, Discord ends up showing
//! what the database says. The bot is staged on both emulators, then stopped so the test drives
//! the outbox worker pass by pass (a worker whose clock is later plays "the retry, later"):
//! every delivery goes through the real `DiscordDeliverer` and serenity to the Discord emulator.
//! Written per class: a retried view after a newer state (ticket, card), each Discord error class
//! on each delivery that meets it, and the sweep repairing what Discord lost.

use std::sync::Arc;
use std::time::Duration;

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::demo::world::TOKEN;
use vpn_ticket_bot::discord::DiscordDeliverer;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::{AdminAction, OrderStatus, OutboxStatus, PaymentStatus};
use vpn_ticket_bot::domain::{OrderId, PaymentId, UserId};
use vpn_ticket_bot::service::outbox::OutboxJob;
use vpn_ticket_bot::service::roles::Actor;
use vpn_ticket_bot::service::sweep::Sweep;
use vpn_ticket_bot::sim::discord::state::MessageRec;
use vpn_ticket_bot::store;

use crate::world::World;

const PERMISSIONS: &str = "/channels/{channel_id}/permissions/{overwrite_id}";
const MESSAGES: &str = "/channels/{channel_id}/messages";
const MESSAGE: &str = "/channels/{channel_id}/messages/{message_id}";

/// The stage: carol's order under review with its card posted and her ticket locked by the
/// running bot; then the bot is stopped and the test drives deliveries itself.
struct Stage {
    w: World,
    ticket: u64,
    order: OrderId,
    payment: PaymentId,
    card: MessageRec,
}

async fn stage() -> Stage {
    let mut w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 2, 1).await;
    w.emu
        .wait_for(crate::world::T, |s| {
            (!s.can_send(w.carol, ticket)).then_some(())
        })
        .await
        .expect("ticket locked under review");
    let payment =
        store::payments::list_for_order(&w.app.store.conn().unwrap(), order).unwrap()[0].id;
    w.stop_bot().await;
    Stage {
        w,
        ticket,
        order,
        payment,
        card,
    }
}

/// "Now" for a test's worker: a second ahead of the app's clock, so that whatever was just queued
/// is due (two clocks read a millisecond apart would otherwise disagree), while backoffs of
/// seconds or more are not.
const NOW: Duration = Duration::from_secs(1);

/// An outbox worker delivering through the real Discord layer, its clock `ahead` of now.
fn worker(w: &World, ahead: Duration) -> OutboxJob {
    let http = Arc::new(w.emu.http_proxy_mode(TOKEN));
    let deliverer = Arc::new(DiscordDeliverer::new(http, w.app.clone()));
    let ahead = i64::try_from(ahead.as_millis()).unwrap();
    let clock = Clock::starting_at(w.app.clock.now_ms() + ahead);
    OutboxJob::new(w.app.store.clone(), deliverer, clock)
}

fn admin(w: &World) -> Actor {
    Actor {
        user: UserId(w.alice),
        role_ids: vec![w.admin_role],
    }
}

/// alice approves `payment` and confirms (whatever the outcome: the views show it).
async fn approve_and_confirm(w: &World, payment: PaymentId) {
    let token = w
        .app
        .sessions
        .issue(&admin(w), AdminAction::Approve, payment)
        .await
        .unwrap()
        .token;
    w.app.approval.confirm(&admin(w), &token).await.unwrap();
}

fn outbox_row(w: &World, key: &str) -> store::outbox::OutboxItem {
    store::outbox::find_by_key(&w.app.store.conn().unwrap(), key)
        .unwrap()
        .unwrap_or_else(|| panic!("no outbox row {key}"))
}

fn card_now(w: &World, id: u64) -> MessageRec {
    w.emu
        .read(|s| s.messages.get(&id).cloned())
        .expect("card exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_ticket_update_never_undoes_a_newer_state() {
    let st = stage().await;
    let (w, ticket) = (&st.w, st.ticket);
    let now = worker(w, NOW);
    // Rejected: the ticket reopens.
    w.app
        .approval
        .reject(&admin(w), st.payment, "unreadable")
        .await
        .unwrap();
    now.deliver_due().await.unwrap();
    assert!(w.emu.read(|s| s.can_send(w.carol, ticket)), "reopened");
    // A new receipt locks it again, but Discord answers that update with a 500: retried later.
    w.emu.fail_route_with("PUT", PERMISSIONS, 500, 0, 1);
    w.app
        .orders
        .submit_receipt(UserId(w.carol), st.order, shop_receipt(), None)
        .await
        .unwrap();
    let pass = now.deliver_due().await.unwrap();
    assert!(pass.retried >= 1, "{pass:?}");
    // Rejected again before the retry: the ticket must end open, whatever lands when.
    let second = store::payments::list_for_order(&w.app.store.conn().unwrap(), st.order)
        .unwrap()
        .into_iter()
        .find(|p| p.status == PaymentStatus::Pending)
        .unwrap()
        .id;
    w.app
        .approval
        .reject(&admin(w), second, "wrong amount")
        .await
        .unwrap();
    now.deliver_due().await.unwrap();
    worker(w, Duration::from_secs(3600))
        .deliver_due()
        .await
        .unwrap();
    assert!(
        w.emu.read(|s| s.can_send(w.carol, ticket)),
        "the customer can post in the ticket she is asked to post in"
    );
    let row = outbox_row(w, &format!("ticket_view:order:{}", st.order));
    assert_eq!(row.status, OutboxStatus::Delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_card_update_never_shows_an_older_state() {
    let st = stage().await;
    let w = &st.w;
    let now = worker(w, NOW);
    // The panel refuses the first approval: the card goes back to "waiting" with live buttons,
    // but Discord answers that edit with a 502.
    w.sim
        .set_fault(vpn_ticket_bot::sim::panel::Fault::Refusing)
        .await;
    approve_and_confirm(w, st.payment).await;
    assert_eq!(
        store::payments::get(&w.app.store.conn().unwrap(), st.payment)
            .unwrap()
            .unwrap()
            .status,
        PaymentStatus::Pending
    );
    w.emu.fail_route_with("PATCH", MESSAGE, 502, 0, 1);
    assert!(now.deliver_due().await.unwrap().retried >= 1);
    // The panel is back; the second approval is delivered at once.
    w.sim
        .set_fault(vpn_ticket_bot::sim::panel::Fault::None)
        .await;
    approve_and_confirm(w, st.payment).await;
    now.deliver_due().await.unwrap();
    worker(w, Duration::from_secs(3600))
        .deliver_due()
        .await
        .unwrap();
    let card = card_now(w, st.card.id);
    assert!(card.content.contains("Approved"), "{}", card.content);
    assert!(
        card.components.is_empty(),
        "no live buttons on a delivered payment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_permissions_retry_for_hours_and_tell_the_owners_once() {
    let st = stage().await;
    let w = &st.w;
    let now = worker(w, NOW);
    w.app
        .approval
        .reject(&admin(w), st.payment, "unreadable")
        .await
        .unwrap();
    now.deliver_due().await.unwrap();
    // The next receipt's card is refused: the bot lost Send Messages in the admin channel.
    w.emu
        .fail_route_in("POST", MESSAGES, w.admin_channel, 403, 50013, 2);
    let second = w
        .app
        .orders
        .submit_receipt(UserId(w.carol), st.order, shop_receipt(), None)
        .await
        .unwrap();
    now.deliver_due().await.unwrap();
    now.deliver_due().await.unwrap(); // the owners' alert, queued by the first pass
    let key = format!("review_card:payment:{second}");
    let row = outbox_row(w, &key);
    assert_eq!(row.status, OutboxStatus::Pending, "never given up");
    assert!(
        row.next_attempt_at >= w.app.clock.now_ms() + 29 * 60_000,
        "a long backoff"
    );
    let alert = w.emu.read(|s| {
        s.dms_of(w.owner)
            .into_iter()
            .filter(|m| m.content.contains("refused the bot"))
            .map(|m| m.content.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(alert.len(), 1, "told once: {alert:?}");
    assert!(
        alert[0].contains(&format!("<#{}>", w.admin_channel)),
        "{}",
        alert[0]
    );
    assert!(alert[0].contains("Send Messages"), "{}", alert[0]);
    // Hours later the permission is back (the fault's second refusal, then normal answers):
    // retried on the long backoff until the card is there.
    let later = worker(w, Duration::from_secs(2 * 3600));
    later.deliver_due().await.unwrap();
    worker(w, Duration::from_secs(4 * 3600))
        .deliver_due()
        .await
        .unwrap();
    assert_eq!(outbox_row(w, &key).status, OutboxStatus::Delivered);
    let p = store::payments::get(&w.app.store.conn().unwrap(), second)
        .unwrap()
        .unwrap();
    let (_, message) = p.review_message.expect("card posted");
    assert!(
        card_now(w, message.0)
            .content
            .contains("Waiting for review")
    );
    let alerts = w.emu.read(|s| {
        s.dms_of(w.owner)
            .into_iter()
            .filter(|m| m.content.contains("refused the bot"))
            .count()
    });
    assert_eq!(alerts, 1, "the second refusal is not reported again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_card_is_posted_again_and_a_deleted_ticket_is_a_deletion() {
    let st = stage().await;
    let w = &st.w;
    let now = worker(w, NOW);
    // Someone deleted the card in Discord; the next update finds it gone (10008).
    let http = w.emu.http_proxy_mode(TOKEN);
    http.delete_message(
        w.admin_channel.into(),
        st.card.id.into(),
        Some("tidying up"),
    )
    .await
    .unwrap();
    w.app
        .approval
        .reject(&admin(w), st.payment, "unreadable")
        .await
        .unwrap();
    // ...and the ticket's permission update finds the channel gone (10003).
    w.emu.fail_route_with("PUT", PERMISSIONS, 404, 10003, 1);
    now.deliver_due().await.unwrap();
    now.deliver_due().await.unwrap();
    let p = store::payments::get(&w.app.store.conn().unwrap(), st.payment)
        .unwrap()
        .unwrap();
    let (_, message) = p.review_message.expect("card posted again");
    assert_ne!(message.0, st.card.id);
    let card = card_now(w, message.0);
    assert!(card.content.contains("Rejected"), "{}", card.content);
    assert!(card.components.is_empty());
    assert_eq!(
        crate::world::order_status(&w.app, st.order),
        OrderStatus::Cancelled,
        "handled as a deleted ticket"
    );
    w.app.orders.open(UserId(w.carol), "month").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_repairs_a_missing_card_and_a_wrong_lock() {
    let st = stage().await;
    let w = &st.w;
    // Discord drifted while nobody looked: the card was deleted and someone let carol post
    // in her ticket under review.
    let http = w.emu.http_proxy_mode(TOKEN);
    http.delete_message(w.admin_channel.into(), st.card.id.into(), None)
        .await
        .unwrap();
    let send = 1 << 11; // SEND_MESSAGES
    let view = (1 << 10) | (1 << 16); // VIEW_CHANNEL | READ_MESSAGE_HISTORY
    w.emu.set_overwrite(st.ticket, w.carol, 1, view | send, 0);
    assert!(w.emu.read(|s| s.can_send(w.carol, st.ticket)));
    let inspector = Arc::new(DiscordDeliverer::new(Arc::new(http), w.app.clone()));
    let sweep = Sweep::new(
        w.app.store.clone(),
        w.app.orders.clone(),
        w.app.clock,
        inspector,
    );
    let report = sweep.run_once().await.unwrap();
    assert_eq!(report.repaired_views, 2, "{report:?}");
    worker(w, NOW).deliver_due().await.unwrap();
    assert!(
        !w.emu.read(|s| s.can_send(w.carol, st.ticket)),
        "locked again"
    );
    let p = store::payments::get(&w.app.store.conn().unwrap(), st.payment)
        .unwrap()
        .unwrap();
    let (_, message) = p.review_message.expect("card posted again");
    assert_ne!(message.0, st.card.id);
    assert!(
        card_now(w, message.0)
            .content
            .contains("Waiting for review")
    );
    let audit =
        store::audit::for_target(&w.app.store.conn().unwrap(), "order", &st.order.to_string())
            .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == AuditAction::SweepRepair.as_str()),
        "{audit:?}"
    );
    // Nothing left to repair: a second sweep changes nothing.
    let again = sweep.run_once().await.unwrap();
    assert_eq!(again.repaired_views, 0, "{again:?}");
}

/// A receipt with a fresh hash (the core's intake is tested elsewhere; here only its effect
/// on the views matters).
fn shop_receipt() -> store::payments::Receipt {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let sha = format!("{n:0>64x}");
    store::payments::Receipt {
        sha256: sha,
        phash: "0".repeat(16),
        path: None,
        content_type: "image/png".into(),
        size: 1000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_downtime_the_bot_catches_up_on_receipts_deletions_and_leavers() {
    let mut w = World::start().await;
    let dave = w.emu.add_user("dave", &[]);
    let (carol_ticket, carol_order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, carol_ticket, carol_order).await;
    let (mallory_ticket, mallory_order) = w.open_ticket(w.mallory).await;
    let (dave_ticket, dave_order) = w.open_ticket(dave).await;
    w.stop_bot().await;
    // While the bot is away (a deploy): carol pays and posts her receipt, mallory's ticket is
    // deleted, dave leaves the server. Discord keeps the message; no event reaches the bot.
    let png = crate::images::png(&crate::images::receipt(7, 480, 800));
    w.emu
        .user_message_files(
            w.carol,
            carol_ticket,
            "paid, two screenshots",
            vec![("notes.txt", b"ref 12".to_vec()), ("pay.png", png)],
        )
        .expect("carol may post");
    assert!(w.emu.delete_channel_by_hand(mallory_ticket));
    w.emu.remove_member(dave);
    w.restart().await;

    let card = w.review_card(1).await.expect("carol's receipt reviewed");
    assert!(
        card.embeds[0]
            .to_string()
            .contains(&format!("order #{carol_order}"))
    );
    w.message_in(carol_ticket, "carol answered", |m| {
        m.content.contains("waiting for an admin's review")
    })
    .await;
    w.emu
        .wait_for(crate::world::T, |s| {
            s.dms_of(w.mallory)
                .into_iter()
                .any(|m| m.content.contains("the ticket channel was deleted"))
                .then_some(())
        })
        .await
        .expect("mallory told her order closed");
    w.message_in(dave_ticket, "dave's order closed", |m| {
        m.content.contains("left the server")
    })
    .await;
    assert_eq!(
        crate::world::order_status(&w.app, carol_order),
        OrderStatus::UnderReview
    );
    assert_eq!(
        crate::world::order_status(&w.app, mallory_order),
        OrderStatus::Cancelled
    );
    assert_eq!(
        crate::world::order_status(&w.app, dave_order),
        OrderStatus::Cancelled
    );
    // mallory can order again at once.
    w.open_ticket(w.mallory).await;
    w.stop().await;
}

/// Customers who leave while the bot runs have their unpaid orders closed, however many leave:
/// the bot drops joined members from serenity's cache, and the cached member count (which
/// serenity lowers for every leave) must not run out (it underflowed on the second leave).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_leaving_one_after_another_have_their_orders_closed() {
    let w = World::start().await;
    let mut orders = Vec::new();
    for name in ["dave", "erin", "frank", "grace", "heidi"] {
        let user = w.emu.add_user(name, &[]);
        let (ticket, order) = w.open_ticket(user).await;
        orders.push((user, ticket, order));
    }
    for &(user, ticket, order) in &orders {
        w.emu.remove_member(user);
        w.message_in(ticket, "the leaver's order closed", |m| {
            m.content.contains("left the server")
        })
        .await;
        assert_eq!(
            crate::world::order_status(&w.app, order),
            OrderStatus::Cancelled
        );
    }
    // The gateway still reaches the bot.
    w.open_ticket(w.carol).await;
    w.stop().await;
}
