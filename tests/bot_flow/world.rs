//! The test world: the library's staged shop (`vpn_ticket_bot::demo::world`, the same one
//! `vpn-ticket-bot demo` plays on) with a health probe the test switches, and its helpers turned
//! into assertions: a step that does not happen fails the test with what was seen instead.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use vpn_ticket_bot::app::App;
use vpn_ticket_bot::demo::world::{self, WorldOptions};
use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::OrderId;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::service::health::HealthMonitor;
use vpn_ticket_bot::sim::discord::openapi::OpenApi;
use vpn_ticket_bot::sim::discord::selfcheck;
use vpn_ticket_bot::sim::discord::state::MessageRec;
use vpn_ticket_bot::sim::discord::{Emulator, InteractionRef};
use vpn_ticket_bot::store;

pub(crate) const T: Duration = world::STEP_TIMEOUT;

/// The guild, its people and the running bot; the panel's health is the test's to decide
/// (`healthy` + `monitor.check_once()`; one failed check = outage).
pub(crate) struct World {
    inner: world::World,
    pub monitor: HealthMonitor,
    pub healthy: Arc<AtomicBool>,
}

impl Deref for World {
    type Target = world::World;
    fn deref(&self) -> &world::World {
        &self.inner
    }
}

impl DerefMut for World {
    fn deref_mut(&mut self) -> &mut world::World {
        &mut self.inner
    }
}

