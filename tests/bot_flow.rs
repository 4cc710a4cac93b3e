//! The real bot (`discord::start`, the production wiring) through the unmodified serenity/poise
//! client against the Discord emulator (proxy mode) and the 3x-ui panel emulator, on a temporary
//! data directory. Every wait is on emulator state (`wait_for`), never a sleep.

#[path = "support/receipt_images.rs"]
mod images;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;
use vpn_ticket_bot::app::App;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::Config;
use vpn_ticket_bot::discord::{self, Running};
use vpn_ticket_bot::domain::OrderId;
use vpn_ticket_bot::domain::status::OrderStatus;
use vpn_ticket_bot::panel::{PanelApi, XuiClient};
use vpn_ticket_bot::service::health::{HealthConfig, HealthMonitor, probe_fn};
use vpn_ticket_bot::service::scheduled::ScheduledHandler;
use vpn_ticket_bot::sim::discord::openapi::OpenApi;
use vpn_ticket_bot::sim::discord::selfcheck;
use vpn_ticket_bot::sim::discord::state::MessageRec;
use vpn_ticket_bot::sim::discord::{
    Budget, CommandOption, Emulator, EmulatorConfig, InteractionRef, State,
};
use vpn_ticket_bot::sim::panel::{PanelSim, Profile};
use vpn_ticket_bot::store::{self, Store};

const T: Duration = Duration::from_secs(30);

/// The guild, its people and the running bot.
struct World {
    emu: Emulator,
    sim: PanelSim,
    app: Arc<App>,
    running: Option<Running>,
    monitor: HealthMonitor,
    healthy: Arc<AtomicBool>,
    owner: u64,
    _dir: TempDir,
    general: u64,
    admin_channel: u64,
    tickets: u64,
    alice: u64,
    sam: u64,
    carol: u64,
    mallory: u64,
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
    async fn start() -> Self {
        Self::start_with(false).await
    }

