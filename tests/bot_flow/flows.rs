//! The other flows: reject with a reason, the customer's cancel, a ticket deleted by hand, closed
//! DMs, a full tickets category, a panel outage, a renewal.

use std::sync::atomic::Ordering;
use std::time::Duration;

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::sim::discord::{CommandOption, InteractionRef};

use crate::world::{T, World, click_id, custom_ids, find_id, order_status, route_calls};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_with_reason_then_a_new_receipt_is_accepted() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, first_png) = w.upload(w.carol, ticket, 2, 1).await;
    let reject = click_id(&card, |id| matches!(id, CustomId::Reject(_)));

    // Approve, then Cancel on the prompt: the prompt is closed, the payment stays pending.
    let i = w.emu.click_button(
        w.alice,
        card.id,
        &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
    );
    let prompt = w.reply_to(&i, "Approve payment").await;
    w.emu.click_button(
        w.alice,
        prompt.id,
        &click_id(&prompt, |id| matches!(id, CustomId::CancelConfirm(_))),
    );
    w.emu
        .wait_for(T, |s| {
            s.messages
                .get(&prompt.id)
                .filter(|m| m.content == "Approval cancelled." && m.components.is_empty())
                .map(|_| ())
        })
        .await
        .expect("prompt closed");

    // A support member may not reject.
    let i = w.emu.click_button(w.sam, card.id, &reject);
    w.reply_to(&i, "not allowed").await;

    // Reject asks for a standard reason first (only alice sees it), then the details.
    let asked = w.emu.click_button(w.alice, card.id, &reject);
    let reasons = w.reply_to(&asked, "Why is payment").await;
    let select = click_id(&reasons, |id| matches!(id, CustomId::RejectReason(_)));
    let options = reasons.components[0]["components"][0]["options"].clone();
    assert_eq!(
        options.as_array().map(Vec::len),
        Some(10),
        "5 reasons, each also with a ban"
    );
    let opened: InteractionRef = w
        .emu
        .select(w.alice, reasons.id, &select, &["amount_mismatch"]);
    w.emu
        .wait_for(T, |s| {
            s.interaction(opened.id).and_then(|i| i.modal.clone())
        })
        .await
        .expect("reason modal");
    let submit = w
        .emu
        .submit_modal_until_acked(
            &opened,
            &[("reason", "the amount is not visible")],
            Duration::from_secs(5),
        )
        .await
        .expect("modal submitted");
    w.reply_to(&submit, "rejected").await;
    w.message_in(ticket, "reject notice", |m| {
        m.content
            .contains("the amount does not match the price (the amount is not visible)")
    })
    .await;
    w.emu
        .wait_for(T, |s| s.can_send(w.carol, ticket).then_some(()))
        .await
        .expect("ticket unlocked");
    w.message_in(w.admin_channel, "rejected card", |m| {
        m.id == card.id && m.content.contains("Rejected")
    })
    .await;

    // The same picture again is an exact duplicate: refused in the ticket, nothing posted.
    w.emu
        .user_message(w.carol, ticket, "again", Some(("pay.png", first_png)))
        .expect("upload allowed");
    w.message_in(ticket, "duplicate refusal", |m| {
        m.content.contains("not accepted") && m.content.contains("already")
    })
    .await;
    let (second, _) = w.upload(w.carol, ticket, 3, 2).await;
    assert_ne!(second.id, card.id);
    assert_eq!(order_status(&w.app, order), OrderStatus::UnderReview);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_deleted_by_hand_cancels_the_order() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    assert!(w.emu.delete_channel_by_hand(ticket));
    let dm = w
        .emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("the ticket channel was deleted"))
                .cloned()
        })
        .await
        .expect("customer told");
    assert!(dm.content.contains(&format!("#{order}")));
    assert_eq!(order_status(&w.app, order), OrderStatus::Cancelled);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_put_the_link_behind_a_button_only_the_customer_can_use() {
    let w = World::start().await;
    w.emu.set_dms_closed(w.carol, true);
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 4, 1).await;
    w.approve(&card).await;
    let offer = w
        .message_in(ticket, "show-my-link button", |m| {
            find_id(m, |id| matches!(id, CustomId::RevealLink(_))).is_some()
        })
        .await;
    assert!(
        !offer.content.contains("vless://"),
        "the link is not public"
    );
    let reveal = click_id(&offer, |id| matches!(id, CustomId::RevealLink(_)));
    let i = w.emu.click_button(w.mallory, offer.id, &reveal);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.click_button(w.carol, offer.id, &reveal);
    let mine = w.reply_to(&i, "vless://").await;
    assert_eq!(mine.visible_to, Some(w.carol));
    assert_eq!(mine.attachments.len(), 1, "QR code attached");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_tickets_category_overflows_into_a_new_one() {
    let w = World::start().await;
    for i in 0..50 {
        w.emu.add_channel(&format!("old-{i}"), 0, Some(w.tickets));
    }
    let (ticket, _) = w.open_ticket(w.carol).await;
    let (parent, name, visible) = w.emu.read(|s| {
        let parent = s.channels[&ticket].parent_id.expect("under a category");
        (
            parent,
            s.channels[&parent].name.clone(),
            (s.can_view(w.carol, ticket), s.can_view(w.mallory, ticket)),
        )
    });
    assert_ne!(parent, w.tickets);
    assert_eq!(name, "Tickets 2");
    assert_eq!(visible, (true, false));
    // The next ticket goes to the same overflow category.
    let (other, _) = w.open_ticket(w.mallory).await;
    assert_eq!(w.emu.read(|s| s.channels[&other].parent_id), Some(parent));
    w.stop().await;
}