fn ok<T>(r: Result<T, world::StepError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

impl World {
    /// The library world, for its fallible helpers.
    pub(crate) fn inner(&self) -> &world::World {
        &self.inner
    }

    pub(crate) async fn start() -> Self {
        Self::start_with(false).await
    }

    /// `tls`: serenity talks to `discord.com` over TLS with its rate limiter on (else the proxy
    /// mode, rate limiter off).
    pub(crate) async fn start_with(tls: bool) -> Self {
        Self::start_options(tls, false).await
    }

    /// The world with the vpn-api emulator as the bot's backend ([`world::World::vpn`]).
    pub(crate) async fn start_vpn_api() -> Self {
        Self::start_options(false, true).await
    }

    /// The world with temporary access while receipts wait (`orders.provisional_enabled`).
    pub(crate) async fn start_provisional() -> Self {
        Self::start_world(WorldOptions {
            provisional: true,
            ..WorldOptions::default()
        })
        .await
    }

    async fn start_options(tls: bool, vpn_api: bool) -> Self {
        Self::start_world(WorldOptions {
            tls,
            vpn_api,
            ..WorldOptions::default()
        })
        .await
    }

    async fn start_world(options: WorldOptions) -> Self {
        assert!(
            std::env::var("NO_PROXY").is_ok_and(|v| v.contains("127.0.0.1"))
                || std::env::var_os("HTTP_PROXY").is_none(),
            "set NO_PROXY=127.0.0.1,localhost"
        );
        let (probe, healthy) = crate::common::switchable_probe();
        let mut inner = ok(world::World::start(WorldOptions {
            probe: Some(probe),
            health_failure_threshold: 1,
            ..options
        })
        .await);
        let monitor = inner.monitor.take().expect("the world's health monitor");
        Self {
            inner,
            monitor,
            healthy,
        }
    }

    /// Stops the bot; no job may need aborting. Every test ends here, so every REST body the
    /// bot sent in any test is checked against Discord's OpenAPI description and every payload
    /// the emulator sent against serenity's types ([`assert_bodies_valid`]).
    pub(crate) async fn stop(self) {
        assert_bodies_valid(&self.inner.emu);
        let aborted = self.inner.stop().await;
        assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
    }

    /// Restarts the bot process-like (new `App` on the same data directory); no job may need
    /// aborting.
    pub(crate) async fn restart(&mut self) {
        let aborted = ok(self.inner.restart().await);
        assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
    }

    /// Restarts the bot with its clock `ahead` of the real one (the process came back later).
    pub(crate) async fn restart_later(&mut self, ahead: Duration) {
        let now = vpn_ticket_bot::clock::Clock::system().now_ms();
        let later = now + i64::try_from(ahead.as_millis()).expect("a sane duration");
        let clock = vpn_ticket_bot::clock::Clock::starting_at(later);
        let aborted = ok(self.inner.restart_with_clock(clock).await);
        assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
    }

    /// Waits for the newest message matching `pred` in `channel`.
    pub(crate) async fn message_in(
        &self,
        channel: u64,
        what: &str,
        pred: impl Fn(&MessageRec) -> bool,
    ) -> MessageRec {
        ok(self.inner.message_in(channel, what, pred).await)
    }

    /// Waits for the bot's answer to interaction `i` to contain `text`; it must be ephemeral.
    pub(crate) async fn reply_to(&self, i: &InteractionRef, text: &str) -> MessageRec {
        ok(self.inner.reply_to(i, text).await)
    }

    /// `/order` → plan select → the ticket channel; returns (ticket, order id).
    pub(crate) async fn open_ticket(&self, user: u64) -> (u64, OrderId) {
        ok(self.inner.open_ticket(user).await)
    }

    /// `/order` → the plan select → "month"; returns the pick (answered by the ticket or a
    /// refusal).
    pub(crate) async fn pick_plan(&self, user: u64) -> InteractionRef {
        ok(self.inner.pick_plan(user).await)
    }

    /// Picks the bank transfer in the ticket and waits for the instructions.
    pub(crate) async fn pick_method(&self, user: u64, ticket: u64, order: OrderId) {
        ok(self.inner.pick_method(user, ticket, order).await);
    }

    /// Uploads a generated receipt picture (`seed` picks it); waits for its review card (the
    /// `nth` card, from 1).
    pub(crate) async fn upload(
        &self,
        user: u64,
        ticket: u64,
        seed: u64,
        nth: usize,
    ) -> (MessageRec, Vec<u8>) {
        let png = super::images::png(&super::images::receipt(seed, 480, 800));
        let card = ok(self.inner.upload(user, ticket, png.clone(), nth).await);
        (card, png)
    }

    /// Waits for `user`'s DM holding a `vless://` link.
    pub(crate) async fn link_dm(&self, user: u64) -> MessageRec {
        self.emu
            .wait_for(T, |s| {
                s.dms_of(user)
                    .into_iter()
                    .find(|m| m.content.contains("vless://"))
                    .cloned()
            })
            .await
            .expect("link DM")
    }

    /// An admin approves the card and confirms.
    pub(crate) async fn approve(&self, card: &MessageRec) {
        ok(self.inner.approve(card).await);
    }
}

/// REST calls to `route` (`("POST", "/users/@me/channels")`) in the emulator's log so far.
pub(crate) fn route_calls(emu: &Emulator, method: &str, route: &str) -> usize {
    emu.read(|s| {
        s.log()
            .iter()
            .filter(|e| e.route() == Some((method, route)))
            .count()
    })
}

/// Every custom_id on a message.
pub(crate) fn custom_ids(m: &MessageRec) -> Vec<String> {
    world::custom_ids(m)
}

/// The first component of `m` whose parsed custom_id `wanted` accepts.
pub(crate) fn find_id(m: &MessageRec, wanted: impl Fn(&CustomId) -> bool) -> Option<CustomId> {
    world::find_id(m, wanted)
}

/// The custom_id to click: the first component of `m` whose parsed custom_id `wanted` accepts.
pub(crate) fn click_id(m: &MessageRec, wanted: impl Fn(&CustomId) -> bool) -> String {
    ok(world::click_id(m, wanted))
}

/// Every REST body the bot sent passes the lenient check against Discord's OpenAPI description,
/// and everything the emulator sent parses with serenity's model types.
fn assert_bodies_valid(emu: &Emulator) {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discord-api-spec/openapi.json");
    let api = OpenApi::load(&spec).expect("openapi.json");
    let log = emu.log();
    let (findings, checked) = api.validate_log(&log);
    assert!(
        findings.is_empty(),
        "bodies the spec rejects: {findings:#?}"
    );
    assert!(checked >= 3, "only {checked} bodies validated");
    let (failures, parsed) = selfcheck::check_log(&log);
    assert!(
        failures.is_empty(),
        "payloads serenity cannot parse:\n{}",
        failures.join("\n")
    );
    assert!(parsed >= 10, "only {parsed} payloads checked");
}

pub(crate) fn order_status(app: &App, order: OrderId) -> OrderStatus {
    store::orders::get(&app.store.conn().unwrap(), order)
        .unwrap()
        .unwrap()
        .status
}
