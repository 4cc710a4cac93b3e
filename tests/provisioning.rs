//! Crash safety of provisioning: a crash after every step, then a new service on the same store
//! and panel runs the reconciler → exactly one client, payment approved, one link delivery, one
//! sale. Panel failures roll back to `pending` with no client left; a client created before the
//! approval could be recorded is deleted again (compensation).

mod order_core;

use std::sync::Arc;

use order_core::{ADMIN_A, Shop, actor};
use vpn_ticket_bot::Error;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::status::{OrderStatus, PaymentStatus};
use vpn_ticket_bot::service::approval::{
    ApprovalOutcome, FailPoint, ProvisionFailure, ProvisionStep, ReconcileReport,
};
use vpn_ticket_bot::sim::panel::Fault;
use vpn_ticket_bot::store;

fn crash_after(step: ProvisionStep) -> FailPoint {
    Arc::new(move |s| s == step)
}

/// Seeds another customer's client so deleting ours never hits "last client of the inbound".
async fn seed_bystander(shop: &Shop) {
    let (_, p) = shop.order_under_review(999, "month").await;
    let token = shop.token(ADMIN_A, p).await;
    let out = shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    assert!(matches!(out, ApprovalOutcome::Approved(_)));
}

fn assert_done_once(shop: &Shop, user: u64, payment: vpn_ticket_bot::domain::PaymentId) {
    assert_eq!(
        shop.payment(payment).status,
        PaymentStatus::Approved,
        "user {user}"
    );
    assert_eq!(shop.clients_of(user).len(), 1, "one client for user {user}");
    assert_eq!(
        shop.outbox("deliver_link", "payment_id", payment.0).len(),
        1
    );
    assert_eq!(shop.ledger_rows(payment), 1);
}

#[tokio::test]
async fn a_crash_after_any_step_ends_in_exactly_one_client_and_one_delivery() {
    let shop = Shop::start().await;
    for (i, step) in ProvisionStep::ALL.into_iter().enumerate() {
        let user = 2000 + i as u64;
        let (order, payment) = shop.order_under_review(user, "month").await;
        let token = shop.token(ADMIN_A, payment).await;
        let crashing = shop.approval(Some(crash_after(step)));
        let err = crashing.confirm(&actor(ADMIN_A), &token).await.unwrap_err();
        assert!(
            matches!(err, Error::Crashed(s) if s == step.as_str()),
            "{err:?}"
        );
        drop(crashing);
        let stored = shop.payment(payment);
        let expect_status = if step == ProvisionStep::Finalized {
            PaymentStatus::Approved
        } else {
            PaymentStatus::Approving
        };
        assert_eq!(stored.status, expect_status, "after a crash at {step:?}");

        let restarted = shop.approval(None);
        let report = restarted.reconcile_once().await.unwrap();
        if step == ProvisionStep::Finalized {
            assert!(report.approved.is_empty(), "nothing left to do: {report:?}");
        } else {
            assert_eq!(report.approved, vec![payment], "{step:?}");
        }
        assert_done_once(&shop, user, payment);
        assert_eq!(shop.order(order).status, OrderStatus::Completed);
        // A second pass changes nothing.
        assert_eq!(
            restarted.reconcile_once().await.unwrap(),
            ReconcileReport::default()
        );
        assert_done_once(&shop, user, payment);
    }
}

#[tokio::test]
async fn a_renewal_interrupted_after_the_panel_write_is_not_extended_twice() {
    let shop = Shop::start().await;
    seed_bystander(&shop).await;
    let (_, first) = shop.order_under_review(2100, "month").await;
    let token = shop.token(ADMIN_A, first).await;
    shop.approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    let expiry_after_first = shop.sim.client("u2100").unwrap().expiry_time;

    let order = shop.open_with_ticket(2100, "month").await;
    let payment = shop
        .orders
        .submit_receipt(UserId(2100), order, shop.receipt(), None)
        .await
        .unwrap();
    let token = shop.token(ADMIN_A, payment).await;
    let crashing = shop.approval(Some(crash_after(ProvisionStep::PanelApplied)));
    assert!(crashing.confirm(&actor(ADMIN_A), &token).await.is_err());
    drop(crashing);
    shop.approval(None).reconcile_once().await.unwrap();
    assert_done_once(&shop, 2100, payment);
    let extended = shop.sim.client("u2100").unwrap().expiry_time - expiry_after_first;
    assert_eq!(extended, 30 * 86_400_000, "extended by one plan, not two");
}

