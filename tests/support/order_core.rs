//! A whole shop core for integration tests: a temporary SQLite store, the panel emulator behind
//! the real `XuiClient`, a circuit breaker driven by a health monitor whose probe the test
//! controls, and the order, admin-session and approval services on top.
#![allow(dead_code)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tempfile::TempDir;
use vpn_ticket_bot::app::App;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::Config;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::AdminAction;
use vpn_ticket_bot::domain::{ChannelId, GuildId, OrderId, PaymentId, UserId};
use vpn_ticket_bot::panel::{Client, PanelApi};
use vpn_ticket_bot::service::Deps;
use vpn_ticket_bot::service::admin_sessions::AdminSessions;
use vpn_ticket_bot::service::approval::{ApprovalOutcome, ApprovalService, Approved, FailPoint};
use vpn_ticket_bot::service::health::{CircuitBreaker, HealthConfig, HealthMonitor};
use vpn_ticket_bot::service::orders::OrderService;
use vpn_ticket_bot::service::panels::{FleetProbe, Panels};
use vpn_ticket_bot::service::roles::{Actor, Roles};
use vpn_ticket_bot::sim::panel::{PanelSim, Profile};
use vpn_ticket_bot::sim::vpn_api::VpnApiSim;
use vpn_ticket_bot::store::payments::Receipt;
use vpn_ticket_bot::store::{self, Store};

/// Owner, admins A and B, support.
pub(crate) const OWNER: u64 = 1;
pub(crate) const ADMIN_A: u64 = 2;
pub(crate) const ADMIN_B: u64 = 3;
pub(crate) const SUPPORT: u64 = 4;

pub(crate) fn actor(id: u64) -> Actor {
    Actor::user(UserId(id))
}

fn config_toml(base_url: &str, panel_user: &str, panel_password: &str) -> String {
    format!(
        r#"
[panel]
base_url = "{base_url}"
username = "{panel_user}"
password = "{panel_password}"
inbound_id = 1
timeout_secs = 2
public_host = "vpn.example.test"
subscription_base_url = "https://sub.example.test/sub/"

[roles]
owner_user_ids = [{OWNER}]
admin_user_ids = [{ADMIN_A}, {ADMIN_B}]
support_user_ids = [{SUPPORT}]

[[plans]]
id = "month"
name = "1 month"
days = 30
traffic_gib = 100
device_limit = 2
price_minor = 500
currency = "USD"

[[plans]]
id = "first_use"
name = "1 month from first use"
days = 30
traffic_gib = 0
price_minor = 700
currency = "EUR"
start_on_first_use = true

[[payment_methods]]
id = "bank"
name = "Bank transfer"
instructions = "IBAN DE00 0000"

[orders]
abandon_after_hours = 48
delete_ticket_after_hours = 24
orders_per_hour = 3
"#
    )
}

/// The vpn-api emulator's key in [`Shop::start_vpn_api`].
pub(crate) const VPN_API_KEY: &str = "sim-vpn-api-key";

/// A configuration on the vpn-api service at `base_url`: the roles, payment methods and order
/// settings of [`config_toml`], one month plan without limits.
fn vpn_api_toml(base_url: &str) -> String {
    let xui = config_toml("http://127.0.0.1:9/", "u", "p");
    let at = |what: &str| xui.find(what).unwrap_or(xui.len());
    let roles = &xui[at("[roles]")..at("[[plans]]")];
    let rest = &xui[at("[[payment_methods]]")..];
    format!(
        "[panel]\nkind = \"vpn_api\"\nbase_url = \"{base_url}\"\nvpn_api_key = \"{VPN_API_KEY}\"\n\
         timeout_secs = 1\n\n{roles}[[plans]]\nid = \"month\"\nname = \"1 month\"\ndays = 30\n\
         price_minor = 500\ncurrency = \"USD\"\n\n{rest}"
    )
}

