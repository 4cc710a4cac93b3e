//! Growth without a hole in the till, on a real SQLite file and the panel emulator: a 1-use
//! code raced by two customers is used once; a double-clicked `/trial` grants one trial; a
//! referral reward is given once across a restart between approval and reward; a gift redeemed
//! twice at once is redeemed once; codes are reserved, consumed on approval and released when
//! an order is abandoned; a code that pays everything provisions with no receipt and no sale;
//! bans refuse every way in.

use std::sync::Arc;

use vpn_ticket_bot::app::App;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::{
    OrderKind, OrderStatus, PaymentSource, PaymentStatus, RejectCode,
};
use vpn_ticket_bot::domain::{OrderId, UserId};
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::approval::ApprovalOutcome;
use vpn_ticket_bot::service::growth::{CodeOrder, GrowthService, NewPromo};
use vpn_ticket_bot::service::orders::OrderService;
use vpn_ticket_bot::service::rate_limit::RateLimits;
use vpn_ticket_bot::sim::panel::Profile;
use vpn_ticket_bot::store::{self, promo::PromoKind};

use crate::order_core::{ADMIN_A, SUPPORT, Shop, actor};

const GROWTH: &str = "
[trial]
enabled = true
days = 2
traffic_gib = 1
device_limit = 1
min_account_age_days = 7

[referrals]
enabled = true
reward_days = 7
monthly_cap = 1
min_account_age_days = 0

[gifts]
enabled = true
expire_after_days = 30

[promo]
attempts_per_10_min = 20
";

async fn shop() -> (Shop, Arc<GrowthService>) {
    let shop = Shop::start_configured(Profile::v3_6_0(), Clock::system(), GROWTH).await;
    let growth = App::new(shop.deps.clone()).growth;
    (shop, growth)
}

fn promo(code: &str, kind: PromoKind, value: i64, max_uses: Option<i64>) -> NewPromo {
    NewPromo {
        code: code.into(),
        kind,
        value,
        plan_id: (kind == PromoKind::Plan).then(|| "month".to_owned()),
        max_uses,
        first_order_only: false,
        valid_days: None,
    }
}

fn code_row(shop: &Shop, code: &str) -> store::promo::PromoCode {
    store::promo::get(&shop.store.conn().unwrap(), code)
        .unwrap()
        .unwrap()
}

fn redemption(shop: &Shop, order: OrderId) -> Option<String> {
    store::promo::redemption_status(&shop.store.conn().unwrap(), order).unwrap()
}

fn user_audit(shop: &Shop, user: u64) -> Vec<AuditAction> {
    store::audit::for_target(&shop.store.conn().unwrap(), "user", &user.to_string())
        .unwrap()
        .into_iter()
        .map(|e| e.action.parse().unwrap())
        .collect()
}

fn ticket(_shop: &Shop, out: CodeOrder) -> OrderId {
    match out {
        CodeOrder::Ticket(o) => o.id,
        CodeOrder::Granted(..) => panic!("expected an order to pay"),
    }
}

#[tokio::test]
async fn two_customers_racing_for_a_one_use_code_use_it_once() {
    let (shop, growth) = shop().await;
    growth
        .create_promo(
            &actor(ADMIN_A),
            promo("ONCE-10", PromoKind::Percent, 10, Some(1)),
        )
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        growth.order_with_code(UserId(8001), "month", "once-10"),
        growth.order_with_code(UserId(8002), "month", "ONCE-10"),
    );
    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        other => panic!("exactly one must win: {other:?}"),
    };
    assert!(lost.to_string().contains("used up"), "{lost}");
    let order = shop.order(ticket(&shop, won));
    assert_eq!(order.plan.price_minor, 450, "10 % off 5.00");
    assert_eq!(code_row(&shop, "ONCE-10").uses, 1);
    // The same customer cannot hold it twice either (after cancelling, the use comes back).
    let again = growth
        .order_with_code(order.user_id, "month", "ONCE-10")
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::User(UserError::OpenOrderExists { .. })),
        "{again}"
    );
}

