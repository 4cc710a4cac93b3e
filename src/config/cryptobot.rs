//! `[cryptobot]`: automatic payment by Crypto Pay invoices (CryptoBot, <https://help.crypt.bot/crypto-pay-api>),
//! used by every `[[payment_methods]]` entry of `kind = "cryptobot"`, and its validation.

use std::net::SocketAddr;

use serde::Deserialize;

use super::{Config, ConfigError, Secret};

/// Fiat currencies Crypto Pay invoices in (`createInvoice` `fiat`, official reference, 2026).
pub const CRYPTO_PAY_FIATS: &[&str] = &[
    "USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL", "TRY", "AMD", "THB",
    "INR", "BRL", "IDR", "AZN", "AED", "PLN", "ILS",
];

/// Assets a `currency_type = "crypto"` invoice may charge: USD-pegged stablecoins only, so that
/// a plan priced in USD is charged the same number of coins (no exchange rate is guessed).
pub const USD_STABLECOINS: &[&str] = &["USDT", "USDC"];

/// The longest invoice lifetime Crypto Pay accepts (`expires_in` ≤ 2 678 400 s = 31 days).
pub const MAX_INVOICE_LIFETIME_MINUTES: u32 = 44_640;

/// How an invoice states its price (`createInvoice` `currency_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceCurrency {
    /// In the plan's currency (`fiat`); the customer pays in any of `accepted_assets`.
    #[default]
    Fiat,
    /// In `asset` coins (`crypto`): plans must be priced in USD and `asset` a USD stablecoin.
    Crypto,
}

/// `[cryptobot]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CryptobotConfig {
    /// The Crypto Pay app token (from @CryptoBot → Crypto Pay → My Apps); overridden by
    /// `VTB_CRYPTOBOT_TOKEN`. Also the key of the webhook signature.
    pub token: Secret,
    /// Use Crypto Pay's testnet (`testnet-pay.crypt.bot`, an app of @CryptoTestnetBot).
    pub testnet: bool,
    /// API base URL ending in `/api/`; empty = Crypto Pay's own (mainnet or testnet). For a
    /// proxy, or the emulator in tests and `demo`.
    pub api_url: String,
    /// `fiat` (default) or `crypto`.
    pub currency_type: InvoiceCurrency,
    /// The asset of `crypto` invoices (`USDT` or `USDC`).
    pub asset: String,
    /// Assets a `fiat` invoice may be paid in; empty = every asset Crypto Pay offers.
    pub accepted_assets: Vec<String>,
    /// Minutes an invoice can be paid (1 – 44 640); an expired one is replaced on request.
    pub invoice_lifetime_minutes: u32,
    /// Seconds between two checks of the open invoices (5 – 3600).
    pub poll_interval_secs: u64,
    /// Per-request timeout in seconds (1 – 120).
    pub timeout_secs: u64,
    /// `host:port` of the optional webhook listener; empty = off (polling only). Put it behind
    /// the operator's HTTPS reverse proxy; Crypto Pay only calls HTTPS URLs.
    pub webhook_listen: String,
    /// Path of the webhook (`/cryptobot-webhook`).
    pub webhook_path: String,
    /// Webhook updates whose `request_date` is older (or further ahead) than this are refused.
    pub webhook_max_age_secs: u64,
}

impl Default for CryptobotConfig {
    fn default() -> Self {
        Self {
            token: Secret::default(),
            testnet: false,
            api_url: String::new(),
            currency_type: InvoiceCurrency::Fiat,
            asset: "USDT".into(),
            accepted_assets: Vec::new(),
            invoice_lifetime_minutes: 60,
            poll_interval_secs: 30,
            timeout_secs: 10,
            webhook_listen: String::new(),
            webhook_path: "/cryptobot-webhook".into(),
            webhook_max_age_secs: 600,
        }
    }
}

impl CryptobotConfig {
    /// The API base URL: `api_url`, else Crypto Pay's testnet or mainnet (`…/api/`).
    #[must_use]
    pub fn api_base(&self) -> &str {
        match (self.api_url.trim(), self.testnet) {
            ("", false) => "https://pay.crypt.bot/api/",
            ("", true) => "https://testnet-pay.crypt.bot/api/",
            (url, _) => url,
        }
    }

