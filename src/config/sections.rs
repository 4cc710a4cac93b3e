//! The configuration's sections, one struct per TOML table (`[discord]`, `[roles]`, `[panel]`,
//! `[shop]`, `[[plans]]`, `[[payment_methods]]`, `[orders]`, `[receipts]`, `[storage]`,
//! `[backup]`, `[logging]`), with their defaults. Every key is documented in
//! `config.example.toml`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::Secret;

/// `[discord]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// Bot token; overridden by `VTB_DISCORD_TOKEN`. Required by `run` only.
    pub token: Secret,
    /// The shop's guild (server) id.
    pub guild_id: u64,
    /// Channel where review cards and the dashboard are posted.
    pub admin_channel_id: u64,
    /// Category that holds ticket channels (overflow categories are created beside it).
    pub tickets_category_id: u64,
    /// Send every REST call to this HTTP proxy instead of `https://discord.com` (a shared
    /// rate-limit proxy such as twilight-http-proxy or nirn-proxy; serenity's `proxy`): an
    /// `http(s)://host:port` URL, path-less. serenity's own rate limiter is off then (it does not
    /// route through the proxy): the proxy must rate-limit. Empty (the default) = talk to
    /// Discord directly.
    pub rest_proxy_url: String,
    /// Connect to this `host:port` whenever a REST call goes to `discord.com` (TLS still checks
    /// the name `discord.com`; serenity's rate limiter stays on). For a local stand-in of
    /// Discord, such as the emulator's TLS listener in a benchmark; unset (the default) = DNS.
    pub api_address: Option<std::net::SocketAddr>,
    /// PEM file of an extra CA trusted for Discord's REST API, read at start (the local
    /// stand-in's certificate, see `api_address`); unset (the default) = the built-in roots only.
    pub ca_cert: Option<PathBuf>,
}

/// `[metrics]`: the Prometheus `/metrics` listener (off by default).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// `host:port` to serve `GET /metrics` on; empty (the default) = no listener. A loopback
    /// address (`127.0.0.1:9464`) unless `bearer_token` is set.
    pub listen: String,
    /// When set, a scrape must send `Authorization: Bearer <token>`; overridden by
    /// `VTB_METRICS_TOKEN`.
    pub bearer_token: Secret,
}

/// `[roles]`: user ids and role ids per role. An owner is also an admin.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolesConfig {
    /// Owner user ids (receive panel outage DMs).
    pub owner_user_ids: Vec<u64>,
    /// Owner role ids.
    pub owner_role_ids: Vec<u64>,
    /// Admin user ids (approve, reject, extend, revoke).
    pub admin_user_ids: Vec<u64>,
    /// Admin role ids.
    pub admin_role_ids: Vec<u64>,
    /// Support user ids (see tickets, cannot approve).
    pub support_user_ids: Vec<u64>,
    /// Support role ids.
    pub support_role_ids: Vec<u64>,
}

/// Which 3x-ui API generation to speak (see `xui-api.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelApiGeneration {
    /// Detect once (CSRF probe, then `clients/list`) and remember.
    #[default]
    Auto,
    /// Inbound-scoped clients (v2.x – v3.0.x).
    GenA,
    /// `/panel/api/clients/*` (v3.1+).
    GenB,
}

/// What kind of backend `[panel]` is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelKind {
    /// A 3x-ui panel (everything: usage, first-use expiry, limits, disable in place).
    #[default]
    Xui,
    /// The small vpn-api service in front of Xray (`/add-user`, `/update-user`,
    /// `/remove-user/{uuid}`, key in `X-API-Key`): no usage, no first-use expiry, no limits.
    VpnApi,
}

