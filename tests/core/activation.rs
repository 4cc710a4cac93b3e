//! First-use activation: a first-use plan's clock starts when the panel converts the expiry
//! (or, when the panel does not — 3x-ui #5714/#5849 — after traffic it did not count; or at the
//! deadline), the bot records `activated_at` and the absolute expiry, and the customer gets
//! exactly one "your days started" DM across passes, the reconciler and restarts.

use std::sync::Arc;

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::service::Deps;
use vpn_ticket_bot::service::activation::{ActivationService, CONVERSION_GRACE_MS, StartReason};
use vpn_ticket_bot::store::{self, Store};

use crate::order_core::Shop;

const DAY: i64 = 86_400_000;

async fn approve_first_use(shop: &Shop, user: u64) -> String {
    let (_, payment) = shop.order_under_review(user, "first_use").await;
    let approved = shop.approved(payment).await;
    assert_eq!(approved.expiry_ms, -30 * DAY);
    shop.user(user).panel_email.unwrap()
}

fn activated_at(shop: &Shop, user: u64) -> Option<i64> {
    store::activation::activated_at(&shop.store.conn().unwrap(), UserId(user)).unwrap()
}

fn started_dms(shop: &Shop, user: u64) -> Vec<serde_json::Value> {
    shop.outbox(
        "activation_started",
        "user_id",
        i64::try_from(user).unwrap(),
    )
}

/// The deps of `shop` reading time `ahead_ms` later.
fn later(shop: &Shop, ahead_ms: i64) -> Deps {
    shop.deps
        .with_clock(Clock::starting_at(shop.clock.now_ms() + ahead_ms))
}

#[tokio::test]
async fn a_converted_expiry_is_recorded_and_announced_exactly_once() {
    let shop = Shop::start().await;
    let email = approve_first_use(&shop, 3001).await;
    let service = ActivationService::new(shop.deps.clone());
    assert!(service.activate_once().await.unwrap().activated.is_empty());
    assert!(shop.sim.advance_traffic(&email, 100, 100));
    let panel_expiry = shop.sim.client(&email).unwrap().expiry_time;
    assert!(panel_expiry > 0, "the emulator converted it");
    let pass = service.activate_once().await.unwrap();
    assert_eq!(pass.activated, [(UserId(3001), StartReason::Panel)]);
    assert_eq!(shop.user(3001).expiry_at, Some(panel_expiry));
    assert_eq!(activated_at(&shop, 3001), Some(panel_expiry - 30 * DAY));
    let dms = started_dms(&shop, 3001);
    assert_eq!(dms.len(), 1);
    assert_eq!(
        (dms[0]["expiry_at"].as_i64(), dms[0]["days"].as_u64()),
        (Some(panel_expiry), Some(30))
    );
    // Another pass, the reconciler, and a restarted process: nothing more.
    assert!(service.activate_once().await.unwrap().activated.is_empty());
    shop.subscriptions().reconcile_once().await.unwrap();
    let reopened = Store::open_path(
        &shop.dir.path().join("bot.db"),
        std::time::Duration::from_secs(5),
        2,
    )
    .unwrap();
    let restarted = ActivationService::new(Deps {
        store: reopened,
        ..shop.deps.clone()
    });
    assert!(
        restarted
            .activate_once()
            .await
            .unwrap()
            .activated
            .is_empty()
    );
    assert_eq!(started_dms(&shop, 3001).len(), 1);
}

#[tokio::test]
async fn the_reconciler_seeing_it_first_tells_the_customer_and_the_job_does_not_again() {
    let shop = Shop::start().await;
    let email = approve_first_use(&shop, 3002).await;
    shop.sim.advance_traffic(&email, 1, 1);
    let report = shop.subscriptions().reconcile_once().await.unwrap();
    assert_eq!(report.drift_synced, [UserId(3002)]);
    assert!(activated_at(&shop, 3002).is_some());
    let pass = ActivationService::new(shop.deps.clone())
        .activate_once()
        .await
        .unwrap();
    assert!(pass.activated.is_empty());
    assert_eq!(started_dms(&shop, 3002).len(), 1);
}

