//! Every table's store functions round-trip, and the database itself enforces the rules the
//! services rely on (append-only audit log and ledger, one open order per user, unique receipts).

use crate::common;

use rusqlite::Connection;
use serde_json::json;
use vpn_ticket_bot::domain::status::{
    AdminAction, JobStatus, LedgerKind, OrderKind, OrderStatus, OutboxStatus, PaymentSource,
    PaymentStatus, SubscriptionStatus,
};
use vpn_ticket_bot::domain::{ChannelId, GuildId, MessageId, PaymentId, UserId};
use vpn_ticket_bot::store::users::{ClientIdentity, Subscription};
use vpn_ticket_bot::store::{
    admin_sessions, audit, bot_config, bot_messages, orders, outbox, payments, revenue,
    scheduled_jobs, users,
};

const ALICE: UserId = UserId(1_100_000_000_000_000_001);
const BOB: UserId = UserId(u64::MAX - 5);

fn receipt(sha_byte: char) -> payments::Receipt {
    payments::Receipt {
        sha256: sha_byte.to_string().repeat(64),
        phash: "ffee00112233aabb".into(),
        path: Some(format!("receipts/{sha_byte}.png")),
        content_type: "image/png".into(),
        size: 12_345,
    }
}

/// A user with an order and a pending payment.
fn seed(conn: &Connection, user: UserId, channel: u64, sha: char) -> PaymentId {
    users::ensure(conn, user, 1_000).unwrap();
    let order = orders::insert(
        conn,
        user,
        OrderKind::New,
        &common::plan(),
        Some((GuildId(7), ChannelId(channel))),
        1_000,
    )
    .unwrap();
    let new = payments::NewPayment {
        order_id: order,
        user_id: user,
        method: "bank".into(),
        amount_minor: 500,
        currency: "USD".into(),
        receipt: receipt(sha),
        near_duplicate: None,
    };
    payments::insert(conn, &new, 2_000).unwrap()
}

#[test]
fn users_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let fresh = users::ensure(&conn, ALICE, 1_000).unwrap();
    assert_eq!(fresh.status, SubscriptionStatus::None);
    assert_eq!(
        users::ensure(&conn, ALICE, 9_999).unwrap(),
        fresh,
        "ensure does not overwrite"
    );

    let client = ClientIdentity {
        uuid: "b831381d-6324-4d53-ad4f-8cda48b30811".into(),
        email: "Alice-1".into(),
        sub_id: "sub-alice".into(),
        inbound_id: 3,
    };
    assert!(users::set_client(&conn, ALICE, &client, 2_000).unwrap());
    let sub = Subscription {
        expiry_at: Some(5_000_000),
        traffic_limit_bytes: 100 << 30,
        device_limit: 2,
        status: SubscriptionStatus::Active,
    };
    assert!(users::set_subscription(&conn, ALICE, &sub, 3_000).unwrap());
    assert!(users::set_ban(&conn, ALICE, Some("chargeback"), 4_000).unwrap());

    let got = users::get(&conn, ALICE).unwrap().unwrap();
    assert_eq!(got.discord_id, ALICE);
    assert_eq!(got.panel_client_uuid.as_deref(), Some(client.uuid.as_str()));
    assert_eq!(got.panel_sub_id.as_deref(), Some("sub-alice"));
    assert_eq!(got.inbound_id, Some(3));
    assert_eq!(got.expiry_at, Some(5_000_000));
    assert_eq!(got.traffic_limit_bytes, 100 << 30);
    assert_eq!(got.status, SubscriptionStatus::Active);
    assert!(got.banned);
    assert_eq!(got.ban_reason.as_deref(), Some("chargeback"));
    assert_eq!(got.updated_at, 4_000);

    assert_eq!(
        users::find_by_email(&conn, "alice-1")
            .unwrap()
            .unwrap()
            .discord_id,
        ALICE,
        "email lookup ignores case"
    );
    assert_eq!(
        users::expiring_between(&conn, SubscriptionStatus::Active, 0, 5_000_001)
            .unwrap()
            .len(),
        1
    );
    assert!(
        users::expiring_between(&conn, SubscriptionStatus::Active, 0, 5_000_000)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        users::list_by_status(&conn, SubscriptionStatus::Active).unwrap()[0].discord_id,
        ALICE
    );
    assert!(users::set_ban(&conn, ALICE, None, 5_000).unwrap());
    assert!(!users::get(&conn, ALICE).unwrap().unwrap().banned);
    assert!(
        !users::set_ban(&conn, BOB, None, 5_000).unwrap(),
        "unknown user"
    );

    users::ensure(&conn, BOB, 1_000).unwrap();
    let clash = ClientIdentity {
        email: "ALICE-1".into(),
        uuid: "other".into(),
        sub_id: "other".into(),
        ..client
    };
    assert!(
        users::set_client(&conn, BOB, &clash, 6_000).is_err(),
        "panel email unique regardless of case"
    );
}