#[tokio::test]
async fn a_reserved_code_is_released_by_abandonment_and_consumed_only_by_approval() {
    let (shop, growth) = shop().await;
    growth
        .create_promo(
            &actor(ADMIN_A),
            promo("TWO-OFF", PromoKind::Amount, 200, Some(1)),
        )
        .await
        .unwrap();
    let order = ticket(
        &shop,
        growth
            .order_with_code(UserId(8010), "month", "TWO-OFF")
            .await
            .unwrap(),
    );
    assert_eq!(redemption(&shop, order).as_deref(), Some("reserved"));
    assert_eq!(shop.order(order).plan.price_minor, 300);
    // Abandoned unpaid: the use comes back.
    let later = Clock::starting_at(Clock::system().now_ms() + 49 * 3_600_000);
    let limits = Arc::new(RateLimits::new(&shop.config.orders));
    let abandoner = OrderService::new(&shop.deps.with_clock(later), limits);
    assert_eq!(abandoner.close_abandoned_once().await.unwrap(), 1);
    assert_eq!(shop.order(order).status, OrderStatus::Abandoned);
    assert_eq!(redemption(&shop, order).as_deref(), Some("released"));
    assert_eq!(code_row(&shop, "TWO-OFF").uses, 0);
    // Another customer takes it; it stays reserved under review and is consumed by approval.
    let order2 = ticket(
        &shop,
        growth
            .order_with_code(UserId(8011), "month", "TWO-OFF")
            .await
            .unwrap(),
    );
    shop.orders
        .attach_ticket(
            order2,
            vpn_ticket_bot::domain::GuildId(9),
            vpn_ticket_bot::domain::ChannelId(88_110),
        )
        .await
        .unwrap();
    shop.orders
        .choose_payment_method(UserId(8011), order2, "bank")
        .await
        .unwrap();
    let payment = shop
        .orders
        .submit_receipt(UserId(8011), order2, shop.receipt(), None)
        .await
        .unwrap();
    assert_eq!(redemption(&shop, order2).as_deref(), Some("reserved"));
    assert_eq!(
        shop.payment(payment).amount_minor,
        300,
        "the discounted price is what is paid"
    );
    shop.approved(payment).await;
    assert_eq!(redemption(&shop, order2).as_deref(), Some("consumed"));
    assert_eq!(code_row(&shop, "TWO-OFF").uses, 1);
    assert_eq!(shop.ledger_rows(payment), 1);
}

#[tokio::test]
async fn a_code_that_pays_everything_provisions_without_a_receipt_or_a_sale() {
    let (shop, growth) = shop().await;
    growth
        .create_promo(
            &actor(ADMIN_A),
            promo("FREE-MONTH", PromoKind::Plan, 1, None),
        )
        .await
        .unwrap();
    let out = growth
        .order_with_code(UserId(8020), "month", "FREE-MONTH")
        .await
        .unwrap();
    let CodeOrder::Granted(order, Some(ApprovalOutcome::Approved(a))) = out else {
        panic!("granted at once: {out:?}");
    };
    assert_eq!(shop.order(order).status, OrderStatus::Completed);
    let p = shop.payment(a.payment_id);
    assert_eq!(
        (p.source, p.amount_minor, p.status),
        (PaymentSource::Promo, 0, PaymentStatus::Approved)
    );
    assert!(p.receipt.is_none());
    assert_eq!(shop.ledger_rows(p.id), 0, "no sale");
    assert_eq!(shop.clients_of(8020).len(), 1);
    assert_eq!(shop.outbox("deliver_link", "order_id", order.0).len(), 1);
    assert_eq!(redemption(&shop, order).as_deref(), Some("consumed"));
    let audits = shop.audit_actions(p.id);
    assert!(audits.contains(&AuditAction::PromoGrant), "{audits:?}");
    // A 100 % code does the same; an extra-days code lengthens the plan.
    growth
        .create_promo(
            &actor(ADMIN_A),
            promo("ALL-100", PromoKind::Percent, 100, None),
        )
        .await
        .unwrap();
    let out = growth
        .order_with_code(UserId(8021), "month", "ALL-100")
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            CodeOrder::Granted(_, Some(ApprovalOutcome::Approved(_)))
        ),
        "{out:?}"
    );
    growth
        .create_promo(&actor(ADMIN_A), promo("PLUS-5D", PromoKind::Days, 5, None))
        .await
        .unwrap();
    let order = ticket(
        &shop,
        growth
            .order_with_code(UserId(8022), "month", "PLUS-5D")
            .await
            .unwrap(),
    );
    assert_eq!(
        (
            shop.order(order).plan.days,
            shop.order(order).plan.price_minor
        ),
        (35, 500)
    );
}

