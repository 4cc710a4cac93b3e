//! A staged shop: the Discord emulator with a guild (admin and support roles, a general channel,
//! an admin review channel, a tickets category, four people), the 3x-ui panel emulator (v3.6.0),
//! a temporary data directory and the real bot started with [`discord::start`] — the production
//! wiring, only the URLs differ. Helpers act like people (run a command, pick from a select,
//! upload a picture, click a button) and wait on emulator state, never on a timer.
//!
//! Used by `vpn-ticket-bot demo` and by the end-to-end tests (`tests/bot_flow`), which wrap the
//! fallible helpers into assertions.

use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::discord::{self, Running};
use crate::service::health::{HealthMonitor, HealthProbe};
use crate::sim::cryptopay::CryptoPaySim;
use crate::sim::discord::state::State;
use crate::sim::discord::{Emulator, EmulatorConfig};
use crate::sim::panel::{PanelSim, Profile};
use crate::sim::vpn_api::VpnApiSim;

mod people;
mod waiting;

pub use waiting::{click_id, custom_ids, find_id};

/// How long a helper waits for the bot to do something.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The Discord token the bot and the emulator share (a made-up one).
pub const TOKEN: &str = "demo-token";

/// A step of a story that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The awaited state did not appear within [`STEP_TIMEOUT`]; `seen` is what was there.
    #[error("{what} did not happen within {} s{}", STEP_TIMEOUT.as_secs(), seen.as_deref().map(|s| format!(" (saw: {s})")).unwrap_or_default())]
    Timeout {
        /// What was awaited.
        what: String,
        /// A short description of the state found instead, when useful.
        seen: Option<String>,
    },
    /// Something that happened is not what the story expects.
    #[error("{0}")]
    Unexpected(String),
    /// The world could not be built or restarted.
    #[error("setting up: {0}")]
    Setup(String),
}

impl StepError {
    fn timeout(what: impl Into<String>) -> Self {
        Self::Timeout {
            what: what.into(),
            seen: None,
        }
    }
}

/// How the world is built.
pub struct WorldOptions {
    /// serenity talks to `discord.com` over TLS with its rate limiter on (else the proxy mode,
    /// rate limiter off).
    pub tls: bool,
    /// The health probe; `None` = the real one ([`PanelProbe`] on the bot's panel client).
    pub probe: Option<Arc<dyn HealthProbe>>,
    /// Seconds between health checks and failures that make an outage, written into the
    /// generated config (`panel.health_interval_secs`, `panel.health_failure_threshold`).
    pub health_interval_secs: u64,
    /// See `health_interval_secs`.
    pub health_failure_threshold: u32,
    /// The bot's backend is a vpn-api emulator ([`World::vpn`]) instead of the 3x-ui one, and
    /// the plan has no traffic or device limit (vpn-api cannot enforce them).
    pub vpn_api: bool,
    /// Temporary access while a receipt waits (`orders.provisional_enabled`).
    pub provisional: bool,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            tls: false,
            probe: None,
            health_interval_secs: 60,
            health_failure_threshold: 3,
            vpn_api: false,
            provisional: false,
        }
    }
}