#[test]
fn orders_round_trip_and_one_open_order_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    users::ensure(&conn, ALICE, 1_000).unwrap();
    let id = orders::insert(
        &conn,
        ALICE,
        OrderKind::Renewal,
        &common::plan(),
        None,
        1_000,
    )
    .unwrap();
    let o = orders::get(&conn, id).unwrap().unwrap();
    assert_eq!(o.plan, common::plan(), "plan snapshot round-trips");
    assert_eq!(
        (o.kind, o.status),
        (OrderKind::Renewal, OrderStatus::PendingPayment)
    );

    assert!(orders::set_ticket_channel(&conn, id, GuildId(7), ChannelId(u64::MAX), 1_100).unwrap());
    assert!(orders::set_payment_method(&conn, id, "bank", 1_200).unwrap());
    assert_eq!(
        orders::find_by_ticket_channel(&conn, ChannelId(u64::MAX))
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert_eq!(
        orders::find_open_for_user(&conn, ALICE)
            .unwrap()
            .unwrap()
            .id,
        id
    );

    let second = orders::insert(&conn, ALICE, OrderKind::New, &common::plan(), None, 1_300);
    assert!(
        second.is_err(),
        "a second open order for the same user is refused by the database"
    );

    assert!(
        orders::transition(
            &conn,
            id,
            OrderStatus::PendingPayment,
            OrderStatus::UnderReview,
            None,
            1_400
        )
        .unwrap()
    );
    assert!(
        !orders::transition(
            &conn,
            id,
            OrderStatus::PendingPayment,
            OrderStatus::UnderReview,
            None,
            1_500
        )
        .unwrap(),
        "guarded: from-state no longer matches"
    );
    assert!(
        !orders::set_payment_method(&conn, id, "card", 1_500).unwrap(),
        "method is fixed once under review"
    );
    assert!(
        orders::transition(
            &conn,
            id,
            OrderStatus::UnderReview,
            OrderStatus::Cancelled,
            Some("channel deleted"),
            1_600
        )
        .unwrap()
    );
    let o = orders::get(&conn, id).unwrap().unwrap();
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(
        (o.closed_at, o.close_reason.as_deref()),
        (Some(1_600), Some("channel deleted"))
    );
    assert_eq!(o.payment_method.as_deref(), Some("bank"));
    assert!(orders::find_open_for_user(&conn, ALICE).unwrap().is_none());
    assert_eq!(
        orders::list_by_status(&conn, OrderStatus::Cancelled, 2_000, 10)
            .unwrap()
            .len(),
        1
    );
    assert!(
        orders::list_by_status(&conn, OrderStatus::Cancelled, 1_000, 10)
            .unwrap()
            .is_empty()
    );
    orders::insert(&conn, ALICE, OrderKind::New, &common::plan(), None, 1_700)
        .expect("a new order after the old one closed");
}

