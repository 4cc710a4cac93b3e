//! The staff commands `/admin health`, `/admin revenue`, `/admin backup` and the customer's
//! `/renew`, through the real bot: each answered ephemerally with real values to whom it is
//! for, refused to everyone else.

use std::sync::atomic::Ordering;

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::OrderKind;
use vpn_ticket_bot::ops;
use vpn_ticket_bot::sim::discord::CommandOption;
use vpn_ticket_bot::store;

use crate::world::{T, World, custom_ids};

/// The `/admin orders` option picking `state`, with the value the bot registered for that choice
/// (poise sends a choice as its index).
pub(crate) fn order_state(w: &World, state: &str) -> CommandOption {
    let value = w.emu.read(|s| {
        let find = |list: &serde_json::Value, key: &str, name: &str| {
            list[key]
                .as_array()?
                .iter()
                .find(|o| o["name"] == name)
                .cloned()
        };
        let admin = s.commands.iter().find(|c| c["name"] == "admin")?;
        let orders = find(admin, "options", "orders")?;
        let status = find(&orders, "options", "status")?;
        find(&status, "choices", state)?["value"].as_i64()
    });
    CommandOption::Int(
        "status",
        value.unwrap_or_else(|| panic!("no {state:?} choice registered for /admin orders")),
    )
}

/// Runs `/admin <sub>` as `user`.
fn admin(w: &World, user: u64, sub: &str) -> vpn_ticket_bot::sim::discord::InteractionRef {
    w.emu.run_subcommand(user, w.general, "admin", sub, &[])
}

/// A customer's first purchase, approved: returns once the link DM arrived.
async fn first_purchase(w: &World, user: u64, seed: u64) {
    let (ticket, order) = w.open_ticket(user).await;
    w.pick_method(user, ticket, order).await;
    let (card, _) = w.upload(user, ticket, seed, 1).await;
    w.approve(&card).await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(user)
                .into_iter()
                .any(|m| m.content.contains("vless://"))
                .then_some(())
        })
        .await
        .expect("link DM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_health_shows_the_live_panel_then_the_outage() {
    let w = World::start().await;
    let m = w
        .reply_to(&admin(&w, w.alice, "health"), "Panel health")
        .await;
    for part in [
        "**Breaker:** ✅ ok",
        "version 3.6.0, API Gen B",
        "Xray running (v25.10.31)",
        "**Last backup:** none yet",
    ] {
        assert!(m.content.contains(part), "{part:?} in {}", m.content);
    }

    // Xray's state is read live from the panel.
    w.sim.set_xray_state("error");
    let m = w
        .reply_to(&admin(&w, w.alice, "health"), "Panel health")
        .await;
    assert!(
        m.content.contains("Xray error: xray exited"),
        "{}",
        m.content
    );

    // Only admins and owners: support and plain members are refused.
    for who in [w.sam, w.mallory] {
        w.reply_to(&admin(&w, who, "health"), "not allowed").await;
    }

    // Outage: the breaker's state, start and last error; the panel is not called.
    w.healthy.store(false, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "outage event");
    let m = w
        .reply_to(&admin(&w, w.alice, "health"), "outage since <t:")
        .await;
    for part in [
        "Last error: probe says down",
        "**Panel:** not asked during the outage",
    ] {
        assert!(m.content.contains(part), "{part:?} in {}", m.content);
    }
    w.healthy.store(true, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "recovery event");
    w.reply_to(&admin(&w, w.alice, "health"), "**Breaker:** ✅ ok")
        .await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_revenue_shows_an_approved_sale() {
    let w = World::start().await;
    let embeds = |m: &vpn_ticket_bot::sim::discord::state::MessageRec| {
        serde_json::to_string(&m.embeds).unwrap()
    };
    let m = w
        .reply_to(&admin(&w, w.alice, "revenue"), "Revenue report (UTC)")
        .await;
    let before = embeds(&m);
    assert!(before.contains("Last 7 days"), "{before}");
    assert!(!before.contains("USD"), "nothing sold yet: {before}");

    first_purchase(&w, w.carol, 11).await;
    let m = w
        .reply_to(&admin(&w, w.alice, "revenue"), "Revenue report")
        .await;
    let after = embeds(&m);
    let today = w.app.clock.now().strftime("%Y-%m-%d").to_string();
    for part in [
        format!("Today ({today})"),
        "5.00 USD (1 sale)".to_owned(),
        format!("`{today}` 5.00 USD (1 sale)"),
    ] {
        assert!(after.contains(&part), "{part:?} in {after}");
    }

    for who in [w.sam, w.carol] {
        w.reply_to(&admin(&w, who, "revenue"), "not allowed").await;
    }
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_back_up_on_demand_and_the_file_verifies() {
    let w = World::start().await;
    // Admins, support and members may not: backups are the owner's.
    for who in [w.alice, w.sam, w.mallory] {
        w.reply_to(&admin(&w, who, "backup"), "not allowed to take backups")
            .await;
    }

    let m = w
        .reply_to(&admin(&w, w.owner, "backup"), "Backup written and verified")
        .await;
    let name = m
        .content
        .split('`')
        .nth(1)
        .unwrap_or_else(|| panic!("file name in {}", m.content));
    let path = w.app.config.storage.backups_dir().join(name);
    let verified = ops::verify_database(&path).expect("the backup verifies");
    assert_eq!(
        verified.identity.user_version,
        store::migrations::schema_version()
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), verified.bytes);
    let size = binary_size(verified.bytes);
    let schema = format!(
        "({size}, schema version {}) in ",
        verified.identity.user_version
    );
    assert!(m.content.contains(&schema), "{schema:?} in {}", m.content);

    // Audited: the refusals and the backup, with its file.
    let log = store::audit::for_target(&w.app.store.conn().unwrap(), "database", "bot.db").unwrap();
    let actions: Vec<(Option<u64>, AuditAction)> = log
        .iter()
        .map(|e| (e.actor.map(|a| a.0), e.action.parse().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            (Some(w.alice), AuditAction::BackupRefused),
            (Some(w.sam), AuditAction::BackupRefused),
            (Some(w.mallory), AuditAction::BackupRefused),
            (Some(w.owner), AuditAction::BackupCreate),
        ]
    );
    assert_eq!(log[3].payload["file"], name);

    // The health report now names it.
    let secs = backup_time(name);
    w.reply_to(
        &admin(&w, w.alice, "health"),
        &format!("**Last backup:** <t:{secs}:f>"),
    )
    .await;
    w.stop().await;
}

/// `bot-20261121T140811Z.db` → its Unix seconds.
fn backup_time(name: &str) -> i64 {
    let stamp = name
        .strip_prefix("bot-")
        .and_then(|n| n.strip_suffix(".db"))
        .expect("bot-<UTC>.db");
    jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp)
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
        .expect("UTC stamp")
        .timestamp()
        .as_second()
}