/// The shop under test.
pub(crate) struct Shop {
    pub dir: TempDir,
    pub store: Store,
    pub sim: PanelSim,
    /// The vpn-api emulator when it is the backend ([`Shop::start_vpn_api`]).
    pub vpn: Option<VpnApiSim>,
    pub panel: Arc<dyn PanelApi>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub breaker: CircuitBreaker,
    monitor: HealthMonitor,
    healthy: Arc<AtomicBool>,
    pub orders: OrderService,
    pub sessions: AdminSessions,
    /// The handles the services are built from (as `App::new` builds them).
    pub deps: Deps,
    receipts: std::sync::atomic::AtomicU64,
}

impl Shop {
    /// A shop on a v3.6.0 (Gen B) panel emulator, with the system clock.
    pub(crate) async fn start() -> Self {
        Self::start_with(Profile::v3_6_0(), Clock::system()).await
    }

    pub(crate) async fn start_with(profile: Profile, clock: Clock) -> Self {
        Self::start_configured(profile, clock, "").await
    }

    /// A shop whose configuration has `extra` appended (more `[[payment_methods]]`, a
    /// `[cryptobot]` section...).
    pub(crate) async fn start_configured(profile: Profile, clock: Clock, extra: &str) -> Self {
        let sim = PanelSim::start(profile).await;
        let p = sim.profile().clone();
        let text = config_toml(&sim.base_url(), &p.username, &p.password) + extra;
        Self::start_from(sim, None, &text, clock)
    }

    /// A shop whose backend is the vpn-api emulator (key [`VPN_API_KEY`]), selling plans without
    /// traffic or device limits (the backend cannot enforce them). The 3x-ui emulator runs
    /// beside it, unused.
    pub(crate) async fn start_vpn_api(clock: Clock) -> Self {
        let sim = PanelSim::start(Profile::v3_6_0()).await;
        let vpn = VpnApiSim::start(VPN_API_KEY).await;
        let text = vpn_api_toml(&vpn.base_url());
        Self::start_from(sim, Some(vpn), &text, clock)
    }

    /// A shop on two 3x-ui emulators, `[[panels]]` `a` (this shop's `sim`) and `b` (returned),
    /// with these capacities (0 = no limit), one failed check = a panel's outage, and `extra`
    /// appended to the config. Health is the fleet monitor's ([`Shop::check_panels`]).
    pub(crate) async fn start_two_panels(caps: (u32, u32), extra: &str) -> (Self, PanelSim) {
        let (a, b) = (
            PanelSim::start(Profile::v3_6_0()).await,
            PanelSim::start(Profile::v3_6_0()).await,
        );
        let one = config_toml(&a.base_url(), "x", "x");
        let start = one.find("[panel]").unwrap_or(0);
        let end = one.find("[roles]").unwrap_or(start);
        let panel = |id: &str, sim: &PanelSim, cap: u32| {
            let p = sim.profile();
            format!(
                "[[panels]]\nid = \"{id}\"\nregion = \"{id}-region\"\ncapacity = {cap}\n\
                 base_url = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\ninbound_id = 1\n\
                 timeout_secs = 2\nhealth_failure_threshold = 1\npublic_host = \"{id}.example.test\"\n\n",
                sim.base_url(),
                p.username,
                p.password
            )
        };
        let text = format!(
            "{}{}{extra}\n{}{}",
            &one[..start],
            &one[end..],
            panel("a", &a, caps.0),
            panel("b", &b, caps.1)
        );
        let config = Arc::new(Config::from_toml_with_env(&text, |_| None).expect("test config"));
        let mut shop = Self::start_from(a, None, &text, Clock::system());
        let panels = Panels::several(&config, |api| api).unwrap();
        let fleet = FleetProbe::new(panels.clone(), shop.store.clone(), shop.clock);
        let health = HealthConfig {
            threshold: 1,
            ..HealthConfig::default()
        };
        shop.monitor = HealthMonitor::new(Arc::new(fleet), health);
        shop.breaker = shop.monitor.breaker();
        shop.panel = panels.iter().next().unwrap().api.clone();
        shop.deps = Deps {
            panel: shop.panel.clone(),
            breaker: shop.breaker.clone(),
            panels,
            ..shop.deps.clone()
        };
        let app = App::new(shop.deps.clone());
        (shop.orders, shop.sessions) = (app.orders.clone(), app.sessions.clone());
        (shop, b)
    }