#[tokio::test]
async fn codes_are_refused_with_their_reason_and_staff_only_create_them() {
    let (shop, growth) = shop().await;
    let err = growth
        .create_promo(&actor(SUPPORT), promo("NOPE", PromoKind::Percent, 5, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::Forbidden { .. })),
        "{err}"
    );
    let mut first = promo("FIRST-ONLY", PromoKind::Percent, 5, None);
    first.first_order_only = true;
    growth.create_promo(&actor(ADMIN_A), first).await.unwrap();
    growth
        .create_promo(&actor(ADMIN_A), promo("GONE", PromoKind::Percent, 5, None))
        .await
        .unwrap();
    growth.disable_promo(&actor(ADMIN_A), "GONE").await.unwrap();
    for (code, why) in [("NOSUCH", "there is no code"), ("GONE", "no longer valid")] {
        let err = growth
            .order_with_code(UserId(8030), "month", code)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(why), "{code}: {err}");
    }
    // A customer with a completed order cannot use a first-order code.
    let (_, p) = shop.order_under_review(8031, "month").await;
    shop.approved(p).await;
    let err = growth
        .order_with_code(UserId(8031), "month", "FIRST-ONLY")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("first order only"), "{err}");
    assert!(user_audit(&shop, 8031).contains(&AuditAction::PromoRefused));
    assert_eq!(
        code_row(&shop, "FIRST-ONLY").uses,
        0,
        "a refusal takes no use"
    );
}

#[tokio::test]
async fn a_double_clicked_trial_grants_one_trial_once_per_account_ever() {
    let (shop, growth) = shop().await;
    let (a, b) = tokio::join!(growth.trial(UserId(8040)), growth.trial(UserId(8040)));
    let oks = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks, 1, "{a:?} / {b:?}");
    let trials: i64 = shop
        .store
        .conn()
        .unwrap()
        .query_row(
            "SELECT count(*) FROM trials WHERE user_id = 8040",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(trials, 1);
    let clients = shop.clients_of(8040);
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].total_gb, 1 << 30, "the trial's limits");
    let user = shop.user(8040);
    let two_days = 2 * 86_400_000;
    assert!((user.expiry_at.unwrap() - Clock::system().now_ms() - two_days).abs() < 60_000);
    // Never again, and not for a customer who bought before; a later purchase extends the client.
    let again = growth.trial(UserId(8040)).await.unwrap_err();
    assert!(
        again.to_string().contains("already had your free trial"),
        "{again}"
    );
    let (_, p) = shop.order_under_review(8040, "month").await;
    let approved = shop.approved(p).await;
    assert!(approved.renewal, "the purchase extends the trial's client");
    assert_eq!(shop.clients_of(8040).len(), 1);
    assert!(user_audit(&shop, 8040).contains(&AuditAction::TrialGrant));
    // An account created moments ago is refused (its snowflake says so).
    let young = (u64::try_from(Clock::system().now_ms() - 1_420_070_400_000).unwrap()) << 22;
    let err = growth.trial(UserId(young)).await.unwrap_err();
    assert!(err.to_string().contains("at least 7 days old"), "{err}");
    // No ledger row for a trial.
    let sales =
        store::revenue::entries_between(&shop.store.conn().unwrap(), i64::MIN, i64::MAX).unwrap();
    assert_eq!(sales.len(), 1, "only the purchase is a sale");
}

