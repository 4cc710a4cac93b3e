//! Ticket transcripts: a completed ticket read back before the bot deletes its channel, and a
//! ticket deleted by hand archived from what the bot saw; both served by `/admin transcript`.

use vpn_ticket_bot::domain::OrderId;
use vpn_ticket_bot::sim::discord::{CommandOption, LogEntry, State};

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
    // The bot sees its own acknowledgement when the gateway brings it back; a deletion right
    // after the post can overtake that (the events are handled concurrently), and a message
    // the bot never saw is not in a "seen" archive. Delete once it has been seen.
    let store = w.app.store.clone();
    tokio::time::timeout(T, async {
        loop {
            let lines = store
                .call(move |c| vpn_ticket_bot::store::transcripts::lines(c, order))
                .await
                .unwrap();
            if lines
                .iter()
                .any(|l| l.content.contains("waiting for an admin's review"))
            {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the bot saw its acknowledgement");
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

/// `GET /channels/{ticket}/messages` calls so far (history read-backs and catch-ups).
fn history_reads(s: &State, ticket: u64) -> usize {
    let path = format!("/channels/{ticket}/messages");
    s.log()
        .iter()
        .filter(|e| match e {
            LogEntry::Rest {
                method, path: p, ..
            } => {
                // serenity's paths carry the API version (`/api/v10/...`).
                method == "GET" && p.split('?').next().is_some_and(|p| p.ends_with(&path))
            }
            LogEntry::Frame { .. } => false,
        })
        .count()
}

/// A ticket the bot saw whole in one gateway session is archived from what it recorded (an
/// edit included) without reading the channel's history back, a rate-limited call. A ticket
/// from before a restart (a new session: the bot may have missed something) is read back, and
/// what was posted while the bot was away is in its transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_read_back_only_when_the_bot_may_have_missed_messages() {
    let mut w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 23, 1).await;
    let note = w
        .emu
        .user_message(w.sam, ticket, "Enjoy, Carol!", None)
        .unwrap();
    // The bot handles events side by side: let the message be recorded before its edit comes
    // (an edit that overtakes it makes the ticket read back, which this test is not about).
    let recorded = |text: &'static str| {
        let app = w.app.clone();
        move |_: &vpn_ticket_bot::sim::discord::state::State| {
            let c = app.store.conn().ok()?;
            let t = vpn_ticket_bot::store::transcripts::lines(&c, order).ok()?;
            t.iter().any(|l| l.content.contains(text)).then_some(())
        }
    };
    w.emu
        .wait_for(T, recorded("Enjoy, Carol!"))
        .await
        .expect("the message recorded");
    w.emu
        .user_edit_message(w.sam, note, "Enjoy your VPN, Carol!")
        .unwrap();
    w.approve(&card).await;
    // The edit reached the bot as MESSAGE_UPDATE before the approval's clicks; its record is
    // checked on every change the approval makes.
    let app = w.app.clone();
    w.emu
        .wait_for(T, |_| {
            let c = app.store.conn().ok()?;
            let t = vpn_ticket_bot::store::transcripts::lines(&c, order).ok()?;
            t.iter()
                .any(|l| l.content.contains("Enjoy your VPN"))
                .then_some(())
        })
        .await
        .expect("the edit recorded");
    crate::ticket_deleted_a_day_later(&w, ticket).await;
    let (_, file) = transcript(&w, w.alice, order).await;
    // Checked after that round trip, so a read-back's log entry would be in.
    let reads = w.emu.read(|s| history_reads(s, ticket));
    assert_eq!(reads, 0, "seen whole: no read-back");
    let text = file.expect("a transcript");
    for line in ["here is my payment", "Enjoy your VPN, Carol!"] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    assert!(
        !text.contains("Enjoy, Carol!"),
        "the edit replaced the text"
    );

    let (ticket, order) = w.open_ticket(w.mallory).await;
    w.pick_method(w.mallory, ticket, order).await;
    let (card, _) = w.upload(w.mallory, ticket, 24, 2).await;
    w.approve(&card).await;
    w.stop_bot().await;
    w.emu
        .user_message(w.sam, ticket, "Posted while the bot was away", None)
        .unwrap();
    w.restart().await;
    let key = vpn_ticket_bot::domain::scheduled::ScheduledTask::DeleteChannel {
        channel_id: vpn_ticket_bot::domain::ChannelId(ticket),
    }
    .dedupe_key();
    let job =
        vpn_ticket_bot::store::scheduled_jobs::find_by_key(&w.app.store.conn().unwrap(), &key)
            .unwrap()
            .expect("deletion scheduled");
    let http = w.running.as_ref().unwrap().http.clone();
    let handler = vpn_ticket_bot::discord::DiscordDeliverer::new(http, w.app.clone());
    vpn_ticket_bot::service::scheduled::ScheduledHandler::run(&handler, &job)
        .await
        .expect("deleted");
    // The log entry follows the answer: wait for it.
    w.wait("the history read back after a restart", |s| {
        (history_reads(s, ticket) >= 1).then_some(())
    })
    .await
    .expect("read back after a restart");
    let (_, file) = transcript(&w, w.alice, order).await;
    let text = file.expect("a transcript");
    assert!(text.contains("Posted while the bot was away"), "{text}");
    w.stop().await;
}
