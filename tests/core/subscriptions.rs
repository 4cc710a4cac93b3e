//! Subscriptions over time against a temporary SQLite store and the panel emulator (through the
//! real `XuiClient`): expiry reminders once per (user, expiry, offset), expiry (panel first),
//! reconciliation of every category, and the admin operations extend and revoke. Time is moved
//! by building the service with a later `Clock::starting_at`, never by sleeping. Reconciliation
//! and the admin operations run against both panel API generations (v3.6.0 and v2.9.4).

use crate::order_core::{ADMIN_A, OWNER, SUPPORT, Shop, actor};
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::SubscriptionStatus;
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::panel::ClientSpec;
use vpn_ticket_bot::service::subscriptions::SubscriptionService;
use vpn_ticket_bot::sim::panel::{Fault, Profile};
use vpn_ticket_bot::store::{self, users::Subscription};

const DAY_MS: i64 = 86_400_000;

/// The subscription service of `shop`, reading time from `clock`.
fn subs(shop: &Shop, clock: Clock) -> SubscriptionService {
    SubscriptionService::new(shop.deps.with_clock(clock))
}

/// Orders `plan` for `user` and approves it (new client or renewal).
async fn approve(shop: &Shop, user: u64, plan: &str) {
    let (_, payment) = shop.order_under_review(user, plan).await;
    shop.approved(payment).await;
}

/// Sets `user`'s expiry on the panel and in the database (status kept).
fn set_expiry(shop: &Shop, user: u64, expiry: i64) {
    let email = format!("u{user}");
    for c in &mut shop.sim.data().clients {
        if c.client.email == email {
            c.client.expiry_time = expiry;
        }
    }
    set_db(shop, user, Some(expiry), None);
}

/// Rewrites `user`'s database expiry and/or status.
fn set_db(shop: &Shop, user: u64, expiry: Option<i64>, status: Option<SubscriptionStatus>) {
    let u = shop.user(user);
    let sub = Subscription {
        expiry_at: expiry.or(u.expiry_at),
        traffic_limit_bytes: u.traffic_limit_bytes,
        device_limit: u.device_limit,
        status: status.unwrap_or(u.status),
    };
    let conn = shop.store.conn().unwrap();
    assert!(
        store::users::set_subscription(&conn, UserId(user), &sub, shop.clock.now_ms()).unwrap()
    );
}

/// Audit actions about customer `user`, oldest first.
fn user_audit(shop: &Shop, user: u64) -> Vec<(Option<UserId>, AuditAction)> {
    store::audit::for_target(&shop.store.conn().unwrap(), "user", &user.to_string())
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action.parse().expect("a known audit action")))
        .collect()
}

fn enabled(shop: &Shop, user: u64) -> bool {
    shop.sim.client(&format!("u{user}")).expect("client").enable
}

#[tokio::test]
async fn reminders_are_queued_once_per_offset_and_again_after_a_renewal() {
    let shop = Shop::start().await;
    let (soon, far, late) = (2001, 2002, 2003);
    for user in [soon, far, late] {
        approve(&shop, user, "month").await;
    }
    let now = shop.clock.now_ms();
    let expiry = now + 5 * DAY_MS / 2;
    set_expiry(&shop, soon, expiry);
    // First seen half a day before expiry (the bot was down): only the 1-day reminder.
    set_expiry(&shop, late, now + DAY_MS / 2);

    let today = subs(&shop, shop.clock);
    assert_eq!(
        today.reminders_once().await.unwrap(),
        2,
        "3-day and late 1-day"
    );
    let late_rows = shop.outbox("expiry_reminder", "user_id", 2003);
    assert_eq!(late_rows.len(), 1);
    assert_eq!(late_rows[0]["days_left"], 1);
    assert_eq!(today.reminders_once().await.unwrap(), 0, "not twice");
    let later = subs(&shop, Clock::starting_at(expiry - DAY_MS / 2));
    assert_eq!(later.reminders_once().await.unwrap(), 1, "1-day reminder");
    assert_eq!(later.reminders_once().await.unwrap(), 0, "not twice");
    assert_eq!(today.reminders_once().await.unwrap(), 0);

    let rows = shop.outbox("expiry_reminder", "user_id", 2001);
    let mut tiers: Vec<_> = rows
        .iter()
        .map(|r| r["days_left"].as_u64().unwrap())
        .collect();
    tiers.sort_unstable();
    assert_eq!(tiers, [1, 3]);
    assert!(rows.iter().all(|r| r["expiry_at"] == expiry));
    assert!(
        shop.outbox("expiry_reminder", "user_id", 2002).is_empty(),
        "far from expiry"
    );

    // A renewal moves the expiry by 30 days: fresh reminders for the new expiry.
    approve(&shop, soon, "month").await;
    let renewed = shop.user(soon).expiry_at.unwrap();
    assert_eq!(renewed, expiry + 30 * DAY_MS);
    let before_new = subs(&shop, Clock::starting_at(renewed - 2 * DAY_MS));
    assert_eq!(before_new.reminders_once().await.unwrap(), 1);
    assert_eq!(before_new.reminders_once().await.unwrap(), 0);
    let rows = shop.outbox("expiry_reminder", "user_id", 2001);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| r["expiry_at"] == renewed).count(), 1);
}