/// The guild, its people, the panel and the running bot.
pub struct World {
    /// The Discord emulator.
    pub emu: Emulator,
    /// The 3x-ui panel emulator.
    pub sim: PanelSim,
    /// The vpn-api emulator, when it is the backend ([`WorldOptions::vpn_api`]).
    pub vpn: Option<VpnApiSim>,
    /// The Crypto Pay emulator (the shop's `crypto` payment method).
    pub pay: CryptoPaySim,
    /// The bot's services (rebuilt by [`World::restart`]).
    pub app: Arc<App>,
    /// The running bot; `None` after [`World::stop`] started.
    pub running: Option<Running>,
    /// The health monitor, not yet spawned: the caller spawns it or drives `check_once`.
    pub monitor: Option<HealthMonitor>,
    /// The generated configuration.
    pub config: Arc<Config>,
    /// The temporary data directory (removed on drop).
    pub dir: TempDir,
    /// olivia, the guild owner (listed in `roles.owner_user_ids`).
    pub owner: u64,
    /// `#general`, where people run commands.
    pub general: u64,
    /// `#admin-review`, the admin channel.
    pub admin_channel: u64,
    /// The `Tickets` category.
    pub tickets: u64,
    /// The `owner` role (in `roles.owner_role_ids`).
    pub owner_role: u64,
    /// The `admin` role.
    pub admin_role: u64,
    /// The `support` role.
    pub support_role: u64,
    /// oscar, an owner by role.
    pub oscar: u64,
    /// alice, an admin.
    pub alice: u64,
    /// sam, a support member.
    pub sam: u64,
    /// carol, a customer.
    pub carol: u64,
    /// mallory, another member (a second customer).
    pub mallory: u64,
    http_tls: bool,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("discord", &self.emu.base_url())
            .field("panel", &self.sim.base_url())
            .field("data_dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// The people and places of the staged guild.
struct Guild {
    id: u64,
    owner: u64,
    general: u64,
    admin_channel: u64,
    tickets: u64,
    owner_role: u64,
    admin_role: u64,
    support_role: u64,
    oscar: u64,
    alice: u64,
    sam: u64,
    carol: u64,
    mallory: u64,
}

impl Guild {
    fn stage(emu: &Emulator) -> Result<Self, StepError> {
        let (id, _, owner) = emu.ids();
        let general = emu
            .read(|s| s.channel_by_name("general").map(|c| c.id))
            .ok_or_else(|| StepError::Setup("the emulator has no #general".into()))?;
        let owner_role = emu.add_role("owner", 0);
        let admin_role = emu.add_role("admin", 0);
        let support_role = emu.add_role("support", 0);
        Ok(Self {
            id,
            owner,
            general,
            admin_channel: emu.add_channel("admin-review", 0, None),
            tickets: emu.add_channel("Tickets", 4, None),
            oscar: emu.add_user("oscar", &[owner_role]),
            alice: emu.add_user("alice", &[admin_role]),
            sam: emu.add_user("sam", &[support_role]),
            carol: emu.add_user("carol", &[]),
            mallory: emu.add_user("mallory", &[]),
            owner_role,
            admin_role,
            support_role,
        })
    }
}

/// The Crypto Pay app token of the staged shop (the emulator checks it).
pub const CRYPTO_PAY_TOKEN: &str = "777:AAdemoCryptoPay";

/// The generated configuration (one plan, a manual and a Crypto Pay payment method, the
/// emulators' addresses and credentials, everything else default).
fn config_toml(
    g: &Guild,
    (sim, vpn, pay): (&PanelSim, Option<&VpnApiSim>, &CryptoPaySim),
    dir: &std::path::Path,
    options: &WorldOptions,
) -> String {
    format!(
        r#"
[discord]
token = "{TOKEN}"
guild_id = {guild}
admin_channel_id = {admin}
tickets_category_id = {tickets}

[roles]
owner_user_ids = [{owner}]
owner_role_ids = [{owner_role}]
admin_role_ids = [{admin_role}]
support_role_ids = [{support_role}]

{panel}
[[plans]]
id = "month"
name = "1 month"
days = 30
{limits}price_minor = 500
currency = "USD"

[[payment_methods]]
id = "bank"
name = "Bank transfer"
instructions = "IBAN DE00 1234 5678"

[[payment_methods]]
id = "crypto"
name = "Crypto (USDT, TON)"
kind = "cryptobot"

[cryptobot]
token = "{CRYPTO_PAY_TOKEN}"
api_url = "{pay_url}"
accepted_assets = ["USDT", "TON"]
timeout_secs = 5
poll_interval_secs = 30

[trial]
enabled = true
days = 3
traffic_gib = 1
min_account_age_days = 0

[referrals]
enabled = true
reward_days = 7
min_account_age_days = 0

[gifts]
enabled = true
expire_after_days = 30

[orders]
provisional_enabled = {provisional}

[storage]
data_dir = "{dir}"
"#,
        guild = g.id,
        owner = g.owner,
        owner_role = g.owner_role,
        admin = g.admin_channel,
        tickets = g.tickets,
        admin_role = g.admin_role,
        support_role = g.support_role,
        panel = panel_section(sim, vpn, options),
        limits = if vpn.is_some() {
            ""
        } else {
            "traffic_gib = 100\ndevice_limit = 2\n"
        },
        pay_url = pay.base_url(),
        dir = dir.display(),
        provisional = options.provisional,
    )
}

/// The `[panel]` section: the 3x-ui emulator, or the vpn-api one when `vpn` is given.
fn panel_section(sim: &PanelSim, vpn: Option<&VpnApiSim>, options: &WorldOptions) -> String {
    let (interval, threshold) = (
        options.health_interval_secs,
        options.health_failure_threshold,
    );
    let health = format!(
        "timeout_secs = 5\nhealth_interval_secs = {interval}\nhealth_failure_threshold = {threshold}\n"
    );
    match vpn {
        Some(v) => format!(
            "[panel]\nkind = \"vpn_api\"\nbase_url = \"{}\"\nvpn_api_key = \"{VPN_API_KEY}\"\n{health}",
            v.base_url()
        ),
        None => format!(
            "[panel]\nbase_url = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\ninbound_id = 1\n{health}\
             public_host = \"vpn.example.test\"\n\
             subscription_base_url = \"https://sub.example.test/sub/\"\n",
            sim.base_url(),
            sim.profile().username,
            sim.profile().password
        ),
    }
}

/// The vpn-api emulator's key when [`WorldOptions::vpn_api`] is set.
pub const VPN_API_KEY: &str = "world-vpn-api-key";

fn setup(what: &str, e: &dyn std::fmt::Display) -> StepError {
    StepError::Setup(format!("{what}: {e}"))
}

impl World {
    /// Starts both emulators, stages the guild, writes the config into a new temporary data
    /// directory, builds the [`App`] and starts the bot; returns once the bot's commands are
    /// registered in the guild. The health monitor is left in [`World::monitor`], not spawned.
    ///
    /// # Errors
    /// [`StepError::Setup`] when an emulator, the store, the config or the bot cannot start;
    /// [`StepError::Timeout`] when the commands are not registered in time.
    pub async fn start(options: WorldOptions) -> Result<Self, StepError> {
        let emu = Emulator::start(EmulatorConfig {
            tls: options.tls,
            ack_window: Duration::from_secs(10),
            owner_name: "olivia".into(),
            bot_token: Some(TOKEN.into()),
            ..EmulatorConfig::default()
        })
        .await
        .map_err(|e| setup("the Discord emulator", &e))?;
        let g = Guild::stage(&emu)?;
        let sim = PanelSim::start(Profile::v3_6_0()).await;
        let pay = CryptoPaySim::start(CRYPTO_PAY_TOKEN).await;
        let dir = tempfile::Builder::new()
            .prefix("vpn-ticket-bot-")
            .tempdir()
            .map_err(|e| setup("a temporary data directory", &e))?;
        let vpn = if options.vpn_api {
            Some(VpnApiSim::start(VPN_API_KEY).await)
        } else {
            None
        };
        let text = config_toml(&g, (&sim, vpn.as_ref(), &pay), dir.path(), &options);
        let config = Arc::new(
            Config::from_toml_with_env(&text, |_| None).map_err(|e| setup("the config", &e))?,
        );
        let (app, monitor) = App::assemble(config.clone(), Clock::system(), options.probe)
            .map_err(|e| setup("the application", &e))?;
        let mut world = Self {
            emu,
            sim,
            vpn,
            pay,
            app,
            running: None,
            monitor: Some(monitor),
            config,
            dir,
            owner: g.owner,
            owner_role: g.owner_role,
            oscar: g.oscar,
            general: g.general,
            admin_channel: g.admin_channel,
            tickets: g.tickets,
            admin_role: g.admin_role,
            support_role: g.support_role,
            alice: g.alice,
            sam: g.sam,
            carol: g.carol,
            mallory: g.mallory,
            http_tls: options.tls,
            shutdown: CancellationToken::new(),
        };
        world.start_bot().await?;
        Ok(world)
    }
}

/// The bot's lifecycle.
impl World {
    /// Starts the bot on [`World::app`] and waits until it registered its commands (counted in
    /// the emulator's log, so a restart waits for the new registration).
    async fn start_bot(&mut self) -> Result<(), StepError> {
        fn registrations(s: &State) -> usize {
            s.log
                .iter()
                .filter(|e| {
                    e.status() == Some(200)
                        && e.route().is_some_and(|(m, r)| {
                            m == "PUT" && r.ends_with("/guilds/{guild_id}/commands")
                        })
                })
                .count()
        }
        let before = self.emu.read(registrations);
        let http = if self.http_tls {
            self.emu.http_tls_mode(TOKEN)
        } else {
            self.emu.http_proxy_mode(TOKEN)
        };
        let running = discord::start(self.app.clone(), http, &self.shutdown)
            .await
            .map_err(|e| setup("the bot", &e))?;
        self.running = Some(running);
        let wanted = discord::commands::all().len();
        self.emu
            .wait_for(STEP_TIMEOUT, |s| {
                (registrations(s) > before && s.commands.len() == wanted).then_some(())
            })
            .await
            .map_err(|_| StepError::timeout("the bot registering its commands"))
    }

    /// Stops the bot gracefully (jobs, watchers, shards). Returns the names of jobs that had to
    /// be aborted (none in a healthy stop).
    pub async fn stop_bot(&mut self) -> Vec<&'static str> {
        match self.running.take() {
            Some(r) => r.stop(Duration::from_secs(10)).await,
            None => Vec::new(),
        }
    }

    /// A process restart: stops the bot, then builds a new [`App`] (store, panel client) on the
    /// same data directory and configuration, keeping the panel's circuit breaker, and starts
    /// the bot again; returns once it registered its commands again.
    ///
    /// # Errors
    /// As [`World::start`].
    pub async fn restart(&mut self) -> Result<Vec<&'static str>, StepError> {
        self.restart_with_clock(Clock::system()).await
    }

    /// [`World::restart`] with the new process reading time from `clock` (e.g. a clock some
    /// minutes ahead: the bot comes back later than it went down).
    ///
    /// # Errors
    /// As [`World::start`].
    pub async fn restart_with_clock(
        &mut self,
        clock: Clock,
    ) -> Result<Vec<&'static str>, StepError> {
        let aborted = self.stop_bot().await;
        self.app = self
            .app
            .restart(clock)
            .map_err(|e| setup("the application", &e))?;
        self.start_bot().await?;
        Ok(aborted)
    }

    /// Stops the bot and the watchers started with it (see [`World::stop_bot`]).
    pub async fn stop(mut self) -> Vec<&'static str> {
        self.shutdown.cancel();
        self.stop_bot().await
    }
}
