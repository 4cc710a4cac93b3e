//! Ticket transcripts in the core: lines recorded only for ticket channels, read by admins only,
//! archived when the channel goes (however it went), deleted after `orders.transcript_keep_days`.

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::{ChannelId, MessageId, UserId};
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::transcripts::Transcripts;
use vpn_ticket_bot::sim::panel::Profile;
use vpn_ticket_bot::store::transcripts::TicketLine;

use crate::order_core::{ADMIN_A, SUPPORT, Shop, actor};

const T0: i64 = 1_790_000_000_000;
const DAY: i64 = 86_400_000;

fn line(id: u64, author: u64, text: &str, files: &[&str]) -> TicketLine {
    TicketLine {
        message_id: MessageId(id),
        author_id: UserId(author),
        author_name: format!("user{author}"),
        author_bot: false,
        content: text.to_owned(),
        attachments: files.iter().map(|f| (*f).to_owned()).collect(),
        created_at: T0 + i64::try_from(id).unwrap(),
    }
}

#[tokio::test]
async fn transcripts_are_recorded_archived_served_to_admins_and_expire() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(T0)).await;
    let order = shop.open_with_ticket(7, "month").await;
    let channel = shop.order(order).ticket_channel_id.unwrap();
    let t = Transcripts::new(&shop.deps);
    let lines = vec![line(11, 7, "hello", &[]), line(12, 7, "paid", &["pay.png"])];
    assert_eq!(t.seen(channel, lines).await.unwrap(), Some(order));
    assert_eq!(
        t.seen(ChannelId(1), vec![line(13, 7, "x", &[])])
            .await
            .unwrap(),
        None
    );
    // An edited message keeps its newest text; nothing is duplicated.
    t.seen(channel, vec![line(11, 7, "hello again", &[])])
        .await
        .unwrap();
    let got = t.get(&actor(ADMIN_A), order).await.unwrap();
    assert_eq!(got.archived_at, None);
    let texts: Vec<_> = got.lines.iter().map(|l| l.content.as_str()).collect();
    assert_eq!(texts, ["hello again", "paid"]);
    assert_eq!(got.lines[1].attachments, ["pay.png"]);
    let refused = t.get(&actor(SUPPORT), order).await.unwrap_err();
    assert!(
        matches!(refused, Error::User(UserError::Forbidden { .. })),
        "{refused}"
    );
    // Deleted by hand: archived from what was seen, at that time.
    shop.orders.ticket_channel_deleted(channel).await.unwrap();
    let archived = t.get(&actor(ADMIN_A), order).await.unwrap();
    let at = archived.archived_at.expect("archived");
    assert!((T0..T0 + 60_000).contains(&at), "archived at {at}");
    assert_eq!(archived.lines.len(), 2);
    // A message posted just before the deletion, whose event is handled after it, still counts.
    assert_eq!(
        t.seen(channel, vec![line(14, 2, "waiting for review", &[])])
            .await
            .unwrap(),
        Some(order)
    );
    let archived = t.get(&actor(ADMIN_A), order).await.unwrap();
    assert_eq!(archived.lines.len(), 3);
    assert_eq!(
        archived.archived_at,
        Some(at),
        "still archived, at the same time"
    );
    // Kept `transcript_keep_days` (365 by default), then gone.
    let later = |days| Transcripts::new(&shop.deps.with_clock(Clock::starting_at(T0 + days * DAY)));
    assert_eq!(later(364).apply_retention().await.unwrap(), 0);
    assert_eq!(later(366).apply_retention().await.unwrap(), 1);
    let gone = t.get(&actor(ADMIN_A), order).await.unwrap_err();
    assert!(
        matches!(gone, Error::User(UserError::NotFound { .. })),
        "{gone}"
    );
}

#[tokio::test]
async fn an_edit_that_overtakes_its_message_makes_the_ticket_read_back() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(T0)).await;
    let t = Transcripts::new(&shop.deps);
    t.session_started();
    let (seen_first, overtaken) = (
        shop.open_with_ticket(7, "month").await,
        shop.open_with_ticket(8, "month").await,
    );
    let channel = |o| shop.order(o).ticket_channel_id.unwrap();
    // Recorded, then edited: the live record is whole.
    t.seen(channel(seen_first), vec![line(21, 7, "hi", &[])])
        .await
        .unwrap();
    assert!(
        t.edited(channel(seen_first), MessageId(21), Some("hi!".into()), None)
            .await
            .unwrap()
    );
    // The edit is handled before its message's record.
    assert!(
        !t.edited(channel(overtaken), MessageId(31), Some("new".into()), None)
            .await
            .unwrap()
    );
    t.seen(channel(overtaken), vec![line(31, 8, "old", &[])])
        .await
        .unwrap();
    // An edit in a channel that is no ticket changes nothing.
    assert!(
        !t.edited(ChannelId(1), MessageId(41), Some("x".into()), None)
            .await
            .unwrap()
    );
    assert!(t.archive_if_seen_whole(channel(seen_first)).await.unwrap());
    assert!(
        !t.archive_if_seen_whole(channel(overtaken)).await.unwrap(),
        "its history must be read back"
    );
}

#[tokio::test]
async fn edits_outside_tickets_write_nothing_and_edits_in_deleted_tickets_are_kept() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(T0)).await;
    let t = Transcripts::new(&shop.deps);
    let order = shop.open_with_ticket(7, "month").await;
    let channel = shop.order(order).ticket_channel_id.unwrap();
    t.seen(channel, vec![line(51, 7, "paid", &[])])
        .await
        .unwrap();
    shop.orders.ticket_channel_deleted(channel).await.unwrap();
    // Another connection holds the write lock: an edit elsewhere (a review card) does not wait
    // for it, since it has nothing to write.
    let writer = rusqlite::Connection::open(shop.deps.store.path()).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(
        !t.edited(ChannelId(1), MessageId(61), Some("card".into()), None)
            .await
            .unwrap()
    );
    writer.execute_batch("COMMIT").unwrap();
    // An edit handled after the ticket's deletion still reaches its line.
    assert!(
        t.edited(
            channel,
            MessageId(51),
            Some("paid, see receipt".into()),
            None
        )
        .await
        .unwrap()
    );
    let got = t.get(&actor(ADMIN_A), order).await.unwrap();
    assert_eq!(got.lines[0].content, "paid, see receipt");
}