#[tokio::test]
async fn expiry_disables_then_marks_and_leaves_first_use_alone() {
    let shop = Shop::start().await;
    let (overdue, first_use) = (2101, 2102);
    approve(&shop, overdue, "month").await;
    approve(&shop, first_use, "first_use").await;
    let expiry = shop.clock.now_ms() - 60_000;
    set_expiry(&shop, overdue, expiry);
    let service = subs(&shop, shop.clock);

    let pass = service.expire_once().await.unwrap();
    assert_eq!(pass.expired, [UserId(overdue)]);
    assert!(!enabled(&shop, overdue), "client disabled on the panel");
    assert_eq!(shop.user(overdue).status, SubscriptionStatus::Expired);
    let notices = shop.outbox("subscription_expired", "user_id", 2101);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["expiry_at"], expiry);
    assert!(user_audit(&shop, overdue).contains(&(None, AuditAction::SubscriptionExpire)));

    assert!(shop.user(first_use).expiry_at.unwrap() < 0);
    assert_eq!(shop.user(first_use).status, SubscriptionStatus::Active);
    assert!(enabled(&shop, first_use), "start-on-first-use is untouched");

    let again = service.expire_once().await.unwrap();
    assert!(again.expired.is_empty() && again.deferred.is_empty());
    assert_eq!(
        shop.outbox("subscription_expired", "user_id", 2101).len(),
        1
    );
}

#[tokio::test]
async fn expiry_waits_for_the_panel() {
    let shop = Shop::start().await;
    let user = 2201;
    approve(&shop, user, "month").await;
    set_expiry(&shop, user, shop.clock.now_ms() - 60_000);
    let service = subs(&shop, shop.clock);

    shop.sim.set_fault(Fault::Down).await;
    let pass = service.expire_once().await.unwrap();
    assert_eq!(pass.deferred, [UserId(user)]);
    assert!(pass.expired.is_empty());
    assert_eq!(
        shop.user(user).status,
        SubscriptionStatus::Active,
        "nothing marked"
    );
    assert!(
        shop.outbox("subscription_expired", "user_id", 2201)
            .is_empty()
    );
    assert!(user_audit(&shop, user).is_empty());

    shop.sim.set_fault(Fault::None).await;
    shop.set_outage(true).await;
    assert!(
        service.expire_once().await.unwrap().skipped,
        "breaker open: skipped"
    );
    assert_eq!(shop.user(user).status, SubscriptionStatus::Active);
    assert!(enabled(&shop, user));

    shop.set_outage(false).await;
    let pass = service.expire_once().await.unwrap();
    assert_eq!(pass.expired, [UserId(user)]);
    assert!(!enabled(&shop, user));
    assert_eq!(shop.user(user).status, SubscriptionStatus::Expired);
}

#[tokio::test]
async fn reconciliation_finds_and_fixes_each_category_then_finds_nothing() {
    for profile in [Profile::v3_6_0(), Profile::v2_9_4()] {
        reconcile_every_category(profile).await;
    }
}