/// A size as the bot writes it (a database file is at least a few KiB): `140.0 KiB`, `1.5 MiB`.
fn binary_size(bytes: u64) -> String {
    let kib = f64::from(u32::try_from(bytes).expect("under 4 GiB")) / 1024.0;
    if kib < 1024.0 {
        format!("{kib:.1} KiB")
    } else {
        format!("{:.1} MiB", kib / 1024.0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renew_is_refused_without_a_subscription_and_opens_a_renewal_with_one() {
    let w = World::start().await;
    let i = w.emu.run_command(w.carol, w.general, "renew", &[]);
    let refusal = w.reply_to(&i, "no VPN access to renew yet").await;
    assert!(refusal.components.is_empty(), "no plan select");
    assert!(refusal.content.contains("/order"), "{}", refusal.content);

    first_purchase(&w, w.carol, 12).await;
    let i = w.emu.run_command(w.carol, w.general, "renew", &[]);
    let prompt = w.reply_to(&i, "Your VPN access (active) ends on <t:").await;
    assert_eq!(custom_ids(&prompt), [CustomId::PlanSelect.to_string()]);
    let pick = w.emu.select(
        w.carol,
        prompt.id,
        &CustomId::PlanSelect.to_string(),
        &["month"],
    );
    w.reply_to(&pick, "ticket is open").await;
    let carol = UserId(w.carol);
    let order = w
        .app
        .store
        .call(move |c| store::orders::find_open_for_user(c, carol))
        .await
        .unwrap()
        .expect("the renewal order");
    assert_eq!(order.kind, OrderKind::Renewal);
    let ticket = order.ticket_channel_id.expect("a ticket channel").0;
    assert!(w.emu.read(|s| s.can_view(w.carol, ticket)), "her ticket");
    w.stop().await;
}

/// `/admin panels`: each panel's state and its load (customers against capacity), for admins
/// only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_panels_shows_each_panels_state_and_load() {
    let w = World::start().await;
    let up = |n: u32| format!("`main`: up, {n} / no limit customers");
    w.reply_to(&admin(&w, w.alice, "panels"), &up(0)).await;
    first_purchase(&w, w.carol, 12).await;
    w.reply_to(&admin(&w, w.alice, "panels"), &up(1)).await;
    w.reply_to(&admin(&w, w.sam, "panels"), "not allowed").await;
    w.stop().await;
}
