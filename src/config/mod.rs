//! Typed configuration: defaults → TOML file → environment (secrets only), then validation.
//!
//! Every key is documented in `config.example.toml`. Loading fails with a [`ConfigError`] that
//! names the offending key (`panel.timeout_secs`, `plans[1].price_minor`...) and why. Secrets are
//! [`Secret`] values: they print as `[redacted]` in `Debug`, so logging a `Config` is safe.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod cryptobot;
mod growth;
mod require;
mod sections;
mod validate;

pub use cryptobot::{
    CRYPTO_PAY_FIATS, CryptobotConfig, InvoiceCurrency, MAX_INVOICE_LIFETIME_MINUTES,
    USD_STABLECOINS,
};
pub use growth::{GiftsConfig, PromoConfig, ReferralsConfig, TrialConfig};
pub use sections::{
    BackendsConfig, BackupConfig, DiscordConfig, LoggingConfig, MetricsConfig, OrdersConfig,
    PanelApiGeneration, PanelConfig, PanelKind, PaymentKind, PaymentMethod, Plan, ReceiptsConfig,
    RolesConfig, ShopConfig, StorageConfig,
};

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
    /// vpn-api service key (`X-API-Key`), `panel.kind = "vpn_api"`.
    pub const VPN_API_KEY: &str = "VTB_VPN_API_KEY";
    /// The key of our own subscription endpoint's tokens (`backends.subscription_secret`).
    pub const SUBSCRIPTION_SECRET: &str = "VTB_SUBSCRIPTION_SECRET";
    /// Crypto Pay app token.
    pub const CRYPTOBOT_TOKEN: &str = "VTB_CRYPTOBOT_TOKEN";
    /// Bearer token a Prometheus scrape of `/metrics` must send.
    pub const METRICS_TOKEN: &str = "VTB_METRICS_TOKEN";
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
    /// The 3x-ui panel (with `[[panels]]`: the first of them, filled in at load).
    #[serde(default)]
    pub panel: PanelConfig,
    /// Several panels (`[[panels]]`, same keys as `[panel]` plus `id`, `region`, `capacity`);
    /// empty = `[panel]` is the only one.
    #[serde(default)]
    pub panels: Vec<PanelConfig>,
    /// Failover between panels, pinned customers.
    #[serde(default)]
    pub backends: BackendsConfig,
    /// Shop-wide settings.
    #[serde(default)]
    pub shop: ShopConfig,
    /// Plans customers can buy.
    #[serde(default)]
    pub plans: Vec<Plan>,
    /// Payment methods: manual (receipt) or Crypto Pay.
    #[serde(default)]
    pub payment_methods: Vec<PaymentMethod>,
    /// Crypto Pay, for payment methods of kind `cryptobot`.
    #[serde(default)]
    pub cryptobot: CryptobotConfig,
    /// The free trial.
    #[serde(default)]
    pub trial: TrialConfig,
    /// Promo codes.
    #[serde(default)]
    pub promo: PromoConfig,
    /// Referrals.
    #[serde(default)]
    pub referrals: ReferralsConfig,
    /// Gift subscriptions.
    #[serde(default)]
    pub gifts: GiftsConfig,
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
    /// The Prometheus listener.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// A dotted key path as the operator would write it: an empty key (`[""]`, `"" = 1`) is spelled
/// `""`, so an error about it still names something (found by the `config` fuzz target).
fn spelled(path: &str) -> String {
    path.split('.')
        .map(|part| if part.is_empty() { "\"\"" } else { part })
        .collect::<Vec<_>>()
        .join(".")
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
                key: if key == "." {
                    "(root)".into()
                } else {
                    spelled(&key)
                },
                reason: e.into_inner().message().to_owned(),
            }
        })?;
        config.apply_env(env);
        config.validate()?;
        if let Some(first) = config.panels.first() {
            config.panel = first.clone();
        }
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
        set(&mut self.panel.vpn_api_key, env::VPN_API_KEY);
        set(
            &mut self.backends.subscription_secret,
            env::SUBSCRIPTION_SECRET,
        );
        for p in &mut self.panels {
            set(&mut p.vpn_api_key, env::VPN_API_KEY);
        }
        set(&mut self.cryptobot.token, env::CRYPTOBOT_TOKEN);
        set(&mut self.metrics.bearer_token, env::METRICS_TOKEN);
    }

    /// Every panel: `[[panels]]`, or `[panel]` alone.
    #[must_use]
    pub fn panel_list(&self) -> Vec<PanelConfig> {
        if self.panels.is_empty() {
            vec![self.panel.clone()]
        } else {
            self.panels.clone()
        }
    }

    /// The shop's time zone (`shop.time_zone`, validated at load; UTC if it cannot be found).
    #[must_use]
    pub fn shop_time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.shop.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// The shop's default customer language (`shop.default_language`, validated at load;
    /// English if unknown).
    #[must_use]
    pub fn default_language(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::from_code(&self.shop.default_language).unwrap_or(crate::i18n::Lang::En)
    }

    /// The language of staff-facing texts (`shop.staff_language`, validated at load; English if
    /// unknown).
    #[must_use]
    pub fn staff_language(&self) -> crate::i18n::Lang {
        crate::i18n::Lang::from_code(&self.shop.staff_language).unwrap_or(crate::i18n::Lang::En)
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

#[cfg(test)]
mod tests;