#[test]
fn payments_round_trip_and_receipts_are_unique() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let id = seed(&conn, ALICE, 10, 'a');
    let p = payments::get(&conn, id).unwrap().unwrap();
    assert_eq!(p.receipt, Some(receipt('a')));
    assert_eq!(p.source, PaymentSource::Receipt);
    assert_eq!(
        (p.status, p.amount_minor, p.currency.as_str()),
        (PaymentStatus::Pending, 500, "USD")
    );
    assert_eq!(
        payments::find_by_sha256(&conn, &"a".repeat(64))
            .unwrap()
            .unwrap()
            .id,
        id
    );

    assert!(
        payments::set_review_message(&conn, id, ChannelId(99), MessageId(u64::MAX - 1), 2_100)
            .unwrap()
    );
    assert!(payments::set_client_identity(&conn, id, "uuid-1", "alice-1", "sub-1", 2_200).unwrap());
    assert!(payments::set_provision_step(&conn, id, "client_created", true, 2_300).unwrap());
    assert!(
        payments::transition(
            &conn,
            id,
            PaymentStatus::Pending,
            PaymentStatus::Approving,
            Some(BOB),
            None,
            2_400
        )
        .unwrap()
    );
    assert!(
        !payments::transition(
            &conn,
            id,
            PaymentStatus::Pending,
            PaymentStatus::Approving,
            Some(BOB),
            None,
            2_400
        )
        .unwrap(),
        "second approval does nothing"
    );
    assert!(
        payments::transition(
            &conn,
            id,
            PaymentStatus::Approving,
            PaymentStatus::Approved,
            None,
            None,
            2_500
        )
        .unwrap()
    );
    let p = payments::get(&conn, id).unwrap().unwrap();
    assert_eq!(
        p.review_message,
        Some((ChannelId(99), MessageId(u64::MAX - 1)))
    );
    assert_eq!(
        p.client,
        Some(("uuid-1".into(), "alice-1".into(), "sub-1".into()))
    );
    assert!(p.client_created);
    assert_eq!(p.provision_step.as_deref(), Some("client_created"));
    assert_eq!(
        (p.status, p.reviewer_id, p.decided_at),
        (PaymentStatus::Approved, Some(BOB), Some(2_500))
    );
    assert_eq!(
        payments::list_by_status(&conn, PaymentStatus::Approved, 10)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn receipts_are_unique_across_users_and_hashes_outlive_files() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let id = seed(&conn, ALICE, 10, 'a');

    // The same receipt bytes from another user, for another order: refused by the database.
    users::ensure(&conn, BOB, 1_000).unwrap();
    let bob_order =
        orders::insert(&conn, BOB, OrderKind::New, &common::plan(), None, 3_000).unwrap();
    let dup = payments::NewPayment {
        order_id: bob_order,
        user_id: BOB,
        method: "bank".into(),
        amount_minor: 500,
        currency: "USD".into(),
        receipt: receipt('a'),
        near_duplicate: Some((id, 4)),
    };
    assert!(payments::insert(&conn, &dup, 3_100).is_err());
    let near = payments::NewPayment {
        receipt: receipt('b'),
        ..dup
    };
    let near_id = payments::insert(&conn, &near, 3_200).unwrap();
    assert_eq!(
        payments::get(&conn, near_id)
            .unwrap()
            .unwrap()
            .near_duplicate,
        Some((id, 4))
    );
    assert_eq!(payments::phashes_after(&conn, 0).unwrap().len(), 2);

    assert_eq!(
        payments::receipts_stored_before(&conn, 3_000).unwrap(),
        vec![(id, "receipts/a.png".to_owned())]
    );
    assert!(payments::clear_receipt_path(&conn, id, 4_000).unwrap());
    assert!(
        payments::receipts_stored_before(&conn, 3_000)
            .unwrap()
            .is_empty()
    );
    assert!(
        payments::find_by_sha256(&conn, &"a".repeat(64))
            .unwrap()
            .is_some(),
        "hash kept after the file is gone"
    );
}

