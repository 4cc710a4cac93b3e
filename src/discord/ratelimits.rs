//! Keeps serenity's rate limiter from growing with the shop.
//!
//! serenity's limiter (on unless `discord.rest_proxy_url` is set) keeps one bucket per route and
//! major parameter for the life of the process, and never drops one: every ticket channel, DM
//! channel and interaction adds its own (about nine per order, some 200 bytes each with the
//! map's entry), so a bot that had sold 100,000 orders held some 180 MB of buckets for channels
//! and interactions long gone. [`PruneBuckets`] drops, every [`PruneBuckets::PERIOD`], the
//! buckets that no request is using and whose rate-limit window has passed: the next request on
//! such a route starts a fresh bucket and learns the limit again from Discord's headers, which is
//! what serenity does for a route it has not seen.
//!
//! [`GlobalBudget`] keeps Discord's bot-wide limit before a request goes out, which serenity does
//! not do.

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use poise::serenity_prelude as serenity;
use serenity::Ratelimit;
use tokio::sync::Mutex;

use crate::service::rate_limit::TokioClock;

use crate::error::Result;
use crate::tasks::Job;

/// The `rate_limit_buckets` job: prunes serenity's rate-limit buckets (see the module).
pub(super) struct PruneBuckets {
    http: Arc<serenity::Http>,
}

impl PruneBuckets {
    /// How often the buckets are pruned.
    pub(super) const PERIOD: Duration = Duration::from_secs(60);

    /// The job for `http`'s limiter; `None` when it has none (behind a rate-limiting proxy).
    pub(super) fn for_http(http: &Arc<serenity::Http>) -> Option<Self> {
        http.ratelimiter
            .as_ref()
            .map(|_| Self { http: http.clone() })
    }
}

#[async_trait::async_trait]
impl Job for PruneBuckets {
    fn name(&self) -> &'static str {
        "rate_limit_buckets"
    }

    fn period(&self) -> Duration {
        Self::PERIOD
    }

    async fn run_once(&self) -> Result<()> {
        let Some(limiter) = &self.http.ratelimiter else {
            return Ok(());
        };
        let routes = limiter.routes();
        let mut routes = routes.write().await;
        let (dropped, kept) = (prune(&mut routes, SystemTime::now()), routes.len());
        drop(routes);
        tracing::debug!(dropped, kept, "rate-limit buckets pruned");
        Ok(())
    }
}

/// Discord's bot-wide limit of 50 requests per second (interaction callbacks and webhook calls
/// are exempt), kept before a request goes out: [`GlobalBudget::ready`] waits until one more
/// request fits.
///
/// serenity only learns of that limit from a 429, and then takes and at once lets go its global
/// lock (`http/ratelimiting.rs:218`, serenity 0.12.5), so every request in flight during the wait
/// meets its own 429. Discord counts those toward its invalid-request limit (10,000 per 10 minutes
/// per IP, then a temporary Cloudflare ban); at 7 orders/s the process benchmark met about 2,100
/// per 3,000 orders. [`Self::PER_SECOND`] with a burst of [`Self::BURST`]: any window of one
/// second holds at most 50 requests.
///
/// Time is tokio's ([`TokioClock`]). On only with serenity's own limiter: behind a rate-limiting
/// proxy (`discord.rest_proxy_url`) the proxy keeps the global limit.
pub(crate) struct GlobalBudget {
    limiter: Option<(DirectLimiter, TokioClock)>,
}

type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

impl GlobalBudget {
    /// Requests per second let through.
    pub(crate) const PER_SECOND: u32 = 48;
    /// Requests that may go at once after a quiet moment.
    pub(crate) const BURST: u32 = 2;

    /// The budget of `http`'s requests: on when serenity's limiter is.
    pub(super) fn for_http(http: &serenity::Http) -> Self {
        if http.ratelimiter.is_some() {
            Self::on()
        } else {
            Self { limiter: None }
        }
    }

    fn on() -> Self {
        let quota = Quota::per_second(NonZeroU32::new(Self::PER_SECOND).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(Self::BURST).unwrap_or(NonZeroU32::MIN));
        let clock = TokioClock::default();
        Self {
            limiter: Some((RateLimiter::direct_with_clock(quota, clock), clock)),
        }
    }

    /// Waits until one more request fits in the budget, and counts it. Call it right before a
    /// request that counts against the global limit.
    pub(super) async fn ready(&self) {
        let Some((limiter, clock)) = &self.limiter else {
            return;
        };
        while let Err(not_until) = limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(clock.now())).await;
        }
    }
}

