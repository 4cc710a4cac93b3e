//! Several panels, two 3x-ui emulators (`a`, `b`): placement on the least-loaded panel with
//! room (capacity honoured under concurrent approvals), per-panel breakers (one panel's outage
//! does not trip the other's; orders are refused only when both are down), reconciliation on
//! each customer's own panel, and failover (create on the live panel first, one DM per
//! customer, pinned customers stay; the old client deleted once its panel is back).

use futures_util::future::join_all;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::approval::ApprovalOutcome;
use vpn_ticket_bot::service::health::BreakerState;
use vpn_ticket_bot::service::panels::failover::Failover;
use vpn_ticket_bot::sim::panel::{Fault, PanelSim};
use vpn_ticket_bot::store;

use crate::order_core::{ADMIN_A, Shop, actor};

fn panel_of(shop: &Shop, user: u64) -> Option<String> {
    store::placement::panel_of(&shop.store.conn().unwrap(), UserId(user), "a").unwrap()
}

fn has(sim: &PanelSim, user: u64) -> bool {
    sim.client(&format!("u{user}")).is_some()
}

async fn approve_all(shop: &Shop, users: &[u64]) {
    let mut tokens = Vec::new();
    for &u in users {
        let (_, p) = shop.order_under_review(u, "month").await;
        tokens.push(shop.token(ADMIN_A, p).await);
    }
    let approvals: Vec<_> = tokens.iter().map(|_| shop.approval(None)).collect();
    let admin = actor(ADMIN_A);
    let runs = approvals
        .iter()
        .zip(&tokens)
        .map(|(a, t)| a.confirm(&admin, t));
    for out in join_all(runs).await {
        assert!(matches!(out, Ok(ApprovalOutcome::Approved(_))), "{out:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placement_honours_capacity_under_concurrent_approvals() {
    let (shop, b) = Shop::start_two_panels((2, 0), "").await;
    let users = [601, 602, 603, 604, 605, 606];
    approve_all(&shop, &users).await;
    let on_a: Vec<u64> = users
        .iter()
        .copied()
        .filter(|&u| has(&shop.sim, u))
        .collect();
    let on_b: Vec<u64> = users.iter().copied().filter(|&u| has(&b, u)).collect();
    assert_eq!(on_a.len(), 2, "a is full at 2: {on_a:?}");
    assert_eq!(on_b.len(), 4, "{on_b:?}");
    for u in users {
        let expected = if on_a.contains(&u) { "a" } else { "b" };
        assert_eq!(panel_of(&shop, u).as_deref(), Some(expected));
    }
    // Reconciliation checks each customer on their own panel: nobody is re-created elsewhere.
    let report = shop.subscriptions().reconcile_once().await.unwrap();
    assert!(
        report.recreated.is_empty() && report.extra.is_empty(),
        "{report:?}"
    );
    assert_eq!((shop.sim.clients().len(), b.clients().len()), (2, 4));
}

#[tokio::test]
async fn one_panels_outage_does_not_trip_the_other_and_orders_go_to_the_live_one() {
    let (shop, b) = Shop::start_two_panels((0, 0), "").await;
    shop.sim.set_fault(Fault::Down).await;
    shop.check_panels().await;
    let a_down = shop.deps.panels.get("a").unwrap().breaker.is_outage();
    let b_down = shop.deps.panels.get("b").unwrap().breaker.is_outage();
    assert!(a_down && !b_down);
    assert!(
        !shop.breaker.is_outage(),
        "the shop is up while one panel is"
    );
    let alerts = store::outbox::due(&shop.store.conn().unwrap(), i64::MAX, 100).unwrap();
    let down: Vec<_> = alerts
        .iter()
        .filter(|i| i.payload["alert"]["panel_id"] == "a" && i.payload["alert"]["down"] == true)
        .collect();
    assert_eq!(down.len(), 1, "one owner alert for panel a");
    approve_all(&shop, &[611]).await;
    assert!(has(&b, 611) && !has(&shop.sim, 611));
    let d = &shop.deps;
    let lines = d
        .panels
        .report(&shop.store, &d.roles, &actor(ADMIN_A))
        .await
        .unwrap();
    let seen: Vec<_> = lines
        .iter()
        .map(|l| (l.id.as_str(), l.state, l.load))
        .collect();
    assert_eq!(
        seen,
        [("a", BreakerState::Open, 0), ("b", BreakerState::Closed, 1)]
    );
    assert!(lines[0].outage_since.is_some() && lines[0].last_error.is_some());
    let customer = d.panels.report(&shop.store, &d.roles, &actor(611)).await;
    assert!(
        matches!(customer, Err(Error::User(UserError::Forbidden { .. }))),
        "{customer:?}"
    );
    b.set_fault(Fault::Down).await;
    shop.check_panels().await;
    assert!(shop.breaker.is_outage());
    let refused = shop.orders.open(UserId(612), "month").await.unwrap_err();
    assert!(
        matches!(refused, Error::User(UserError::PanelUnavailable)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn failover_creates_before_it_deletes_one_dm_per_customer() {
    let extra = "\n[backends]\nfailover_after_minutes = 1\npinned_user_ids = [703]\n";
    let (shop, b) = Shop::start_two_panels((0, 0), extra).await;
    approve_all(&shop, &[701]).await;
    approve_all(&shop, &[702]).await;
    approve_all(&shop, &[703]).await;
    assert_eq!(panel_of(&shop, 703).as_deref(), Some("a"));
    let uuid = shop.user(701).panel_client_uuid.unwrap();
    shop.sim.set_fault(Fault::Down).await;
    shop.check_panels().await;
    let early = Failover::new(shop.deps.clone())
        .failover_once()
        .await
        .unwrap();
    assert!(early.moved.is_empty(), "not down long enough");
    let later = shop
        .deps
        .with_clock(Clock::starting_at(shop.clock.now_ms() + 120_000));
    let failover = Failover::new(later);
    let pass = failover.failover_once().await.unwrap();
    assert_eq!(pass.moved, [(UserId(701), "a".to_owned(), "b".to_owned())]);
    assert_eq!(b.client("u701").unwrap().id, uuid, "same identity on b");
    assert!(has(&shop.sim, 701), "nothing deleted on the dead panel");
    assert_eq!(panel_of(&shop, 701).as_deref(), Some("b"));
    assert!(
        shop.user(701)
            .access_link
            .unwrap()
            .contains("b.example.test")
    );
    assert!(failover.failover_once().await.unwrap().moved.is_empty());
    assert_eq!(shop.outbox("panel_moved", "user_id", 701).len(), 1);
    assert!(
        shop.outbox("panel_moved", "user_id", 703).is_empty(),
        "pinned"
    );
    shop.sim.set_fault(Fault::None).await;
    shop.check_panels().await;
    let back = failover.failover_once().await.unwrap();
    assert_eq!(back.cleaned, [("a".to_owned(), "u701".to_owned())]);
    assert!(
        !has(&shop.sim, 701) && has(&b, 701),
        "the old one deleted, never the new"
    );
    assert!(has(&shop.sim, 703));
}

const SECRET: &str = "subscription-secret-0123456789";

#[tokio::test]
async fn the_subscription_endpoint_lists_both_panels_links_with_summed_usage() {
    use base64::Engine as _;
    use vpn_ticket_bot::config::Secret;
    use vpn_ticket_bot::panel::ClientSpec;
    use vpn_ticket_bot::service::panels::subscription::{SubscriptionFeeds, listener, token};

    let extra = format!(
        "\n[backends]\nsubscription_listen = \"127.0.0.1:0\"\nsubscription_secret = \"{SECRET}\"\n\
         subscription_public_url = \"https://sub.example.test/sub/\"\n"
    );
    let (shop, b) = Shop::start_two_panels((0, 0), &extra).await;
    approve_all(&shop, &[801]).await;
    let u = shop.user(801);
    let (uuid, email, sub) = (
        u.panel_client_uuid.unwrap(),
        u.panel_email.unwrap(),
        u.panel_sub_id.unwrap(),
    );
    let tok = token(&Secret::new(SECRET), &sub);
    let sent = shop.outbox("deliver_link", "user_id", 801);
    assert_eq!(
        sent[0]["subscription_url"],
        format!("https://sub.example.test/sub/{tok}")
    );
    // The same identity on panel b too (what a multi-node plan or a failover leaves).
    let mut spec = ClientSpec::new(&uuid, &email, &sub);
    spec.total_bytes = u64::try_from(u.traffic_limit_bytes).unwrap();
    let b_api = shop.deps.panels.get("b").unwrap().api.clone();
    b_api.ensure_client(1, &spec).await.unwrap();
    shop.sim.advance_traffic(&email, 100, 200);
    b.advance_traffic(&email, 1000, 2000);
    let l = listener::start(
        "127.0.0.1:0".parse().unwrap(),
        SubscriptionFeeds::new(shop.deps.clone()),
    )
    .await
    .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |t: String| {
        http.get(format!("http://{}/sub/{t}", l.local_addr()))
            .send()
    };
    let resp = get(tok.clone()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let info = resp.headers()["subscription-userinfo"]
        .to_str()
        .unwrap()
        .to_owned();
    let expire = shop.user(801).expiry_at.unwrap() / 1000;
    let total = 2 * u.traffic_limit_bytes;
    assert_eq!(
        info,
        format!("upload=1100; download=2200; total={total}; expire={expire}")
    );
    let body = base64::engine::general_purpose::STANDARD
        .decode(resp.text().await.unwrap())
        .unwrap();
    let links: Vec<String> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(
        links[0].contains(&format!("{uuid}@a.example.test")),
        "{links:?}"
    );
    assert!(
        links[1].contains(&format!("{uuid}@b.example.test")),
        "{links:?}"
    );
    assert_eq!(get("wrong".into()).await.unwrap().status(), 404);
    assert_eq!(
        get(token(&Secret::new("another-secret-000000"), &sub))
            .await
            .unwrap()
            .status(),
        404
    );
    shop.subscriptions()
        .revoke(&actor(ADMIN_A), UserId(801), "test")
        .await
        .unwrap();
    let revoked = get(tok).await.unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        revoked.text().await.unwrap(),
        "",
        "a revoked customer's subscription is empty"
    );
    l.shutdown().await;
}

#[test]
fn config_names_the_key_of_a_bad_panels_or_backends_value() {
    use vpn_ticket_bot::config::{Config, ConfigError};
    let panel = |id: &str| {
        format!(
            "[[panels]]\nid = \"{id}\"\nbase_url = \"http://127.0.0.1:9/\"\napi_token = \"t\"\n"
        )
    };
    let key_of = |text: String| match Config::from_toml_with_env(&text, |_| None) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("accepted: {other:?}"),
    };
    let both = format!(
        "[panel]\nbase_url = \"http://127.0.0.1:8/\"\napi_token = \"t\"\n{}",
        panel("a")
    );
    assert_eq!(key_of(both), "panels");
    assert_eq!(key_of(panel("a") + &panel("a")), "panels[1].id");
    assert_eq!(key_of(panel("a") + &panel("B!")), "panels[1].id");
    let no_secret = panel("a") + "[backends]\nsubscription_listen = \"127.0.0.1:8088\"\n";
    assert_eq!(key_of(no_secret.clone()), "backends.subscription_secret");
    let from_env = Config::from_toml_with_env(&no_secret, |v| {
        (v == "VTB_SUBSCRIPTION_SECRET").then(|| SECRET.to_owned())
    });
    assert_eq!(
        from_env.unwrap().backends.subscription_secret.expose(),
        SECRET
    );
    let two = panel("a") + &panel("b");
    let config = Config::from_toml_with_env(&two, |_| None).unwrap();
    assert_eq!(config.panel.id, "a", "[panel] is the first of [[panels]]");
}

#[tokio::test]
async fn a_renewal_on_a_dead_panel_waits_for_that_panel_not_the_fleet() {
    let (shop, _b) = Shop::start_two_panels((0, 0), "").await;
    approve_all(&shop, &[901]).await;
    assert_eq!(panel_of(&shop, 901).as_deref(), Some("a"));
    shop.sim.set_fault(Fault::Down).await;
    shop.check_panels().await;
    let (_, renewal) = shop.order_under_review(901, "month").await;
    let out = shop.confirm(renewal).await;
    assert!(matches!(out, ApprovalOutcome::Delayed(_)), "{out:?}");
    let approval = shop.approval(None);
    let report = approval.resume_pending().await.unwrap();
    assert_eq!(
        report,
        vpn_ticket_bot::service::approval::ReconcileReport::default(),
        "not retried while its panel is down"
    );
    shop.sim.set_fault(Fault::None).await;
    shop.check_panels().await;
    approval.resume_pending().await.unwrap();
    let p = shop.payment(renewal);
    assert_eq!(
        p.status,
        vpn_ticket_bot::domain::status::PaymentStatus::Approved
    );
    assert_eq!(
        panel_of(&shop, 901).as_deref(),
        Some("a"),
        "a renewal stays on its panel"
    );
}