#[test]
fn admin_sessions_are_consumed_once_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let payment = seed(&conn, ALICE, 10, 'a');
    let id = admin_sessions::insert(
        &conn,
        "tok-1",
        BOB,
        AdminAction::Approve,
        payment,
        1_000,
        301_000,
    )
    .unwrap();
    let s = admin_sessions::find_by_token(&conn, "tok-1")
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.id, s.admin_id, s.action, s.payment_id, s.expires_at),
        (id, BOB, AdminAction::Approve, payment, 301_000)
    );
    assert!(
        !format!("{s:?}").contains("tok-1"),
        "token redacted in Debug"
    );

    assert!(
        !admin_sessions::consume(&conn, "tok-1", ALICE, AdminAction::Approve, 2_000).unwrap(),
        "other admin"
    );
    assert!(
        !admin_sessions::consume(&conn, "tok-1", BOB, AdminAction::Reject, 2_000).unwrap(),
        "other action"
    );
    assert!(
        !admin_sessions::consume(&conn, "tok-1", BOB, AdminAction::Approve, 301_000).unwrap(),
        "expired at exactly 5 minutes"
    );
    assert!(admin_sessions::consume(&conn, "tok-1", BOB, AdminAction::Approve, 300_999).unwrap());
    assert!(
        !admin_sessions::consume(&conn, "tok-1", BOB, AdminAction::Approve, 3_000).unwrap(),
        "used"
    );
    assert_eq!(
        admin_sessions::find_by_token(&conn, "tok-1")
            .unwrap()
            .unwrap()
            .consumed_at,
        Some(300_999)
    );

    admin_sessions::insert(
        &conn,
        "tok-2",
        BOB,
        AdminAction::Reject,
        payment,
        1_000,
        900_000,
    )
    .unwrap();
    assert_eq!(admin_sessions::purge_expired(&conn, 400_000).unwrap(), 1);
    assert!(
        admin_sessions::find_by_token(&conn, "tok-1")
            .unwrap()
            .is_none()
    );
    assert!(
        admin_sessions::find_by_token(&conn, "tok-2")
            .unwrap()
            .is_some()
    );
}

#[test]
fn audit_log_round_trips_and_refuses_update_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let entry = audit::NewEntry {
        actor: Some(BOB),
        action: "payment.approve",
        target_type: Some("payment"),
        target_id: Some("42".into()),
        session_id: None,
        payload: json!({"amount_minor": 500, "currency": "USD"}),
    };
    let id = audit::append(&conn, &entry, 7_000).unwrap();
    audit::append(
        &conn,
        &audit::NewEntry {
            actor: None,
            action: "receipt.duplicate",
            ..entry.clone()
        },
        7_100,
    )
    .unwrap();
    let rows = audit::for_target(&conn, "payment", "42").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].id, rows[0].at, rows[0].actor),
        (id, 7_000, Some(BOB))
    );
    assert_eq!(
        rows[0].payload,
        json!({"amount_minor": 500, "currency": "USD"})
    );
    assert_eq!(
        audit::recent(&conn, 1).unwrap()[0].action,
        "receipt.duplicate"
    );

    let update = conn.execute(
        "UPDATE audit_logs SET action = 'nothing' WHERE id = ?1",
        [id],
    );
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM audit_logs", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(
        audit::recent(&conn, 10).unwrap().len(),
        2,
        "nothing changed"
    );
}

#[test]
fn revenue_ledger_is_append_only_with_one_sale_per_payment() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let payment = seed(&conn, ALICE, 10, 'a');
    revenue::record_sale(&conn, payment, 500, "USD", 10_000).unwrap();
    assert!(
        revenue::record_sale(&conn, payment, 500, "USD", 10_001).is_err(),
        "second sale for one payment"
    );
    revenue::record_refund(&conn, Some(payment), 200, "USD", 11_000, "partial refund").unwrap();
    let rows = revenue::entries_between(&conn, 0, 20_000).unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.kind, r.amount_minor))
            .collect::<Vec<_>>(),
        vec![(LedgerKind::Sale, 500), (LedgerKind::Refund, -200)]
    );
    assert_eq!(rows[1].note.as_deref(), Some("partial refund"));
    assert!(
        revenue::entries_between(&conn, 10_001, 11_000)
            .unwrap()
            .is_empty(),
        "range is half-open"
    );
    assert!(
        conn.execute("UPDATE revenue_ledger SET amount_minor = 1", [])
            .unwrap_err()
            .to_string()
            .contains("append-only")
    );
    assert!(
        conn.execute("DELETE FROM revenue_ledger", [])
            .unwrap_err()
            .to_string()
            .contains("append-only")
    );

    let row = |key: &str, total| revenue::CacheRow {
        period: "day".into(),
        period_key: key.into(),
        currency: "USD".into(),
        total_minor: total,
        sales: 1,
    };
    revenue::replace_cache(&conn, &[row("2026-11-20", 500)], 12_000).unwrap();
    revenue::add_to_cache(&conn, "day", "2026-11-20", "USD", 700, true, 12_100).unwrap();
    revenue::add_to_cache(&conn, "day", "2026-11-21", "USD", 300, true, 12_100).unwrap();
    let day = revenue::cache_rows(&conn, "day").unwrap();
    assert_eq!(
        day,
        vec![
            row("2026-11-21", 300),
            revenue::CacheRow {
                sales: 2,
                ..row("2026-11-20", 1_200)
            }
        ]
    );
    revenue::replace_cache(&conn, &[], 13_000).unwrap();
    assert!(revenue::cache_rows(&conn, "day").unwrap().is_empty());
}

