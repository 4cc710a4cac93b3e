//! The shop on the vpn-api backend: order → approve → the service's link delivered and stored;
//! renewals extend by an absolute expiry; the expiry pass removes the client and nothing brings
//! it back; a failing backend leaves the database as it was; config refuses what the backend
//! cannot serve.

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::{Config, ConfigError};
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::status::{PaymentStatus, SubscriptionStatus};
use vpn_ticket_bot::service::approval::{ApprovalOutcome, ApprovalService};
use vpn_ticket_bot::service::subscriptions::SubscriptionService;
use vpn_ticket_bot::sim::vpn_api::{VpnApiSim, VpnFault};

use crate::order_core::Shop;

const T0: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn vpn(shop: &Shop) -> &VpnApiSim {
    shop.vpn.as_ref().expect("a vpn-api shop")
}

#[tokio::test]
async fn order_approve_delivers_and_stores_the_services_link() {
    let shop = Shop::start_vpn_api(Clock::starting_at(T0)).await;
    let (_, payment) = shop.order_under_review(501, "month").await;
    let approved = shop.approved(payment).await;
    let users = vpn(&shop).users();
    assert_eq!(users.len(), 1);
    let (uuid, client) = users.iter().next().unwrap();
    assert_eq!(
        client.email, "user_501",
        "telegram_id carries the Discord id"
    );
    assert_eq!(client.expiry_ms, approved.expiry_ms);
    assert!(approved.expiry_ms >= T0 + 30 * DAY && approved.expiry_ms < T0 + 30 * DAY + 60_000);
    assert!(
        approved.link.contains(uuid.as_str()) && approved.link.contains("vpn-api.example.test")
    );
    let user = shop.user(501);
    assert_eq!(user.access_link.as_deref(), Some(approved.link.as_str()));
    assert_eq!(
        user.panel_email.as_deref(),
        Some(uuid.as_str()),
        "the client key is the uuid"
    );
    let sent = shop.outbox("deliver_link", "payment_id", payment.0);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["link"], approved.link.as_str());
    // `/status`: the stored expiry and link are current; usage is not reported.
    let view = shop.subscriptions().status(UserId(501)).await.unwrap();
    assert!(view.live, "not shown as an unreachable panel");
    assert_eq!(
        (view.expiry_at, view.used_bytes),
        (approved.expiry_ms, None)
    );
    assert_eq!(view.link.as_deref(), Some(approved.link.as_str()));
}

#[tokio::test]
async fn a_renewal_extends_from_the_stored_expiry_by_an_absolute_value() {
    let shop = Shop::start_vpn_api(Clock::starting_at(T0)).await;
    let (_, p1) = shop.order_under_review(502, "month").await;
    let first = shop.approved(p1).await;
    let (_, p2) = shop.order_under_review(502, "month").await;
    let renewed = shop.approved(p2).await;
    assert!(renewed.renewal);
    assert_eq!(renewed.expiry_ms, first.expiry_ms + 30 * DAY);
    assert_eq!(renewed.link, first.link, "the link delivered before");
    let users = vpn(&shop).users();
    assert_eq!(users.len(), 1);
    assert_eq!(users.values().next().unwrap().expiry_ms, renewed.expiry_ms);
}

#[tokio::test]
async fn the_expiry_pass_removes_the_client_and_nothing_resurrects_it() {
    let shop = Shop::start_vpn_api(Clock::starting_at(T0)).await;
    let (_, payment) = shop.order_under_review(503, "month").await;
    shop.approved(payment).await;
    let later = shop.deps.with_clock(Clock::starting_at(T0 + 31 * DAY));
    let subs = SubscriptionService::new(later.clone());
    let pass = subs.expire_once().await.unwrap();
    assert_eq!(pass.expired.len(), 1);
    assert!(vpn(&shop).users().is_empty());
    let writes = vpn(&shop).writes();
    // Every other pass that touches the backend: reconcile, approvals, a second expiry.
    subs.reconcile_once().await.unwrap();
    ApprovalService::new(later.clone())
        .reconcile_once()
        .await
        .unwrap();
    ApprovalService::new(later).resume_pending().await.unwrap();
    subs.expire_once().await.unwrap();
    assert!(
        vpn(&shop).users().is_empty(),
        "no update-user after the remove"
    );
    assert_eq!(vpn(&shop).writes(), writes);
    assert_eq!(shop.user(503).status, SubscriptionStatus::Expired);
}

#[tokio::test]
async fn a_failing_backend_rolls_back_without_a_client_or_a_link() {
    let shop = Shop::start_vpn_api(Clock::starting_at(T0)).await;
    vpn(&shop).set_fault(VpnFault::Status500);
    let (_, payment) = shop.order_under_review(504, "month").await;
    let out = shop.confirm(payment).await;
    assert!(matches!(out, ApprovalOutcome::Failed(..)), "{out:?}");
    assert_eq!(shop.payment(payment).status, PaymentStatus::Pending);
    assert!(vpn(&shop).users().is_empty());
    assert_eq!(shop.user(504).access_link, None);
    assert!(
        shop.outbox("deliver_link", "payment_id", payment.0)
            .is_empty()
    );
}

#[test]
fn config_refuses_plans_the_backend_cannot_serve_naming_the_key() {
    let base = r#"
[panel]
kind = "vpn_api"
base_url = "http://127.0.0.1:9/"
vpn_api_key = "k"
[[plans]]
id = "m"
name = "m"
days = 30
price_minor = 500
currency = "USD"
"#;
    let key_of_text = |text: &str| match Config::from_toml_with_env(text, |_| None) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("accepted: {other:?}"),
    };
    let key_of = |extra: &str| key_of_text(&format!("{base}{extra}"));
    assert_eq!(
        key_of("start_on_first_use = true\n"),
        "plans[0].start_on_first_use"
    );
    assert_eq!(key_of("traffic_gib = 10\n"), "plans[0].traffic_gib");
    assert_eq!(key_of("device_limit = 2\n"), "plans[0].device_limit");
    let with_sub = base.replace(
        "[[plans]]",
        "subscription_base_url = \"https://s.example/\"\n[[plans]]",
    );
    assert_eq!(key_of_text(&with_sub), "panel.subscription_base_url");
    let no_key = base.replace("vpn_api_key = \"k\"", "");
    assert!(matches!(
        Config::from_toml_with_env(&no_key, |_| None),
        Err(ConfigError::Invalid { key, .. }) if key == "panel.vpn_api_key"
    ));
    let from_env =
        Config::from_toml_with_env(&no_key, |v| (v == "VTB_VPN_API_KEY").then(|| "e".into()));
    assert_eq!(from_env.unwrap().panel.vpn_api_key.expose(), "e");
}
