//! Crash safety of provisioning: a crash after every step, then a new service on the same store
//! and panel runs the reconciler → exactly one client, payment approved, one link delivery, one
//! sale. Panel failures roll back to `pending` with no client left; a client created before the
//! approval could be recorded is deleted again (compensation).

use async_trait::async_trait;
use vpn_ticket_bot::panel::{
    ClientSpec, ClientTraffic, DeleteOutcome, EnsureOutcome, ErrorContext, Inbound, LastOnline,
    PanelApi, PanelError, PanelResult, PanelStatus,
};

use std::sync::Arc;

use crate::order_core::{ADMIN_A, Shop, actor};
use vpn_ticket_bot::Error;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::{OrderStatus, PaymentStatus};
use vpn_ticket_bot::service::approval::{
    ApprovalOutcome, FailPoint, ProvisionFailure, ProvisionStep, ReconcileReport,
};
use vpn_ticket_bot::sim::panel::{Fault, Profile};
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
    // Both API generations: Gen A (inbound-scoped clients) and Gen B (`/panel/api/clients`).
    for profile in [Profile::v2_9_4(), Profile::v3_6_0()] {
        crash_after_each_step(Shop::start_with(profile, Clock::system()).await).await;
    }
}

async fn crash_after_each_step(shop: Shop) {
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
    shop.approved(payment2).await;
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
        actions.contains(&AuditAction::PaymentProvisionFailed),
        "{actions:?}"
    );
}

/// The real client, except that `set_client_enabled` is refused by the panel (HTTP 200,
/// `success:false`): a renewal fails after its `extend_client` already applied, so compensation
/// has something to undo.
struct RefusesEnable {
    inner: Arc<dyn PanelApi>,
    /// The client's expiry when `set_client_enabled` was called.
    seen_expiry: std::sync::Mutex<Option<i64>>,
    /// Also refuse every `extend_client` after the first (the compensation's revert).
    refuse_revert: bool,
    extends: std::sync::atomic::AtomicU32,
}

impl RefusesEnable {
    fn new(inner: Arc<dyn PanelApi>, refuse_revert: bool) -> Arc<Self> {
        Arc::new(Self {
            inner,
            seen_expiry: std::sync::Mutex::new(None),
            refuse_revert,
            extends: 0.into(),
        })
    }
}

fn refused(op: &'static str) -> PanelError {
    PanelError::Rejected {
        ctx: ErrorContext::new(op, "test"),
        msg: "refused by the test".into(),
    }
}

#[async_trait]
impl PanelApi for RefusesEnable {
    async fn status(&self) -> PanelResult<PanelStatus> {
        self.inner.status().await
    }
    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>> {
        self.inner.list_inbounds().await
    }
    async fn inbound(&self, id: u32) -> PanelResult<Inbound> {
        self.inner.inbound(id).await
    }
    async fn ensure_client(
        &self,
        inbound_id: u32,
        spec: &ClientSpec,
    ) -> PanelResult<EnsureOutcome> {
        self.inner.ensure_client(inbound_id, spec).await
    }
    async fn extend_client(&self, email: &str, expiry: i64, total: u64) -> PanelResult<()> {
        let n = self
            .extends
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.refuse_revert && n > 0 {
            return Err(refused("extend_client"));
        }
        self.inner.extend_client(email, expiry, total).await
    }
    async fn set_client_enabled(&self, email: &str, _enable: bool) -> PanelResult<()> {
        let expiry = self.inner.client_traffic(email).await?.expiry_time;
        *self.seen_expiry.lock().unwrap() = Some(expiry);
        Err(refused("set_client_enabled"))
    }
    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome> {
        self.inner.delete_client(email).await
    }
    async fn client_traffic(&self, email: &str) -> PanelResult<ClientTraffic> {
        self.inner.client_traffic(email).await
    }
    async fn online_emails(&self) -> PanelResult<Vec<String>> {
        self.inner.online_emails().await
    }
    async fn last_online(&self) -> PanelResult<LastOnline> {
        self.inner.last_online().await
    }
}

