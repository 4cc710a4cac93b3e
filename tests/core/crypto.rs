//! Crypto Pay payments through both emulators (Crypto Pay and the 3x-ui panel) and the real
//! clients: a paid invoice provisions exactly once whatever races it (pollers of two processes,
//! the customer's check, signed webhooks), a mismatch provisions nothing and alerts, an expiry
//! offers a new invoice, a crash between paid and provisioned completes once, and a provider
//! outage makes the order wait and complete later.

use std::sync::Arc;
use std::time::Duration;

use vpn_ticket_bot::app::App;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::Secret;
use vpn_ticket_bot::cryptopay::{CryptoPayClient, InvoiceId, InvoiceStatus};
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::{InvoiceState, OrderStatus, PaymentSource, PaymentStatus};
use vpn_ticket_bot::domain::{OrderId, UserId};
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::approval::{
    ApprovalOutcome, ApprovalService, FailPoint, ProvisionStep,
};
use vpn_ticket_bot::service::crypto::{CheckOutcome, CryptoPayments};
use vpn_ticket_bot::sim::cryptopay::{CryptoPaySim, Fault};
use vpn_ticket_bot::sim::panel::Profile;
use vpn_ticket_bot::store::{self, crypto_invoices::StoredInvoice};

use crate::order_core::Shop;

const TOKEN: &str = "5150:AAcryptoTestToken";

/// A change made to a paid invoice at Crypto Pay (a forged or inconsistent answer).
type Forgery = fn(&mut vpn_ticket_bot::cryptopay::Invoice);

struct CryptoShop {
    shop: Shop,
    pay: CryptoPaySim,
    crypto: Arc<CryptoPayments>,
}

impl CryptoShop {
    async fn start() -> Self {
        Self::start_with("").await
    }

    /// `cryptobot` lines are appended to the `[cryptobot]` section.
    async fn start_with(cryptobot: &str) -> Self {
        let pay = CryptoPaySim::start(TOKEN).await;
        let extra = format!(
            "\n[[payment_methods]]\nid = \"crypto\"\nname = \"Crypto\"\nkind = \"cryptobot\"\n\n\
             [cryptobot]\ntoken = \"{TOKEN}\"\napi_url = \"{}\"\naccepted_assets = [\"USDT\", \"TON\"]\n\
             timeout_secs = 2\n{cryptobot}\n",
            pay.base_url()
        );
        let shop = Shop::start_configured(Profile::v3_6_0(), Clock::system(), &extra).await;
        let crypto = App::new(shop.deps.clone())
            .crypto
            .expect("a cryptobot method makes the service");
        Self { shop, pay, crypto }
    }

    /// Another process's service on the same database: its own client and approval service
    /// (with `fail_point`).
    fn process(&self, fail_point: Option<FailPoint>) -> CryptoPayments {
        let client = CryptoPayClient::new(
            &self.pay.base_url(),
            Secret::new(TOKEN),
            Duration::from_secs(2),
        )
        .unwrap();
        let approval = ApprovalService::new(self.shop.deps.clone()).with_fail_point(fail_point);
        CryptoPayments::new(self.shop.deps.clone(), Arc::new(client), Arc::new(approval))
    }

    /// An order of `user` with a ticket, paid by Crypto Pay, and its invoice.
    async fn invoiced(&self, user: u64) -> (OrderId, InvoiceId) {
        let order = self.shop.open_with_ticket(user, "month").await;
        self.shop
            .orders
            .choose_payment_method(UserId(user), order, "crypto")
            .await
            .unwrap();
        let view = self.crypto.open_invoice(UserId(user), order).await.unwrap();
        (order, InvoiceId(view.invoice_id))
    }

    fn row(&self, order: OrderId) -> StoredInvoice {
        store::crypto_invoices::latest_for_order(&self.shop.store.conn().unwrap(), order)
            .unwrap()
            .expect("an invoice row")
    }

    fn payments(&self, order: OrderId) -> Vec<store::payments::Payment> {
        store::payments::list_for_order(&self.shop.store.conn().unwrap(), order).unwrap()
    }

    fn invoice_audit(&self, invoice: InvoiceId) -> Vec<AuditAction> {
        store::audit::for_target(
            &self.shop.store.conn().unwrap(),
            "invoice",
            &invoice.to_string(),
        )
        .unwrap()
        .into_iter()
        .map(|e| e.action.parse().unwrap())
        .collect()
    }

    fn owner_alerts(&self) -> Vec<serde_json::Value> {
        store::outbox::due(&self.shop.store.conn().unwrap(), i64::MAX, 10_000)
            .unwrap()
            .into_iter()
            .filter(|i| i.kind == "owner_alert")
            .map(|i| i.payload)
            .collect()
    }

