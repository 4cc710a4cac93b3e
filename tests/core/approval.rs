//! Approval: concurrent confirms (one token, and two admins' tokens), one-time tokens on tokio's
//! paused clock, panel outage → provisioning_pending → resume on recovery, reject → customer told
//! → a new receipt. Renewals are in `renewal.rs`.

use std::sync::Arc;
use std::time::Duration;

use crate::order_core::{ADMIN_A, ADMIN_B, OWNER, SUPPORT, Shop, actor};
use vpn_ticket_bot::Error;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::scheduled::ScheduledTask;
use vpn_ticket_bot::domain::status::{AdminAction, OrderStatus, PaymentStatus, SubscriptionStatus};
use vpn_ticket_bot::domain::{PaymentId, UserId};
use vpn_ticket_bot::error::{TokenRefusal, UserError};
use vpn_ticket_bot::service::approval::ApprovalOutcome;
use vpn_ticket_bot::sim::panel::{Fault, Profile};
use vpn_ticket_bot::store;

/// Asserts one approval, one client, one sale, one link delivery for `payment` of `user`.
fn assert_exactly_once(shop: &Shop, user: u64, payment: PaymentId) {
    assert_eq!(shop.payment(payment).status, PaymentStatus::Approved);
    assert_eq!(shop.clients_of(user).len(), 1, "exactly one panel client");
    assert_eq!(shop.ledger_rows(payment), 1, "exactly one ledger sale");
    let links = shop.outbox("deliver_link", "payment_id", payment.0);
    assert_eq!(links.len(), 1, "exactly one link delivery");
    assert!(links[0]["link"].as_str().unwrap().starts_with("vless://"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_confirms_of_one_token_approve_once() {
    let shop = Shop::start().await;
    let (order, payment) = shop.order_under_review(1001, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    let approval = Arc::new(shop.approval(None));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (approval, token) = (approval.clone(), token.clone());
            tokio::spawn(async move { approval.confirm(&actor(ADMIN_A), &token).await })
        })
        .collect();
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(ApprovalOutcome::Approved(a)) => {
                approved += 1;
                assert_eq!(a.payment_id, payment);
            }
            Err(Error::User(UserError::Token(TokenRefusal::Used))) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(approved, 1);
    assert_exactly_once(&shop, 1001, payment);
    let year = store::revenue::cache_rows(&shop.store.conn().unwrap(), "year").unwrap();
    assert_eq!(
        year.len(),
        1,
        "the approval updated the revenue cache: {year:?}"
    );
    assert_eq!(
        (year[0].total_minor, year[0].sales),
        (shop.payment(payment).amount_minor, 1)
    );
    assert_eq!(shop.order(order).status, OrderStatus::Completed);
    let user = shop.user(1001);
    assert_eq!(user.status, SubscriptionStatus::Active);
    assert_eq!(user.panel_email.as_deref(), Some("u1001"));
    let refused = shop
        .audit_actions(payment)
        .iter()
        .filter(|a| **a == AuditAction::ConfirmRefused)
        .count();
    assert_eq!(refused, 49, "every refusal is audited");
    let channel = shop.order(order).ticket_channel_id.unwrap();
    let jobs = store_jobs(&shop);
    let deletion = ScheduledTask::DeleteChannel {
        channel_id: channel,
    };
    let job = jobs
        .iter()
        .find(|j| j.dedupe_key == deletion.dedupe_key())
        .expect("ticket deletion scheduled");
    let in_24h = job.run_at - shop.clock.now_ms();
    assert!(
        (23 * 3_600_000..=24 * 3_600_000).contains(&in_24h),
        "{in_24h}"
    );
}

fn store_jobs(shop: &Shop) -> Vec<vpn_ticket_bot::store::scheduled_jobs::ScheduledJob> {
    vpn_ticket_bot::store::scheduled_jobs::due(&shop.store.conn().unwrap(), i64::MAX, 100).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_racing_on_one_payment_approve_once() {
    let shop = Shop::start().await;
    let (_, payment) = shop.order_under_review(1002, "month").await;
    let token_a = shop.token(ADMIN_A, payment).await;
    let token_b = shop.token(ADMIN_B, payment).await;
    let approval = Arc::new(shop.approval(None));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let approval = approval.clone();
            let (admin, token) = if i % 2 == 0 {
                (ADMIN_A, token_a.clone())
            } else {
                (ADMIN_B, token_b.clone())
            };
            tokio::spawn(async move { approval.confirm(&actor(admin), &token).await })
        })
        .collect();
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(ApprovalOutcome::Approved(_)) => approved += 1,
            Err(Error::User(
                UserError::Token(TokenRefusal::Used) | UserError::InvalidState { .. },
            )) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(approved, 1);
    assert_exactly_once(&shop, 1002, payment);
}

/// The refusal of a confirm (panics on success or an internal error).
fn refusal(result: Result<ApprovalOutcome, Error>) -> UserError {
    match result {
        Err(Error::User(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A shop on a paused clock with three payments under review and the panel in outage, so that a
/// confirmed approval parks without any panel I/O (none may happen on a paused clock).
async fn paused_shop() -> (Shop, [PaymentId; 3]) {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::starting_at(1_800_000_000_000)).await;
    let mut payments = [PaymentId(0); 3];
    for (i, p) in payments.iter_mut().enumerate() {
        *p = shop.order_under_review(1003 + i as u64, "month").await.1;
    }
    shop.set_outage(true).await;
    (shop, payments)
}

#[tokio::test(start_paused = true)]
async fn tokens_are_valid_at_4_59_refused_at_5_00_and_used_once() {
    let (shop, [first, second, _]) = paused_shop().await;
    let approval = shop.approval(None);
    let t1 = shop.token(ADMIN_A, first).await;
    let t2 = shop.token(ADMIN_A, second).await;
    tokio::time::advance(Duration::from_secs(4 * 60 + 59)).await;
    let ok = approval.confirm(&actor(ADMIN_A), &t1).await.unwrap();
    assert_eq!(ok, ApprovalOutcome::Delayed(first), "valid at 4:59");
    let again = refusal(approval.confirm(&actor(ADMIN_A), &t1).await);
    assert_eq!(again, UserError::Token(TokenRefusal::Used));

    tokio::time::advance(Duration::from_secs(1)).await;
    let late = refusal(approval.confirm(&actor(ADMIN_A), &t2).await);
    assert_eq!(
        late,
        UserError::Token(TokenRefusal::Expired),
        "refused at 5:00"
    );
    assert_eq!(shop.payment(second).status, PaymentStatus::Pending);
}

#[tokio::test(start_paused = true)]
async fn tokens_are_bound_to_their_admin_and_roles_are_checked_again() {
    let (shop, [_, second, third]) = paused_shop().await;
    let approval = shop.approval(None);
    let token = shop.token(ADMIN_A, second).await;
    let other = refusal(approval.confirm(&actor(ADMIN_B), &token).await);
    assert_eq!(other, UserError::Token(TokenRefusal::OtherAdmin));
    let support = refusal(approval.confirm(&actor(SUPPORT), &token).await);
    assert!(
        matches!(support, UserError::Forbidden { .. }),
        "{support:?}"
    );
    let unknown = refusal(approval.confirm(&actor(ADMIN_A), "00ff").await);
    assert_eq!(unknown, UserError::Token(TokenRefusal::Unknown));
    let issue = shop
        .sessions
        .issue(&actor(SUPPORT), AdminAction::Approve, second)
        .await;
    assert!(
        matches!(issue, Err(Error::User(UserError::Forbidden { .. }))),
        "{issue:?}"
    );
    assert_eq!(
        shop.payment(second).status,
        PaymentStatus::Pending,
        "nothing moved"
    );
    let audited = shop.audit_actions(second);
    let refusals = audited
        .iter()
        .filter(|a| **a == AuditAction::ConfirmRefused)
        .count();
    assert_eq!(
        refusals, 3,
        "other admin, support confirm, support issue: {audited:?}"
    );
    // The refusals did not use the token up: its admin still can (and so can the owner).
    assert_eq!(
        approval.confirm(&actor(ADMIN_A), &token).await.unwrap(),
        ApprovalOutcome::Delayed(second)
    );
    let owner = shop.token(OWNER, third).await;
    assert_eq!(
        approval.confirm(&actor(OWNER), &owner).await.unwrap(),
        ApprovalOutcome::Delayed(third)
    );
}

#[tokio::test]
async fn outage_parks_the_approval_and_recovery_completes_it() {
    let shop = Shop::start().await;
    let (order, payment) = shop.order_under_review(1005, "month").await;
    let (_, refused_conn) = shop.order_under_review(1006, "month").await;
    shop.set_outage(true).await;
    shop.sim.set_fault(Fault::Down).await;
    let approval = shop.approval(None);
    let token = shop.token(ADMIN_A, payment).await;
    let out = approval.confirm(&actor(ADMIN_A), &token).await.unwrap();
    assert_eq!(out, ApprovalOutcome::Delayed(payment));
    assert_eq!(
        shop.payment(payment).status,
        PaymentStatus::ProvisioningPending
    );
    assert_eq!(shop.order(order).status, OrderStatus::Provisioning);
    assert_eq!(
        shop.outbox("provisioning_delayed", "payment_id", payment.0)
            .len(),
        1
    );
    // Breaker still closed but no connection: also parked, not failed.
    shop.set_outage(false).await;
    let token = shop.token(ADMIN_A, refused_conn).await;
    let out = approval.confirm(&actor(ADMIN_A), &token).await.unwrap();
    assert_eq!(out, ApprovalOutcome::Delayed(refused_conn));
    shop.set_outage(true).await;
    assert!(approval.resume_pending().await.unwrap().approved.is_empty());
    assert!(shop.sim.clients().is_empty());

    shop.sim.set_fault(Fault::None).await;
    let mut events = shop.breaker.subscribe();
    shop.set_outage(false).await;
    let recovered = events.recv().await.unwrap();
    let report = approval
        .on_health_event(&recovered)
        .await
        .unwrap()
        .expect("recovery resumes");
    assert_eq!(report.approved.len(), 2, "{report:?}");
    assert_exactly_once(&shop, 1005, payment);
    assert_exactly_once(&shop, 1006, refused_conn);
    assert_eq!(shop.order(order).status, OrderStatus::Completed);
}

#[tokio::test]
async fn reject_tells_the_customer_and_reopens_the_ticket_for_a_new_receipt() {
    let shop = Shop::start().await;
    let (order, payment) = shop.order_under_review(1009, "month").await;
    let approval = shop.approval(None);
    let support = approval
        .reject(&actor(SUPPORT), payment, "nope")
        .await
        .unwrap_err();
    assert!(
        matches!(support, Error::User(UserError::Forbidden { .. })),
        "{support:?}"
    );
    approval
        .reject(&actor(ADMIN_A), payment, "amount does not match")
        .await
        .unwrap();
    let again = approval
        .reject(&actor(ADMIN_B), payment, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::User(UserError::InvalidState { .. })),
        "{again:?}"
    );

    let p = shop.payment(payment);
    assert_eq!(p.status, PaymentStatus::Rejected);
    assert_eq!(p.reason.as_deref(), Some("amount does not match"));
    assert_eq!(shop.order(order).status, OrderStatus::PendingPayment);
    let told = shop.outbox("receipt_rejected", "payment_id", payment.0);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["reason"], "amount does not match");
    assert_eq!(told[0]["user_id"], 1009);
    // The ticket is a view of the order, now waiting for a receipt again: queued to re-render
    // (unlocked), one row however often it changes.
    assert_eq!(shop.outbox("ticket_view", "order_id", order.0).len(), 1);

    // The same receipt stays a duplicate; a new one is accepted for the same order.
    let dup = shop
        .orders
        .submit_receipt(
            UserId(1009),
            order,
            shop.payment(payment).receipt.unwrap(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(dup, Error::User(UserError::DuplicateReceipt { earlier_order }) if earlier_order == order)
    );
    let second = shop
        .orders
        .submit_receipt(UserId(1009), order, shop.receipt(), None)
        .await
        .unwrap();
    assert_ne!(second, payment);
    assert_eq!(shop.order(order).status, OrderStatus::UnderReview);
    assert_eq!(shop.outbox("review_card", "payment_id", second.0).len(), 1);
    let actions = shop.audit_actions(payment);
    assert!(actions.contains(&AuditAction::PaymentReject), "{actions:?}");
    assert!(
        actions.contains(&AuditAction::ConfirmRefused),
        "support's attempt is audited"
    );
}