#[tokio::test]
async fn a_renewal_that_failed_after_extending_is_put_back_and_retried_once() {
    let shop = Shop::start().await;
    let (_, first) = shop.order_under_review(2400, "month").await;
    let token = shop.token(ADMIN_A, first).await;
    shop.approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    let before = shop.sim.client("u2400").unwrap().expiry_time;

    let order = shop.open_with_ticket(2400, "month").await;
    let payment = shop
        .orders
        .submit_receipt(UserId(2400), order, shop.receipt(), None)
        .await
        .unwrap();
    let refuses = RefusesEnable::new(shop.panel.clone(), false);
    let flaky = shop.approval_with_panel(refuses.clone(), None);
    let token = shop.token(ADMIN_A, payment).await;
    let out = flaky.confirm(&actor(ADMIN_A), &token).await.unwrap();
    assert!(
        matches!(out, ApprovalOutcome::Failed(_, ProvisionFailure::Panel(_))),
        "{out:?}"
    );
    assert_eq!(shop.payment(payment).status, PaymentStatus::Pending);
    let seen = refuses
        .seen_expiry
        .lock()
        .unwrap()
        .expect("enable was attempted");
    assert_eq!(
        seen - before,
        30 * 86_400_000,
        "the extend had reached the panel"
    );
    let after_failure = shop.sim.client("u2400").unwrap();
    assert_eq!(
        after_failure.expiry_time, before,
        "compensation put the expiry back"
    );
    assert_eq!(after_failure.total_gb, 100 << 30, "and the traffic limit");

    shop.approved(payment).await;
    assert_done_once(&shop, 2400, payment);
    let total = shop.sim.client("u2400").unwrap().expiry_time - before;
    assert_eq!(
        total,
        30 * 86_400_000,
        "the retry re-applied the same terms"
    );
}

#[tokio::test]
async fn a_renewal_that_could_not_be_put_back_reuses_its_terms_on_retry() {
    let shop = Shop::start().await;
    let (_, first) = shop.order_under_review(2500, "month").await;
    let token = shop.token(ADMIN_A, first).await;
    shop.approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap();
    let before = shop.sim.client("u2500").unwrap().expiry_time;
    let order = shop.open_with_ticket(2500, "month").await;
    let payment = shop
        .orders
        .submit_receipt(UserId(2500), order, shop.receipt(), None)
        .await
        .unwrap();
    let flaky = shop.approval_with_panel(RefusesEnable::new(shop.panel.clone(), true), None);
    let token = shop.token(ADMIN_A, payment).await;
    let out = flaky.confirm(&actor(ADMIN_A), &token).await.unwrap();
    assert!(matches!(out, ApprovalOutcome::Failed(..)), "{out:?}");
    let stuck = shop.sim.client("u2500").unwrap().expiry_time;
    assert_eq!(stuck - before, 30 * 86_400_000, "the revert was refused");

    shop.approved(payment).await;
    let total = shop.sim.client("u2500").unwrap().expiry_time - before;
    assert_eq!(
        total,
        30 * 86_400_000,
        "the retry re-applied the kept terms"
    );
    assert_done_once(&shop, 2500, payment);
}