#[test]
fn bot_config_and_bot_messages_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    assert_eq!(
        bot_config::get(&conn, bot_config::DASHBOARD_MESSAGE).unwrap(),
        None
    );
    bot_config::set(&conn, bot_config::DASHBOARD_MESSAGE, "123", 1).unwrap();
    bot_config::set(&conn, bot_config::DASHBOARD_MESSAGE, "456", 2).unwrap();
    assert_eq!(
        bot_config::get(&conn, bot_config::DASHBOARD_MESSAGE)
            .unwrap()
            .as_deref(),
        Some("456")
    );
    assert!(bot_config::remove(&conn, bot_config::DASHBOARD_MESSAGE).unwrap());
    assert!(!bot_config::remove(&conn, bot_config::DASHBOARD_MESSAGE).unwrap());

    bot_messages::track(&conn, ChannelId(5), MessageId(6), "notice", Some(1_000), 10).unwrap();
    bot_messages::track(&conn, ChannelId(5), MessageId(7), "keep", None, 10).unwrap();
    assert!(bot_messages::due(&conn, 999, 10).unwrap().is_empty());
    let due = bot_messages::due(&conn, 1_000, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (
            due[0].channel_id,
            due[0].message_id,
            due[0].purpose.as_str()
        ),
        (ChannelId(5), MessageId(6), "notice")
    );
    assert!(bot_messages::forget(&conn, due[0].id).unwrap());
    assert!(bot_messages::due(&conn, 5_000, 10).unwrap().is_empty());
}

#[test]
fn outbox_is_idempotent_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let payload = json!({"user": ALICE.0.to_string(), "link": "vless://..."});
    let id = outbox::enqueue(&conn, "dm_link:payment:1", "dm_link", &payload, 1_000)
        .unwrap()
        .unwrap();
    assert_eq!(
        outbox::enqueue(&conn, "dm_link:payment:1", "dm_link", &payload, 1_001).unwrap(),
        None,
        "same key twice"
    );
    assert_eq!(outbox::due(&conn, 1_000, 10).unwrap()[0].payload, payload);

    assert!(outbox::record_failure(&conn, id, 0, "DMs closed", Some(5_000)).unwrap());
    assert!(
        outbox::due(&conn, 4_999, 10).unwrap().is_empty(),
        "waits for the retry time"
    );
    let item = outbox::due(&conn, 5_000, 10).unwrap().remove(0);
    assert_eq!(
        (item.attempts, item.last_error.as_deref()),
        (1, Some("DMs closed"))
    );
    assert!(outbox::mark_delivered(&conn, id, 0, 5_100).unwrap());
    assert!(
        !outbox::mark_delivered(&conn, id, 0, 5_200).unwrap(),
        "delivered once"
    );
    let item = outbox::find_by_key(&conn, "dm_link:payment:1")
        .unwrap()
        .unwrap();
    assert_eq!(
        (item.status, item.attempts, item.delivered_at),
        (OutboxStatus::Delivered, 2, Some(5_100))
    );

    let other = outbox::enqueue(&conn, "card:1", "card_update", &json!({}), 1_000)
        .unwrap()
        .unwrap();
    assert!(outbox::record_failure(&conn, other, 0, "gave up", None).unwrap());
    assert_eq!(
        outbox::find_by_key(&conn, "card:1")
            .unwrap()
            .unwrap()
            .status,
        OutboxStatus::Failed
    );
    assert!(outbox::due(&conn, i64::MAX, 10).unwrap().is_empty());
}