/// `[panel]`: the 3x-ui panel (or the vpn-api service, `kind = "vpn_api"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PanelConfig {
    /// `[[panels]]` only: the panel's id (1-32 of a-z 0-9 _ -), stored with each customer
    /// placed on it; never rename a panel that has customers. `[panel]` is `main`.
    pub id: String,
    /// Free text shown in `/admin panels` (`de`, `nl-ams`).
    pub region: String,
    /// Active customers this panel takes at most (placement skips a full panel); 0 = no limit.
    pub capacity: u32,
    /// `xui` (default) or `vpn_api`.
    pub kind: PanelKind,
    /// vpn-api only: the `X-API-Key`; overridden by `VTB_VPN_API_KEY`.
    pub vpn_api_key: Secret,
    /// Full base URL including `webBasePath`, e.g. `https://panel.example.com:2053/Ab3xYz/`.
    pub base_url: String,
    /// API generation: `auto`, `gen_a` or `gen_b`.
    pub api: PanelApiGeneration,
    /// Login user name (cookie login). Empty when an API token is used.
    pub username: String,
    /// Login password; overridden by `VTB_PANEL_PASSWORD`.
    pub password: Secret,
    /// Bearer API token (v3.0+); overridden by `VTB_PANEL_API_TOKEN`. Preferred over the password.
    pub api_token: Secret,
    /// Base32 TOTP secret when 2FA is on; overridden by `VTB_PANEL_TOTP_SECRET`.
    pub totp_secret: Secret,
    /// Inbound (id) that customers' clients are created in.
    pub inbound_id: u32,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Accept a self-signed panel certificate (logged as a warning).
    pub accept_invalid_certs: bool,
    /// PEM file of a custom CA that signed the panel's certificate.
    pub ca_cert: Option<PathBuf>,
    /// Host name customers connect to (put into `vless://` links), not the panel's address.
    pub public_host: String,
    /// Subscription base URL (e.g. `https://sub.example.com:2096/sub/`); links are this + subId.
    pub subscription_base_url: Option<String>,
    /// Seconds between health checks.
    pub health_interval_secs: u64,
    /// Consecutive failed checks that make an outage.
    pub health_failure_threshold: u32,
}

impl Default for PanelConfig {
    fn default() -> Self {
        Self {
            id: "main".into(),
            region: String::new(),
            capacity: 0,
            kind: PanelKind::Xui,
            vpn_api_key: Secret::default(),
            base_url: String::new(),
            api: PanelApiGeneration::Auto,
            username: String::new(),
            password: Secret::default(),
            api_token: Secret::default(),
            totp_secret: Secret::default(),
            inbound_id: 1,
            timeout_secs: 5,
            accept_invalid_certs: false,
            ca_cert: None,
            public_host: String::new(),
            subscription_base_url: None,
            health_interval_secs: 60,
            health_failure_threshold: 3,
        }
    }
}

impl PanelConfig {
    /// Per-request timeout.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// `[backends]`: what spans several panels.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackendsConfig {
    /// A panel down (in outage) longer than this many minutes has its customers moved to
    /// another panel (a new client with the same identity first, one DM each); 0 = never.
    pub failover_after_minutes: u32,
    /// Customers never moved by failover (e.g. people who need a constant server address).
    pub pinned_user_ids: Vec<u64>,
    /// Where our own subscription endpoint (`GET /sub/<token>`) listens, `host:port`; empty
    /// (the default) = off.
    pub subscription_listen: String,
    /// The key of the tokens (`base64url(HMAC-SHA256(secret, subId))`); overridden by
    /// `VTB_SUBSCRIPTION_SECRET`. Required when the endpoint is on.
    pub subscription_secret: Secret,
    /// The endpoint's public base URL (`https://sub.example.com/sub/`): customers get this +
    /// their token instead of the panel's subscription URL. Empty = not advertised.
    pub subscription_public_url: String,
}

/// `[shop]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopConfig {
    /// Shop name shown to customers.
    pub name: String,
    /// IANA time zone for revenue days/months (e.g. `Europe/Berlin`).
    pub time_zone: String,
    /// The customers' language when they chose none and their Discord client's locale has no
    /// catalog: `en`, `ru` or `fa`.
    pub default_language: String,
    /// The language of staff-facing texts (review cards, approvals, owner alerts, `/admin`
    /// answers, the revenue dashboard): `en`, `ru` or `fa`.
    pub staff_language: String,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            name: "VPN Shop".into(),
            time_zone: "UTC".into(),
            default_language: "en".into(),
            staff_language: "en".into(),
        }
    }
}

/// `[[plans]]`: one plan customers can buy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Stable id (used in custom_ids and stored on orders), `[a-z0-9_-]`, ≤ 32 chars.
    pub id: String,
    /// Name shown to customers.
    pub name: String,
    /// Duration in days.
    pub days: u32,
    /// Traffic limit in GiB; 0 = unlimited.
    #[serde(default)]
    pub traffic_gib: u32,
    /// Simultaneous device (IP) limit; 0 = unlimited.
    #[serde(default)]
    pub device_limit: u32,
    /// Price in minor units of `currency` (cents...).
    pub price_minor: i64,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
    /// Expiry counts from the first connection instead of from approval.
    #[serde(default)]
    pub start_on_first_use: bool,
}

/// How a payment method is paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// The customer pays outside the bot and uploads a receipt an admin reviews.
    #[default]
    Manual,
    /// The customer pays a Crypto Pay invoice; the bot checks it and delivers (`[cryptobot]`).
    Cryptobot,
}