/// The reconciler as the background job runs it: a crash left an approval midway; the job's
/// pass finishes it, and a second pass changes nothing.
#[tokio::test]
async fn the_approval_reconcile_job_finishes_what_a_crash_left() {
    use vpn_ticket_bot::service::jobs::ApprovalReconcileJob;
    use vpn_ticket_bot::tasks::Job;

    let shop = Shop::start().await;
    let (_, payment) = shop.order_under_review(2300, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    let crashing = shop.approval(Some(crash_after(ProvisionStep::IdentityStored)));
    assert!(crashing.confirm(&actor(ADMIN_A), &token).await.is_err());
    drop(crashing);
    assert_eq!(shop.payment(payment).status, PaymentStatus::Approving);

    let job = ApprovalReconcileJob(Arc::new(shop.approval(None)));
    assert_eq!(job.name(), "approval_reconcile");
    job.run_once().await.unwrap();
    assert_done_once(&shop, 2300, payment);
    job.run_once().await.unwrap();
    assert_done_once(&shop, 2300, payment);
}

/// Approves `payment` with `approval` (a service kept across approvals, as the bot keeps it).
async fn confirm_with(
    shop: &Shop,
    approval: &vpn_ticket_bot::service::approval::ApprovalService,
    payment: vpn_ticket_bot::domain::PaymentId,
) -> ApprovalOutcome {
    let token = shop.token(ADMIN_A, payment).await;
    approval.confirm(&actor(ADMIN_A), &token).await.unwrap()
}

#[tokio::test]
async fn new_customers_after_the_first_cost_no_read_of_the_whole_inbound() {
    for profile in [Profile::v2_9_4(), Profile::v3_6_0()] {
        let shop = Shop::start_with(profile, Clock::system()).await;
        let approval = shop.approval(None);
        let reads = || shop.sim.request_count("GET", "/inbounds/get/1");
        let mut after_first = None;
        for user in 2600..2604_u64 {
            let (_, payment) = shop.order_under_review(user, "month").await;
            let ApprovalOutcome::Approved(done) = confirm_with(&shop, &approval, payment).await
            else {
                panic!("user {user} not approved");
            };
            let client = shop.clients_of(user).pop().expect("client created");
            assert!(
                done.link.starts_with(&format!("vless://{}@", client.id)),
                "{} for {}",
                done.link,
                client.id
            );
            assert_done_once(&shop, user, payment);
            after_first.get_or_insert_with(reads);
        }
        let first = after_first.unwrap();
        assert!(first >= 1, "the first approval reads the inbound");
        assert_eq!(reads(), first, "later ones do not");
    }
}

/// First approvals confirmed at the same moment, with no recent read of the inbound, read it
/// once: one reads, the others wait and take the fast path with what it read (each read holds
/// every client of the inbound).
#[tokio::test]
async fn first_approvals_at_once_read_the_whole_inbound_once() {
    let shop = Shop::start_with(Profile::v3_6_0(), Clock::system()).await;
    let approval = shop.approval(None);
    let reads = || shop.sim.request_count("GET", "/inbounds/get/1");
    let users = 2700..2705_u64;
    let mut payments = Vec::new();
    for user in users.clone() {
        payments.push(shop.order_under_review(user, "month").await.1);
    }
    let outcomes = futures_util::future::join_all(
        payments
            .iter()
            .map(|&payment| confirm_with(&shop, &approval, payment)),
    )
    .await;
    for ((user, payment), outcome) in users.zip(payments).zip(outcomes) {
        assert!(
            matches!(outcome, ApprovalOutcome::Approved(_)),
            "user {user}: {outcome:?}"
        );
        assert_done_once(&shop, user, payment);
    }
    assert_eq!(
        reads(),
        1,
        "one read of the whole inbound for five approvals"
    );
}

#[tokio::test]
async fn an_email_taken_by_someone_elses_client_is_refused_on_both_paths() {
    for profile in [Profile::v2_9_4(), Profile::v3_6_0()] {
        let shop = Shop::start_with(profile, Clock::system()).await;
        let approval = shop.approval(None);
        seed_bystander(&shop).await;
        for (user, warm) in [(2700_u64, false), (2701, true)] {
            if warm {
                // Another customer makes the inbound a recent read of `approval`.
                let (_, p) = shop.order_under_review(user + 50, "month").await;
                assert!(matches!(
                    confirm_with(&shop, &approval, p).await,
                    ApprovalOutcome::Approved(_)
                ));
            }
            let foreign = ClientSpec::new(
                "0b0b0b0b-0000-4000-8000-00000000000b",
                format!("u{user}"),
                format!("foreign{user}"),
            );
            shop.panel.ensure_client(1, &foreign).await.unwrap();
            let (_, payment) = shop.order_under_review(user, "month").await;
            let service = if warm {
                &approval
            } else {
                &shop.approval(None)
            };
            match confirm_with(&shop, service, payment).await {
                ApprovalOutcome::Failed(p, ProvisionFailure::EmailTaken(email)) => {
                    assert_eq!((p, email), (payment, format!("u{user}")));
                }
                other => panic!("warm {warm}: {other:?}"),
            }
            let kept = shop.clients_of(user);
            assert_eq!(kept.len(), 1, "warm {warm}");
            assert_eq!(kept[0].id, foreign.uuid, "the foreign client is left alone");
            assert_eq!(shop.payment(payment).status, PaymentStatus::Pending);
        }
    }
}

#[tokio::test]
async fn a_retry_that_finds_the_client_its_lost_attempt_added_finishes_once() {
    for profile in [Profile::v2_9_4(), Profile::v3_6_0()] {
        let shop = Shop::start_with(profile, Clock::system()).await;
        // A service whose inbound read is recent (it approved someone).
        let warm = shop.approval(None);
        let (_, first) = shop.order_under_review(2800, "month").await;
        assert!(matches!(
            confirm_with(&shop, &warm, first).await,
            ApprovalOutcome::Approved(_)
        ));
        // An attempt stored its identity, its add reached the panel, and it died before
        // recording that.
        let (_, payment) = shop.order_under_review(2801, "month").await;
        let token = shop.token(ADMIN_A, payment).await;
        let err = shop
            .approval(Some(crash_after(ProvisionStep::IdentityStored)))
            .confirm(&actor(ADMIN_A), &token)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Crashed(_)), "{err:?}");
        let (uuid, email, sub_id) = shop.payment(payment).client.expect("identity stored");
        shop.panel
            .ensure_client(1, &ClientSpec::new(&uuid, &email, &sub_id))
            .await
            .unwrap();
        let report = warm.reconcile_once().await.unwrap();
        assert_eq!(report.approved, vec![payment], "{report:?}");
        assert_done_once(&shop, 2801, payment);
        assert_eq!(shop.clients_of(2801)[0].id, uuid, "its own client, kept");
        let sent = shop.outbox("deliver_link", "payment_id", payment.0);
        assert!(
            sent[0].to_string().contains(&format!("vless://{uuid}@")),
            "{sent:?}"
        );
    }
}