#[test]
fn scheduled_jobs_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::store(dir.path()).conn().unwrap();
    let payload = json!({"channel_id": "123"});
    let id = scheduled_jobs::schedule(
        &conn,
        "delete_channel:123",
        "delete_channel",
        &payload,
        86_400_000,
        0,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        scheduled_jobs::schedule(
            &conn,
            "delete_channel:123",
            "delete_channel",
            &payload,
            1,
            0
        )
        .unwrap(),
        None
    );
    assert!(
        scheduled_jobs::due(&conn, 86_399_999, 10)
            .unwrap()
            .is_empty()
    );
    let job = scheduled_jobs::due(&conn, 86_400_000, 10)
        .unwrap()
        .remove(0);
    assert_eq!(
        (job.id, job.kind.as_str(), &job.payload, job.status),
        (id, "delete_channel", &payload, JobStatus::Pending)
    );
    assert!(scheduled_jobs::record_failure(&conn, id, "rate limited", 90_000_000).unwrap());
    assert!(
        scheduled_jobs::due(&conn, 86_400_000, 10)
            .unwrap()
            .is_empty()
    );
    assert!(scheduled_jobs::finish(&conn, id, JobStatus::Done, 90_000_001).unwrap());
    assert!(!scheduled_jobs::finish(&conn, id, JobStatus::Done, 90_000_002).unwrap());

    scheduled_jobs::schedule(
        &conn,
        "delete_channel:456",
        "delete_channel",
        &payload,
        5,
        0,
    )
    .unwrap();
    assert!(scheduled_jobs::cancel_by_key(&conn, "delete_channel:456", 6).unwrap());
    assert!(scheduled_jobs::due(&conn, i64::MAX, 10).unwrap().is_empty());
}

#[test]
fn every_connection_has_the_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let conns: Vec<_> = (0..3).map(|_| store.conn().unwrap()).collect();
    for conn in &conns {
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        let busy: i64 = conn
            .pragma_query_value(None, "busy_timeout", |r| r.get(0))
            .unwrap();
        assert_eq!((fk, mode.as_str(), sync, busy), (1, "wal", 1, 5000));
    }
    let orphan = conns[0].execute(
        "INSERT INTO orders (user_id, kind, plan_id, plan_name, plan_days, plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use, created_at, updated_at) VALUES (404, 'new', 'p', 'p', 1, 0, 0, 1, 'USD', 0, 0, 0)",
        [],
    );
    assert!(orphan.is_err(), "foreign keys are enforced");
}

#[tokio::test]
async fn async_calls_run_off_the_runtime_and_transactions_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    store
        .call(|c| users::ensure(c, ALICE, 1).map(|_| ()))
        .await
        .unwrap();
    let failed = store
        .transaction(|tx| {
            users::set_ban(tx, ALICE, Some("x"), 2)?;
            Err::<(), _>(vpn_ticket_bot::Error::NotConfirmed("abort".into()))
        })
        .await;
    assert!(failed.is_err());
    let user = store.call(|c| users::get(c, ALICE)).await.unwrap().unwrap();
    assert!(!user.banned, "the failed transaction was rolled back");
}

/// More callers than connections, half of them in place (`call`) and half on the blocking pool
/// (`call_blocking`): no more than `pool_size` closures run at once, and every caller is served
/// (none fails on r2d2's 30 s check-out timeout or deadlocks).
#[tokio::test]
async fn callers_beyond_the_pool_size_queue_and_are_all_served() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    for pool_size in [1, 2] {
        let store = vpn_ticket_bot::store::Store::open_path(
            &dir.path().join(format!("pool{pool_size}.db")),
            std::time::Duration::from_secs(5),
            pool_size,
        )
        .unwrap();
        let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let calls = (0..32).map(|i| {
            let (store, inside, most) = (store.clone(), inside.clone(), most.clone());
            tokio::spawn(async move {
                let query = move |conn: &mut rusqlite::Connection| {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let n: i64 = conn.query_row("SELECT ?1 + 1", [i], |r| r.get(0))?;
                    inside.fetch_sub(1, Ordering::SeqCst);
                    Ok(n)
                };
                if i % 2 == 0 {
                    store.call(query).await
                } else {
                    store.call_blocking(query).await
                }
            })
        });
        let mut answers = Vec::new();
        for call in calls.collect::<Vec<_>>() {
            answers.push(call.await.unwrap().unwrap());
        }
        assert_eq!(answers, (1..=32).collect::<Vec<i64>>());
        let most = most.load(Ordering::SeqCst);
        assert!(
            (1..=pool_size as usize).contains(&most),
            "{most} closures at once with {pool_size} connection(s)"
        );
    }
}