    /// The webhook listener's address; `None` when it is off.
    #[must_use]
    pub fn webhook_addr(&self) -> Option<SocketAddr> {
        self.webhook_listen.trim().parse().ok()
    }
}

/// An asset ticker: 2-10 of A-Z and 0-9.
fn valid_asset(asset: &str) -> bool {
    (2..=10).contains(&asset.len())
        && asset
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Config {
    /// True when some `[[payment_methods]]` entry is paid by Crypto Pay.
    #[must_use]
    pub fn cryptobot_enabled(&self) -> bool {
        self.payment_methods
            .iter()
            .any(|m| m.kind == super::PaymentKind::Cryptobot)
    }

    /// `[cryptobot]` must make sense when a method uses it.
    pub(super) fn validate_cryptobot(&self) -> Result<(), ConfigError> {
        if !self.cryptobot_enabled() {
            return Ok(());
        }
        let c = &self.cryptobot;
        if c.token.is_empty() {
            return Err(ConfigError::invalid(
                "cryptobot.token",
                "not set: a payment method of kind \"cryptobot\" needs the Crypto Pay app token \
                 (in the config or VTB_CRYPTOBOT_TOKEN)",
            ));
        }
        if !c.api_url.is_empty() {
            let url = reqwest::Url::parse(&c.api_url).map_err(|e| {
                ConfigError::invalid("cryptobot.api_url", format!("not a URL ({e})"))
            })?;
            if !matches!(url.scheme(), "http" | "https") || !url.path().ends_with('/') {
                return Err(ConfigError::invalid(
                    "cryptobot.api_url",
                    "must be http(s)://host[:port]/…/ ending in '/' (e.g. https://pay.crypt.bot/api/)",
                ));
            }
        }
        self.validate_cryptobot_currency()?;
        self.validate_cryptobot_timing()
    }

    fn validate_cryptobot_currency(&self) -> Result<(), ConfigError> {
        let c = &self.cryptobot;
        for (i, asset) in c.accepted_assets.iter().enumerate() {
            if !valid_asset(asset) {
                return Err(ConfigError::invalid(
                    format!("cryptobot.accepted_assets[{i}]"),
                    format!("{asset:?} is not an asset ticker such as \"USDT\" or \"TON\""),
                ));
            }
        }
        for (i, plan) in self.plans.iter().enumerate() {
            let ok = match c.currency_type {
                InvoiceCurrency::Fiat => CRYPTO_PAY_FIATS.contains(&plan.currency.as_str()),
                InvoiceCurrency::Crypto => plan.currency == "USD",
            };
            if !ok {
                let why = match c.currency_type {
                    InvoiceCurrency::Fiat => format!(
                        "Crypto Pay cannot invoice in {}; it invoices in {}",
                        plan.currency,
                        CRYPTO_PAY_FIATS.join(", ")
                    ),
                    InvoiceCurrency::Crypto => format!(
                        "cryptobot.currency_type = \"crypto\" charges {} coins for a USD price; \
                         this plan is priced in {}",
                        c.asset, plan.currency
                    ),
                };
                return Err(ConfigError::invalid(format!("plans[{i}].currency"), why));
            }
        }
        if c.currency_type == InvoiceCurrency::Crypto
            && !USD_STABLECOINS.contains(&c.asset.as_str())
        {
            return Err(ConfigError::invalid(
                "cryptobot.asset",
                format!(
                    "{:?}: crypto invoices charge the USD price in a USD stablecoin ({})",
                    c.asset,
                    USD_STABLECOINS.join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn validate_cryptobot_timing(&self) -> Result<(), ConfigError> {
        let c = &self.cryptobot;
        if !(1..=MAX_INVOICE_LIFETIME_MINUTES).contains(&c.invoice_lifetime_minutes) {
            return Err(ConfigError::invalid(
                "cryptobot.invoice_lifetime_minutes",
                format!("must be between 1 and {MAX_INVOICE_LIFETIME_MINUTES} (31 days)"),
            ));
        }
        if !(5..=3600).contains(&c.poll_interval_secs) {
            return Err(ConfigError::invalid(
                "cryptobot.poll_interval_secs",
                "must be between 5 and 3600",
            ));
        }
        if !(1..=120).contains(&c.timeout_secs) {
            return Err(ConfigError::invalid(
                "cryptobot.timeout_secs",
                "must be between 1 and 120",
            ));
        }
        if !c.webhook_listen.trim().is_empty() && c.webhook_addr().is_none() {
            return Err(ConfigError::invalid(
                "cryptobot.webhook_listen",
                format!(
                    "{:?} is not host:port such as \"127.0.0.1:8083\"",
                    c.webhook_listen
                ),
            ));
        }
        if !c.webhook_path.starts_with('/') {
            return Err(ConfigError::invalid(
                "cryptobot.webhook_path",
                "must start with '/'",
            ));
        }
        if c.webhook_max_age_secs == 0 {
            return Err(ConfigError::invalid(
                "cryptobot.webhook_max_age_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const BASE: &str = "[[plans]]\nid = \"m1\"\nname = \"Month\"\ndays = 30\nprice_minor = 500\n\
        currency = \"USD\"\n[[payment_methods]]\nid = \"crypto\"\nname = \"Crypto\"\n\
        kind = \"cryptobot\"\n";

    fn load(extra: &str, env: Option<&str>) -> Result<Config, crate::config::ConfigError> {
        let text = format!("{BASE}{extra}");
        Config::from_toml_with_env(&text, |k| {
            (k == crate::config::env::CRYPTOBOT_TOKEN).then(|| env.unwrap_or_default().to_owned())
        })
    }

    #[test]
    fn a_cryptobot_method_needs_a_token_from_the_file_or_the_environment() {
        assert_eq!(load("", None).unwrap_err().key(), "cryptobot.token");
        let c = load("", Some("123:AAA")).expect("token from the environment");
        assert_eq!(c.cryptobot.token.expose(), "123:AAA");
        assert_eq!(format!("{:?}", c.cryptobot.token), "[redacted]");
        assert!(c.cryptobot_enabled());
        load("[cryptobot]\ntoken = \"1:x\"\n", None).expect("token from the file");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (
                "invoice_lifetime_minutes = 0",
                "cryptobot.invoice_lifetime_minutes",
            ),
            (
                "invoice_lifetime_minutes = 50000",
                "cryptobot.invoice_lifetime_minutes",
            ),
            ("poll_interval_secs = 1", "cryptobot.poll_interval_secs"),
            ("timeout_secs = 0", "cryptobot.timeout_secs"),
            (
                "webhook_listen = \"everywhere\"",
                "cryptobot.webhook_listen",
            ),
            ("webhook_path = \"hook\"", "cryptobot.webhook_path"),
            (
                "accepted_assets = [\"usdt\"]",
                "cryptobot.accepted_assets[0]",
            ),
            ("api_url = \"ftp://x/\"", "cryptobot.api_url"),
            (
                "currency_type = \"crypto\"\nasset = \"TON\"",
                "cryptobot.asset",
            ),
            ("currency_type = \"gold\"", "cryptobot.currency_type"),
        ];
        for (line, key) in cases {
            let err = load(&format!("[cryptobot]\ntoken = \"1:x\"\n{line}\n"), None).unwrap_err();
            assert_eq!(err.key(), key, "{line}: {err}");
        }
    }

    #[test]
    fn a_plan_crypto_pay_cannot_invoice_is_refused_naming_the_plan() {
        let text = BASE.replace("\"USD\"", "\"SEK\"") + "[cryptobot]\ntoken = \"1:x\"\n";
        let err = Config::from_toml_with_env(&text, |_| None).unwrap_err();
        assert_eq!(err.key(), "plans[0].currency");
        assert!(err.to_string().contains("cannot invoice in SEK"), "{err}");
    }

    #[test]
    fn manual_methods_need_instructions_and_no_token() {
        let text = "[[payment_methods]]\nid = \"bank\"\nname = \"Bank\"\n";
        let err = Config::from_toml_with_env(text, |_| None).unwrap_err();
        assert_eq!(err.key(), "payment_methods[0].instructions");
        let ok = format!("{text}instructions = \"IBAN\"\n");
        let c = Config::from_toml_with_env(&ok, |_| None).expect("manual only");
        assert!(!c.cryptobot_enabled());
    }
}
