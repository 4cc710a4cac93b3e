//! What the bot refuses on the admin side, through the emulator: a near-duplicate receipt is
//! flagged on its card, a Confirm after the token's 5 minutes is refused, and a support member
//! cannot use an admin's Confirm.

use std::time::Duration;

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::status::OrderStatus;

use crate::images;
use crate::world::{World, click_id, order_status};

/// Another customer's receipt that is the same picture scaled down is not an exact duplicate
/// (other bytes), so it gets a card, flagged with the earlier payment and the hash distance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_near_duplicate_receipt_is_flagged_on_its_card() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (first, _) = w.upload(w.carol, ticket, 41, 1).await;
    let flagged = |m: &vpn_ticket_bot::sim::discord::state::MessageRec| {
        serde_json::to_string(&m.embeds).is_ok_and(|e| e.contains("Near duplicate"))
    };
    assert!(!flagged(&first), "the first receipt is not flagged");

    let (m_ticket, m_order) = w.open_ticket(w.mallory).await;
    w.pick_method(w.mallory, m_ticket, m_order).await;
    let smaller = images::png(&images::resized(&images::receipt(41, 480, 800), 90));
    let card = w
        .inner()
        .upload(w.mallory, m_ticket, smaller, 2)
        .await
        .expect("a card for the near duplicate");
    let embed = serde_json::to_string(&card.embeds).unwrap();
    assert!(flagged(&card), "{embed}");
    assert!(
        embed.contains("looks like the receipt of payment #1"),
        "{embed}"
    );
    w.stop().await;
}

/// The one-time token expires 5 minutes after Approve. The bot restarts 6 minutes later; the
/// Confirm on the old prompt is refused, nothing is provisioned, and a new Approve works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_after_five_minutes_is_refused() {
    let mut w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 42, 1).await;
    let approve = click_id(&card, |id| matches!(id, CustomId::Approve(_)));
    let i = w.emu.click_button(w.alice, card.id, &approve);
    let prompt = w.reply_to(&i, "Approve payment").await;

    w.restart_later(Duration::from_secs(6 * 60)).await;

    let i = w.emu.click_button(
        w.alice,
        prompt.id,
        &click_id(&prompt, |id| matches!(id, CustomId::Confirm(_))),
    );
    w.reply_to(&i, "expired").await;
    assert!(w.sim.clients().is_empty(), "nothing provisioned");
    assert_eq!(order_status(&w.app, order), OrderStatus::UnderReview);

    let i = w.emu.click_button(w.alice, card.id, &approve);
    let prompt = w.reply_to(&i, "Approve payment").await;
    let i = w.emu.click_button(
        w.alice,
        prompt.id,
        &click_id(&prompt, |id| matches!(id, CustomId::Confirm(_))),
    );
    w.reply_to(&i, "approved: client").await;
    w.stop().await;
}

/// The Confirm button's custom_id carries the admin's token; a support member sending it (a
/// forged click) is refused and the token still works for the admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_member_cannot_confirm() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 43, 1).await;
    let i = w.emu.click_button(
        w.alice,
        card.id,
        &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
    );
    let prompt = w.reply_to(&i, "Approve payment").await;
    let confirm = click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)));

    let i = w.emu.click_button(w.sam, prompt.id, &confirm);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.click_button(w.mallory, prompt.id, &confirm);
    w.reply_to(&i, "not allowed").await;
    assert!(w.sim.clients().is_empty(), "nothing provisioned");

    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "approved: client").await;
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    w.stop().await;
}
