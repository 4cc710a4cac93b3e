//! Ticket transcripts: a completed ticket read back before the bot deletes its channel, and a
//! ticket deleted by hand archived from what the bot saw; both served by `/admin transcript`.

use vpn_ticket_bot::domain::OrderId;
use vpn_ticket_bot::sim::discord::CommandOption;

use crate::world::{T, World};

/// `/admin transcript order` by `user`: the answer and the attached file's text.
async fn transcript(w: &World, user: u64, order: OrderId) -> (String, Option<String>) {
    let i = w.emu.run_subcommand(
        user,
        w.general,
        "admin",
        "transcript",
        &[CommandOption::Int("order", order.0)],
    );
    let answer = w
        .emu
        .wait_for(T, |s| {
            s.original_response(i.id)
                .filter(|m| !m.content.is_empty())
                .cloned()
        })
        .await
        .expect("an answer");
    let file = answer.attachments.first().map(|a| {
        assert_eq!(a.filename, format!("transcript-order-{order}.txt"));
        let bytes = w
            .emu
            .read(|s| s.file(a.id).map(<[u8]>::to_vec))
            .expect("file");
        String::from_utf8(bytes).unwrap()
    });
    (answer.content, file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_tickets_transcript_is_served_after_its_channel_is_deleted() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 21, 1).await;
    w.approve(&card).await;
    w.emu
        .user_message(w.sam, ticket, "Enjoy, Carol!", None)
        .unwrap();
    // The deletion a day later (run now): the history is read back first.
    crate::ticket_deleted_a_day_later(&w, ticket).await;
    let (answer, file) = transcript(&w, w.alice, order).await;
    let text = file.unwrap_or_else(|| panic!("no file in {answer:?}"));
    assert!(
        text.starts_with(&format!("Ticket of order #{order} (archived ")),
        "{text}"
    );
    for line in [
        "welcome to your ticket",
        "IBAN DE00 1234 5678",
        "here is my payment",
        "    attachment: pay.png",
        "Enjoy, Carol!",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    // Support staff may not read transcripts.
    let (refused, file) = transcript(&w, w.sam, order).await;
    assert!(
        refused.contains("not allowed") && file.is_none(),
        "{refused}"
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_deleted_by_hand_is_archived_from_what_the_bot_saw() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (_card, _) = w.upload(w.carol, ticket, 22, 1).await;
    w.message_in(ticket, "the receipt's acknowledgement", |m| {
        m.content.contains("waiting for an admin's review")
    })
    .await;
    assert!(w.emu.delete_channel_by_hand(ticket));
    w.dm(w.carol, "the ticket channel was deleted")
        .await
        .expect("customer told");
    let (_, file) = transcript(&w, w.alice, order).await;
    let text = file.expect("a transcript");
    assert!(text.contains("(archived "), "{text}");
    for line in [
        "here is my payment",
        "attachment: pay.png",
        "waiting for an admin's review",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    w.stop().await;
}
