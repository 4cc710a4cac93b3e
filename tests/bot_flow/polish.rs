//! Discord-layer polish: the dashboard's chart image, the approval prompt closed after Confirm,
//! a guild at Discord's 500-channel cap, and transient notices deleted by the TTL job.

use std::sync::Arc;

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::discord::DiscordDeliverer;
use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::domain::{ChannelId, MessageId, UserId};
use vpn_ticket_bot::service::housekeeping::MessageTtlJob;
use vpn_ticket_bot::service::revenue::chart;
use vpn_ticket_bot::sim::discord::log::LogEntry;
use vpn_ticket_bot::sim::discord::state::{MessageRec, State};
use vpn_ticket_bot::store;

use crate::world::{T, World, click_id, custom_ids, order_status, route_calls};

fn is_dashboard(m: &MessageRec) -> bool {
    serde_json::to_string(&m.embeds).is_ok_and(|e| e.contains("Revenue"))
}

/// The dashboard's one attachment, decoded: (attachment id, RGB image).
fn chart_of(w: &World, m: &MessageRec) -> (u64, image::RgbImage) {
    assert_eq!(m.attachments.len(), 1, "one chart: {:?}", m.attachments);
    let a = &m.attachments[0];
    assert_eq!(a.filename, "revenue.png");
    assert_eq!(a.content_type, "image/png");
    let bytes = w
        .emu
        .read(|s| s.file(a.id).map(<[u8]>::to_vec))
        .expect("stored file");
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("the chart decodes as PNG")
        .to_rgb8();
    (a.id, img)
}

/// An approved sale: the dashboard message carries a PNG chart (referenced by its embed) with a
/// bar; a second refresh edits the same message and replaces the chart instead of adding one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_chart_is_attached_and_replaced_on_refresh() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 11, 1).await;
    w.approve(&card).await;

    let admin = w.admin_channel;
    let first = w
        .message_in(admin, "dashboard with the sale", |m| {
            is_dashboard(m)
                && serde_json::to_string(&m.embeds).is_ok_and(|e| e.contains("5.00 USD (1 sale)"))
                && !m.attachments.is_empty()
        })
        .await;
    let (first_file, img) = chart_of(&w, &first);
    assert_eq!(img.dimensions(), (chart::WIDTH, chart::HEIGHT));
    let bar = img.pixels().filter(|p| p.0 == chart::BAR).count();
    assert!(bar > 0, "today's sale is a bar");
    assert_eq!(
        first.embeds[0]["image"]["url"], "attachment://revenue.png",
        "the embed shows the attachment"
    );

    // A second refresh: same message, a new chart instead of the old one.
    w.app.wake_dashboard();
    let second = w
        .emu
        .wait_for(T, |s| {
            s.messages
                .get(&first.id)
                .filter(|m| m.attachments.iter().all(|a| a.id != first_file))
                .cloned()
        })
        .await
        .expect("the dashboard refreshed again");
    let (_, img) = chart_of(&w, &second);
    assert_eq!(img.dimensions(), (chart::WIDTH, chart::HEIGHT));
    let dashboards = w.emu.read(|s| {
        s.messages_in(admin)
            .into_iter()
            .filter(|m| is_dashboard(m))
            .count()
    });
    assert_eq!(dashboards, 1, "still one dashboard message");
    // The refresh was a multipart edit of that message, not a new post.
    let edits_with_chart = w
        .emu
        .log()
        .iter()
        .filter(|e| {
            matches!(e, LogEntry::Rest { method, path, files, status, .. }
                if method == "PATCH" && path.ends_with(&format!("/messages/{}", first.id))
                    && files.len() == 1 && *status == 200)
        })
        .count();
    assert!(edits_with_chart >= 2, "{edits_with_chart} chart edits");
    w.stop().await;
}

/// Confirm answers by updating the prompt: its buttons are gone and it shows the outcome; a
/// stale second click is refused in its own message and leaves the prompt as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_closes_the_approval_prompt() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 12, 1).await;
    let i = w.emu.click_button(
        w.alice,
        card.id,
        &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
    );
    let prompt = w.reply_to(&i, "Approve payment").await;
    assert_eq!(custom_ids(&prompt).len(), 2, "Confirm and Cancel");
    let confirm = click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)));
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    let answered = w.reply_to(&i, "approved: client").await;
    assert_eq!(
        answered.id, prompt.id,
        "the prompt itself shows the outcome"
    );
    let closed = w.emu.read(|s| s.messages[&prompt.id].clone());
    assert!(
        custom_ids(&closed).is_empty(),
        "no buttons left: {:?}",
        closed.components
    );

    let again = w.emu.click_button(w.alice, prompt.id, &confirm);
    let refusal = w.reply_to(&again, "Not approved").await;
    assert_ne!(refusal.id, prompt.id, "answered apart");
    let prompt_now = w.emu.read(|s| s.messages[&prompt.id].content.clone());
    assert!(prompt_now.contains("approved: client"), "{prompt_now}");
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    w.stop().await;
}