impl std::fmt::Debug for GlobalBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalBudget")
            .field("on", &self.limiter.is_some())
            .finish()
    }
}

/// Removes from `routes` every bucket that no request holds (serenity clones a bucket's `Arc`
/// under the map's write lock, which the caller holds, for as long as a request uses it) and
/// whose window has ended by `now` (or never started: no rate-limit headers seen yet). Returns
/// how many were removed.
fn prune<K: Eq + Hash>(routes: &mut HashMap<K, Arc<Mutex<Ratelimit>>>, now: SystemTime) -> usize {
    let before = routes.len();
    routes.retain(|_, bucket| {
        if Arc::strong_count(bucket) > 1 {
            return true;
        }
        // Nobody else holds the `Arc`, so nobody holds the lock either.
        bucket
            .try_lock()
            .map_or(true, |b| b.reset().is_some_and(|reset| reset > now))
    });
    routes.shrink_to_fit();
    before - routes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise::serenity_prelude::{LightMethod, Request, Route};

    /// 200 requests through the budget, on tokio's paused clock: they go out at 48 per second
    /// after a burst of 2, and no window of one second holds more than 50 (Discord's limit).
    #[tokio::test(start_paused = true)]
    async fn the_global_budget_never_lets_more_than_50_requests_into_a_second() {
        let budget = Arc::new(GlobalBudget::on());
        let start = tokio::time::Instant::now();
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (budget, sent) = (budget.clone(), sent.clone());
                tokio::spawn(async move {
                    budget.ready().await;
                    sent.lock().unwrap().push(start.elapsed());
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut sent = sent.lock().unwrap().clone();
        sent.sort();
        let busiest = (0..sent.len())
            .map(|i| sent[i..].partition_point(|&t| t < sent[i] + Duration::from_secs(1)))
            .max()
            .unwrap();
        assert!(busiest <= 50, "{busiest} requests in one second");
        assert!(
            busiest >= 48,
            "the budget lets {busiest} through in a second"
        );
        let last = *sent.last().unwrap();
        let expected = Duration::from_secs_f64(198.0 / 48.0);
        assert!(
            last >= expected && last < expected + Duration::from_millis(50),
            "200 requests took {last:?}"
        );
    }

    #[test]
    fn the_global_budget_is_off_behind_a_rate_limiting_proxy() {
        let http = serenity::HttpBuilder::new("token")
            .ratelimiter_disabled(true)
            .build();
        assert!(GlobalBudget::for_http(&http).limiter.is_none());
        let http = serenity::HttpBuilder::new("token").build();
        assert!(GlobalBudget::for_http(&http).limiter.is_some());
    }

    /// A bucket after a response with these rate-limit headers (`reset_after` in seconds).
    async fn bucket(remaining: i64, reset_after: f64) -> Arc<Mutex<Ratelimit>> {
        let response = reqwest::Response::from(
            axum::http::Response::builder()
                .header("x-ratelimit-limit", "5")
                .header("x-ratelimit-remaining", remaining.to_string())
                .header("x-ratelimit-reset-after", reset_after.to_string())
                .body("")
                .unwrap(),
        );
        let route = Route::ChannelMessages {
            channel_id: serenity::ChannelId::new(1),
        };
        let request = Request::new(route, LightMethod::Post);
        let mut limit = Ratelimit::default();
        let retry = limit
            .post_hook(&response, &request, &|_| {}, false)
            .await
            .unwrap();
        assert!(!retry);
        Arc::new(Mutex::new(limit))
    }

    #[tokio::test]
    async fn only_idle_buckets_whose_window_ended_are_dropped() {
        let mut routes = HashMap::new();
        routes.insert("never answered", Arc::new(Mutex::new(Ratelimit::default())));
        routes.insert("window running", bucket(0, 30.0).await);
        routes.insert("window ended", bucket(4, 0.0).await);
        let in_use = bucket(4, 0.0).await;
        routes.insert("in use", in_use.clone());
        let now = SystemTime::now() + Duration::from_secs(1);
        assert_eq!(prune(&mut routes, now), 2);
        let mut left: Vec<_> = routes.keys().copied().collect();
        left.sort_unstable();
        assert_eq!(left, ["in use", "window running"]);
        // Once its request is done and its window over, every bucket goes.
        drop(in_use);
        assert_eq!(prune(&mut routes, now + Duration::from_secs(60)), 2);
        assert!(routes.is_empty());
    }
}
