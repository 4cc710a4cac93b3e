//! The order lifecycle's gaps that Discord faults used to open, at the core: abandonment counts
//! from the moment the order last started waiting for a receipt; a ticket deleted while its order
//! is provisioning neither blocks the customer nor loses what was paid; the delivered link is
//! kept for `/status` and "Show my link" during an outage; views are one coalesced row per entity
//! that a newer state re-arms.

use std::sync::Arc;
use std::time::Duration;

use crate::order_core::{ADMIN_A, Shop, actor};
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::status::{OrderStatus, OutboxStatus, PaymentStatus};
use vpn_ticket_bot::domain::{ChannelId, UserId};
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::approval::{ApprovalOutcome, FailPoint, ProvisionStep};
use vpn_ticket_bot::sim::panel::{Fault, Profile};
use vpn_ticket_bot::store;

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn abandonment_counts_from_the_rejection_that_reopened_the_ticket() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(1_800_000_000_000)).await;
    let (order, payment) = shop.order_under_review(5100, "month").await;
    // The receipt is rejected 47 h after the order opened: the customer gets a fresh 48 h.
    tokio::time::advance(47 * HOUR).await;
    shop.approval(None)
        .reject(&actor(ADMIN_A), payment, "unreadable")
        .await
        .unwrap();
    assert_eq!(shop.order(order).status, OrderStatus::PendingPayment);
    tokio::time::advance(2 * HOUR).await; // 49 h after opening, 2 h after the rejection
    assert_eq!(shop.orders.close_abandoned_once().await.unwrap(), 0);
    assert_eq!(shop.order(order).status, OrderStatus::PendingPayment);
    tokio::time::advance(46 * HOUR + Duration::from_secs(1)).await; // 48 h + 1 s after it
    assert_eq!(shop.orders.close_abandoned_once().await.unwrap(), 1);
    assert_eq!(shop.order(order).status, OrderStatus::Abandoned);
}

fn crash_after(step: ProvisionStep) -> FailPoint {
    Arc::new(move |s| s == step)
}

/// An order left provisioning (the process died after storing the identity), its ticket then
/// deleted: returns (order, payment, ticket channel).
async fn provisioning_without_ticket(
    shop: &Shop,
    user: u64,
) -> (
    vpn_ticket_bot::domain::OrderId,
    vpn_ticket_bot::domain::PaymentId,
    ChannelId,
) {
    let (order, payment) = shop.order_under_review(user, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    let crashing = shop.approval(Some(crash_after(ProvisionStep::IdentityStored)));
    crashing.confirm(&actor(ADMIN_A), &token).await.unwrap_err();
    assert_eq!(shop.order(order).status, OrderStatus::Provisioning);
    let channel = shop.order(order).ticket_channel_id.unwrap();
    let affected = shop.orders.ticket_channel_deleted(channel).await.unwrap();
    assert_eq!(affected, Some(order));
    assert_eq!(
        shop.order(order).status,
        OrderStatus::Provisioning,
        "keeps going"
    );
    assert_eq!(shop.order(order).ticket_channel_id, None);
    (order, payment, channel)
}

#[tokio::test]
async fn a_ticket_deleted_while_provisioning_still_delivers_by_dm() {
    let shop = Shop::start().await;
    let (order, payment, _) = provisioning_without_ticket(&shop, 5200).await;
    let report = shop.approval(None).reconcile_once().await.unwrap();
    assert_eq!(report.approved, vec![payment]);
    assert_eq!(shop.order(order).status, OrderStatus::Completed);
    let link = shop.outbox("deliver_link", "payment_id", payment.0);
    assert_eq!(link.len(), 1);
    assert!(
        link[0]["ticket_channel_id"].is_null(),
        "no fallback to a deleted ticket: {}",
        link[0]
    );
    // The customer can order again.
    shop.orders.open(UserId(5200), "month").await.unwrap();
}

#[tokio::test]
async fn a_ticket_deleted_while_provisioning_then_a_panel_failure_lets_the_customer_order_again() {
    let shop = Shop::start().await;
    let (order, payment, _) = provisioning_without_ticket(&shop, 5300).await;
    shop.sim.set_fault(Fault::Refusing).await;
    let report = shop.approval(None).reconcile_once().await.unwrap();
    shop.sim.set_fault(Fault::None).await;
    assert!(report.approved.is_empty(), "{report:?}");
    assert_eq!(shop.order(order).status, OrderStatus::Cancelled);
    assert_eq!(shop.payment(payment).status, PaymentStatus::Rejected);
    assert!(shop.clients_of(5300).is_empty(), "compensated");
    let reopened = shop.orders.open(UserId(5300), "month").await.unwrap();
    assert_ne!(reopened.id, order);
}

#[tokio::test]
async fn status_and_show_my_link_keep_the_delivered_link_during_an_outage() {
    let shop = Shop::start().await;
    let (_, payment) = shop.order_under_review(5400, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    let out = shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    let ApprovalOutcome::Approved(approved) = out else {
        panic!("{out:?}")
    };
    let subscriptions = shop.subscriptions();
    shop.set_outage(true).await;
    let view = subscriptions.status(UserId(5400)).await.unwrap();
    assert!(!view.live);
    assert_eq!(view.link.as_deref(), Some(approved.link.as_str()));
    let shown = subscriptions
        .payment_link(UserId(5400), payment)
        .await
        .unwrap();
    assert_eq!(shown.link, approved.link);
    let other = subscriptions
        .payment_link(UserId(5401), payment)
        .await
        .unwrap_err();
    assert!(
        matches!(other, Error::User(UserError::Forbidden { .. })),
        "{other:?}"
    );
}

#[tokio::test]
async fn a_view_is_one_row_that_each_new_state_re_arms() {
    let shop = Shop::start().await;
    let (order, payment) = shop.order_under_review(5500, "month").await;
    let key = format!("ticket_view:order:{order}");
    let row = |shop: &Shop| {
        store::outbox::find_by_key(&shop.store.conn().unwrap(), &key)
            .unwrap()
            .expect("one ticket view row")
    };
    let first = row(&shop);
    // Delivered by a worker that read revision `first.revision`...
    let conn = shop.store.conn().unwrap();
    // ...but a newer state (the rejection reopens the ticket) lands while it delivers.
    shop.approval(None)
        .reject(&actor(ADMIN_A), payment, "wrong amount")
        .await
        .unwrap();
    assert!(
        !store::outbox::mark_delivered(&conn, first.id, first.revision, 1).unwrap(),
        "an older revision's delivery does not count"
    );
    let second = row(&shop);
    assert_eq!(second.id, first.id, "coalesced into the same row");
    assert_eq!(second.status, OutboxStatus::Pending);
    assert!(store::outbox::mark_delivered(&conn, second.id, second.revision, 2).unwrap());
    // A later state re-arms the delivered row.
    shop.orders
        .submit_receipt(UserId(5500), order, shop.receipt(), None)
        .await
        .unwrap();
    let third = row(&shop);
    assert_eq!((third.id, third.status), (first.id, OutboxStatus::Pending));
    assert!(third.revision > second.revision);
}
