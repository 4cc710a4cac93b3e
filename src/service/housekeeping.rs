//! Housekeeping jobs: expired admin sessions, TTL'd bot messages and scheduled backups.
//!
//! Each is a [`Job`] with a fixed period; each pass works on what SQLite (or the backups
//! folder) says is due, so nothing is lost across a restart:
//! - [`SessionPurgeJob`] (`session_purge`, every 10 min) deletes admin sessions whose
//!   `expires_at` has passed (the audit log keeps their ids);
//! - [`MessageTtlJob`] (`message_ttl`, every 60 s) deletes bot messages whose `delete_after` has
//!   passed through a [`MessageDeleter`] (the Discord layer) and then forgets them; a message
//!   already gone counts as deleted; a failure moves the deadline [`MessageTtlJob::RETRY`] later.
//!   The Discord layer registers its transient messages through [`TransientMessages`];
//! - [`BackupJob`] (`backup`, checks hourly or every `backup.every_hours` if shorter) runs
//!   `ops::backup` (online, verified, with retention) on the blocking pool when the newest
//!   `backups/bot-<UTC>.db` is `every_hours` old or more (or there is none), so restarts neither
//!   skip nor double backups. Only built when `backup.every_hours > 0`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::config::{BackupConfig, StorageConfig};
use crate::domain::{ChannelId, MessageId};
use crate::error::Result;
use crate::ops;
use crate::store::Store;
use crate::store::{admin_sessions, bot_messages};
use crate::tasks::Job;

/// Purges expired admin sessions every 10 minutes.
#[derive(Debug, Clone)]
pub struct SessionPurgeJob {
    store: Store,
    clock: Clock,
}

impl SessionPurgeJob {
    /// A purge job on `store`.
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock }
    }

    /// Deletes sessions that expired before now; returns how many.
    ///
    /// # Errors
    /// Store errors.
    pub async fn purge(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        self.store
            .call(move |conn| admin_sessions::purge_expired(conn, now))
            .await
    }
}

#[async_trait]
impl Job for SessionPurgeJob {
    fn name(&self) -> &'static str {
        "session_purge"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(600)
    }

    async fn run_once(&self) -> Result<()> {
        let n = self.purge().await?;
        if n > 0 {
            tracing::debug!(purged = n, "expired admin sessions purged");
        }
        Ok(())
    }
}

/// How a deletion went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The message was deleted now.
    Now,
    /// It was already gone (deleted by hand, channel deleted...): counts as success.
    AlreadyGone,
}

/// Deletes a Discord message. Implemented by the Discord layer; tests use doubles.
#[async_trait]
pub trait MessageDeleter: Send + Sync + 'static {
    /// Deletes `message` in `channel`. Report "unknown message/channel" as
    /// `Ok(Deleted::AlreadyGone)`.
    ///
    /// # Errors
    /// A short reason for the log; the deletion is tried again later.
    async fn delete(&self, channel: ChannelId, message: MessageId) -> Result<Deleted, String>;
}

/// Registers transient bot messages (refusal notices and the like) for deletion after a TTL;
/// [`MessageTtlJob`] deletes them when it is due. Registered in SQLite, so a restart keeps the
/// deadline. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TransientMessages {
    store: Store,
    clock: Clock,
    registered: Arc<tokio::sync::watch::Sender<u64>>,
}

impl TransientMessages {
    /// Registrations on `store`, deadlines from `clock`.
    pub fn new(store: Store, clock: Clock) -> Self {
        Self {
            store,
            clock,
            registered: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// The number of registrations stored since start, as a watch: lets an observer (a test)
    /// await a registration instead of polling the table.
    pub fn registrations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.registered.subscribe()
    }

    /// `message` in `channel` is to be deleted `ttl` from now; `purpose` is a short label for
    /// the logs (`receipt refusal`). Registering a message again replaces its deadline.
    ///
    /// # Errors
    /// Store errors.
    pub async fn expire_after(
        &self,
        channel: ChannelId,
        message: MessageId,
        purpose: &str,
        ttl: Duration,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let at = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let purpose = purpose.to_owned();
        self.store
            .call(move |conn| bot_messages::track(conn, channel, message, &purpose, Some(at), now))
            .await?;
        self.registered.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }
}

/// Deletes bot messages whose TTL passed, every 60 s.
pub struct MessageTtlJob {
    store: Store,
    clock: Clock,
    deleter: Arc<dyn MessageDeleter>,
}

impl MessageTtlJob {
    /// How much later a failed deletion is tried again.
    pub const RETRY: Duration = Duration::from_secs(600);

