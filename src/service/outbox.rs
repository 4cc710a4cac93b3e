//! The outbox worker: delivers queued outbox items (DMs, review-card updates...) at least once.
//!
//! Services write outbox rows (`store::outbox::enqueue`) in the same transaction as the state
//! change that causes them, so a delivery is never lost: its only state is the SQLite row, and a
//! restarted worker picks up whatever is still `pending`. [`OutboxJob::deliver_due`] takes the
//! due items (oldest first, at most [`OutboxJob::batch`]), hands each to the [`Deliverer`] (the
//! Discord layer implements it; up to eight at a time) and then:
//! - success → `mark_delivered` (a guarded update: a delivered item is never due again, so an
//!   idempotency key is delivered at most once after a success; a view re-armed while it was
//!   being delivered stays pending and renders the newer state next);
//! - [`DeliveryError::Retry`] (network, 429, 5xx, or no answer within [`OutboxJob::timeout`]) →
//!   `record_failure` with the next attempt at `now + backoff.delay(attempts)`
//!   ([`DEFAULT_BACKOFF`]: 5 s, 10 s, 20 s... capped at 1 h), or `failed` once `max_attempts`
//!   (10) attempts have failed;
//! - [`DeliveryError::MissingAccess`] (Discord 403: 50001 Missing Access, 50013 Missing
//!   Permissions) → retried for as long as it takes on [`ACCESS_BACKOFF`] (30 min doubling to
//!   6 h), and the owners are told once per channel and permission
//!   ([`OwnerAlert::MissingAccess`]) what to grant where;
//! - [`DeliveryError::Permanent`] → `failed` at once (malformed payload, nowhere left to post...).
//!
//! A delivery the customer paid for (the link, [`Delivery::DeliverLink`]) never ends `failed` silently: the
//! owners get an [`OwnerAlert::DeliveryFailed`] and `/admin health` lists it.
//!
//! At least once, not exactly once: a crash between a successful send and `mark_delivered`
//! delivers that item again after the restart, so deliverers should make repeats harmless where
//! they can (edit rather than post, Discord's message `nonce` with `enforce_nonce`, keyed by
//! [`OutboxItem::idempotency_key`]). One worker per database: the data-directory lock keeps a
//! second bot away. The worker wakes after every committed store transaction that changed the
//! `outbox` table (`Store::committed_to`), so a fresh enqueue is delivered at once without its
//! service doing anything; [`OutboxWaker::wake`] asks for a pass by hand.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt as _;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::ChannelId;
use crate::domain::delivery::{Delivery, OwnerAlert};
use crate::error::Result;
use crate::service::state::enqueue;
use crate::store::Store;
use crate::store::outbox::{self, OutboxItem};
use crate::tasks::{Backoff, Job};

/// Outbox retries: 5 s after the first failure, doubling, capped at 1 h; `failed` after 10
/// attempts (about 2 h 20 min after the first).
pub const DEFAULT_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(5),
    cap: Duration::from_secs(3600),
    max_attempts: 10,
};

/// Retries of a delivery Discord refused for missing access: 30 min, doubling, capped at 6 h,
/// never given up (the owners are told what to fix).
pub const ACCESS_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30 * 60),
    cap: Duration::from_secs(6 * 3600),
    max_attempts: u32::MAX,
};

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later (network error, rate limit, Discord 5xx...).
    #[error("retryable: {0}")]
    Retry(String),
    /// Discord refused the bot in `channel` (403: 50001 Missing Access, 50013 Missing
    /// Permissions): retried on [`ACCESS_BACKOFF`] until an owner grants `permission`.
    #[error("missing access in channel {channel} ({permission}) to {action}: {detail}")]
    MissingAccess {
        /// The channel.
        channel: ChannelId,
        /// The permission needed, in Discord's words (`Manage Roles`, `Send Messages`...).
        permission: String,
        /// What the bot was doing, for the owners (`lock the ticket of order #12`).
        action: String,
        /// Discord's answer.
        detail: String,
    },
    /// Will never succeed (unknown channel, malformed payload...): the item becomes `failed`.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Delivers one outbox item. Implemented by the Discord layer (by [`OutboxItem::kind`]); tests
/// use doubles.
#[async_trait]
pub trait Deliverer: Send + Sync + 'static {
    /// Delivers `item` once.
    ///
    /// # Errors
    /// [`DeliveryError::Retry`] to be called again later, [`DeliveryError::Permanent`] to give up.
    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError>;
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxPass {
    /// Items delivered and marked.
    pub delivered: usize,
    /// Items that failed and will be tried again.
    pub retried: usize,
    /// Items given up (`failed`).
    pub failed: usize,
}

/// Deliveries one pass runs side by side (Discord's per-route
/// limits and the global limit are kept by the HTTP client either way).
const DELIVERIES_AT_ONCE: usize = 8;

/// Wakes the outbox worker so a fresh enqueue is delivered without waiting for the period.
/// Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl From<Arc<Notify>> for OutboxWaker {
    fn from(notify: Arc<Notify>) -> Self {
        Self(notify)
    }
}