    /// The whole money trail of a settled order: one cryptobot payment, approved; one client;
    /// one ledger sale; one link delivery; the invoice paid, audited once.
    fn assert_delivered_once(&self, user: u64, order: OrderId, invoice: InvoiceId) {
        let payments = self.payments(order);
        assert_eq!(payments.len(), 1, "one payment: {payments:?}");
        let p = &payments[0];
        assert_eq!(
            (p.source, p.status),
            (PaymentSource::Cryptobot, PaymentStatus::Approved)
        );
        assert_eq!((p.amount_minor, p.currency.as_str()), (500, "USD"));
        assert!(p.receipt.is_none() && p.reviewer_id.is_none());
        assert_eq!(self.shop.order(order).status, OrderStatus::Completed);
        assert_eq!(self.shop.clients_of(user).len(), 1, "one panel client");
        assert_eq!(self.shop.ledger_rows(p.id), 1, "one ledger sale");
        assert_eq!(
            self.shop.outbox("deliver_link", "order_id", order.0).len(),
            1,
            "one DM"
        );
        let row = self.row(order);
        assert_eq!(
            (row.state, row.payment_id),
            (InvoiceState::Paid, Some(p.id))
        );
        let audit = self.invoice_audit(invoice);
        let paid = audit.iter().filter(|a| **a == AuditAction::InvoicePaid);
        assert_eq!(paid.count(), 1, "{audit:?}");
        assert!(!audit.contains(&AuditAction::InvoiceMismatch), "{audit:?}");
        assert!(self.owner_alerts().is_empty(), "no alarm for a clean sale");
        assert!(
            self.shop
                .outbox("invoice_notice", "invoice_id", invoice.0)
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_invoice_asks_for_the_orders_price_with_our_payload_and_is_reused_until_paid() {
    let s = CryptoShop::start().await;
    let (order, invoice) = s.invoiced(7001).await;
    let at_provider = s.pay.invoice(invoice).expect("created at Crypto Pay");
    assert_eq!(at_provider.amount, "5.00");
    assert_eq!(at_provider.fiat.as_deref(), Some("USD"));
    assert_eq!(at_provider.accepted_assets, vec!["USDT", "TON"]);
    let row = s.row(order);
    assert_eq!(at_provider.payload.as_deref(), Some(row.payload.as_str()));
    assert!(
        row.payload.starts_with(&format!("vtb:{order}:")),
        "{}",
        row.payload
    );
    assert_eq!(row.state, InvoiceState::Active);
    // Picking the method again shows the same invoice: no second one at Crypto Pay.
    let again = s.crypto.open_invoice(UserId(7001), order).await.unwrap();
    assert_eq!(again.invoice_id, invoice.0);
    assert_eq!(s.pay.request_count("createInvoice"), 1);
    // Unpaid: a check says so and changes nothing.
    let checked = s.crypto.check_order(UserId(7001), order).await.unwrap();
    assert!(matches!(checked, CheckOutcome::Waiting(v) if v.invoice_id == invoice.0));
    assert!(s.payments(order).is_empty());
    // Someone else's order is not theirs to check.
    let foreign = s.crypto.check_order(UserId(7002), order).await.unwrap_err();
    assert!(
        matches!(foreign, Error::User(UserError::NotFound { .. })),
        "{foreign}"
    );
}

#[tokio::test]
async fn a_paid_invoice_provisions_once_when_pollers_a_check_and_two_webhooks_race() {
    let s = CryptoShop::start_with("webhook_listen = \"127.0.0.1:0\"").await;
    let (order, invoice) = s.invoiced(7010).await;
    assert!(s.pay.pay(invoice));
    // The listener only wakes the poller; two signed deliveries of the same update.
    let listener = s.crypto.start_webhook().await.unwrap().expect("configured");
    let url = format!("http://{}/cryptobot-webhook", listener.local_addr());
    let (a, b) = (s.process(None), s.process(None));
    let (hook1, hook2, poll_a, poll_b, check, poll_c) = tokio::join!(
        s.pay.send_webhook(&url, invoice),
        s.pay.send_webhook(&url, invoice),
        a.poll_once(),
        b.poll_once(),
        s.crypto.check_order(UserId(7010), order),
        s.crypto.poll_once(),
    );
    assert!(hook1.is_success() && hook2.is_success(), "{hook1} {hook2}");
    let settled = [
        poll_a.unwrap().settled,
        poll_b.unwrap().settled,
        poll_c.unwrap().settled,
    ];
    let by_check = matches!(check.unwrap(), CheckOutcome::Settled(_));
    assert_eq!(
        settled.iter().sum::<usize>() + usize::from(by_check),
        1,
        "exactly one settles: {settled:?} / check {by_check}"
    );
    // Whoever settled drove provisioning to the end (or the reconciler will: run it).
    ApprovalService::new(s.shop.deps.clone())
        .reconcile_once()
        .await
        .unwrap();
    s.assert_delivered_once(7010, order, invoice);
    // Later passes and clicks find it paid and do nothing more.
    assert_eq!(s.crypto.poll_once().await.unwrap().settled, 0);
    let again = s.crypto.check_order(UserId(7010), order).await.unwrap();
    assert_eq!(again, CheckOutcome::AlreadyPaid);
    s.assert_delivered_once(7010, order, invoice);
    listener.shutdown().await;
}

#[tokio::test]
async fn a_paid_invoice_that_differs_from_what_was_asked_provisions_nothing_and_alerts() {
    let s = CryptoShop::start().await;
    let cases: [(u64, Forgery, &str); 3] = [
        (
            7020,
            |i| i.amount = "4.00".into(),
            "amount 4.00 USD, expected 5.00 USD",
        ),
        (7021, |i| i.payload = Some("vtb:1:forged".into()), "payload"),
        (
            7022,
            |i| i.fiat = Some("EUR".into()),
            "paid in EUR, expected USD",
        ),
    ];
    for (user, forge, why) in cases {
        let (order, invoice) = s.invoiced(user).await;
        assert!(s.pay.pay(invoice));
        assert!(s.pay.tamper(invoice, forge));
        let report = s.crypto.poll_once().await.unwrap();
        assert_eq!((report.settled, report.not_settled), (0, 1), "{user}");
        let row = s.row(order);
        assert_eq!(row.state, InvoiceState::Mismatch);
        assert!(
            row.last_error.as_deref().unwrap_or("").contains(why),
            "{:?}",
            row.last_error
        );
        assert!(s.payments(order).is_empty(), "no payment");
        assert!(s.shop.clients_of(user).is_empty(), "no client");
        assert_eq!(s.shop.order(order).status, OrderStatus::PendingPayment);
        assert!(
            s.invoice_audit(invoice)
                .contains(&AuditAction::InvoiceMismatch)
        );
        let alerts: Vec<_> = s
            .owner_alerts()
            .into_iter()
            .filter(|a| a["alert"]["invoice_id"] == invoice.0)
            .collect();
        assert_eq!(alerts.len(), 1, "owners alerted once");
        assert_eq!(alerts[0]["alert"]["type"], "invoice_not_settled");
        let told = s.shop.outbox("invoice_notice", "invoice_id", invoice.0);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0]["event"], "not_settled");
        // Asked again, it stays refused; nothing new is queued.
        let again = s.crypto.check_order(UserId(user), order).await.unwrap();
        assert!(matches!(again, CheckOutcome::NotSettled(_)));
        assert_eq!(s.crypto.poll_once().await.unwrap().not_settled, 0);
    }
}

#[tokio::test]
async fn an_expired_invoice_is_reported_and_a_new_one_can_be_paid() {
    let s = CryptoShop::start().await;
    let (order, first) = s.invoiced(7030).await;
    assert!(s.pay.expire(first));
    assert_eq!(s.crypto.poll_once().await.unwrap().expired, 1);
    assert_eq!(s.row(order).state, InvoiceState::Expired);
    let told = s.shop.outbox("invoice_notice", "invoice_id", first.0);
    assert_eq!(
        (told.len(), told[0]["event"].as_str()),
        (1, Some("expired"))
    );
    assert!(
        s.invoice_audit(first)
            .contains(&AuditAction::InvoiceExpired)
    );
    // Paying the expired one is impossible at Crypto Pay; a new invoice is.
    assert!(!s.pay.pay(first));
    let second = InvoiceId(
        s.crypto
            .open_invoice(UserId(7030), order)
            .await
            .unwrap()
            .invoice_id,
    );
    assert_ne!(second, first);
    assert_ne!(
        s.pay.invoice(second).unwrap().payload,
        s.pay.invoice(first).unwrap().payload
    );
    assert!(s.pay.pay(second));
    let out = s.crypto.check_order(UserId(7030), order).await.unwrap();
    assert!(
        matches!(
            out,
            CheckOutcome::Settled(Some(ApprovalOutcome::Approved(_)))
        ),
        "{out:?}"
    );
    s.assert_delivered_once(7030, order, second);
}

#[tokio::test]
async fn a_crash_between_paid_and_provisioned_completes_once_after_the_restart() {
    for step in [
        ProvisionStep::Confirmed,
        ProvisionStep::IdentityStored,
        ProvisionStep::PanelApplied,
    ] {
        let s = CryptoShop::start().await;
        let (order, invoice) = s.invoiced(7040).await;
        assert!(s.pay.pay(invoice));
        let crash: FailPoint = Arc::new(move |at| at == step);
        let err = s.process(Some(crash)).poll_once().await.unwrap_err();
        assert!(matches!(err, Error::Crashed(_)), "{err}");
        assert_eq!(
            s.row(order).state,
            InvoiceState::Paid,
            "settled before the crash"
        );
        // The restarted process: the reconciler finishes it; pollers find it paid.
        let report = ApprovalService::new(s.shop.deps.clone())
            .reconcile_once()
            .await
            .unwrap();
        assert_eq!(report.approved.len(), 1, "{step:?}");
        assert_eq!(s.process(None).poll_once().await.unwrap().settled, 0);
        s.assert_delivered_once(7040, order, invoice);
    }
}

#[tokio::test]
async fn while_crypto_pay_is_down_the_order_waits_the_customer_is_told_and_it_completes_later() {
    let s = CryptoShop::start().await;
    let (order, invoice) = s.invoiced(7050).await;
    assert!(s.pay.pay(invoice));
    s.pay.fail_next(Some("getInvoices"), Fault::Status(502), 2);
    let down = s.crypto.poll_once().await.unwrap_err();
    assert!(
        matches!(down, Error::User(UserError::ProviderUnavailable { .. })),
        "{down}"
    );
    let told = s.crypto.check_order(UserId(7050), order).await.unwrap_err();
    assert!(
        told.to_string().contains("Crypto Pay cannot be reached"),
        "{told}"
    );
    assert!(s.payments(order).is_empty());
    assert_eq!(s.row(order).state, InvoiceState::Active, "still waiting");
    // Back up: the next pass settles and delivers.
    assert_eq!(s.crypto.poll_once().await.unwrap().settled, 1);
    s.assert_delivered_once(7050, order, invoice);
    // Creating an invoice while it is down: refused with the same message, nothing half-made.
    let order2 = s.shop.open_with_ticket(7051, "month").await;
    s.shop
        .orders
        .choose_payment_method(UserId(7051), order2, "crypto")
        .await
        .unwrap();
    s.pay
        .fail_next(Some("createInvoice"), Fault::Status(500), 1);
    let err = s
        .crypto
        .open_invoice(UserId(7051), order2)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::ProviderUnavailable { .. })),
        "{err}"
    );
    assert_eq!(s.row(order2).state, InvoiceState::Failed);
    let ok = s.crypto.open_invoice(UserId(7051), order2).await.unwrap();
    assert_eq!(s.row(order2).invoice_id, Some(ok.invoice_id));
}