/// `[[payment_methods]]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    /// Stable id, `[a-z0-9_-]`, ≤ 32 chars.
    pub id: String,
    /// Name shown in the select menu.
    pub name: String,
    /// `manual` (default) or `cryptobot`.
    #[serde(default)]
    pub kind: PaymentKind,
    /// Instructions shown after the customer picks this method (account number, wallet...);
    /// required for manual methods, optional for Crypto Pay (shown above the invoice).
    #[serde(default)]
    pub instructions: String,
}

/// `[orders]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrdersConfig {
    /// Tickets without a receipt are closed after this many hours.
    pub abandon_after_hours: u32,
    /// Ticket channels are deleted this many hours after completion.
    pub delete_ticket_after_hours: u32,
    /// Reminder offsets before expiry, in days.
    pub reminder_days: Vec<u32>,
    /// `/order` attempts allowed per user per hour.
    pub orders_per_hour: u32,
    /// Archived ticket transcripts are deleted this many days after their ticket channel was;
    /// 0 = kept forever.
    pub transcript_keep_days: u32,
    /// A first-use plan's days start anyway this many days after the bot first sees the
    /// customer waiting for their first connection; 0 = never.
    pub first_use_deadline_days: u32,
    /// Temporary access while a receipt waits (off by default): a new customer's accepted
    /// receipt (not a near duplicate) creates the real client at once with
    /// `provisional_percent` % of the plan's traffic for `provisional_days` days; approval raises
    /// the same client to the full plan (the link never changes), rejection disables it. Once
    /// per customer.
    pub provisional_enabled: bool,
    /// Percent of the plan's traffic the temporary access gets (1–100).
    pub provisional_percent: u32,
    /// Days the temporary access lasts (1–30).
    pub provisional_days: u32,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            abandon_after_hours: 48,
            delete_ticket_after_hours: 24,
            reminder_days: vec![3, 1],
            orders_per_hour: 5,
            transcript_keep_days: 365,
            first_use_deadline_days: 0,
            provisional_enabled: false,
            provisional_percent: 10,
            provisional_days: 3,
        }
    }
}

/// `[receipts]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptsConfig {
    /// Largest accepted upload in bytes.
    pub max_bytes: u64,
    /// Largest accepted width or height in pixels.
    pub max_dimension: u32,
    /// Perceptual-hash Hamming distance below which a receipt is flagged as a near duplicate.
    pub near_duplicate_distance: u32,
    /// Stored images are deleted after this many days (hashes are kept); 0 = keep forever.
    pub retention_days: u32,
}

impl Default for ReceiptsConfig {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_dimension: 8192,
            near_duplicate_distance: 10,
            retention_days: 180,
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Data directory: `bot.db`, `receipts/`, `backups/`, `logs/`. Relative paths are relative to
    /// the working directory.
    pub data_dir: PathBuf,
    /// SQLite busy timeout in milliseconds.
    pub busy_timeout_ms: u64,
    /// Pooled SQLite connections (default 1). Statements run on one connection in turn:
    /// SQLite commits one writer at a time anyway, and in WAL mode a connection drops its whole
    /// page cache whenever another connection commits, so each extra connection costs a page
    /// cache (up to 2 MiB) and re-reads pages the others just wrote. Measured in the process
    /// benchmark over 1,000 orders: 1 against 8 = 3.9 against 5.5 MiB idle (anonymous), 31
    /// against 36 MiB after the orders, and 9–12 against 12–13 ms of CPU per order. More only
    /// helps long read-only work (reports) that should not wait for each other.
    pub pool_size: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            busy_timeout_ms: 5000,
            pool_size: 1,
        }
    }
}

impl StorageConfig {
    /// `<data_dir>/bot.db`
    #[must_use]
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("bot.db")
    }

    /// `<data_dir>/backups`
    #[must_use]
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }

    /// `<data_dir>/receipts`
    #[must_use]
    pub fn receipts_dir(&self) -> PathBuf {
        self.data_dir.join("receipts")
    }

    /// `<data_dir>/logs`
    #[must_use]
    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}

/// `[backup]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Backups older than this many days are deleted after each backup (the newest is always
    /// kept); 0 = keep all.
    pub keep_days: u32,
    /// Hours between backups taken by the running bot; 0 = only the systemd timer / CLI.
    pub every_hours: u32,
}

impl Default for BackupConfig {
    fn default() -> Self {
        Self {
            keep_days: 14,
            every_hours: 0,
        }
    }
}

/// `[logging]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// Filter (`info`, `debug`, `vpn_ticket_bot=debug,info`...); `RUST_LOG` wins when set.
    pub level: String,
    /// Write JSON logs under `<data_dir>/logs/`.
    pub files: bool,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            files: true,
        }
    }
}