impl OutboxWaker {
    /// Asks for a pass now (or right after the current one). Call it after the enqueueing
    /// transaction committed.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// The outbox worker, run as a [`Job`] (`outbox`, every [`OutboxJob::period`]).
pub struct OutboxJob {
    store: Store,
    deliverer: Arc<dyn Deliverer>,
    clock: Clock,
    backoff: Backoff,
    period: Duration,
    timeout: Duration,
    batch: u32,
    waker: OutboxWaker,
}

impl OutboxJob {
    /// A worker with [`DEFAULT_BACKOFF`], a 10 s period, a 30 s delivery timeout and batches
    /// of 50, woken after every transaction `store` commits.
    pub fn new(store: Store, deliverer: Arc<dyn Deliverer>, clock: Clock) -> Self {
        Self {
            waker: OutboxWaker(store.committed_to("outbox")),
            store,
            deliverer,
            clock,
            backoff: DEFAULT_BACKOFF,
            period: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            batch: 50,
        }
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Replaces the polling period (retries become due between wake-ups).
    #[must_use]
    pub fn with_period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// The retry policy.
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// How long one delivery may take before it counts as a retryable failure.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Items taken per pass; a full batch wakes the worker for another pass at once.
    pub fn batch(&self) -> u32 {
        self.batch
    }

    /// The wake-up handle for services that enqueue.
    pub fn waker(&self) -> OutboxWaker {
        self.waker.clone()
    }

    /// One pass: delivers every item due now (up to a batch) and records the outcomes.
    ///
    /// # Errors
    /// Store errors (the pass stops; items not yet marked stay `pending` and are retried).
    pub async fn deliver_due(&self) -> Result<OutboxPass> {
        let now = self.clock.now_ms();
        let batch = self.batch;
        let items = self
            .store
            .call(move |conn| outbox::due(conn, now, batch))
            .await?;
        // Up to DELIVERIES_AT_ONCE side by side, so a review card does not wait behind another
        // ticket's edit. `idempotency_key` is UNIQUE and passes never overlap, so no view or
        // message is ever delivered twice at once.
        let full = items.len() >= usize::try_from(batch).unwrap_or(usize::MAX);
        let passes: Vec<Result<OutboxPass>> = futures_util::stream::iter(items)
            .map(|item| async move {
                let mut pass = OutboxPass::default();
                let outcome = self.deliver_one(&item).await;
                self.record(&item, outcome, &mut pass).await?;
                Ok(pass)
            })
            .buffer_unordered(DELIVERIES_AT_ONCE)
            .collect()
            .await;
        let mut pass = OutboxPass::default();
        for one in passes {
            let one = one?;
            pass.delivered += one.delivered;
            pass.retried += one.retried;
            pass.failed += one.failed;
        }
        if full {
            self.waker.wake();
        }
        Ok(pass)
    }

    /// One delivery, bounded by [`OutboxJob::timeout`].
    async fn deliver_one(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        match tokio::time::timeout(self.timeout, self.deliverer.deliver(item)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(DeliveryError::Retry(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    async fn record(
        &self,
        item: &OutboxItem,
        outcome: Result<(), DeliveryError>,
        pass: &mut OutboxPass,
    ) -> Result<()> {
        let (id, revision) = (item.id, item.revision);
        let now = self.clock.now_ms();
        let e = match outcome {
            Ok(()) => {
                self.store
                    .call(move |conn| outbox::mark_delivered(conn, id, revision, now))
                    .await?;
                pass.delivered += 1;
                return Ok(());
            }
            Err(e) => e,
        };
        let (error, retry_at, alert) = self.after_failure(item, &e, now);
        let alert = alert.or_else(|| {
            retry_at
                .is_none()
                .then(|| paid_delivery_failed(item, &error))
                .flatten()
        });
        if retry_at.is_some() {
            pass.retried += 1;
            tracing::info!(outbox = id, key = %item.idempotency_key, %error, "delivery will be retried");
        } else {
            pass.failed += 1;
            tracing::warn!(outbox = id, key = %item.idempotency_key, %error, "delivery failed; giving up");
        }
        self.store
            .transaction(move |tx| {
                outbox::record_failure(tx, id, revision, &error, retry_at)?;
                if let Some(alert) = alert {
                    enqueue(tx, &Delivery::OwnerAlert { alert }, now)?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }
}

impl OutboxJob {
    /// What a failed attempt of `item` leads to: the error to record, when to try again (`None`:
    /// give up) and the owners' alert to queue, if any.
    fn after_failure(
        &self,
        item: &OutboxItem,
        e: &DeliveryError,
        now: i64,
    ) -> (String, Option<i64>, Option<OwnerAlert>) {
        let failures = u32::try_from(item.attempts + 1).unwrap_or(u32::MAX);
        match e {
            DeliveryError::Permanent(m) => (m.clone(), None, None),
            DeliveryError::Retry(m) => {
                let retry_at = (failures < self.backoff.max_attempts)
                    .then(|| now.saturating_add(self.backoff.delay_ms(failures)));
                (m.clone(), retry_at, None)
            }
            DeliveryError::MissingAccess {
                channel,
                permission,
                action,
                ..
            } => {
                let alert = OwnerAlert::MissingAccess {
                    channel_id: *channel,
                    permission: permission.clone(),
                    action: action.clone(),
                };
                let retry_at = now.saturating_add(ACCESS_BACKOFF.delay_ms(failures));
                (e.to_string(), Some(retry_at), Some(alert))
            }
        }
    }
}

/// The owners' alert for `item` given up with `error`, when the customer paid for it.
fn paid_delivery_failed(item: &OutboxItem, error: &str) -> Option<OwnerAlert> {
    match Delivery::from_payload(&item.payload).ok()? {
        Delivery::DeliverLink {
            user_id,
            payment_id,
            ..
        } => Some(OwnerAlert::DeliveryFailed {
            outbox_id: item.id,
            user_id,
            what: format!("the link of payment #{payment_id}"),
            error: error.to_owned(),
        }),
        _ => None,
    }
}

#[async_trait]
impl Job for OutboxJob {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn period(&self) -> Duration {
        self.period
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(Arc::clone(&self.waker.0))
    }

    async fn run_once(&self) -> Result<()> {
        let pass = self.deliver_due().await?;
        if pass != OutboxPass::default() {
            tracing::debug!(?pass, "outbox pass");
        }
        Ok(())
    }
}
