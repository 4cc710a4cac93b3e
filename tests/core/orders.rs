//! Orders: typed refusals (open order, banned, rate limited, panel outage), the plan snapshot,
//! duplicate receipts (also when two identical uploads race), cancel, ticket channel deleted,
//! abandoned tickets closed after the configured time on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use crate::order_core::{Shop, receipt_with_sha};
use vpn_ticket_bot::Error;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::scheduled::ScheduledTask;
use vpn_ticket_bot::domain::status::{OrderKind, OrderStatus, PaymentStatus};
use vpn_ticket_bot::domain::{ChannelId, UserId};
use vpn_ticket_bot::error::UserError;
use vpn_ticket_bot::sim::panel::Profile;
use vpn_ticket_bot::store;

fn user_err<T: std::fmt::Debug>(r: Result<T, Error>) -> UserError {
    match r {
        Err(Error::User(e)) => e,
        other => panic!("expected a user refusal, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn open_is_refused_with_a_typed_reason() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(1_800_000_000_000)).await;
    let first = shop.orders.open(UserId(3000), "month").await.unwrap();
    assert_eq!(first.kind, OrderKind::New);
    assert_eq!(first.status, OrderStatus::PendingPayment);
    assert_eq!(
        (first.plan.days, first.plan.price_minor),
        (30, 500),
        "plan snapshot"
    );
    assert_eq!(
        user_err(shop.orders.open(UserId(3000), "month").await),
        UserError::OpenOrderExists { order: first.id }
    );
    assert!(matches!(
        user_err(shop.orders.open(UserId(3001), "gold").await),
        UserError::NotFound { .. }
    ));

    store::users::ensure(&shop.store.conn().unwrap(), UserId(3002), 0).unwrap();
    store::users::set_ban(&shop.store.conn().unwrap(), UserId(3002), Some("fraud"), 0).unwrap();
    assert_eq!(
        user_err(shop.orders.open(UserId(3002), "month").await),
        UserError::Banned
    );

    shop.set_outage(true).await;
    assert_eq!(
        user_err(shop.orders.open(UserId(3003), "month").await),
        UserError::PanelUnavailable
    );
    shop.set_outage(false).await;

    // 3 attempts per hour (the config): the 4th within the hour is refused with the wait.
    let user = UserId(3004);
    for _ in 0..3 {
        let o = shop.orders.open(user, "month").await.unwrap();
        shop.orders.cancel(user, o.id).await.unwrap();
    }
    let limited = user_err(shop.orders.open(user, "month").await);
    assert_eq!(
        limited,
        UserError::RateLimited {
            retry_after_secs: 1200
        }
    );
    tokio::time::advance(Duration::from_secs(1200)).await;
    shop.orders.open(user, "month").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_receipts_are_refused_even_when_racing() {
    let shop = Arc::new(Shop::start().await);
    let a = shop.open_with_ticket(3100, "month").await;
    let b = shop.open_with_ticket(3101, "month").await;
    let sha = "ab".repeat(32);
    let tasks: Vec<_> = [(3100, a), (3101, b)]
        .into_iter()
        .map(|(user, order)| {
            let (shop, sha) = (shop.clone(), sha.clone());
            tokio::spawn(async move {
                shop.orders
                    .submit_receipt(UserId(user), order, receipt_with_sha(&sha), None)
                    .await
            })
        })
        .collect();
    let mut ok = Vec::new();
    let mut dup = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(p) => ok.push(p),
            Err(Error::User(UserError::DuplicateReceipt { .. })) => dup += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((ok.len(), dup), (1, 1));
    let winner = shop.payment(ok[0]);
    let loser_order = if winner.order_id == a { b } else { a };
    assert_eq!(shop.order(loser_order).status, OrderStatus::PendingPayment);
    let audit = store::audit::for_target(
        &shop.store.conn().unwrap(),
        "order",
        &loser_order.to_string(),
    )
    .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == AuditAction::ReceiptDuplicate.as_str())
    );
    assert_eq!(shop.outbox("review_card", "payment_id", ok[0].0).len(), 1);
}

#[tokio::test]
async fn receipt_needs_a_payment_method_and_the_customers_own_order() {
    let shop = Shop::start().await;
    let order = shop.orders.open(UserId(3200), "month").await.unwrap().id;
    let no_method = user_err(
        shop.orders
            .submit_receipt(UserId(3200), order, shop.receipt(), None)
            .await,
    );
    assert!(
        matches!(no_method, UserError::InvalidState { .. }),
        "{no_method:?}"
    );
    shop.orders
        .choose_payment_method(UserId(3200), order, "bank")
        .await
        .unwrap();
    let stranger = user_err(
        shop.orders
            .submit_receipt(UserId(3201), order, shop.receipt(), None)
            .await,
    );
    assert!(
        matches!(stranger, UserError::NotFound { .. }),
        "{stranger:?}"
    );
    shop.orders
        .submit_receipt(UserId(3200), order, shop.receipt(), None)
        .await
        .unwrap();
    let twice = user_err(
        shop.orders
            .submit_receipt(UserId(3200), order, shop.receipt(), None)
            .await,
    );
    assert!(matches!(twice, UserError::InvalidState { .. }), "{twice:?}");
}

#[tokio::test]
async fn a_deleted_ticket_channel_cancels_the_order_and_its_payment_in_review() {
    let shop = Shop::start().await;
    let (order, payment) = shop.order_under_review(3300, "month").await;
    let channel = shop.order(order).ticket_channel_id.unwrap();
    assert_eq!(
        shop.orders.ticket_channel_deleted(channel).await.unwrap(),
        Some(order)
    );
    let o = shop.order(order);
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert_eq!(o.close_reason.as_deref(), Some("ticket channel deleted"));
    assert_eq!(shop.payment(payment).status, PaymentStatus::Rejected);
    // Nothing in flight: the customer may order again; an unknown channel is a no-op.
    shop.orders.open(UserId(3300), "month").await.unwrap();
    assert_eq!(
        shop.orders
            .ticket_channel_deleted(ChannelId(1))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn abandoned_tickets_close_after_the_configured_hours() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(1_800_000_000_000)).await;
    let waiting = shop.open_with_ticket(3400, "month").await;
    let (reviewed, _) = shop.order_under_review(3401, "month").await;
    tokio::time::advance(Duration::from_secs(48 * 3600 - 1)).await;
    assert_eq!(shop.orders.close_abandoned_once().await.unwrap(), 0);
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(shop.orders.close_abandoned_once().await.unwrap(), 1);
    assert_eq!(shop.order(waiting).status, OrderStatus::Abandoned);
    assert_eq!(
        shop.order(reviewed).status,
        OrderStatus::UnderReview,
        "has a receipt"
    );
    assert_eq!(shop.outbox("order_closed", "order_id", waiting.0).len(), 1);
    let channel = shop.order(waiting).ticket_channel_id.unwrap();
    let jobs = store::scheduled_jobs::due(&shop.store.conn().unwrap(), i64::MAX, 10).unwrap();
    let deletion = ScheduledTask::DeleteChannel {
        channel_id: channel,
    };
    assert!(jobs.iter().any(|j| j.dedupe_key == deletion.dedupe_key()));
}
