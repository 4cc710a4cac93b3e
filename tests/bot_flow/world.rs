//! The test world: the Discord emulator with a guild (admin and support roles, an admin
//! channel, a tickets category, four people), the panel emulator, a temporary data directory and
//! the bot started with `discord::start`; helpers that act like people and wait on emulator state.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use vpn_ticket_bot::app::App;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::Config;
use vpn_ticket_bot::discord::{self, Running};
use vpn_ticket_bot::domain::OrderId;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::panel::{PanelApi, XuiClient};
use vpn_ticket_bot::service::health::HealthMonitor;
use vpn_ticket_bot::sim::discord::openapi::OpenApi;
use vpn_ticket_bot::sim::discord::selfcheck;
use vpn_ticket_bot::sim::discord::state::MessageRec;
use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig, InteractionRef};
use vpn_ticket_bot::sim::panel::{PanelSim, Profile};
use vpn_ticket_bot::store::{self, Store};

pub const T: Duration = Duration::from_secs(30);

/// The guild, its people and the running bot.
pub struct World {
    pub emu: Emulator,
    pub sim: PanelSim,
    pub app: Arc<App>,
    pub running: Option<Running>,
    pub monitor: HealthMonitor,
    pub healthy: Arc<AtomicBool>,
    pub owner: u64,
    pub _dir: TempDir,
    pub general: u64,
    pub admin_channel: u64,
    pub tickets: u64,
    pub alice: u64,
    pub sam: u64,
    pub carol: u64,
    pub mallory: u64,
}

fn config_toml(w: &WorldIds, panel_url: &str, user: &str, password: &str, dir: &str) -> String {
    format!(
        r#"
[discord]
token = "test-token"
guild_id = {guild}
admin_channel_id = {admin}
tickets_category_id = {tickets}

[roles]
owner_user_ids = [{owner}]
admin_role_ids = [{admin_role}]
support_role_ids = [{support_role}]

[panel]
base_url = "{panel_url}"
username = "{user}"
password = "{password}"
inbound_id = 1
timeout_secs = 5
public_host = "vpn.example.test"
subscription_base_url = "https://sub.example.test/sub/"

[[plans]]
id = "month"
name = "1 month"
days = 30
traffic_gib = 100
device_limit = 2
price_minor = 500
currency = "USD"

[[payment_methods]]
id = "bank"
name = "Bank transfer"
instructions = "IBAN DE00 1234 5678"

[storage]
data_dir = "{dir}"
"#,
        guild = w.guild,
        owner = w.owner,
        admin = w.admin_channel,
        tickets = w.tickets,
        admin_role = w.admin_role,
        support_role = w.support_role,
    )
}

