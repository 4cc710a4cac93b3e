//! Operating the bot: a restart between Approve and Confirm, and an online backup taken while
//! customers are served, restored after the bot is stopped.

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::status::{OrderStatus, PaymentStatus};
use vpn_ticket_bot::ops;
use vpn_ticket_bot::sim::discord::CommandOption;
use vpn_ticket_bot::store;

use crate::world::{World, click_id, order_status};

/// The approval's one-time token lives in the database, and buttons are routed by custom_id in
/// the global handler: a Confirm clicked on the prompt the previous process sent still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_works_after_a_restart_between_approve_and_confirm() {
    let mut w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 21, 1).await;
    let i = w.emu.click_button(
        w.alice,
        card.id,
        &click_id(&card, |id| matches!(id, CustomId::Approve(_))),
    );
    let prompt = w.reply_to(&i, "Approve payment").await;
    let confirm = click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)));

    w.restart().await;

    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "approved: client").await;
    let dm = w.dm(w.carol, "vless://").await.expect("link DM");
    let email = format!("u{}", w.carol);
    let client = w.sim.client(&email).expect("client on the panel");
    assert!(dm.content.contains(&client.id), "{}", dm.content);
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    // The token was used once: clicking Confirm again is refused.
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "Not approved").await;
    w.stop().await;
}

/// `backup` runs while the bot serves (customers ordering and asking for their status during
/// the copy); the operator then stops the bot, restores that backup and starts it again: what
/// was committed before the backup is back, what happened after it is not, the previous
/// database is kept aside, and the bot serves from the restored database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_backs_up_during_traffic_and_restores() {
    let mut w = World::start().await;
    // Before the backup: carol is a customer; mallory's payment waits for review.
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 31, 1).await;
    w.approve(&card).await;
    let (m_ticket, m_order) = w.open_ticket(w.mallory).await;
    w.pick_method(w.mallory, m_ticket, m_order).await;
    let (m_card, _) = w.upload(w.mallory, m_ticket, 32, 2).await;

    // The backup, with traffic: carol asks for her status and sam looks her up meanwhile.
    let storage = w.config.storage.clone();
    let keep_days = w.config.backup.keep_days;
    let backup = tokio::task::spawn_blocking(move || {
        ops::backup(&storage, None, keep_days, jiff::Timestamp::now())
    });
    let status = w.emu.run_command(w.carol, w.general, "status", &[]);
    let lookup = w.emu.run_subcommand(
        w.alice,
        w.general,
        "admin",
        "user",
        &[CommandOption::User("member", w.carol)],
    );
    let report = backup
        .await
        .expect("backup task")
        .expect("backup while serving");
    w.reply_to(&status, "vless://").await;
    w.reply_to(&lookup, "Panel client").await;
    assert!(report.path.exists() && report.bytes > 0, "{report:?}");

    // After the backup: mallory is approved.
    w.approve(&m_card).await;
    assert_eq!(order_status(&w.app, m_order), OrderStatus::Completed);

    // Restore: refused while the data directory is locked by a running bot is covered by the
    // backup_restore tests; here the operator stops the bot first.
    let aborted = w.stop_bot().await;
    assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
    let storage = w.config.storage.clone();
    let restored =
        ops::restore(&storage, &report.path, |_| true, jiff::Timestamp::now()).expect("restore");
    let previous = restored.previous.expect("previous database kept");
    assert!(previous.exists(), "{}", previous.display());
    w.restart().await;

    // Before the backup: back. After it: gone (mallory's payment is pending again).
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    assert_eq!(order_status(&w.app, m_order), OrderStatus::UnderReview);
    let payments = store::payments::list_for_order(&w.app.store.conn().unwrap(), m_order).unwrap();
    assert_eq!(
        payments.iter().map(|p| p.status).collect::<Vec<_>>(),
        [PaymentStatus::Pending]
    );
    // The bot serves from the restored database.
    let i = w.emu.run_command(w.carol, w.general, "status", &[]);
    w.reply_to(&i, "vless://").await;
    w.stop().await;
}