    /// `tls`: serenity talks to `discord.com` over TLS with its rate limiter on (else the proxy
    /// mode, rate limiter off).
    async fn start_with(tls: bool) -> Self {
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
        let healthy = Arc::new(AtomicBool::new(true));
        let flag = healthy.clone();
        let probe = probe_fn(move || {
            let ok = flag.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err("probe says down".to_owned())
                }
            }
        });
        let health = HealthConfig {
            threshold: 1,
            ..HealthConfig::default()
        };
        let monitor = HealthMonitor::new(Arc::new(probe), health);
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
        emu.wait_for(T, |s| (s.commands.len() == 4).then_some(()))
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

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            let aborted = r.stop(Duration::from_secs(10)).await;
            assert!(aborted.is_empty(), "jobs aborted: {aborted:?}");
        }
    }

    /// Waits for a message matching `pred` in `channel`.
    async fn message_in(
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
    async fn reply_to(&self, i: &InteractionRef, text: &str) -> MessageRec {
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
    async fn open_ticket(&self, user: u64) -> (u64, OrderId) {
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
    async fn pick_method(&self, user: u64, ticket: u64, order: OrderId) {
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
    async fn upload(&self, user: u64, ticket: u64, seed: u64, nth: usize) -> (MessageRec, Vec<u8>) {
        let png = images::png(&images::receipt(seed, 480, 800));
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
                    .filter(|m| !m.attachments.is_empty())
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
    async fn approve(&self, card: &MessageRec) {
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
fn custom_ids(m: &MessageRec) -> Vec<String> {
    m.components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn click_id(m: &MessageRec, prefix: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button on {m:#?}"))
}

/// Every REST body the bot sent passes the lenient check against Discord's OpenAPI description,
/// and everything the emulator sent parses with serenity's model types.
fn assert_bodies_valid(emu: &Emulator) {
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

fn order_status(app: &App, order: OrderId) -> OrderStatus {
    store::orders::get(&app.store.conn().unwrap(), order)
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_review_approve_and_deliver_the_link() {
    let w = World::start().await;
    let ticket = full_story(&w).await;
    ticket_deleted_a_day_later(&w, ticket).await;
    staff_commands(&w).await;
    assert_bodies_valid(&w.emu);
    w.stop().await;
}

/// `/extend` and `/revoke` on the customer of the full story: refused for others, the customer
/// told by DM, the panel changed.
async fn staff_commands(w: &World) {
    let carol = CommandOption::User("customer", w.carol);
    let extend = [carol.clone(), CommandOption::Int("days", 10)];
    let i = w.emu.run_command(w.sam, w.general, "extend", &extend);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.run_command(w.alice, w.general, "extend", &extend);
    w.reply_to(&i, "Extended").await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("extended your VPN access by 10 days"))
                .map(|_| ())
        })
        .await
        .expect("extension DM");

    let revoke = [carol, CommandOption::Str("reason", "chargeback".into())];
    let i = w.emu.run_command(w.alice, w.general, "revoke", &revoke);
    w.reply_to(&i, "Revoked").await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("revoked your VPN access: chargeback"))
                .map(|_| ())
        })
        .await
        .expect("revocation DM");
    let email = format!("u{}", w.carol);
    let client = w.sim.clients().into_iter().find(|c| c.email == email);
    assert_eq!(client.map(|c| c.enable), Some(false), "client disabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_in_tls_mode_under_rate_limits() {
    let w = World::start_with(true).await;
    // A tight bot-wide budget without headers: serenity meets 429s and retries them.
    w.emu.set_global_rate_limit(Some(Budget {
        limit: 2,
        window: Duration::from_millis(300),
        announce: false,
    }));
    full_story(&w).await;
    let limited = w
        .emu
        .log()
        .iter()
        .filter(|e| e.status() == Some(429))
        .count();
    assert!(limited > 0, "the rate limit was hit (and serenity retried)");
    w.stop().await;
}

/// `/order` → ticket (visibility) → method → receipt → review card → refusals → approve →
/// confirm → DM link on the panel → card updated → a second confirm refused.
async fn full_story(w: &World) -> u64 {
    let (ticket, order) = w.open_ticket(w.carol).await;

    // The ticket sits under the tickets category; customer and staff see it, others do not.
    let (parent, carol, alice, sam, mallory) = w.emu.read(|s: &State| {
        (
            s.channels[&ticket].parent_id,
            s.can_view(w.carol, ticket),
            s.can_view(w.alice, ticket),
            s.can_view(w.sam, ticket),
            s.can_view(w.mallory, ticket),
        )
    });
    assert_eq!(parent, Some(w.tickets));
    assert!(carol && alice && sam, "customer and staff see the ticket");
    assert!(!mallory, "another member does not");

    w.pick_method(w.carol, ticket, order).await;
    let (card, png) = w.upload(w.carol, ticket, 1, 1).await;
    w.message_in(ticket, "receipt acknowledgement", |m| {
        m.content.contains("waiting for an admin")
    })
    .await;

    // The card: the stored receipt bytes attached, plan, price, customer, Approve / Reject.
    let (file, locked) = w.emu.read(|s| {
        (
            s.file(card.attachments[0].id).map(<[u8]>::to_vec),
            !s.can_send(w.carol, ticket),
        )
    });
    assert_eq!(
        file.as_deref(),
        Some(png.as_slice()),
        "the receipt image is on the card"
    );
    let embed = serde_json::to_string(&card.embeds).unwrap();
    for text in ["1 month", "5.00 USD", &format!("<@{}>", w.carol)] {
        assert!(embed.contains(text), "{text} on the card: {embed}");
    }
    let approve = click_id(&card, "vtb:approve:");
    assert!(
        custom_ids(&card)
            .iter()
            .any(|c| c.starts_with("vtb:reject:"))
    );
    w.emu
        .wait_for(T, |s| (!s.can_send(w.carol, ticket)).then_some(()))
        .await
        .unwrap_or_else(|_| panic!("ticket locked (locked at card time: {locked})"));

    // A non-admin's click is refused server side.
    let i = w.emu.click_button(w.mallory, card.id, &approve);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.click_button(w.sam, card.id, &approve);
    w.reply_to(&i, "not allowed").await;

    // Approve → ephemeral Confirm / Cancel → Confirm.
    let i = w.emu.click_button(w.alice, card.id, &approve);
    let prompt = w.reply_to(&i, "Approve payment").await;
    let confirm = click_id(&prompt, "vtb:confirm:");
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "approved: client").await;

    // The customer's DM holds a vless:// link of a client that exists on the panel, and a QR.
    let dm = w
        .emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("vless://"))
                .cloned()
        })
        .await
        .expect("link DM");
    let clients = w.sim.clients();
    let client = clients
        .iter()
        .find(|c| c.email == format!("u{}", w.carol))
        .expect("client on the panel");
    assert!(
        dm.content.contains(&format!("vless://{}@", client.id)),
        "{}",
        dm.content
    );
    assert!(dm.content.contains("https://sub.example.test/sub/"));
    assert_eq!(dm.attachments.len(), 1, "QR code attached");

    // The card shows the outcome; a second confirm is refused.
    w.message_in(w.admin_channel, "updated card", |m| {
        m.id == card.id && m.content.contains("Approved")
    })
    .await;
    let i = w.emu.click_button(w.alice, prompt.id, &confirm);
    w.reply_to(&i, "Not approved").await;
    assert_eq!(order_status(&w.app, order), OrderStatus::Completed);
    assert_eq!(w.sim.clients().len(), clients.len(), "no second client");
    ticket
}

/// The completed order's ticket deletion is scheduled `delete_ticket_after_hours` (24) later; the
/// bot's `delete_channel` handler deletes it (run here directly instead of waiting a day), and
/// the resulting CHANNEL_DELETE leaves the completed order alone.
async fn ticket_deleted_a_day_later(w: &World, ticket: u64) {
    let key = format!("delete_channel:{ticket}");
    let job = store::scheduled_jobs::find_by_key(&w.app.store.conn().unwrap(), &key)
        .unwrap()
        .expect("deletion scheduled");
    let due_in_ms = job.run_at - w.app.clock.now_ms();
    assert!(
        (86_400_000 - 60_000..=86_400_000).contains(&due_in_ms),
        "due in {due_in_ms} ms"
    );
    let http = w.running.as_ref().unwrap().http.clone();
    let handler = discord::DiscordDeliverer::new(http, w.app.clone());
    ScheduledHandler::run(&handler, &job)
        .await
        .expect("deleted");
    assert!(w.emu.read(|s| !s.channels.contains_key(&ticket)));
    // Idempotent: a second run (after a crash) finds it gone and succeeds.
    ScheduledHandler::run(&handler, &job)
        .await
        .expect("already gone");
    let user = vpn_ticket_bot::domain::UserId(w.carol);
    let last = store::orders::find_open_for_user(&w.app.store.conn().unwrap(), user).unwrap();
    assert!(last.is_none(), "nothing reopened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_with_reason_then_a_new_receipt_is_accepted() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, first_png) = w.upload(w.carol, ticket, 2, 1).await;
    let reject = click_id(&card, "vtb:reject:");

    // A support member may not reject.
    let i = w.emu.click_button(w.sam, card.id, &reject);
    w.reply_to(&i, "not allowed").await;

    let opened: InteractionRef = w.emu.click_button(w.alice, card.id, &reject);
    w.emu
        .wait_for(T, |s| {
            s.interaction(opened.id).and_then(|i| i.modal.clone())
        })
        .await
        .expect("reason modal");
    let submit = w
        .emu
        .submit_modal_until_acked(
            &opened,
            &[("reason", "the amount is not visible")],
            Duration::from_secs(5),
        )
        .await
        .expect("modal submitted");
    w.reply_to(&submit, "rejected").await;
    w.message_in(ticket, "reject notice", |m| {
        m.content.contains("the amount is not visible")
    })
    .await;
    w.emu
        .wait_for(T, |s| s.can_send(w.carol, ticket).then_some(()))
        .await
        .expect("ticket unlocked");
    w.message_in(w.admin_channel, "rejected card", |m| {
        m.id == card.id && m.content.contains("Rejected")
    })
    .await;

    // The same picture again is an exact duplicate: refused in the ticket, nothing posted.
    w.emu
        .user_message(w.carol, ticket, "again", Some(("pay.png", first_png)))
        .expect("upload allowed");
    w.message_in(ticket, "duplicate refusal", |m| {
        m.content.contains("not accepted") && m.content.contains("already")
    })
    .await;
    let (second, _) = w.upload(w.carol, ticket, 3, 2).await;
    assert_ne!(second.id, card.id);
    assert_eq!(order_status(&w.app, order), OrderStatus::UnderReview);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_deleted_by_hand_cancels_the_order() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    assert!(w.emu.delete_channel_by_hand(ticket));
    let dm = w
        .emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .find(|m| m.content.contains("ticket channel deleted"))
                .cloned()
        })
        .await
        .expect("customer told");
    assert!(dm.content.contains(&format!("#{order}")));
    assert_eq!(order_status(&w.app, order), OrderStatus::Cancelled);
    let _: Option<Value> = None;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_dms_put_the_link_behind_a_button_only_the_customer_can_use() {
    let w = World::start().await;
    w.emu.set_dms_closed(w.carol, true);
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 4, 1).await;
    w.approve(&card).await;
    let offer = w
        .message_in(ticket, "show-my-link button", |m| {
            custom_ids(m).iter().any(|c| c.starts_with("vtb:reveal:"))
        })
        .await;
    assert!(
        !offer.content.contains("vless://"),
        "the link is not public"
    );
    let reveal = click_id(&offer, "vtb:reveal:");
    let i = w.emu.click_button(w.mallory, offer.id, &reveal);
    w.reply_to(&i, "not allowed").await;
    let i = w.emu.click_button(w.carol, offer.id, &reveal);
    let mine = w.reply_to(&i, "vless://").await;
    assert_eq!(mine.visible_to, Some(w.carol));
    assert_eq!(mine.attachments.len(), 1, "QR code attached");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_tickets_category_overflows_into_a_new_one() {
    let w = World::start().await;
    for i in 0..50 {
        w.emu.add_channel(&format!("old-{i}"), 0, Some(w.tickets));
    }
    let (ticket, _) = w.open_ticket(w.carol).await;
    let (parent, name, visible) = w.emu.read(|s| {
        let parent = s.channels[&ticket].parent_id.expect("under a category");
        (
            parent,
            s.channels[&parent].name.clone(),
            (s.can_view(w.carol, ticket), s.can_view(w.mallory, ticket)),
        )
    });
    assert_ne!(parent, w.tickets);
    assert_eq!(name, "Tickets 2");
    assert_eq!(visible, (true, false));
    // The next ticket goes to the same overflow category.
    let (other, _) = w.open_ticket(w.mallory).await;
    assert_eq!(w.emu.read(|s| s.channels[&other].parent_id), Some(parent));
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_hear_of_an_outage_and_the_recovery_and_orders_wait_for_it() {
    let w = World::start().await;
    w.healthy.store(false, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "outage event");
    let owner = w.owner;
    let dm_with = |text: &'static str| {
        w.emu.wait_for(T, move |s| {
            s.dms_of(owner)
                .into_iter()
                .find(|m| m.content.contains(text))
                .cloned()
        })
    };
    let down = dm_with("panel is down").await.expect("outage DM");
    assert!(down.content.contains("probe says down"), "{}", down.content);

    // /order is refused with the outage's reason.
    let i = w.emu.run_command(w.carol, w.general, "order", &[]);
    let menu = w
        .emu
        .wait_for(T, |s| {
            s.original_response(i.id)
                .filter(|m| !m.components.is_empty())
                .cloned()
        })
        .await
        .expect("plan select");
    let i = w.emu.select(w.carol, menu.id, "vtb:plan", &["month"]);
    w.reply_to(&i, "temporarily unavailable").await;

    w.healthy.store(true, Ordering::SeqCst);
    assert!(w.monitor.check_once().await.is_some(), "recovery event");
    dm_with("panel is back").await.expect("recovery DM");
    w.open_ticket(w.carol).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_a_customer_cancelling_from_the_ticket() {
    let w = World::start().await;
    let i = w.emu.run_command(w.mallory, w.general, "help", &[]);
    let help = w
        .emu
        .wait_for(T, |s| s.original_response(i.id).cloned())
        .await
        .expect("help");
    assert!(
        help.is_ephemeral() && help.content.contains("/order"),
        "{help:?}"
    );

    let (ticket, order) = w.open_ticket(w.carol).await;
    let welcome = w
        .message_in(ticket, "cancel button", |m| {
            custom_ids(m).contains(&format!("vtb:cancel:{order}"))
        })
        .await;
    // Someone else's click changes nothing.
    let i = w
        .emu
        .click_button(w.alice, welcome.id, &format!("vtb:cancel:{order}"));
    w.reply_to(&i, "not found").await;
    let i = w
        .emu
        .click_button(w.carol, welcome.id, &format!("vtb:cancel:{order}"));
    w.reply_to(&i, "is cancelled").await;
    w.message_in(ticket, "closing notice", |m| {
        m.content.contains("cancelled by customer")
    })
    .await;
    assert_eq!(order_status(&w.app, order), OrderStatus::Cancelled);
    // A new order can be opened right away.
    w.open_ticket(w.carol).await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_order_renews_the_same_client() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 5, 1).await;
    w.approve(&card).await;
    let email = format!("u{}", w.carol);
    let first = w
        .emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .any(|m| m.content.contains("vless://"))
                .then_some(())
        })
        .await;
    first.expect("first link");
    let before = w
        .sim
        .clients()
        .into_iter()
        .find(|c| c.email == email)
        .expect("client");

    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 6, 2).await;
    assert!(
        serde_json::to_string(&card.embeds)
            .unwrap()
            .contains("renewal")
    );
    w.approve(&card).await;
    w.emu
        .wait_for(T, |s| {
            s.dms_of(w.carol)
                .into_iter()
                .any(|m| m.content.contains("extended") && m.content.contains("vless://"))
                .then_some(())
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no renewal DM: {:#?}",
                w.emu.read(|s| (
                    s.dms_of(w.carol)
                        .iter()
                        .map(|m| m.content.clone())
                        .collect::<Vec<_>>(),
                    s.ephemeral_for(w.alice)
                        .iter()
                        .map(|m| m.content.clone())
                        .collect::<Vec<_>>()
                ))
            )
        });
    let clients: Vec<_> = w
        .sim
        .clients()
        .into_iter()
        .filter(|c| c.email == email)
        .collect();
    assert_eq!(clients.len(), 1, "the same client, not a second one");
    assert_eq!(clients[0].id, before.id);
    assert!(
        clients[0].expiry_time > before.expiry_time,
        "expiry extended"
    );
    w.stop().await;
}
