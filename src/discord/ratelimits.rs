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

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use poise::serenity_prelude as serenity;
use serenity::Ratelimit;
use tokio::sync::Mutex;

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
