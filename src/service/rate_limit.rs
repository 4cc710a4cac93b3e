//! Per-user, per-command rate limits: a `governor` keyed limiter (GCRA) per command, keyed by
//! `(user, command)`, with quotas from the config (`orders.orders_per_hour` for `/order`).
//!
//! Time: the limiters read [`TokioClock`], a governor clock over `tokio::time::Instant`, so the
//! limits follow tokio's clock like every other "now" of the services: a test that pauses tokio
//! and `advance`s it moves the limiter too (no `FakeRelativeClock` bookkeeping needed). In
//! production tokio's clock is the monotonic clock. Counters live in memory: a restart forgets
//! them, which only ever lets a user through early.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::OrdersConfig;
use crate::domain::UserId;
use crate::error::UserError;

/// A governor clock that reads tokio's clock: time since the clock was made, as a `Duration`.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        Self {
            start: tokio::time::Instant::now(),
        }
    }
}

impl governor::clock::Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A rate-limited command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `/order`.
    Order,
    /// A promo code applied at `/order` or `/renew` (right or wrong: brute force).
    PromoAttempt,
}

type Limiter = RateLimiter<
    (UserId, Command),
    DefaultKeyedStateStore<(UserId, Command)>,
    TokioClock,
    NoOpMiddleware<Duration>,
>;

/// The limiters of every command.
pub struct RateLimits {
    clock: TokioClock,
    limiters: HashMap<Command, Limiter>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

impl RateLimits {
    /// Limits from the config: `/order` `orders_per_hour` per hour with that burst (0 = no
    /// limit).
    #[must_use]
    pub fn new(orders: &OrdersConfig) -> Self {
        Self::with_promo(orders, 5)
    }

    /// [`RateLimits::new`] plus `promo_per_10_min` promo code attempts per 10 minutes (with that
    /// burst; 0 = no limit).
    #[must_use]
    pub fn with_promo(orders: &OrdersConfig, promo_per_10_min: u32) -> Self {
        let order = NonZeroU32::new(orders.orders_per_hour).map(Quota::per_hour);
        let promo = NonZeroU32::new(promo_per_10_min).and_then(|n| {
            Quota::with_period(Duration::from_secs(600) / n.get()).map(|q| q.allow_burst(n))
        });
        let quotas = order
            .map(|q| (Command::Order, q))
            .into_iter()
            .chain(promo.map(|q| (Command::PromoAttempt, q)));
        Self::with_quotas(quotas)
    }

    /// Limits with explicit quotas; commands without a quota are not limited.
    pub fn with_quotas(quotas: impl IntoIterator<Item = (Command, Quota)>) -> Self {
        let clock = TokioClock::default();
        let limiters = quotas
            .into_iter()
            .map(|(command, quota)| {
                (
                    command,
                    RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock),
                )
            })
            .collect();
        Self { clock, limiters }
    }

    /// Counts one attempt of `command` by `user`.
    ///
    /// # Errors
    /// [`UserError::RateLimited`] with the whole seconds (rounded up) until the next attempt is
    /// allowed.
    pub fn check(&self, user: UserId, command: Command) -> Result<(), UserError> {
        let Some(limiter) = self.limiters.get(&command) else {
            return Ok(());
        };
        limiter.check_key(&(user, command)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            UserError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets keys whose limits have fully replenished (housekeeping).
    pub fn purge(&self) {
        for limiter in self.limiters.values() {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn per_hour_quota_follows_tokios_clock() {
        let limits = RateLimits::new(&OrdersConfig {
            orders_per_hour: 2,
            ..OrdersConfig::default()
        });
        let (a, b) = (UserId(1), UserId(2));
        limits.check(a, Command::Order).unwrap();
        limits.check(a, Command::Order).unwrap();
        let err = limits.check(a, Command::Order).unwrap_err();
        // 2 per hour: one cell every 30 minutes.
        assert_eq!(
            err,
            UserError::RateLimited {
                retry_after_secs: 1800
            }
        );
        limits.check(b, Command::Order).unwrap();
        tokio::time::advance(Duration::from_secs(1799)).await;
        assert!(limits.check(a, Command::Order).is_err());
        tokio::time::advance(Duration::from_secs(1)).await;
        limits.check(a, Command::Order).unwrap();
    }
}