struct WorldIds {
    guild: u64,
    owner: u64,
    admin_channel: u64,
    tickets: u64,
    admin_role: u64,
    support_role: u64,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// `tls`: serenity talks to `discord.com` over TLS with its rate limiter on (else the proxy
    /// mode, rate limiter off).
    pub async fn start_with(tls: bool) -> Self {
        assert!(
            std::env::var("NO_PROXY").is_ok_and(|v| v.contains("127.0.0.1"))
                || std::env::var_os("HTTP_PROXY").is_none(),
            "set NO_PROXY=127.0.0.1,localhost"
        );
        let emu = Emulator::start(EmulatorConfig {
            tls,
            ack_window: Duration::from_secs(10),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator");
        let (guild, _, owner) = emu.ids();
        let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
        let admin_role = emu.add_role("admin", 0);
        let support_role = emu.add_role("support", 0);
        let admin_channel = emu.add_channel("admin-review", 0, None);
        let tickets = emu.add_channel("Tickets", 4, None);
        let alice = emu.add_user("alice", &[admin_role]);
        let sam = emu.add_user("sam", &[support_role]);
        let carol = emu.add_user("carol", &[]);
        let mallory = emu.add_user("mallory", &[]);

        let sim = PanelSim::start(Profile::v3_6_0()).await;
        let p = sim.profile().clone();
        let dir = tempfile::tempdir().unwrap();
        let ids = WorldIds {
            guild,
            owner,
            admin_channel,
            tickets,
            admin_role,
            support_role,
        };
        let text = config_toml(
            &ids,
            &sim.base_url(),
            &p.username,
            &p.password,
            dir.path().to_str().unwrap(),
        );
        let config = Arc::new(Config::from_toml_with_env(&text, |_| None).expect("config"));
        let store = Store::open(&config.storage).expect("store");
        let panel: Arc<dyn PanelApi> = Arc::new(XuiClient::new(&config.panel).unwrap());
        // The panel's health is the test's to decide (one failed check = outage).
        let (monitor, healthy) = crate::common::switchable_monitor();
        let app = Arc::new(App::new(
            config,
            store,
            panel,
            monitor.breaker(),
            Clock::system(),
        ));
        let http = if tls {
            emu.http_tls_mode("test-token")
        } else {
            emu.http_proxy_mode("test-token")
        };
        let running = discord::start(app.clone(), http, &CancellationToken::new())
            .await
            .expect("bot starts");
        emu.wait_for(T, |s| {
            (s.commands.len() == vpn_ticket_bot::discord::commands::all().len()).then_some(())
        })
        .await
        .expect("commands registered in the guild");
        Self {
            emu,
            sim,
            app,
            running: Some(running),
            monitor,
            healthy,
            owner,
            _dir: dir,
            general,
            admin_channel,
            tickets,
            alice,
            sam,
            carol,
            mallory,
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let aborted = r.stop(Duration::from_secs(10)).await;
            assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
        }
    }

    /// Waits for a message matching `pred` in `channel`.
    pub async fn message_in(
        &self,
        channel: u64,
        what: &str,
        pred: impl Fn(&MessageRec) -> bool,
    ) -> MessageRec {
        self.emu
            .wait_for(T, |s| {
                s.messages_in(channel)
                    .into_iter()
                    .rev()
                    .find(|m| pred(m))
                    .cloned()
            })
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {what} in channel {channel}: {:#?}",
                    self.emu.read(|s| s
                        .messages_in(channel)
                        .into_iter()
                        .cloned()
                        .collect::<Vec<_>>())
                )
            })
    }