/// Picks the plan in `/order` and returns the answer to the pick.
async fn order_answer(w: &World, user: u64, expect: &str) -> String {
    let pick = w.pick_plan(user).await;
    w.reply_to(&pick, expect).await.content
}

/// At Discord's 500-channel cap the customer is told the shop is at capacity, the order is
/// cancelled (not left open, no misleading DM), staff are warned once; a freed channel lets the
/// next order through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_refuses_tickets_cleanly() {
    let w = World::start().await;
    let existing = w.emu.read(|s| s.guild_channels().len());
    let fillers: Vec<u64> = (existing..500)
        .map(|n| w.emu.add_channel(&format!("filler-{n}"), 0, None))
        .collect();
    assert_eq!(w.emu.read(|s| s.guild_channels().len()), 500);

    let text = order_answer(&w, w.carol, "at capacity").await;
    assert!(text.contains("try again later"), "{text}");
    let open =
        store::orders::find_open_for_user(&w.app.store.conn().unwrap(), UserId(w.carol)).unwrap();
    assert!(open.is_none(), "no half-open order: {open:?}");
    let cancelled = store::orders::list_by_status(
        &w.app.store.conn().unwrap(),
        OrderStatus::Cancelled,
        i64::MAX,
        10,
    )
    .unwrap();
    assert!(
        cancelled
            .iter()
            .any(|o| o.user_id == UserId(w.carol) && o.ticket_channel_id.is_none()),
        "{cancelled:?}"
    );
    let warning = |m: &MessageRec| m.content.contains("limit of 500 channels");
    w.message_in(w.admin_channel, "staff warning", warning)
        .await;

    // A second customer: the same answer, no second warning.
    order_answer(&w, w.mallory, "at capacity").await;
    let warnings = w.emu.read(|s| {
        s.messages_in(w.admin_channel)
            .into_iter()
            .filter(|m| warning(m))
            .count()
    });
    assert_eq!(warnings, 1, "warned once");
    let dms = w
        .emu
        .read(|s| s.dms_of(w.carol).len() + s.dms_of(w.mallory).len());
    assert_eq!(
        dms, 0,
        "no 'order closed' DM for an order that never had a ticket"
    );

    // Room again: the next order gets its ticket.
    assert!(w.emu.delete_channel_by_hand(fillers[0]));
    order_answer(&w, w.mallory, "ticket is open").await;
    w.stop().await;
}

/// A refused receipt's notice is registered with a TTL; the `message_ttl` pass leaves it alone
/// before its deadline and deletes it from the channel after (the job is run with a clock set to
/// the deadline instead of waiting 15 minutes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_receipt_notice_expires() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let mut registered = w.app.transient.registrations();
    w.emu
        .user_message(
            w.carol,
            ticket,
            "my receipt",
            Some(("pay.png", b"not a picture at all".to_vec())),
        )
        .expect("upload allowed");
    let notice = w
        .message_in(ticket, "refusal", |m| m.content.contains("not accepted"))
        .await;
    tokio::time::timeout(T, registered.wait_for(|n| *n >= 1))
        .await
        .expect("a registration")
        .expect("the registry is alive");
    let now = w.app.clock.now_ms();
    let tracked = store::bot_messages::due(&w.app.store.conn().unwrap(), i64::MAX, 100).unwrap();
    let row = tracked
        .iter()
        .find(|r| r.message_id == MessageId(notice.id))
        .expect("the notice is registered for deletion");
    let deadline = row.delete_after.expect("a deadline");
    assert!(
        deadline > now && deadline <= now + 3_600_000,
        "due in {} ms",
        deadline - now
    );

    let http = w.running.as_ref().unwrap().http.clone();
    let deleter = Arc::new(DiscordDeliverer::new(http, w.app.clone()));
    let pass_at =
        |at: i64| MessageTtlJob::new(w.app.store.clone(), Clock::starting_at(at), deleter.clone());
    assert_eq!(
        pass_at(deadline - 1_000).delete_due().await.unwrap(),
        (0, 0)
    );
    assert!(w.emu.read(|s| s.messages.contains_key(&notice.id)));
    assert_eq!(pass_at(deadline).delete_due().await.unwrap(), (1, 0));
    assert!(
        w.emu.read(|s| !s.messages.contains_key(&notice.id)),
        "the notice is gone"
    );
    // The customer's own message and the ticket's other messages stay.
    assert!(w.emu.read(|s| s.messages_in(ticket).len() >= 2));
    w.stop().await;
}

/// How many times the review card `card` in `admin` was edited through the channel
/// (`/channels/{admin}/messages/{card}`) and through an interaction webhook (`@original`).
fn card_edits(s: &State, admin: u64, card: u64) -> (usize, usize) {
    let channel_path = format!("/channels/{admin}/messages/{card}");
    let card_id = card.to_string();
    s.log()
        .iter()
        .filter_map(|e| match e {
            LogEntry::Rest {
                method,
                path,
                route,
                response,
                status,
                ..
            } if method == "PATCH" && *status == 200 => Some((path, route, response)),
            _ => None,
        })
        .fold((0, 0), |(by_channel, by_token), (path, route, response)| {
            // serenity's paths carry the API version (`/api/v10/...`).
            if path.ends_with(&channel_path) {
                (by_channel + 1, by_token)
            } else if route.ends_with("/messages/@original")
                && response["id"].as_str() == Some(card_id.as_str())
            {
                (by_channel, by_token + 1)
            } else {
                (by_channel, by_token)
            }
        })
}