#[tokio::test]
async fn a_panel_that_does_not_convert_gets_the_expiry_from_the_bot() {
    let shop = Shop::start().await;
    let email = approve_first_use(&shop, 3003).await;
    shop.sim.set_converts_first_use(false);
    shop.sim.advance_traffic(&email, 5, 5);
    assert_eq!(shop.sim.client(&email).unwrap().expiry_time, -30 * DAY);
    let now = ActivationService::new(shop.deps.clone());
    assert!(
        now.activate_once().await.unwrap().activated.is_empty(),
        "within the grace"
    );
    let after = ActivationService::new(later(&shop, CONVERSION_GRACE_MS + 1000));
    let pass = after.activate_once().await.unwrap();
    assert_eq!(
        pass.activated,
        [(UserId(3003), StartReason::PanelDidNotConvert)]
    );
    let set = shop.sim.client(&email).unwrap().expiry_time;
    let started = activated_at(&shop, 3003).unwrap();
    assert_eq!(
        set,
        started + 30 * DAY,
        "lastOnline + duration, on the panel"
    );
    assert_eq!(shop.user(3003).expiry_at, Some(set));
    assert!(after.activate_once().await.unwrap().activated.is_empty());
    assert_eq!(started_dms(&shop, 3003).len(), 1);
}

#[tokio::test]
async fn the_deadline_starts_the_clock_without_a_connection() {
    let shop = Shop::start().await;
    let email = approve_first_use(&shop, 3004).await;
    let mut config = (*shop.config).clone();
    config.orders.first_use_deadline_days = 3;
    let deps = |ahead| Deps {
        config: Arc::new(config.clone()),
        ..later(&shop, ahead)
    };
    let first = ActivationService::new(deps(0))
        .activate_once()
        .await
        .unwrap();
    assert!(
        first.activated.is_empty(),
        "the deadline is set, not passed"
    );
    let early = ActivationService::new(deps(2 * DAY))
        .activate_once()
        .await
        .unwrap();
    assert!(early.activated.is_empty());
    let ahead = 3 * DAY + 1000;
    let due = ActivationService::new(deps(ahead))
        .activate_once()
        .await
        .unwrap();
    assert_eq!(due.activated, [(UserId(3004), StartReason::Deadline)]);
    let expiry = shop.sim.client(&email).unwrap().expiry_time;
    assert_eq!(shop.user(3004).expiry_at, Some(expiry));
    assert_eq!(expiry, activated_at(&shop, 3004).unwrap() + 30 * DAY);
    assert!(expiry >= shop.clock.now_ms() + ahead + 30 * DAY - 1000);
    assert_eq!(started_dms(&shop, 3004).len(), 1);
}

#[tokio::test]
async fn renewals_before_and_after_activation() {
    let shop = Shop::start().await;
    let email = approve_first_use(&shop, 3005).await;
    let (_, renewal) = shop.order_under_review(3005, "first_use").await;
    assert_eq!(
        shop.approved(renewal).await.expiry_ms,
        -60 * DAY,
        "before: grows the wait"
    );
    shop.sim.advance_traffic(&email, 1, 1);
    let service = ActivationService::new(shop.deps.clone());
    service.activate_once().await.unwrap();
    let dms = started_dms(&shop, 3005);
    assert_eq!(dms.len(), 1);
    assert_eq!(dms[0]["days"], 60);
    let activated = shop.user(3005).expiry_at.unwrap();
    let (_, after) = shop.order_under_review(3005, "first_use").await;
    assert_eq!(
        shop.approved(after).await.expiry_ms,
        activated + 30 * DAY,
        "after: from the end"
    );
    assert!(service.activate_once().await.unwrap().activated.is_empty());
    assert_eq!(started_dms(&shop, 3005).len(), 1);
}

#[test]
fn the_migration_applies_on_a_schema_3_database_with_customers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", store::APPLICATION_ID)
        .unwrap();
    store::MIGRATIONS.to_version(&mut conn, 3).unwrap();
    conn.execute_batch(
        "INSERT INTO users (discord_id, panel_email, expiry_at, status, created_at, updated_at)
             VALUES (42, 'u42', -2592000000, 'active', 1, 1),
                    (43, 'u43', 1900000000000, 'active', 1, 1);",
    )
    .unwrap();
    drop(conn);
    for _ in 0..2 {
        let store = Store::open_path(&path, std::time::Duration::from_secs(5), 2).unwrap();
        assert_eq!(store.migrated().1, store::schema_version());
        let conn = store.conn().unwrap();
        let waiting = store::activation::waiting(&conn).unwrap();
        assert_eq!(waiting.len(), 1, "only the customer still waiting");
        assert_eq!(
            (waiting[0].user_id, waiting[0].expiry_at),
            (UserId(42), -30 * DAY)
        );
        assert_eq!(waiting[0].deadline_at, None);
        assert_eq!(
            store::activation::activated_at(&conn, UserId(43)).unwrap(),
            None
        );
        // Customers from before several panels are on the first panel; no tombstones.
        let on = store::placement::panels_of_all(&conn, "main").unwrap();
        assert_eq!(on.get(&UserId(42)).map(String::as_str), Some("main"));
        assert!(
            store::placement::tombstones(&conn, "main")
                .unwrap()
                .is_empty()
        );
    }
}