    /// Waits for the bot's answer to interaction `i` to contain `text`; it must be ephemeral.
    pub async fn reply_to(&self, i: &InteractionRef, text: &str) -> MessageRec {
        let m = self
            .emu
            .wait_for(T, |s| {
                s.original_response(i.id)
                    .filter(|m| m.content.contains(text))
                    .cloned()
            })
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no answer {text:?} to interaction {}: {:?}",
                    i.id,
                    self.emu.read(|s| s.original_response(i.id).cloned())
                )
            });
        assert!(m.is_ephemeral(), "{m:?} is ephemeral");
        m
    }

    /// `/order` → plan select → the ticket channel; returns (ticket, order id).
    pub async fn open_ticket(&self, user: u64) -> (u64, OrderId) {
        let i = self.emu.run_command(user, self.general, "order", &[]);
        let menu = self
            .emu
            .wait_for(T, |s| {
                s.original_response(i.id)
                    .filter(|m| !m.components.is_empty())
                    .cloned()
            })
            .await
            .expect("plan select");
        assert!(menu.is_ephemeral(), "the plan select is ephemeral");
        assert_eq!(custom_ids(&menu), ["vtb:plan"]);
        let pick = self.emu.select(user, menu.id, "vtb:plan", &["month"]);
        let answer = self
            .emu
            .wait_for(T, |s| {
                s.original_response(pick.id)
                    .filter(|m| m.content.contains("ticket is open"))
                    .cloned()
            })
            .await
            .expect("ticket announced");
        let ticket: u64 = answer
            .content
            .split("<#")
            .nth(1)
            .and_then(|r| r.split('>').next())
            .and_then(|id| id.parse().ok())
            .expect("ticket mention");
        let order = self
            .app
            .store
            .call(move |c| {
                store::orders::find_open_for_user(c, vpn_ticket_bot::domain::UserId(user))
            })
            .await
            .unwrap()
            .expect("open order");
        assert_eq!(order.ticket_channel_id.map(|c| c.0), Some(ticket));
        (ticket, order.id)
    }

    /// Picks the bank transfer in the ticket and waits for the instructions.
    pub async fn pick_method(&self, user: u64, ticket: u64, order: OrderId) {
        let select_id = format!("vtb:method:{order}");
        let welcome = self
            .message_in(ticket, "method select", |m| {
                custom_ids(m).contains(&select_id)
            })
            .await;
        self.emu.select(user, welcome.id, &select_id, &["bank"]);
        self.message_in(ticket, "instructions", |m| {
            m.content.contains("IBAN DE00 1234 5678")
        })
        .await;
    }

    /// Uploads a receipt picture; waits for its review card (the `nth` card, from 1).
    pub async fn upload(
        &self,
        user: u64,
        ticket: u64,
        seed: u64,
        nth: usize,
    ) -> (MessageRec, Vec<u8>) {
        let png = super::images::png(&super::images::receipt(seed, 480, 800));
        self.emu
            .user_message(
                user,
                ticket,
                "here is my payment",
                Some(("pay.png", png.clone())),
            )
            .expect("upload allowed");
        let admin = self.admin_channel;
        let card = self
            .emu
            .wait_for(T, |s| {
                let cards: Vec<&MessageRec> = s
                    .messages_in(admin)
                    .into_iter()
                    // Review cards carry the receipt (`receipt.<ext>`); the dashboard's chart
                    // is an attachment in the same channel.
                    .filter(|m| {
                        m.attachments
                            .iter()
                            .any(|a| a.filename.starts_with("receipt."))
                    })
                    .collect();
                cards.get(nth - 1).map(|m| (*m).clone())
            })
            .await
            .expect("review card");
        (card, png)
    }
}

impl World {
    /// An admin approves the card and confirms.
    pub async fn approve(&self, card: &MessageRec) {
        let i = self
            .emu
            .click_button(self.alice, card.id, &click_id(card, "vtb:approve:"));
        let prompt = self.reply_to(&i, "Approve payment").await;
        let i = self
            .emu
            .click_button(self.alice, prompt.id, &click_id(&prompt, "vtb:confirm:"));
        self.reply_to(&i, "approved: client").await;
    }
}

/// Every custom_id on a message.
pub fn custom_ids(m: &MessageRec) -> Vec<String> {
    m.components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

pub fn click_id(m: &MessageRec, prefix: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button on {m:#?}"))
}

/// Every REST body the bot sent passes the lenient check against Discord's OpenAPI description,
/// and everything the emulator sent parses with serenity's model types.
pub fn assert_bodies_valid(emu: &Emulator) {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/discord-api-spec/openapi.json");
    let api = OpenApi::load(&spec).expect("openapi.json");
    let log = emu.log();
    let (findings, checked) = api.validate_log(&log);
    assert!(
        findings.is_empty(),
        "bodies the spec rejects: {findings:#?}"
    );
    assert!(checked >= 10, "only {checked} bodies validated");
    let (failures, parsed) = selfcheck::check_log(&log);
    assert!(
        failures.is_empty(),
        "payloads serenity cannot parse:\n{}",
        failures.join("\n")
    );
    assert!(parsed >= 20, "only {parsed} payloads checked");
}

pub fn order_status(app: &App, order: OrderId) -> OrderStatus {
    store::orders::get(&app.store.conn().unwrap(), order)
        .unwrap()
        .unwrap()
        .status
}
