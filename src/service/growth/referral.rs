//! Referrals: `/referral` shows a customer's code; a new customer binds one code before their
//! first order (not their own; account-age gate; not when banned). The referrer earns
//! `referrals.reward_days` **once**, in the transaction that approves the referee's first paid
//! payment (never on a rejection, a later purchase or a free order; capped per 30 days), and the
//! [`ReferralRewardJob`] adds the days to the referrer's subscription with an absolute expiry
//! chosen and stored before the panel call, so a restart never adds them twice.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;

use crate::domain::audit::AuditAction;
use crate::domain::delivery::{AccessChange, Delivery};
use crate::domain::status::SubscriptionStatus;
use crate::domain::{PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::state::{Target, audit, enqueue};
use crate::store::{self, orders::Order, referrals::Referral};
use crate::tasks::Job;

use super::bans::banned;
use super::refusals::{REFERRAL_ALREADY, REFERRAL_NOT_FIRST, REFERRAL_OWN, REFERRALS_OFF};
use super::{GrowthService, account_old_enough, refused};

const DAY_MS: i64 = 86_400_000;

/// What `/referral` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralView {
    /// The customer's code.
    pub code: String,
    /// Days a referrer earns per referee's first purchase.
    pub reward_days: u32,
}

impl GrowthService {
    /// `user`'s referral code (made on first use: 8 characters without look-alikes).
    ///
    /// # Errors
    /// [`UserError::InvalidState`] when referrals are off; store errors.
    pub async fn referral_code(&self, user: UserId) -> Result<ReferralView> {
        let cfg = self.deps.config.referrals.clone();
        if !cfg.enabled {
            return Err(off().into());
        }
        let now = self.deps.clock.now_ms();
        let candidate = new_code()?;
        let code = self
            .deps
            .store
            .transaction(move |tx| {
                store::users::ensure(tx, user, now)?;
                if let Some(code) = store::referrals::code_of(tx, user)? {
                    return Ok(code);
                }
                store::referrals::insert_code(tx, user, &candidate, now)?;
                Ok(candidate)
            })
            .await?;
        Ok(ReferralView {
            code,
            reward_days: cfg.reward_days,
        })
    }

    /// Binds `user` (a new customer) to the owner of `code`. Returns the referrer.
    ///
    /// # Errors
    /// [`UserError::InvalidState`] (audited) when referrals are off, the code is unknown or the
    /// customer's own, the account is too young or banned, a code is already bound, or the
    /// customer already ordered; store errors.
    pub async fn bind_referral(&self, user: UserId, code: &str) -> Result<UserId> {
        let cfg = self.deps.config.referrals.clone();
        let now = self.deps.clock.now_ms();
        let code = code.trim().to_owned();
        let early = if !cfg.enabled {
            Some(off())
        } else if !account_old_enough(user, cfg.min_account_age_days, now) {
            Some(invalid(format!(
                "referral codes are for Discord accounts at least {} days old",
                cfg.min_account_age_days
            )))
        } else {
            None
        };
        self.deps
            .store
            .transaction(move |tx| {
                let outcome = match early {
                    Some(refusal) => Err(refusal),
                    None => bind_in(tx, user, &code, now)?,
                };
                if let Err(refusal) = &outcome {
                    refused(
                        tx,
                        user,
                        AuditAction::ReferralRefused,
                        &refusal.to_string(),
                        now,
                    )?;
                }
                Ok(outcome)
            })
            .await?
            .map_err(Error::from)
    }
}

/// The binding's checks and row; `Ok(Err)` for a refusal.
fn bind_in(
    tx: &Connection,
    user: UserId,
    code: &str,
    now: i64,
) -> Result<Result<UserId, UserError>> {
    let u = store::users::ensure(tx, user, now)?;
    if u.banned {
        return Ok(Err(banned(u.ban_reason.as_deref())));
    }
    let Some(referrer) = store::referrals::owner_of(tx, code)? else {
        return Ok(Err(invalid(format!("there is no referral code {code:?}"))));
    };
    if referrer == user {
        return Ok(Err(invalid(REFERRAL_OWN.into())));
    }
    if store::referrals::of_referee(tx, user)?.is_some() {
        return Ok(Err(invalid(REFERRAL_ALREADY.into())));
    }
    if store::orders::count_for_user_excluding_trials(tx, user)? > 0 {
        return Ok(Err(invalid(REFERRAL_NOT_FIRST.into())));
    }
    store::referrals::bind(tx, user, referrer, now)?;
    let payload = serde_json::json!({ "referrer": referrer.to_string(), "code": code });
    audit(
        tx,
        Some(user),
        AuditAction::ReferralBind,
        Target::User(user),
        None,
        payload,
        now,
    )?;
    Ok(Ok(referrer))
}