/// The review card after an approval is edited through the Approve click's interaction token
/// (a call outside the bot's global rate limit), not with a channel message edit; when Discord
/// refuses the token, the card still converges, through the channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approved_card_is_edited_through_the_clicks_token_or_else_the_channel() {
    let w = World::start().await;
    for (customer, seed, nth, refuse_token) in [(w.carol, 31, 1, false), (w.mallory, 32, 2, true)] {
        let (ticket, order) = w.open_ticket(customer).await;
        w.pick_method(customer, ticket, order).await;
        let (card, _) = w.upload(customer, ticket, seed, nth).await;
        if refuse_token {
            // Both webhook edits of this approval (the prompt's outcome, the card) are refused.
            w.emu.fail_route_with(
                "PATCH",
                "/webhooks/{webhook_id}/{token}/messages/@original",
                401,
                50027,
                2,
            );
            let i = w.emu.click_button(
                w.alice,
                card.id,
                &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
            );
            let prompt = w.reply_to(&i, "Approve payment").await;
            let confirm = click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)));
            w.emu.click_button(w.alice, prompt.id, &confirm);
        } else {
            w.approve(&card).await;
        }
        let approved = w
            .wait("the card shows the approval", |s| {
                s.messages
                    .get(&card.id)
                    .filter(|m| m.content.contains("Approved by"))
                    .cloned()
            })
            .await
            .expect("the card converges");
        assert!(custom_ids(&approved).is_empty(), "no buttons left");
        // The log entry follows the answer: wait for it.
        let (by_channel, by_token) = w
            .wait("the card's edit in the log", |s| {
                let (c, t) = card_edits(s, w.admin_channel, card.id);
                (c + t > 0).then_some((c, t))
            })
            .await
            .expect("the card edit logged");
        if refuse_token {
            assert_eq!(by_channel, 1, "the channel edit took over");
        } else {
            assert_eq!((by_channel, by_token), (0, 1), "one edit, by the token");
        }
        assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    }
    let listed = route_calls(&w.emu, "GET", "/guilds/{guild_id}/channels");
    assert_eq!(
        listed, 0,
        "the tickets category's room was read from the cache"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_receipt_is_acknowledged_through_the_method_choice_or_else_by_a_reply() {
    let w = World::start().await;
    let ack = "Your receipt was received";
    for (customer, seed, nth, refuse) in [(w.carol, 41, 1, false), (w.mallory, 42, 2, true)] {
        let (ticket, order) = w.open_ticket(customer).await;
        w.pick_method(customer, ticket, order).await;
        if refuse {
            // Discord refuses the follow-up (an invalid webhook token).
            w.emu
                .fail_route_with("POST", "/webhooks/{webhook_id}/{token}", 401, 50027, 1);
        }
        let (_card, _) = w.upload(customer, ticket, seed, nth).await;
        let acks = w
            .wait("the acknowledgement", |s| {
                let acks: Vec<MessageRec> = s
                    .messages
                    .values()
                    .filter(|m| m.channel_id == ticket && m.content.contains(ack))
                    .cloned()
                    .collect();
                (!acks.is_empty()).then_some(acks)
            })
            .await
            .expect("the receipt is acknowledged");
        assert_eq!(acks.len(), 1, "one acknowledgement: {acks:?}");
        let m = &acks[0];
        assert!(!m.is_ephemeral(), "the whole ticket sees it");
        if refuse {
            assert!(m.interaction_id.is_none(), "a reply: {m:?}");
            assert!(m.reply_to.is_some(), "replies to the receipt");
        } else {
            assert!(
                m.interaction_id.is_some(),
                "a follow-up of the choice: {m:?}"
            );
        }
        assert_eq!(order_status(&w.app, order), OrderStatus::UnderReview);
    }
    w.stop().await;
}

#[tokio::test]
async fn a_stored_dm_channel_discord_no_longer_knows_is_replaced() {
    let w = World::start().await;
    let carol = w.carol;
    let (ticket, order) = w.open_ticket(carol).await;
    // A DM channel stored before, since gone from Discord.
    let stale = w
        .app
        .store
        .call(move |c| store::users::set_dm_channel(c, UserId(carol), Some(ChannelId(1))))
        .await
        .unwrap();
    assert!(stale, "carol is a customer");
    w.pick_method(carol, ticket, order).await;
    let (card, _) = w.upload(carol, ticket, 51, 1).await;
    w.approve(&card).await;
    let dm = w.link_dm(carol).await;
    let stored = w
        .app
        .store
        .call(move |c| store::users::dm_channel(c, UserId(carol)))
        .await
        .unwrap();
    assert_eq!(
        stored,
        Some(ChannelId(dm.channel_id)),
        "the new channel is kept"
    );
    w.stop().await;
}