    /// One fleet health check: every panel checked once (owner alerts queued on edges).
    pub(crate) async fn check_panels(&self) {
        self.monitor.check_once().await;
    }

    fn start_from(sim: PanelSim, vpn: Option<VpnApiSim>, text: &str, clock: Clock) -> Self {
        let config = Arc::new(Config::from_toml_with_env(text, |_| None).expect("test config"));
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_path(&dir.path().join("bot.db"), Duration::from_secs(10), 4).unwrap();
        let panel = vpn_ticket_bot::panel::connect(&config.panel).unwrap();
        // The panel's health is the test's to decide (one failed check = outage).
        let (monitor, healthy) = common::switchable_monitor();
        let breaker = monitor.breaker();
        let deps = Deps {
            store: store.clone(),
            panel: panel.clone(),
            breaker: breaker.clone(),
            roles: Roles::new(config.roles.clone()),
            config: config.clone(),
            clock,
            metrics: vpn_ticket_bot::metrics::Metrics::new(),
            panels: Panels::single(&config, panel.clone(), breaker.clone()),
        };
        let app = App::new(deps.clone());
        let (orders, sessions) = (app.orders.clone(), app.sessions.clone());
        Self {
            dir,
            store,
            sim,
            vpn,
            panel,
            config,
            clock,
            breaker,
            monitor,
            healthy,
            orders,
            sessions,
            deps,
            receipts: 0.into(),
        }
    }

    /// A fresh approval service on the same store and panel (a "restarted process").
    pub(crate) fn approval(&self, fail_point: Option<FailPoint>) -> ApprovalService {
        self.approval_with_panel(self.panel.clone(), fail_point)
    }

    /// An approval service talking to `panel` (e.g. a wrapper that injects a failure).
    pub(crate) fn approval_with_panel(
        &self,
        panel: Arc<dyn PanelApi>,
        fail_point: Option<FailPoint>,
    ) -> ApprovalService {
        ApprovalService::new(self.deps.with_panel(panel)).with_fail_point(fail_point)
    }

    /// The subscription service of this shop (`/status`, "Show my link", extend, revoke).
    pub(crate) fn subscriptions(
        &self,
    ) -> vpn_ticket_bot::service::subscriptions::SubscriptionService {
        vpn_ticket_bot::service::subscriptions::SubscriptionService::new(self.deps.clone())
    }

    /// Opens the breaker (outage) or closes it (recovery) through one health check.
    pub(crate) async fn set_outage(&self, outage: bool) {
        self.healthy.store(!outage, Ordering::SeqCst);
        self.monitor.check_once().await;
        assert_eq!(self.breaker.is_outage(), outage);
    }

    /// A receipt with a unique SHA-256.
    pub(crate) fn receipt(&self) -> Receipt {
        let n = self.receipts.fetch_add(1, Ordering::SeqCst);
        receipt_with_sha(&format!("{n:064x}"))
    }

    /// Opens an order for `user` (plan `plan`), attaches a new ticket channel, picks the
    /// bank transfer and submits a receipt: the order is under review.
    pub(crate) async fn order_under_review(&self, user: u64, plan: &str) -> (OrderId, PaymentId) {
        let order = self.open_with_ticket(user, plan).await;
        let payment = self
            .orders
            .submit_receipt(UserId(user), order, self.receipt(), None)
            .await
            .expect("receipt accepted");
        (order, payment)
    }