async fn reconcile_every_category(profile: Profile) {
    let shop = Shop::start_with(profile, Clock::system()).await;
    let (missing, wrongly_on, by_hand, bot_off, drift) = (2301, 2302, 2303, 2304, 2305);
    for user in [missing, wrongly_on, by_hand, bot_off] {
        approve(&shop, user, "month").await;
    }
    approve(&shop, drift, "first_use").await;
    let now = shop.clock.now_ms();
    let service = subs(&shop, shop.clock);

    // bot_off: expired by the bot, then renewed in the database while the panel's enable failed.
    set_expiry(&shop, bot_off, now - 60_000);
    assert_eq!(
        service.expire_once().await.unwrap().expired,
        [UserId(bot_off)]
    );
    let renewed = now + 30 * DAY_MS;
    set_expiry(&shop, bot_off, renewed);
    set_db(&shop, bot_off, None, Some(SubscriptionStatus::Active));
    assert!(!enabled(&shop, bot_off));
    // missing: the client vanished from the panel.
    let expected_missing = shop.sim.client("u2301").unwrap();
    shop.sim
        .data()
        .clients
        .retain(|c| c.client.email != "u2301");
    // wrongly_on: expired in the database, still enabled on the panel.
    set_db(&shop, wrongly_on, None, Some(SubscriptionStatus::Expired));
    // by_hand: disabled by a person on the panel.
    for c in &mut shop.sim.data().clients {
        if c.client.email == "u2303" {
            c.client.enable = false;
        }
    }
    // drift: the first connection turned the negative expiry positive on the panel.
    assert!(shop.sim.advance_traffic("u2305", 0, 1_000));
    let started = shop.sim.client("u2305").unwrap().expiry_time;
    assert!(started > 0);
    // extra: a client of our naming nobody owns.
    let extra = ClientSpec::new("0f8fad5b-d9cb-469f-a165-70867728950e", "u999", "extrasub");
    shop.sim
        .data()
        .add_client(1, extra.to_client(), false)
        .unwrap();

    let report = service.reconcile_once().await.unwrap();
    assert!(!report.skipped);
    assert_eq!(report.recreated, [UserId(missing)]);
    assert_eq!(report.disabled, [UserId(wrongly_on)]);
    assert_eq!(report.wrongly_disabled, [UserId(by_hand)]);
    assert_eq!(report.enabled, [UserId(bot_off)]);
    assert_eq!(report.extra, ["u999"]);
    assert_eq!(report.drift_synced, [UserId(drift)]);
    assert!(
        report.errors.is_empty() && report.missing_unfixed.is_empty(),
        "{report:?}"
    );

    let back = shop.sim.client("u2301").expect("re-created");
    assert_eq!(back.id, expected_missing.id);
    assert_eq!(back.sub_id, expected_missing.sub_id);
    assert_eq!(back.expiry_time, expected_missing.expiry_time);
    assert_eq!(back.total_gb, expected_missing.total_gb);
    assert!(back.enable);
    assert!(!enabled(&shop, wrongly_on));
    assert!(
        !enabled(&shop, by_hand),
        "a hand-disabled client is only reported"
    );
    assert!(enabled(&shop, bot_off));
    assert!(shop.sim.client("u999").is_some(), "extra is never deleted");
    assert_eq!(shop.user(drift).expiry_at, Some(started));
    let audited = |user: u64, finding: AuditAction| {
        user_audit(&shop, user)
            .iter()
            .filter(|(actor, a)| actor.is_none() && *a == finding)
            .count()
    };
    assert_eq!(audited(missing, AuditAction::ReconcileMissing), 1);
    assert_eq!(audited(wrongly_on, AuditAction::ReconcileWronglyEnabled), 1);
    assert_eq!(audited(by_hand, AuditAction::ReconcileWronglyDisabled), 1);
    assert_eq!(audited(bot_off, AuditAction::ReconcileWronglyDisabled), 1);
    assert_eq!(audited(999, AuditAction::ReconcileExtra), 1);
    assert_eq!(audited(drift, AuditAction::ReconcileExpiryDrift), 1);

    let second = service.reconcile_once().await.unwrap();
    assert_eq!(second.fixes(), 0, "{second:?}");
    assert!(second.recreated.is_empty() && second.disabled.is_empty() && second.enabled.is_empty());
    assert_eq!(second.wrongly_disabled, [UserId(by_hand)], "still reported");
    assert_eq!(second.extra, ["u999"], "still reported");
    assert_eq!(
        audited(by_hand, AuditAction::ReconcileWronglyDisabled),
        1,
        "reported findings are audited once"
    );
    assert_eq!(audited(999, AuditAction::ReconcileExtra), 1);

    // Once the bot re-enabled it, a later disabling by hand is a person's decision: reported.
    for c in &mut shop.sim.data().clients {
        if c.client.email == "u2304" {
            c.client.enable = false;
        }
    }
    let third = service.reconcile_once().await.unwrap();
    assert!(third.enabled.is_empty(), "{third:?}");
    assert_eq!(third.wrongly_disabled, [UserId(by_hand), UserId(bot_off)]);
    assert!(!enabled(&shop, bot_off));
}