#[tokio::test]
async fn a_failing_panel_call_rolls_back_to_pending_without_a_client() {
    let shop = Shop::start().await;
    // Directly: HTTP 500 during approval.
    let (order, payment) = shop.order_under_review(2200, "month").await;
    shop.sim.set_fault(Fault::Status500).await;
    let token = shop.token(ADMIN_A, payment).await;
    let out = shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    assert!(
        matches!(out, ApprovalOutcome::Failed(p, ProvisionFailure::Panel(_)) if p == payment),
        "{out:?}"
    );
    assert_eq!(shop.payment(payment).status, PaymentStatus::Pending);
    assert_eq!(shop.order(order).status, OrderStatus::UnderReview);
    assert!(shop.payment(payment).reason.unwrap().contains("HTTP 500"));

    // After a crash: the reconciler meets the failing panel and rolls back too.
    shop.sim.set_fault(Fault::None).await;
    let (order2, payment2) = shop.order_under_review(2201, "month").await;
    let token = shop.token(ADMIN_A, payment2).await;
    let crashing = shop.approval(Some(crash_after(ProvisionStep::IdentityStored)));
    assert!(crashing.confirm(&actor(ADMIN_A), &token).await.is_err());
    drop(crashing);
    shop.sim.set_fault(Fault::Status500).await;
    let report = shop.approval(None).reconcile_once().await.unwrap();
    assert_eq!(report.failed, vec![payment2]);
    shop.sim.set_fault(Fault::None).await;
    assert_eq!(shop.payment(payment2).status, PaymentStatus::Pending);
    assert_eq!(shop.order(order2).status, OrderStatus::UnderReview);
    assert!(shop.sim.clients().is_empty(), "no client anywhere");
    assert_eq!(shop.ledger_rows(payment) + shop.ledger_rows(payment2), 0);
    assert!(
        shop.outbox("deliver_link", "payment_id", payment2.0)
            .is_empty()
    );

    // The admin can approve again once the panel works: still one client.
    let token = shop.token(ADMIN_A, payment2).await;
    let out = shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    assert!(matches!(out, ApprovalOutcome::Approved(_)), "{out:?}");
    assert_done_once(&shop, 2201, payment2);
}

#[tokio::test]
async fn a_client_created_but_not_recorded_is_deleted_again() {
    let shop = Shop::start().await;
    seed_bystander(&shop).await;
    let (order, payment) = shop.order_under_review(2300, "month").await;
    // Corrupt state: another customer's row already claims the email `u2300`, so recording the
    // approval fails after the panel created the client.
    {
        let conn = shop.store.conn().unwrap();
        store::users::ensure(&conn, UserId(2399), 0).unwrap();
        let taken = store::users::ClientIdentity {
            uuid: "11111111-1111-4111-8111-111111111111".into(),
            email: "u2300".into(),
            sub_id: "taken".into(),
            inbound_id: 1,
        };
        store::users::set_client(&conn, UserId(2399), &taken, 0).unwrap();
    }
    let token = shop.token(ADMIN_A, payment).await;
    let out = shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    assert!(
        matches!(out, ApprovalOutcome::Failed(_, ProvisionFailure::Store(_))),
        "{out:?}"
    );
    assert!(
        shop.clients_of(2300).is_empty(),
        "compensation deleted the new client"
    );
    assert_eq!(shop.payment(payment).status, PaymentStatus::Pending);
    assert_eq!(shop.order(order).status, OrderStatus::UnderReview);
    assert_eq!(shop.ledger_rows(payment), 0);
    let actions = shop.audit_actions(payment);
    assert!(
        actions.contains(&"payment.provision_failed".to_owned()),
        "{actions:?}"
    );
}
