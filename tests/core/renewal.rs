//! Renewal and plan terms against the panel emulator: extend from max(now, expiry) keeping
//! leftover days and traffic; start-on-first-use plans get 3x-ui's negative expiry; the link
//! delivery carries the `vless://` link and the subscription URL.

use crate::order_core::{ADMIN_A, ADMIN_B, Shop, actor};
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::service::approval::ApprovalOutcome;

const DAY_MS: i64 = 86_400_000;

/// Approves a new `month` order for `user` and returns its email.
async fn approve_new(shop: &Shop, user: u64) -> String {
    let (_, payment) = shop.order_under_review(user, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    match shop
        .approval(None)
        .confirm(&actor(ADMIN_A), &token)
        .await
        .unwrap()
    {
        ApprovalOutcome::Approved(a) => a.email,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn renewal_extends_from_the_later_of_now_and_expiry_keeping_traffic() {
    let shop = Shop::start().await;
    let active = approve_new(&shop, 1007).await;
    let expired = approve_new(&shop, 1008).await;
    let now = shop.clock.now_ms();
    let gib: i64 = 1 << 30;
    {
        let mut d = shop.sim.data();
        for c in &mut d.clients {
            if c.client.email == active {
                c.client.expiry_time = now + 10 * DAY_MS;
            } else if c.client.email == expired {
                c.client.expiry_time = now - 5 * DAY_MS;
            }
        }
    }
    assert!(shop.sim.advance_traffic(&active, 0, 30 * gib));
    let uuid_before = shop.clients_of(1007)[0].id.clone();
    for user in [1007, 1008] {
        let order = shop.open_with_ticket(user, "month").await;
        assert_eq!(
            shop.order(order).kind,
            vpn_ticket_bot::domain::status::OrderKind::Renewal
        );
        let payment = shop
            .orders
            .submit_receipt(UserId(user), order, shop.receipt(), None)
            .await
            .unwrap();
        let token = shop.token(ADMIN_B, payment).await;
        let out = shop
            .approval(None)
            .confirm(&actor(ADMIN_B), &token)
            .await
            .unwrap();
        assert!(
            matches!(&out, ApprovalOutcome::Approved(a) if a.renewal),
            "{out:?}"
        );
    }
    let a = shop.sim.client(&active).unwrap();
    let within = |got: i64, want: i64| (got - want).abs() < 60_000;
    assert!(
        within(a.expiry_time, now + 40 * DAY_MS),
        "10 left + 30 = 40 days"
    );
    assert_eq!(a.total_gb, 200 * gib, "30 used + 70 left + 100 new");
    assert_eq!(a.id, uuid_before, "same client, extended");
    let e = shop.sim.client(&expired).unwrap();
    assert!(
        within(e.expiry_time, now + 30 * DAY_MS),
        "expired: 30 days from now"
    );
    assert!(e.enable);
    assert_eq!(shop.clients_of(1007).len() + shop.clients_of(1008).len(), 2);
    assert!(within(
        shop.user(1007).expiry_at.unwrap(),
        now + 40 * DAY_MS
    ));
}

#[tokio::test]
async fn first_use_plans_get_a_negative_expiry_and_the_delivery_has_the_subscription_url() {
    let shop = Shop::start().await;
    let (_, payment) = shop.order_under_review(1010, "first_use").await;
    shop.approved(payment).await;
    let client = shop.sim.client("u1010").unwrap();
    assert_eq!(
        client.expiry_time,
        -30 * DAY_MS,
        "30 days from the first connection"
    );
    assert_eq!(client.total_gb, 0, "unlimited plan");
    let delivery = &shop.outbox("deliver_link", "payment_id", payment.0)[0];
    assert_eq!(
        delivery["subscription_url"],
        format!("https://sub.example.test/sub/{}", client.sub_id)
    );
    let link = delivery["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("vless://{}@vpn.example.test:443?", client.id)),
        "{link}"
    );
    assert!(link.ends_with("#VLESS-443-u1010"), "{link}");
    assert_eq!(shop.user(1010).expiry_at, Some(-30 * DAY_MS));
    let removed = shop.sessions.purge_expired().await.unwrap();
    assert_eq!(removed, 0, "the used token has not expired yet");
}