#[tokio::test]
async fn a_closed_orders_unpaid_invoice_is_deleted_and_a_late_payment_is_not_delivered() {
    let s = CryptoShop::start().await;
    let (order, invoice) = s.invoiced(7060).await;
    s.shop.orders.cancel(UserId(7060), order).await.unwrap();
    let report = s.crypto.poll_once().await.unwrap();
    assert_eq!(report.cancelled, 1);
    assert_eq!(s.row(order).state, InvoiceState::Cancelled);
    assert!(s.pay.invoice(invoice).is_none(), "deleted at Crypto Pay");
    assert!(
        s.invoice_audit(invoice)
            .contains(&AuditAction::InvoiceCancelled)
    );

    // Paid before the poller could delete it: money in, order closed → not settled, alerted.
    let (order2, invoice2) = s.invoiced(7061).await;
    assert!(s.pay.pay(invoice2));
    s.shop.orders.cancel(UserId(7061), order2).await.unwrap();
    assert_eq!(s.crypto.poll_once().await.unwrap().not_settled, 1);
    let row = s.row(order2);
    assert_eq!(row.state, InvoiceState::Mismatch);
    assert!(row.last_error.unwrap().contains("is cancelled"));
    assert!(s.shop.clients_of(7061).is_empty());
    assert!(
        s.owner_alerts()
            .iter()
            .any(|a| a["alert"]["invoice_id"] == invoice2.0)
    );
}

#[tokio::test]
async fn an_invoice_paid_order_takes_no_receipt() {
    let s = CryptoShop::start().await;
    let (order, _) = s.invoiced(7070).await;
    let err = s
        .shop
        .orders
        .submit_receipt(UserId(7070), order, s.shop.receipt(), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("needs no screenshot"), "{err}");
    assert!(s.payments(order).is_empty());
    assert_eq!(s.shop.order(order).status, OrderStatus::PendingPayment);
    // The status Crypto Pay reports is the one the client reads.
    assert_eq!(
        s.pay
            .invoice(InvoiceId(s.row(order).invoice_id.unwrap()))
            .unwrap()
            .status,
        InvoiceStatus::Active
    );
}