/// In the transaction approving `payment` (paid: amount > 0) of `order`: the referee's first
/// such approval earns their referrer the reward once (`pending`, or `capped` past the monthly
/// cap). Nothing for customers without a referral or whose reward was already earned.
///
/// # Errors
/// Store errors.
pub fn earn_in(
    tx: &Connection,
    cfg: &crate::config::ReferralsConfig,
    (payment, order): (PaymentId, &Order),
    now: i64,
) -> Result<()> {
    let Some(r) = store::referrals::of_referee(tx, order.user_id)? else {
        return Ok(());
    };
    if r.reward_status != "none" || !cfg.enabled {
        return Ok(());
    }
    let recent = store::referrals::earned_since(tx, r.referrer, now - 30 * DAY_MS)?;
    let capped = cfg.monthly_cap > 0 && recent >= i64::from(cfg.monthly_cap);
    let status = if capped { "capped" } else { "pending" };
    let days = i64::from(cfg.reward_days);
    if store::referrals::earn(tx, order.user_id, payment, (status, days), now)? {
        let payload = serde_json::json!({
            "referee": order.user_id.to_string(), "payment": payment, "days": days, "status": status,
        });
        let target = Target::User(r.referrer);
        audit(
            tx,
            None,
            AuditAction::ReferralEarn,
            target,
            None,
            payload,
            now,
        )?;
    }
    Ok(())
}

impl GrowthService {
    /// Adds every pending reward whose referrer has a client; returns how many were applied.
    /// The target expiry is stored before the panel call and the panel is given that absolute
    /// value, so a retry after a crash applies the same days, never twice.
    ///
    /// # Errors
    /// Store errors (a panel error leaves the reward pending for the next pass).
    pub async fn apply_referral_rewards_once(&self) -> Result<usize> {
        if self.deps.breaker.is_outage() {
            return Ok(0);
        }
        let pending = self
            .deps
            .store
            .call(|c| store::referrals::pending(c, 100))
            .await?;
        let mut applied = 0;
        for r in pending {
            match self.apply_reward(&r).await {
                Ok(true) => applied += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(referee = %r.referee, error = %e, "a referral reward waits");
                }
            }
        }
        Ok(applied)
    }

    async fn apply_reward(&self, r: &Referral) -> Result<bool> {
        let (referrer, referee) = (r.referrer, r.referee);
        let Some(u) = self
            .deps
            .store
            .call(move |c| store::users::get(c, referrer))
            .await?
        else {
            return Ok(false);
        };
        let (Some(email), Some(expiry)) = (u.panel_email.clone(), u.expiry_at) else {
            return Ok(false); // No subscription yet: it waits until they have one.
        };
        let days = r.reward_days.unwrap_or_default();
        let now = self.deps.clock.now_ms();
        let target = r
            .reward_target_expiry
            .unwrap_or_else(|| extended(expiry, days, now));
        self.deps
            .store
            .call(move |c| store::referrals::set_target(c, referee, target))
            .await?;
        let total = u64::try_from(u.traffic_limit_bytes).unwrap_or(0);
        self.deps.panel.extend_client(&email, target, total).await?;
        self.deps.panel.set_client_enabled(&email, true).await?;
        let days = u32::try_from(days).unwrap_or(0);
        self.deps
            .store
            .transaction(move |tx| {
                if !store::referrals::mark_applied(tx, referee, now)? {
                    return Ok(false);
                }
                let mut sub = store::users::subscription_of(&u);
                sub.expiry_at = Some(target);
                sub.status = SubscriptionStatus::Active;
                store::users::set_subscription(tx, referrer, &sub, now)?;
                let payload = serde_json::json!({ "referee": referee.to_string(), "days": days, "expiry_ms": target });
                audit(tx, None, AuditAction::ReferralReward, Target::User(referrer), None, payload, now)?;
                let change = AccessChange::ReferralReward { days, expiry_at: target };
                let notice = Delivery::AccessChanged { user_id: referrer, admin_id: referee, change, at: now };
                enqueue(tx, &notice, now)?;
                Ok(true)
            })
            .await
    }
}

/// `expiry` (Unix ms; negative = ms from first use; 0 = never) plus `days`.
fn extended(expiry: i64, days: i64, now: i64) -> i64 {
    match expiry {
        0 => 0,
        e if e < 0 => e - days * DAY_MS,
        e => e.max(now) + days * DAY_MS,
    }
}

/// The `referral_rewards` job: [`GrowthService::apply_referral_rewards_once`] every 5 minutes
/// (and once at start).
pub struct ReferralRewardJob(pub Arc<GrowthService>);

#[async_trait]
impl Job for ReferralRewardJob {
    fn name(&self) -> &'static str {
        "referral_rewards"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(300)
    }

    async fn run_once(&self) -> Result<()> {
        let applied = self.0.apply_referral_rewards_once().await?;
        if applied > 0 {
            tracing::info!(applied, "referral rewards applied");
        }
        Ok(())
    }
}

/// 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L), from the OS RNG.
fn new_code() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

fn off() -> UserError {
    invalid(REFERRALS_OFF.into())
}

fn invalid(reason: String) -> UserError {
    UserError::InvalidState { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reward_extends_from_the_later_of_now_and_the_expiry() {
        let now = 1_000 * DAY_MS;
        assert_eq!(extended(now + 5 * DAY_MS, 7, now), now + 12 * DAY_MS);
        assert_eq!(
            extended(now - 5 * DAY_MS, 7, now),
            now + 7 * DAY_MS,
            "expired: from now"
        );
        assert_eq!(
            extended(-30 * DAY_MS, 7, now),
            -37 * DAY_MS,
            "first use: more days"
        );
        assert_eq!(extended(0, 7, now), 0, "never expires");
        let code = new_code().unwrap();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| !b"0O1IL".contains(&b)), "{code}");
    }
}