    /// Opens an order with a ticket channel and a payment method.
    pub(crate) async fn open_with_ticket(&self, user: u64, plan: &str) -> OrderId {
        let order = self
            .orders
            .open(UserId(user), plan)
            .await
            .expect("order opens")
            .id;
        self.orders
            .attach_ticket(order, GuildId(9), ChannelId(self.ticket_channel(user)))
            .await
            .unwrap();
        self.orders
            .choose_payment_method(UserId(user), order, "bank")
            .await
            .unwrap();
        order
    }

    /// A new ticket channel id for `user`: `user * 100 + n`.
    pub(crate) fn ticket_channel(&self, user: u64) -> u64 {
        user * 100 + self.receipts.fetch_add(1, Ordering::SeqCst) % 100
    }

    /// ADMIN_A approves `payment` and confirms; the approval must complete.
    pub(crate) async fn approved(&self, payment: PaymentId) -> Approved {
        match self.confirm(payment).await {
            ApprovalOutcome::Approved(a) => a,
            other => panic!("not approved: {other:?}"),
        }
    }

    /// Admin A approves `payment` (a fresh token, a fresh service): the outcome.
    pub(crate) async fn confirm(&self, payment: PaymentId) -> ApprovalOutcome {
        let token = self.token(ADMIN_A, payment).await;
        self.approval(None)
            .confirm(&actor(ADMIN_A), &token)
            .await
            .unwrap()
    }

    /// An approve token of `admin` for `payment`.
    pub(crate) async fn token(&self, admin: u64, payment: PaymentId) -> String {
        self.sessions
            .issue(&actor(admin), AdminAction::Approve, payment)
            .await
            .expect("token issued")
            .token
    }

    pub(crate) fn payment(&self, id: PaymentId) -> store::payments::Payment {
        store::payments::get(&self.store.conn().unwrap(), id)
            .unwrap()
            .unwrap()
    }

    pub(crate) fn order(&self, id: OrderId) -> store::orders::Order {
        store::orders::get(&self.store.conn().unwrap(), id)
            .unwrap()
            .unwrap()
    }

    pub(crate) fn user(&self, id: u64) -> store::users::User {
        store::users::get(&self.store.conn().unwrap(), UserId(id))
            .unwrap()
            .unwrap()
    }

    /// Ledger rows of a payment.
    pub(crate) fn ledger_rows(&self, payment: PaymentId) -> usize {
        store::revenue::entries_between(&self.store.conn().unwrap(), i64::MIN, i64::MAX)
            .unwrap()
            .iter()
            .filter(|e| e.payment_id == Some(payment))
            .count()
    }

    /// Outbox rows of `kind` whose payload has `field == value`.
    pub(crate) fn outbox(&self, kind: &str, field: &str, value: i64) -> Vec<serde_json::Value> {
        store::outbox::due(&self.store.conn().unwrap(), i64::MAX, 10_000)
            .unwrap()
            .into_iter()
            .filter(|i| i.kind == kind && i.payload[field] == value)
            .map(|i| i.payload)
            .collect()
    }

    /// Panel clients of customer `user` (email `u<id>`).
    pub(crate) fn clients_of(&self, user: u64) -> Vec<Client> {
        let email = format!("u{user}");
        self.sim
            .clients()
            .into_iter()
            .filter(|c| c.email == email)
            .collect()
    }

    /// Audit actions about a payment, oldest first.
    pub(crate) fn audit_actions(&self, payment: PaymentId) -> Vec<AuditAction> {
        store::audit::for_target(&self.store.conn().unwrap(), "payment", &payment.to_string())
            .unwrap()
            .into_iter()
            .map(|e| e.action.parse().expect("a known audit action"))
            .collect()
    }
}

pub(crate) fn receipt_with_sha(sha: &str) -> Receipt {
    Receipt {
        sha256: sha.to_owned(),
        phash: "00ff00ff00ff00ff".into(),
        path: Some(format!("receipts/{sha}.png")),
        content_type: "image/png".into(),
        size: 1234,
    }
}