/// Tickets opened at the same moment with one place left in the category: one takes it, the
/// others go to a single new overflow category; none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_opened_at_once_share_the_last_place_and_one_overflow_category() {
    let w = World::start().await;
    for i in 0..49 {
        w.emu.add_channel(&format!("old-{i}"), 0, Some(w.tickets));
    }
    let people: Vec<u64> = (0..6)
        .map(|i| w.emu.add_user(&format!("buyer{i}"), &[]))
        .collect();
    let picks: Vec<_> =
        futures_util::future::join_all(people.iter().map(|&u| w.pick_plan(u))).await;
    for pick in &picks {
        w.reply_to(pick, "ticket is open").await;
    }
    let (in_base, overflow) = w.emu.read(|s| {
        let in_base = s
            .channels
            .values()
            .filter(|c| c.parent_id == Some(w.tickets))
            .count();
        let overflow: Vec<u64> = s
            .channels
            .values()
            .filter(|c| c.kind == 4 && c.name.starts_with("Tickets "))
            .map(|c| c.id)
            .collect();
        (in_base, overflow)
    });
    assert_eq!(in_base, 50, "the last place is taken");
    assert_eq!(overflow.len(), 1, "one overflow category: {overflow:?}");
    let in_overflow = w.emu.read(|s| {
        s.channels
            .values()
            .filter(|c| c.parent_id == Some(overflow[0]))
            .count()
    });
    assert_eq!(in_overflow, 5);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_hear_of_an_outage_and_the_recovery_and_orders_wait_for_it() {
    let w = World::start().await;
    w.healthy.store(false, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "outage event");
    let owner = w.owner;
    let dm_with = |text: &'static str| {
        w.emu.wait_for(T, move |s| {
            s.dms_of(owner)
                .into_iter()
                .find(|m| m.content.contains(text))
                .cloned()
        })
    };
    let down = dm_with("panel is down").await.expect("outage DM");
    assert!(down.content.contains("probe says down"), "{}", down.content);
    // An owner by role (found in the member list) is told too; an admin is not an owner.
    w.dm(w.oscar, "panel is down")
        .await
        .expect("outage DM to the owner by role");
    assert!(
        w.emu.read(|s| s.dms_of(w.alice).is_empty()),
        "admins are not paged"
    );

    // /order is refused with the outage's reason.
    let i = w.pick_plan(w.carol).await;
    w.reply_to(&i, "temporarily unavailable").await;

    w.healthy.store(true, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "recovery event");
    dm_with("panel is back").await.expect("recovery DM");
    w.open_ticket(w.carol).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_a_customer_cancelling_from_the_ticket() {
    let w = World::start().await;
    let i = w.emu.run_command(w.mallory, w.general, "help", &[]);
    let help = w
        .emu
        .wait_for(T, |s| s.original_response(i.id).cloned())
        .await
        .expect("help");
    assert!(
        help.is_ephemeral() && help.content.contains("/order"),
        "{help:?}"
    );

    let (ticket, order) = w.open_ticket(w.carol).await;
    let welcome = w
        .message_in(ticket, "cancel button", |m| {
            custom_ids(m).contains(&CustomId::CancelOrder(order).to_string())
        })
        .await;
    // Someone else's click changes nothing.
    let i = w.emu.click_button(
        w.alice,
        welcome.id,
        &CustomId::CancelOrder(order).to_string(),
    );
    w.reply_to(&i, "not found").await;
    let i = w.emu.click_button(
        w.carol,
        welcome.id,
        &CustomId::CancelOrder(order).to_string(),
    );
    w.reply_to(&i, "is cancelled").await;
    w.message_in(ticket, "closing notice", |m| {
        m.content.contains("cancelled by you")
    })
    .await;
    assert_eq!(order_status(&w.app, order), OrderStatus::Cancelled);
    // A new order can be opened right away.
    w.open_ticket(w.carol).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_order_renews_the_same_client() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 5, 1).await;
    w.approve(&card).await;
    let email = format!("u{}", w.carol);
    let first = w
        .emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .any(|m| m.content.contains("vless://"))
                .then_some(())
        })
        .await;
    first.expect("first link");
    let before = w
        .sim
        .clients()
        .into_iter()
        .find(|c| c.email == email)
        .expect("client");

    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 6, 2).await;
    assert!(
        serde_json::to_string(&card.embeds)
            .unwrap()
            .contains("renewal")
    );
    w.approve(&card).await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .any(|m| m.content.contains("extended") && m.content.contains("vless://"))
                .then_some(())
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no renewal DM: {:#?}",
                w.emu.read(|s| (
                    s.dms_of(w.carol)
                        .iter()
                        .map(|m| m.content.clone())
                        .collect::<Vec<_>>(),
                    s.ephemeral_for(w.alice)
                        .iter()
                        .map(|m| m.content.clone())
                        .collect::<Vec<_>>()
                ))
            )
        });
    let clients: Vec<_> = w
        .sim
        .clients()
        .into_iter()
        .filter(|c| c.email == email)
        .collect();
    assert_eq!(clients.len(), 1, "the same client, not a second one");
    assert_eq!(clients[0].id, before.id);
    assert!(
        clients[0].expiry_time > before.expiry_time,
        "expiry extended"
    );
    let dm_channels_opened = route_calls(&w.emu, "POST", "/users/@me/channels");
    assert_eq!(
        dm_channels_opened, 1,
        "the renewal's DM goes through the channel stored with the first"
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_during_an_outage_completes_when_the_panel_is_back() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 7, 1).await;
    w.healthy.store(false, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "outage");

    let i = w.emu.click_button(
        w.alice,
        card.id,
        &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
    );
    let prompt = w.reply_to(&i, "Approve payment").await;
    let i = w.emu.click_button(
        w.alice,
        prompt.id,
        &click_id(&prompt, |id| matches!(id, CustomId::Confirm(_))),
    );
    w.reply_to(&i, "panel is down").await;
    w.message_in(ticket, "delay notice", |m| {
        m.content.contains("briefly unavailable")
    })
    .await;
    w.message_in(w.admin_channel, "waiting card", |m| {
        m.id == card.id && m.content.contains("waiting for the panel")
    })
    .await;
    assert!(w.sim.clients().is_empty(), "nothing on the panel yet");

    // Recovery: the waiting approval completes on its own and the link is delivered.
    w.healthy.store(true, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "recovery");
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .any(|m| m.content.contains("vless://"))
                .then_some(())
        })
        .await
        .expect("link after recovery");
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_subscription_only_to_the_customer() {
    let w = World::start().await;
    // No subscription yet: the clear message.
    let i = w.emu.run_command(w.mallory, w.general, "status", &[]);
    w.reply_to(&i, "no VPN subscription yet").await;

    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 3, 1).await;
    w.approve(&card).await;
    let email = format!("u{}", w.carol);
    assert!(
        w.sim
            .advance_traffic(&email, 1024 * 1024, 512 * 1024 * 1024)
    );

    let i = w.emu.run_command(w.carol, w.general, "status", &[]);
    let m = w.reply_to(&i, "vless://").await;
    assert_eq!(m.visible_to, Some(w.carol), "only the customer sees it");
    assert!(m.content.contains("**Expires:** on <t:"), "{}", m.content);
    assert!(
        m.content.contains("513.0 MiB used of 100.0 GiB"),
        "{}",
        m.content
    );
    assert!(
        m.content.contains("https://sub.example.test/sub/"),
        "{}",
        m.content
    );
    assert!(!m.content.contains("unreachable"), "{}", m.content);
    assert_eq!(m.attachments.len(), 1, "the QR code");
    assert_eq!(m.attachments[0].filename, "vpn-qr.png");

    // Staff look-ups: an admin sees the customer and the orders; a plain member is refused.
    let member = [CommandOption::User("member", w.carol)];
    let i = w
        .emu
        .run_subcommand(w.alice, w.general, "admin", "user", &member);
    let m = w.reply_to(&i, "Subscription: active").await;
    assert!(m.content.contains(&format!("`{email}`")), "{}", m.content);
    assert!(m.content.contains("No open order."), "{}", m.content);
    let completed = [crate::admin::order_state(&w, "completed")];
    let i = w
        .emu
        .run_subcommand(w.alice, w.general, "admin", "orders", &completed);
    let m = w.reply_to(&i, &format!("#{order} completed")).await;
    assert!(
        m.content.contains(&format!("<@{}>", w.carol)),
        "{}",
        m.content
    );
    let i = w
        .emu
        .run_subcommand(w.mallory, w.general, "admin", "user", &member);
    w.reply_to(&i, "not allowed").await;
    let i = w
        .emu
        .run_subcommand(w.mallory, w.general, "admin", "orders", &completed);
    w.reply_to(&i, "not allowed").await;

    // Panel down: the last known data, flagged.
    w.healthy.store(false, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "outage event");
    let i = w.emu.run_command(w.carol, w.general, "status", &[]);
    let m = w.reply_to(&i, "unreachable").await;
    assert!(m.content.contains("**Expires:** on <t:"), "{}", m.content);
    assert!(
        m.content.contains("unknown used of 100.0 GiB"),
        "{}",
        m.content
    );
    w.healthy.store(true, Ordering::SeqCst);
    w.stop().await;
}

/// The whole sale on the vpn-api backend: the customer's DM carries the link the service made
/// (for the uuid the bot chose), stored as the customer's link; one client on the service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_approve_and_the_dm_on_the_vpn_api_backend() {
    let w = World::start_vpn_api().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 1, 1).await;
    w.approve(&card).await;
    let dm = w.link_dm(w.carol).await;
    let users = w.vpn.as_ref().expect("the vpn-api world").users();
    assert_eq!(users.len(), 1, "one client on the service");
    let (uuid, client) = users.iter().next().unwrap();
    assert_eq!(client.email, format!("user_{}", w.carol));
    let link = format!("vless://{uuid}@vpn-api.example.test:443");
    assert!(dm.content.contains(&link), "{}", dm.content);
    let stored = vpn_ticket_bot::store::users::get(
        &w.app.store.conn().unwrap(),
        vpn_ticket_bot::domain::UserId(w.carol),
    )
    .unwrap()
    .and_then(|u| u.access_link)
    .unwrap();
    assert!(stored.starts_with(&link));
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    w.stop().await;
}