#[tokio::test]
async fn a_referral_reward_is_given_once_across_a_restart_and_never_for_rejections() {
    let (shop, growth) = shop().await;
    // The referrer has a subscription.
    let (_, p) = shop.order_under_review(8050, "month").await;
    shop.approved(p).await;
    let before = shop.user(8050).expiry_at.unwrap();
    let code = growth.referral_code(UserId(8050)).await.unwrap().code;
    assert_eq!(
        growth.referral_code(UserId(8050)).await.unwrap().code,
        code,
        "stable"
    );
    let own = growth.bind_referral(UserId(8050), &code).await.unwrap_err();
    assert!(
        own.to_string().contains("already ordered") || own.to_string().contains("own"),
        "{own}"
    );
    assert_eq!(
        growth
            .bind_referral(UserId(8051), &code.to_lowercase())
            .await
            .unwrap(),
        UserId(8050)
    );
    let twice = growth.bind_referral(UserId(8051), &code).await.unwrap_err();
    assert!(
        twice.to_string().contains("already used a referral code"),
        "{twice}"
    );

    // A rejected first receipt earns nothing.
    let (order, rejected) = shop.order_under_review(8051, "month").await;
    shop.approval(None)
        .reject(&actor(ADMIN_A), rejected, "blurry")
        .await
        .unwrap();
    let status = |s: &Shop| {
        store::referrals::of_referee(&s.store.conn().unwrap(), UserId(8051))
            .unwrap()
            .unwrap()
    };
    assert_eq!(status(&shop).reward_status, "none");
    // The approved one earns it, once; the "process" restarts before the job runs.
    let paid = shop
        .orders
        .submit_receipt(UserId(8051), order, shop.receipt(), None)
        .await
        .unwrap();
    shop.approved(paid).await;
    assert_eq!(status(&shop).reward_status, "pending");
    let restarted = App::new(shop.deps.clone()).growth;
    assert_eq!(restarted.apply_referral_rewards_once().await.unwrap(), 1);
    assert_eq!(
        growth.apply_referral_rewards_once().await.unwrap(),
        0,
        "not twice"
    );
    assert_eq!(status(&shop).reward_status, "applied");
    let after = shop.user(8050).expiry_at.unwrap();
    assert_eq!(after - before, 7 * 86_400_000);
    let on_panel = shop.clients_of(8050)[0].expiry_time;
    assert_eq!(on_panel, after);
    // A later purchase by the referee earns nothing more.
    let (_, p2) = shop.order_under_review(8051, "month").await;
    shop.approved(p2).await;
    assert_eq!(restarted.apply_referral_rewards_once().await.unwrap(), 0);
    assert_eq!(shop.user(8050).expiry_at.unwrap(), after);
    let rewards: Vec<_> = user_audit(&shop, 8050)
        .into_iter()
        .filter(|a| *a == AuditAction::ReferralReward)
        .collect();
    assert_eq!(rewards.len(), 1);
}