#[tokio::test]
async fn reconciliation_waits_during_an_outage() {
    let shop = Shop::start().await;
    approve(&shop, 2401, "month").await;
    shop.sim
        .data()
        .clients
        .retain(|c| c.client.email != "u2401");
    let service = subs(&shop, shop.clock);
    shop.set_outage(true).await;
    assert!(service.reconcile_once().await.unwrap().skipped);
    assert!(shop.sim.client("u2401").is_none());
    shop.set_outage(false).await;
    assert_eq!(
        service.reconcile_once().await.unwrap().recreated,
        [UserId(2401)]
    );
}

#[tokio::test]
async fn admins_extend_and_revoke_support_cannot() {
    for profile in [Profile::v3_6_0(), Profile::v2_9_4()] {
        extend_and_revoke(profile).await;
    }
}

async fn extend_and_revoke(profile: Profile) {
    let shop = Shop::start_with(profile, Clock::system()).await;
    let user = 2501;
    approve(&shop, user, "month").await;
    let now = shop.clock.now_ms();
    set_expiry(&shop, user, now + 10 * DAY_MS);
    let service = subs(&shop, shop.clock);

    let err = service
        .extend(&actor(SUPPORT), UserId(user), 30)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::Forbidden { .. })),
        "{err:?}"
    );
    let err = service
        .revoke(&actor(SUPPORT), UserId(user), "no")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::Forbidden { .. })),
        "{err:?}"
    );
    assert_eq!(
        shop.user(user).expiry_at,
        Some(now + 10 * DAY_MS),
        "nothing changed"
    );
    let refused = user_audit(&shop, user);
    assert!(refused.contains(&(
        Some(UserId(SUPPORT)),
        AuditAction::SubscriptionExtendRefused
    )));

    let ext = service
        .extend(&actor(ADMIN_A), UserId(user), 30)
        .await
        .unwrap();
    let within = |got: i64, want: i64| (got - want).abs() < 60_000;
    assert!(
        within(ext.expiry_at, now + 40 * DAY_MS),
        "10 left + 30 = 40 days"
    );
    assert_eq!(shop.sim.client("u2501").unwrap().expiry_time, ext.expiry_at);
    assert_eq!(shop.user(user).expiry_at, Some(ext.expiry_at));
    assert_eq!(shop.user(user).status, SubscriptionStatus::Active);
    let notices = shop.outbox("access_changed", "user_id", 2501);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["change"]["type"], "extended");
    assert_eq!(notices[0]["change"]["expiry_at"], ext.expiry_at);
    assert!(
        user_audit(&shop, user).contains(&(Some(UserId(ADMIN_A)), AuditAction::SubscriptionExtend))
    );

    service
        .revoke(&actor(OWNER), UserId(user), "chargeback")
        .await
        .unwrap();
    assert!(!enabled(&shop, user));
    assert_eq!(shop.user(user).status, SubscriptionStatus::Revoked);
    let notices = shop.outbox("access_changed", "user_id", 2501);
    assert_eq!(notices.len(), 2);
    assert!(
        notices
            .iter()
            .any(|n| n["change"]["reason"] == "chargeback")
    );
    assert!(
        user_audit(&shop, user).contains(&(Some(UserId(OWNER)), AuditAction::SubscriptionRevoke))
    );

    // An expired customer extended by an admin is active again, from now.
    let lapsed = 2502;
    approve(&shop, lapsed, "month").await;
    set_expiry(&shop, lapsed, now - DAY_MS);
    assert_eq!(
        service.expire_once().await.unwrap().expired,
        [UserId(lapsed)]
    );
    let back = service
        .extend(&actor(OWNER), UserId(lapsed), 30)
        .await
        .unwrap();
    assert!(
        within(back.expiry_at, now + 30 * DAY_MS),
        "expired: 30 days from now"
    );
    assert!(enabled(&shop, lapsed));
    assert_eq!(shop.user(lapsed).status, SubscriptionStatus::Active);

    let err = service
        .extend(&actor(ADMIN_A), UserId(user), 30)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::InvalidState { .. })),
        "{err:?}"
    );
    let report = service.reconcile_once().await.unwrap();
    assert_eq!(report.fixes(), 0, "revoked and disabled agree: {report:?}");
}
