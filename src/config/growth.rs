//! `[trial]`, `[referrals]`, `[gifts]` and `[promo]`: the shop's growth features, all off (or
//! harmless) by default, and their validation.

use serde::Deserialize;

use super::{Config, ConfigError};

/// `[trial]`: one free trial per Discord account, ever.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrialConfig {
    /// `/trial` is offered.
    pub enabled: bool,
    /// Days of access (1 – 30).
    pub days: u32,
    /// Traffic in GiB (0 = unlimited).
    pub traffic_gib: u32,
    /// Simultaneous devices (0 = unlimited).
    pub device_limit: u32,
    /// Discord accounts younger than this (days, from the snowflake) are refused (anti-farming).
    pub min_account_age_days: u32,
}

impl Default for TrialConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            days: 1,
            traffic_gib: 1,
            device_limit: 1,
            min_account_age_days: 7,
        }
    }
}

/// `[referrals]`: a customer's code brings a new customer; days for the referrer once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReferralsConfig {
    /// `/referral` is offered.
    pub enabled: bool,
    /// Days added to the referrer's subscription when the referee's first payment is approved.
    pub reward_days: u32,
    /// Rewards per referrer per 30 days; more are recorded as `capped` (0 = no cap).
    pub monthly_cap: u32,
    /// Referees whose Discord account is younger than this (days) cannot bind a code.
    pub min_account_age_days: u32,
}

impl Default for ReferralsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            reward_days: 7,
            monthly_cap: 5,
            min_account_age_days: 7,
        }
    }
}

/// `[gifts]`: a subscription bought for someone else, redeemed with a token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GiftsConfig {
    /// `/gift` and `/redeem` are offered.
    pub enabled: bool,
    /// A token not redeemed within this many days expires (1 – 3650).
    pub expire_after_days: u32,
    /// Accounts younger than this (days) cannot redeem.
    pub min_account_age_days: u32,
}

impl Default for GiftsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            expire_after_days: 90,
            min_account_age_days: 0,
        }
    }
}

/// `[promo]`: promo codes staff create with `/admin promo`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PromoConfig {
    /// Code attempts (right or wrong) a customer may make per 10 minutes (brute force).
    pub attempts_per_10_min: u32,
}

impl Default for PromoConfig {
    fn default() -> Self {
        Self {
            attempts_per_10_min: 5,
        }
    }
}

impl Config {
    /// Growth sections must make sense.
    pub(super) fn validate_growth(&self) -> Result<(), ConfigError> {
        if !(1..=30).contains(&self.trial.days) {
            return Err(ConfigError::invalid(
                "trial.days",
                "must be between 1 and 30",
            ));
        }
        if self.referrals.enabled && self.referrals.reward_days == 0 {
            return Err(ConfigError::invalid(
                "referrals.reward_days",
                "must be at least 1 when referrals are enabled",
            ));
        }
        if !(1..=3650).contains(&self.gifts.expire_after_days) {
            return Err(ConfigError::invalid(
                "gifts.expire_after_days",
                "must be between 1 and 3650",
            ));
        }
        if !(1..=100).contains(&self.orders.provisional_percent) {
            return Err(ConfigError::invalid(
                "orders.provisional_percent",
                "must be between 1 and 100",
            ));
        }
        if !(1..=30).contains(&self.orders.provisional_days) {
            return Err(ConfigError::invalid(
                "orders.provisional_days",
                "must be between 1 and 30",
            ));
        }
        if self.promo.attempts_per_10_min == 0 {
            return Err(ConfigError::invalid(
                "promo.attempts_per_10_min",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn growth_features_are_off_by_default_and_bad_values_name_their_key() {
        let c = Config::from_toml_with_env("", |_| None).unwrap();
        assert!(!c.trial.enabled && !c.referrals.enabled && !c.gifts.enabled);
        for (text, key) in [
            ("[trial]\ndays = 0", "trial.days"),
            (
                "[referrals]\nenabled = true\nreward_days = 0",
                "referrals.reward_days",
            ),
            ("[gifts]\nexpire_after_days = 0", "gifts.expire_after_days"),
            (
                "[promo]\nattempts_per_10_min = 0",
                "promo.attempts_per_10_min",
            ),
            ("[trial]\nsize = 3", "trial.size"),
        ] {
            let err = Config::from_toml_with_env(text, |_| None).unwrap_err();
            assert_eq!(err.key(), key, "{text}: {err}");
        }
    }
}