#[tokio::test]
async fn a_gift_redeemed_twice_at_once_is_redeemed_once_and_never_by_its_buyer() {
    let (shop, growth) = shop().await;
    let order = shop.orders.open_gift(UserId(8060), "month").await.unwrap();
    assert_eq!(order.kind, OrderKind::Gift);
    shop.orders
        .attach_ticket(
            order.id,
            vpn_ticket_bot::domain::GuildId(9),
            vpn_ticket_bot::domain::ChannelId(88_600),
        )
        .await
        .unwrap();
    shop.orders
        .choose_payment_method(UserId(8060), order.id, "bank")
        .await
        .unwrap();
    let p = shop
        .orders
        .submit_receipt(UserId(8060), order.id, shop.receipt(), None)
        .await
        .unwrap();
    shop.approved(p).await;
    assert!(
        shop.clients_of(8060).is_empty(),
        "a gift makes no client for its buyer"
    );
    assert_eq!(shop.ledger_rows(p), 1, "the gift is a sale");
    let dm = shop.outbox("gift_issued", "order_id", order.id.0);
    assert_eq!(dm.len(), 1);
    let token = dm[0]["token"].as_str().unwrap().to_owned();
    let stored: String = shop
        .store
        .conn()
        .unwrap()
        .query_row(
            "SELECT token_sha256 FROM gifts WHERE order_id = ?1",
            [order.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(stored, token, "only the hash is stored");

    let own = growth.redeem(UserId(8060), &token).await.unwrap_err();
    assert!(own.to_string().contains("cannot redeem your own"), "{own}");
    let (a, b) = tokio::join!(
        growth.redeem(UserId(8061), &token),
        growth.redeem(UserId(8062), &token)
    );
    let winners = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{a:?} / {b:?}");
    let winner = if a.is_ok() { 8061 } else { 8062 };
    assert_eq!(shop.clients_of(winner).len(), 1);
    assert!(shop.clients_of(16_123 - winner).is_empty());
    let wrong = growth
        .redeem(UserId(8063), "NOT-A-TOKEN")
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("not valid"), "{wrong}");
}

#[tokio::test]
async fn a_ban_refuses_every_way_in_and_is_audited() {
    let (shop, growth) = shop().await;
    growth
        .create_promo(&actor(ADMIN_A), promo("ANY-5", PromoKind::Percent, 5, None))
        .await
        .unwrap();
    let refused = growth
        .ban(&actor(SUPPORT), UserId(8070), "fraud", false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::User(UserError::Forbidden { .. })),
        "{refused}"
    );
    growth
        .ban(&actor(ADMIN_A), UserId(8070), "chargeback fraud", false)
        .await
        .unwrap();
    let order = shop.orders.open(UserId(8070), "month").await.unwrap_err();
    assert!(matches!(order, Error::User(UserError::Banned)), "{order}");
    let code = growth
        .order_with_code(UserId(8070), "month", "ANY-5")
        .await
        .unwrap_err();
    assert!(matches!(code, Error::User(UserError::Banned)), "{code}");
    for err in [
        growth.trial(UserId(8070)).await.unwrap_err(),
        growth.redeem(UserId(8070), "ABCDEFGH").await.unwrap_err(),
        growth
            .bind_referral(UserId(8070), "ABCDEFGH")
            .await
            .unwrap_err(),
    ] {
        assert!(err.to_string().contains("chargeback fraud"), "{err}");
    }
    let told = shop.outbox("access_changed", "user_id", 8070);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["change"]["type"], "banned");
    growth.unban(&actor(ADMIN_A), UserId(8070)).await.unwrap();
    shop.orders
        .open(UserId(8070), "month")
        .await
        .expect("unbanned: may order");
    let audits = user_audit(&shop, 8070);
    assert!(
        audits.contains(&AuditAction::UserBan) && audits.contains(&AuditAction::UserUnban),
        "{audits:?}"
    );
}

