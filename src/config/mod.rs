//! Typed configuration: defaults → TOML file → environment (secrets only), then validation.
//!
//! Every key is documented in `config.example.toml`. Loading fails with a [`ConfigError`] that
//! names the offending key (`panel.timeout_secs`, `plans[1].price_minor`...) and why. Secrets are
//! [`Secret`] values: they print as `[redacted]` in `Debug`, so logging a `Config` is safe.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Environment variables that override secrets from the file (for systemd's `EnvironmentFile=`).
pub mod env {
    /// Discord bot token.
    pub const DISCORD_TOKEN: &str = "VTB_DISCORD_TOKEN";
    /// 3x-ui panel password (cookie login).
    pub const PANEL_PASSWORD: &str = "VTB_PANEL_PASSWORD";
    /// 3x-ui panel API token (Bearer, v3.0+).
    pub const PANEL_API_TOKEN: &str = "VTB_PANEL_API_TOKEN";
    /// Base32 TOTP secret of the panel account (2FA, v2.6+).
    pub const PANEL_TOTP_SECRET: &str = "VTB_PANEL_TOTP_SECRET";
}

/// A secret string (token, password). `Debug` and `Display` print `[redacted]`; read it with
/// [`Secret::expose`] only where it is sent to the service it belongs to.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Never log the result.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no secret was configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("[empty]")
        } else {
            f.write_str("[redacted]")
        }
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why the configuration could not be loaded. Every variant names the file or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source} (copy config.example.toml to start)")]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TOML syntax error, unknown key, or a value of the wrong type.
    #[error("config key `{key}`: {reason}")]
    Parse {
        /// Dotted path of the key (`panel.timeout_secs`), or `(file)` for syntax errors.
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// A value parsed but is not acceptable.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What was wrong and what is expected.
        reason: String,
    },
}

impl ConfigError {
    fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// The dotted key this error is about (`(file)` when the file itself is the problem).
    #[must_use]
    pub fn key(&self) -> &str {
        match self {
            Self::Read { .. } => "(file)",
            Self::Parse { key, .. } | Self::Invalid { key, .. } => key,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Discord connection and the guild's channels.
    #[serde(default)]
    pub discord: DiscordConfig,
    /// Who is owner / admin / support.
    #[serde(default)]
    pub roles: RolesConfig,
    /// The 3x-ui panel.
    #[serde(default)]
    pub panel: PanelConfig,
    /// Shop-wide settings.
    #[serde(default)]
    pub shop: ShopConfig,
    /// Plans customers can buy.
    #[serde(default)]
    pub plans: Vec<Plan>,
    /// Manual payment methods.
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethod>,
    /// Orders and tickets.
    #[serde(default)]
    pub orders: OrdersConfig,
    /// Receipt screenshots.
    #[serde(default)]
    pub receipts: ReceiptsConfig,
    /// Data directory.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Scheduled backups.
    #[serde(default)]
    pub backup: BackupConfig,
    /// Logging.
    #[serde(default)]
    pub logging: LoggingConfig,
}

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

/// `[panel]`: the 3x-ui panel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PanelConfig {
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

/// `[shop]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopConfig {
    /// Shop name shown to customers.
    pub name: String,
    /// IANA time zone for revenue days/months (e.g. `Europe/Berlin`).
    pub time_zone: String,
}

impl Default for ShopConfig {
    fn default() -> Self {
        Self {
            name: "VPN Shop".into(),
            time_zone: "UTC".into(),
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

/// `[[payment_methods]]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    /// Stable id, `[a-z0-9_-]`, ≤ 32 chars.
    pub id: String,
    /// Name shown in the select menu.
    pub name: String,
    /// Instructions shown after the customer picks this method (account number, wallet...).
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
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            abandon_after_hours: 48,
            delete_ticket_after_hours: 24,
            reminder_days: vec![3, 1],
            orders_per_hour: 5,
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
    /// Maximum pooled connections.
    pub pool_size: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            busy_timeout_ms: 5000,
            pool_size: 8,
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

impl Config {
    /// Reads, parses and validates `path`, then applies secret overrides from the environment.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file is missing or unreadable, [`ConfigError::Parse`] for
    /// syntax errors, unknown keys and wrong types, [`ConfigError::Invalid`] for bad values.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_with_env(&text, |k| std::env::var(k).ok())
    }

    /// Parses TOML text and validates it, taking secret overrides from `env`.
    ///
    /// # Errors
    /// As [`Config::load`], without the read error.
    pub fn from_toml_with_env(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::Parse {
            key: "(file)".into(),
            reason: e.message().to_owned(),
        })?;
        let mut config: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::Parse {
                key: if key == "." { "(root)".into() } else { key },
                reason: e.into_inner().message().to_owned(),
            }
        })?;
        config.apply_env(env);
        config.validate()?;
        Ok(config)
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        let set = |target: &mut Secret, var: &str| {
            if let Some(v) = env(var).filter(|v| !v.trim().is_empty()) {
                *target = Secret::new(v);
            }
        };
        set(&mut self.discord.token, env::DISCORD_TOKEN);
        set(&mut self.panel.password, env::PANEL_PASSWORD);
        set(&mut self.panel.api_token, env::PANEL_API_TOKEN);
        set(&mut self.panel.totp_secret, env::PANEL_TOTP_SECRET);
    }