    /// A TTL job deleting through `deleter`.
    pub fn new(store: Store, clock: Clock, deleter: Arc<dyn MessageDeleter>) -> Self {
        Self {
            store,
            clock,
            deleter,
        }
    }

    /// Deletes the messages due now (up to 100); returns (deleted or gone, failed).
    ///
    /// # Errors
    /// Store errors.
    pub async fn delete_due(&self) -> Result<(usize, usize)> {
        let now = self.clock.now_ms();
        let due = self
            .store
            .call(move |conn| bot_messages::due(conn, now, 100))
            .await?;
        let (mut deleted, mut failed) = (0, 0);
        for msg in due {
            match self.deleter.delete(msg.channel_id, msg.message_id).await {
                Ok(_) => {
                    deleted += 1;
                    self.store
                        .call(move |conn| bot_messages::forget(conn, msg.id))
                        .await?;
                }
                Err(error) => {
                    failed += 1;
                    tracing::warn!(channel = %msg.channel_id, message = %msg.message_id, %error, "bot message deletion failed; will retry");
                    let retry_at = now
                        .saturating_add(i64::try_from(Self::RETRY.as_millis()).unwrap_or(i64::MAX));
                    self.store
                        .call(move |conn| {
                            bot_messages::track(
                                conn,
                                msg.channel_id,
                                msg.message_id,
                                &msg.purpose,
                                Some(retry_at),
                                msg.created_at,
                            )
                        })
                        .await?;
                }
            }
        }
        Ok((deleted, failed))
    }
}

#[async_trait]
impl Job for MessageTtlJob {
    fn name(&self) -> &'static str {
        "message_ttl"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn run_once(&self) -> Result<()> {
        self.delete_due().await.map(drop)
    }
}

/// Takes a backup when the newest one is `every_hours` old.
#[derive(Debug, Clone)]
pub struct BackupJob {
    storage: StorageConfig,
    keep_days: u32,
    every: Duration,
    clock: Clock,
}

impl BackupJob {
    /// The job for `backup`, or `None` when `backup.every_hours` is 0 (backups by the systemd
    /// timer or the CLI only).
    pub fn from_config(
        backup: &BackupConfig,
        storage: StorageConfig,
        clock: Clock,
    ) -> Option<Self> {
        (backup.every_hours > 0).then(|| Self {
            storage,
            keep_days: backup.keep_days,
            every: Duration::from_secs(3600 * u64::from(backup.every_hours)),
            clock,
        })
    }

    /// Backs up now if the newest backup is `every_hours` old or more (or there is none).
    /// Returns the report of the backup taken, `None` when it was not due.
    ///
    /// # Errors
    /// `ops::backup`'s errors ([`crate::Error::BadBackup`], [`crate::Error::Io`]...).
    pub async fn backup_if_due(&self) -> Result<Option<ops::BackupReport>> {
        let (storage, keep_days, every, now) = (
            self.storage.clone(),
            self.keep_days,
            self.every,
            self.clock.now(),
        );
        tokio::task::spawn_blocking(move || {
            let newest = ops::backup::newest_backup(&storage.backups_dir());
            let every = jiff::SignedDuration::try_from(every).unwrap_or(jiff::SignedDuration::MAX);
            // A backup stamped in the future (the clock was wrong) does not block new ones.
            let age = |t: jiff::Timestamp| now.duration_since(t);
            if newest.is_some_and(|t| !age(t).is_negative() && age(t) < every) {
                return Ok(None);
            }
            ops::backup(&storage, None, keep_days, now).map(Some)
        })
        .await?
    }
}

#[async_trait]
impl Job for BackupJob {
    fn name(&self) -> &'static str {
        "backup"
    }

    fn period(&self) -> Duration {
        self.every.min(Duration::from_secs(3600))
    }

    async fn run_once(&self) -> Result<()> {
        if let Some(report) = self.backup_if_due().await? {
            tracing::info!(path = %report.path.display(), bytes = report.bytes, removed = report.removed.len(), "scheduled backup written");
        }
        Ok(())
    }
}