/// A closure that panics inside a transaction run in place: the caller gets an error, not the
/// panic; the transaction is rolled back; and the one connection is back in the pool.
#[tokio::test]
async fn a_panic_in_a_call_is_an_error_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = vpn_ticket_bot::store::Store::open_path(
        &dir.path().join("panic.db"),
        std::time::Duration::from_secs(5),
        1,
    )
    .unwrap();
    let failed = store
        .transaction(|tx| -> vpn_ticket_bot::Result<()> {
            users::ensure(tx, ALICE, 1)?;
            panic!("a bug inside the closure");
        })
        .await;
    assert!(
        matches!(failed, Err(vpn_ticket_bot::Error::Internal(_))),
        "{failed:?}"
    );
    let user = store.call(|c| users::get(c, ALICE)).await.unwrap();
    assert!(user.is_none(), "the panicked transaction was rolled back");
}

/// A cached statement with bound values in its LIMIT or WHERE (the outbox's and the scheduled
/// jobs' due-work queries) runs again without being compiled again. SQLite otherwise reads bound
/// values while planning and expires the statement at every new binding: parsing those two
/// queries again on every pass was 3 % of the bot's CPU in the process benchmark.
#[test]
fn cached_statements_with_bound_values_are_not_prepared_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = vpn_ticket_bot::store::Store::open_path(
        &dir.path().join("qpsg.db"),
        std::time::Duration::from_secs(5),
        1,
    )
    .unwrap();
    let conn = store.conn().unwrap();
    let sql = "SELECT id FROM scheduled_jobs WHERE status = 'pending' AND run_at <= ?1
               ORDER BY run_at, id LIMIT ?2";
    for now in 0..3_i64 {
        let mut stmt = conn.prepare_cached(sql).unwrap();
        let rows = stmt.query_map(rusqlite::params![now, 10], |r| r.get::<_, i64>(0));
        assert_eq!(rows.unwrap().count(), 0);
    }
    let stmt = conn.prepare_cached(sql).unwrap();
    assert_eq!(
        stmt.get_status(rusqlite::StatementStatus::RePrepare),
        0,
        "compiled again after new bindings"
    );
}

/// A committed transaction wakes the watchers of the tables it changed and no others; a rolled
/// back one wakes nobody.
#[tokio::test]
async fn commits_wake_the_watchers_of_the_tables_they_changed() {
    use futures_util::FutureExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let (outbox_w, jobs_w) = (
        store.committed_to("outbox"),
        store.committed_to("scheduled_jobs"),
    );
    let woken = |n: &std::sync::Arc<tokio::sync::Notify>| n.notified().now_or_never().is_some();
    store
        .transaction(|tx| bot_config::set(tx, "k", "v", 1))
        .await
        .unwrap();
    assert!(!woken(&outbox_w) && !woken(&jobs_w), "bot_config only");
    store
        .transaction(|tx| outbox::enqueue(tx, "card:1", "card_update", &json!({}), 1).map(drop))
        .await
        .unwrap();
    assert!(woken(&outbox_w) && !woken(&jobs_w), "outbox only");
    let rolled_back = store
        .transaction(|tx| {
            outbox::enqueue(tx, "card:2", "card_update", &json!({}), 1)?;
            scheduled_jobs::schedule(tx, "delete_channel:1", "delete_channel", &json!({}), 5, 1)?;
            Err::<(), _>(vpn_ticket_bot::Error::Internal("changed my mind"))
        })
        .await;
    assert!(rolled_back.is_err());
    assert!(!woken(&outbox_w) && !woken(&jobs_w), "rolled back");
    store
        .transaction(|tx| {
            scheduled_jobs::schedule(tx, "delete_channel:1", "delete_channel", &json!({}), 5, 1)?;
            outbox::enqueue(tx, "card:3", "card_update", &json!({}), 1).map(drop)
        })
        .await
        .unwrap();
    assert!(woken(&outbox_w) && woken(&jobs_w), "both");
    // The hook is gone after the transaction: a write through `call` wakes nobody.
    store
        .call(|c| outbox::enqueue(c, "card:4", "card_update", &json!({}), 1).map(drop))
        .await
        .unwrap();
    assert!(!woken(&outbox_w), "a write outside `transaction`");
}