    /// Checks values that parse but make no sense.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_panel()?;
        self.validate_catalogue()?;
        if jiff::tz::TimeZone::get(&self.shop.time_zone).is_err() {
            return Err(ConfigError::invalid(
                "shop.time_zone",
                format!(
                    "unknown time zone {:?} (use an IANA name such as \"Europe/Berlin\" or \"UTC\")",
                    self.shop.time_zone
                ),
            ));
        }
        if self.storage.pool_size == 0 {
            return Err(ConfigError::invalid(
                "storage.pool_size",
                "must be at least 1",
            ));
        }
        if self.receipts.max_bytes == 0 {
            return Err(ConfigError::invalid(
                "receipts.max_bytes",
                "must be above 0",
            ));
        }
        if self.receipts.max_dimension == 0 {
            return Err(ConfigError::invalid(
                "receipts.max_dimension",
                "must be above 0",
            ));
        }
        if self.receipts.near_duplicate_distance > 64 {
            return Err(ConfigError::invalid(
                "receipts.near_duplicate_distance",
                "a 64-bit perceptual hash differs in at most 64 bits",
            ));
        }
        if !self.discord.rest_proxy_url.is_empty() {
            let url = reqwest::Url::parse(&self.discord.rest_proxy_url).map_err(|e| {
                ConfigError::invalid("discord.rest_proxy_url", format!("not a URL ({e})"))
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.path().len() > 1 {
                return Err(ConfigError::invalid(
                    "discord.rest_proxy_url",
                    "must be http(s)://host:port without a path",
                ));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.logging.level).is_err() {
            return Err(ConfigError::invalid(
                "logging.level",
                format!("not a valid filter: {:?}", self.logging.level),
            ));
        }
        Ok(())
    }

    fn validate_panel(&self) -> Result<(), ConfigError> {
        let p = &self.panel;
        if !p.base_url.is_empty() {
            let url = reqwest::Url::parse(&p.base_url)
                .map_err(|e| ConfigError::invalid("panel.base_url", format!("not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError::invalid(
                    "panel.base_url",
                    "must start with http:// or https://",
                ));
            }
            if p.api_token.is_empty() && (p.username.is_empty() || p.password.is_empty()) {
                return Err(ConfigError::invalid(
                    "panel.api_token",
                    "set an API token, or panel.username and panel.password",
                ));
            }
        }
        if p.timeout_secs == 0 || p.timeout_secs > 120 {
            return Err(ConfigError::invalid(
                "panel.timeout_secs",
                "must be between 1 and 120",
            ));
        }
        if p.health_interval_secs == 0 {
            return Err(ConfigError::invalid(
                "panel.health_interval_secs",
                "must be at least 1",
            ));
        }
        if p.health_failure_threshold == 0 {
            return Err(ConfigError::invalid(
                "panel.health_failure_threshold",
                "must be at least 1",
            ));
        }
        if let Some(sub) = &p.subscription_base_url {
            reqwest::Url::parse(sub).map_err(|e| {
                ConfigError::invalid("panel.subscription_base_url", format!("not a URL ({e})"))
            })?;
        }
        Ok(())
    }

    fn validate_catalogue(&self) -> Result<(), ConfigError> {
        let valid_id = |id: &str| {
            !id.is_empty()
                && id.len() <= 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        for (i, plan) in self.plans.iter().enumerate() {
            let key = |field: &str| format!("plans[{i}].{field}");
            if !valid_id(&plan.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    "use 1-32 characters of a-z, 0-9, '_' or '-'",
                ));
            }
            if self.plans[..i].iter().any(|p| p.id == plan.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    format!("{:?} is used twice", plan.id),
                ));
            }
            if plan.name.trim().is_empty() {
                return Err(ConfigError::invalid(key("name"), "must not be empty"));
            }
            if plan.days == 0 {
                return Err(ConfigError::invalid(key("days"), "must be at least 1"));
            }
            if plan.price_minor <= 0 {
                return Err(ConfigError::invalid(key("price_minor"), "must be above 0"));
            }
            if plan.currency.len() != 3 || !plan.currency.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ConfigError::invalid(
                    key("currency"),
                    "use a three-letter ISO 4217 code such as \"USD\"",
                ));
            }
        }
        for (i, method) in self.payment_methods.iter().enumerate() {
            let key = |field: &str| format!("payment_methods[{i}].{field}");
            if !valid_id(&method.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    "use 1-32 characters of a-z, 0-9, '_' or '-'",
                ));
            }
            if self.payment_methods[..i].iter().any(|m| m.id == method.id) {
                return Err(ConfigError::invalid(
                    key("id"),
                    format!("{:?} is used twice", method.id),
                ));
            }
            if method.instructions.trim().is_empty() {
                return Err(ConfigError::invalid(
                    key("instructions"),
                    "must not be empty",
                ));
            }
        }
        Ok(())
    }

    /// The shop's time zone (`shop.time_zone`, validated at load; UTC if it cannot be found).
    #[must_use]
    pub fn shop_time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.shop.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Looks a plan up by id.
    #[must_use]
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// Looks a payment method up by id.
    #[must_use]
    pub fn payment_method(&self, id: &str) -> Option<&PaymentMethod> {
        self.payment_methods.iter().find(|m| m.id == id)
    }
}

mod require;
#[cfg(test)]
mod tests;