#[tokio::test]
async fn a_rejection_with_a_standard_reason_can_ban_the_customer_in_the_same_step() {
    let (shop, growth) = shop().await;
    let (_, payment) = shop.order_under_review(8080, "month").await;
    let ban = (RejectCode::WrongRecipient, "");
    shop.approval(None)
        .reject_with(&actor(ADMIN_A), payment, ban, true)
        .await
        .unwrap();
    let conn = shop.store.conn().unwrap();
    let code: String = conn
        .query_row(
            "SELECT reason_code FROM payments WHERE id = ?1",
            [payment],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(code, "wrong_recipient");
    let user = shop.user(8080);
    assert!(user.banned);
    assert_eq!(user.ban_reason.as_deref(), Some("wrong_recipient"));
    let told = shop.outbox("receipt_rejected", "payment_id", payment.0);
    assert_eq!(told[0]["reason_code"], "wrong_recipient");
    assert!(user_audit(&shop, 8080).contains(&AuditAction::UserBan));
    let refused = growth.trial(UserId(8080)).await.unwrap_err();
    assert!(refused.to_string().contains("wrong_recipient"), "{refused}");
    // "Other" needs words.
    let (_, p2) = shop.order_under_review(8081, "month").await;
    let err = shop
        .approval(None)
        .reject_with(&actor(ADMIN_A), p2, (RejectCode::Other, ""), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("say why"), "{err}");
}

#[tokio::test]
async fn temporary_access_on_a_receipt_is_raised_by_approval_and_withdrawn_by_rejection() {
    let (shop, _) = shop().await;
    let mut config = (*shop.config).clone();
    config.orders.provisional_enabled = true;
    let deps = vpn_ticket_bot::service::Deps {
        config: Arc::new(config),
        ..shop.deps.clone()
    };
    let approval = vpn_ticket_bot::service::approval::ApprovalService::new(deps);
    let now = Clock::system().now_ms();
    let near = |t: i64, want: i64| (t - want).abs() < 120_000;

    // Granted on the receipt: the real client, 10 % of 100 GiB for 3 days, the link by DM.
    let (order, payment) = shop.order_under_review(8090, "month").await;
    assert!(approval.grant_provisional(payment).await.unwrap());
    let temporary = shop.clients_of(8090);
    assert_eq!(temporary.len(), 1);
    assert_eq!(temporary[0].total_gb, 10 << 30);
    assert!(near(temporary[0].expiry_time, now + 3 * 86_400_000));
    assert!(temporary[0].enable);
    assert!(!approval.grant_provisional(payment).await.unwrap(), "once");
    let links = shop.outbox("deliver_link", "order_id", order.0);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["provisional"], true);
    assert!(
        shop.audit_actions(payment)
            .contains(&AuditAction::PaymentProvisional)
    );

    // Approval raises the same client to the full plan: the link does not change.
    let approved = shop.approved(payment).await;
    let full = shop.clients_of(8090);
    assert_eq!(full.len(), 1);
    assert_eq!(
        (full[0].id.as_str(), full[0].total_gb),
        (temporary[0].id.as_str(), 100 << 30)
    );
    assert!(near(full[0].expiry_time, now + 30 * 86_400_000));
    let links = shop.outbox("deliver_link", "order_id", order.0);
    assert_eq!(links.len(), 2, "the temporary link and the approval's");
    assert!(links.iter().all(|l| l["link"] == approved.link.as_str()));

    // Rejected: the temporary client is disabled.
    let (_, rejected) = shop.order_under_review(8091, "month").await;
    assert!(approval.grant_provisional(rejected).await.unwrap());
    approval
        .reject(&actor(ADMIN_A), rejected, "blurry")
        .await
        .unwrap();
    assert!(!shop.clients_of(8091)[0].enable);

    // No temporary access for a near duplicate, a renewal, or when the shop does not offer it.
    let third = shop.open_with_ticket(8092, "month").await;
    let dup = shop
        .orders
        .submit_receipt(UserId(8092), third, shop.receipt(), Some((payment, 2)))
        .await
        .unwrap();
    assert!(!approval.grant_provisional(dup).await.unwrap());
    assert!(shop.clients_of(8092).is_empty());
    let (_, renewal) = shop.order_under_review(8090, "month").await;
    assert!(!approval.grant_provisional(renewal).await.unwrap());
    let (_, off) = shop.order_under_review(8093, "month").await;
    assert!(!shop.approval(None).grant_provisional(off).await.unwrap());
    assert!(shop.clients_of(8093).is_empty());
}

#[tokio::test]
async fn wrong_codes_are_rate_limited_and_referral_rewards_are_capped_per_month() {
    let (shop, growth) = shop().await;
    // Two attempts per 10 minutes: the third is refused before the code is even looked at.
    let limits = Arc::new(RateLimits::with_promo(&shop.config.orders, 2));
    let subs = shop.subscriptions();
    let approval = Arc::new(shop.approval(None));
    let orders = OrderService::new(&shop.deps, limits.clone());
    let strict = GrowthService::new(shop.deps.clone(), (approval, subs, orders), limits);
    for _ in 0..2 {
        let wrong = strict
            .order_with_code(UserId(8100), "month", "GUESS-1")
            .await
            .unwrap_err();
        assert!(wrong.to_string().contains("there is no code"), "{wrong}");
    }
    let limited = strict
        .order_with_code(UserId(8100), "month", "GUESS-2")
        .await
        .unwrap_err();
    assert!(
        matches!(limited, Error::User(UserError::RateLimited { .. })),
        "{limited}"
    );

    // monthly_cap = 1: the referrer's second referee's first payment is recorded as capped.
    let (_, p) = shop.order_under_review(8101, "month").await;
    shop.approved(p).await;
    let code = growth.referral_code(UserId(8101)).await.unwrap().code;
    for referee in [8102, 8103] {
        growth.bind_referral(UserId(referee), &code).await.unwrap();
        let (_, paid) = shop.order_under_review(referee, "month").await;
        shop.approved(paid).await;
    }
    let status = |u: u64| {
        store::referrals::of_referee(&shop.store.conn().unwrap(), UserId(u))
            .unwrap()
            .unwrap()
            .reward_status
    };
    assert_eq!(
        (status(8102).as_str(), status(8103).as_str()),
        ("pending", "capped")
    );
    assert_eq!(growth.apply_referral_rewards_once().await.unwrap(), 1);
}
