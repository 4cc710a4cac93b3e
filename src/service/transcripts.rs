//! Ticket transcripts: every message the bot sees in a ticket channel is recorded (live, by
//! catch-up, and read back in full just before the bot deletes the channel, unless the bot saw
//! the whole ticket live: see [`Transcripts::archive_if_seen_whole`]); when the channel goes the
//! transcript is marked archived. A channel deleted by hand is archived from what the
//! bot had seen. Admins read a transcript with `/admin transcript`; the `transcript_retention`
//! job deletes archived ones after `orders.transcript_keep_days` (0 = never). Receipt images
//! are kept by the receipt pipeline, not here.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::domain::role::Permission;
use crate::domain::{ChannelId, MessageId, OrderId};
use crate::error::{Result, UserError};
use crate::service::Deps;
use crate::service::roles::{Actor, Roles};
use crate::store::transcripts::{self, Source, TicketLine};
use crate::store::{self, Store};
use crate::tasks::Job;

/// One ticket's transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// The order.
    pub order: OrderId,
    /// When the channel went (Unix ms); `None` while it still exists.
    pub archived_at: Option<i64>,
    /// The messages, oldest first.
    pub lines: Vec<TicketLine>,
}

/// Records and serves transcripts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Transcripts {
    store: Store,
    roles: Roles,
    clock: Clock,
    keep_days: u32,
    live: Arc<LiveWatch>,
}

/// What this process saw live: since when its gateway session has run unbroken, and the
/// ticket channels whose messages could not all be recorded.
#[derive(Debug, Default)]
struct LiveWatch {
    /// Unix ms when the current session began (`Ready`); 0 before the first.
    session_since: AtomicI64,
    /// Channels where recording a message failed.
    gaps: Mutex<HashSet<ChannelId>>,
}

impl Transcripts {
    /// Transcripts on `deps`' store, kept `orders.transcript_keep_days`.
    #[must_use]
    pub fn new(deps: &Deps) -> Self {
        Self {
            store: deps.store.clone(),
            roles: deps.roles.clone(),
            clock: deps.clock,
            keep_days: deps.config.orders.transcript_keep_days,
            live: Arc::default(),
        }
    }

    /// A new gateway session began (Discord's `Ready`: a start, or a resume that failed):
    /// events before it may have been missed, so only tickets opened from now on count as seen
    /// whole. Resumed sessions replay what they missed and do not call this.
    pub fn session_started(&self) {
        self.live
            .session_since
            .store(self.clock.now_ms(), Ordering::SeqCst);
    }

    /// Archives the transcript of ticket `channel` from what was recorded (`Source::Seen`) when
    /// the bot saw the whole ticket live: its order was opened during the current gateway session
    /// and no message of it failed to record. Returns `false` (nothing archived) otherwise, or
    /// for a channel that is no ticket: the caller reads the history back first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn archive_if_seen_whole(&self, channel: ChannelId) -> Result<bool> {
        let since = self.live.session_since.load(Ordering::SeqCst);
        let gap = self
            .live
            .gaps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&channel);
        if since == 0 || gap {
            return Ok(false);
        }
        let now = self.clock.now_ms();
        self.store
            .call(move |c| {
                let Some(order) = store::orders::find_by_ticket_channel(c, channel)? else {
                    return Ok(false);
                };
                if order.created_at < since {
                    return Ok(false);
                }
                transcripts::archive(c, order.id, Source::Seen, now)?;
                Ok(true)
            })
            .await
    }

    /// Records `lines` seen in `channel` when it is (or was) a ticket; returns its order, or
    /// `None` for any other channel. A ticket whose deletion was handled first (Discord's events
    /// are handled concurrently: a message posted just before someone deleted the channel may
    /// come second) still gets its lines.
    ///
    /// # Errors
    /// Database errors.
    pub async fn seen(
        &self,
        channel: ChannelId,
        lines: Vec<TicketLine>,
    ) -> Result<Option<OrderId>> {
        let recorded = self
            .store
            .call(move |c| {
                let order = match store::orders::find_by_ticket_channel(c, channel)? {
                    Some(order) => Some(order.id),
                    None => store::orders::find_by_deleted_ticket_channel(c, channel)?,
                };
                let Some(order) = order else {
                    return Ok(None);
                };
                transcripts::record(c, order, &lines)?;
                Ok(Some(order))
            })
            .await;
        if recorded.is_err() {
            self.live
                .gaps
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(channel);
        }
        recorded
    }

    /// Message `message_id` of ticket `channel` was edited (Discord's `MESSAGE_UPDATE`:
    /// `content` and `attachments` are `None` when unchanged). An edit of a ticket message not
    /// recorded (yet), or a failure, leaves a gap: the history is read back before the channel
    /// goes, so the transcript ends with Discord's text. Returns whether a recorded line changed.
    ///
    /// # Errors
    /// Database errors.
    pub async fn edited(
        &self,
        channel: ChannelId,
        message_id: MessageId,
        content: Option<String>,
        attachments: Option<Vec<String>>,
    ) -> Result<bool> {
        let outcome = self
            .store
            .call(move |c| {
                // Most edits are elsewhere (review cards): no write, so no wait for the lock.
                let ticket = store::orders::find_by_ticket_channel(c, channel)?.is_some();
                if !ticket && store::orders::find_by_deleted_ticket_channel(c, channel)?.is_none() {
                    return Ok((false, false));
                }
                let changed = transcripts::record_edit(
                    c,
                    message_id,
                    content.as_deref(),
                    attachments.as_deref(),
                )?;
                // Events are handled side by side: an edit can overtake the record of its
                // message, which would then keep the old text.
                Ok((changed, !changed && ticket))
            })
            .await;
        if outcome.as_ref().map_or(true, |&(_, overtook)| overtook) {
            self.live
                .gaps
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(channel);
        }
        outcome.map(|(changed, _)| changed)
    }

    /// The ticket `channel` is gone (deleted by the bot after reading it back: `History`; by
    /// hand: `Seen`): its transcript is archived. Returns its order, `None` for another channel.
    ///
    /// # Errors
    /// Database errors.
    pub async fn archive(&self, channel: ChannelId, source: Source) -> Result<Option<OrderId>> {
        let now = self.clock.now_ms();
        self.store
            .call(move |c| {
                let Some(order) = store::orders::find_by_ticket_channel(c, channel)? else {
                    return Ok(None);
                };
                transcripts::archive(c, order.id, source, now)?;
                Ok(Some(order.id))
            })
            .await
    }

    /// The transcript of `order`, for an admin.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ViewShop`; [`UserError::NotFound`] when nothing of that
    /// order's ticket was recorded (or it was purged); database errors.
    pub async fn get(&self, actor: &Actor, order: OrderId) -> Result<Transcript> {
        self.roles.require(actor, Permission::ViewShop)?;
        let (archived_at, lines) = self
            .store
            .call(move |c| {
                Ok((
                    transcripts::archived_at(c, order)?,
                    transcripts::lines(c, order)?,
                ))
            })
            .await?;
        if lines.is_empty() && archived_at.is_none() {
            return Err(UserError::NotFound {
                what: format!("a transcript of order #{order}"),
            }
            .into());
        }
        Ok(Transcript {
            order,
            archived_at,
            lines,
        })
    }

    /// Deletes transcripts archived more than `keep_days` ago; returns how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn apply_retention(&self) -> Result<usize> {
        if self.keep_days == 0 {
            return Ok(0);
        }
        let cutoff = self.clock.now_ms() - i64::from(self.keep_days) * 86_400_000;
        self.store
            .call_blocking(move |c| transcripts::purge_archived_before(c, cutoff))
            .await
    }
}

/// `transcript_retention` (every 6 h): [`Transcripts::apply_retention`].
pub struct TranscriptRetentionJob(pub Transcripts);

#[async_trait]
impl Job for TranscriptRetentionJob {
    fn name(&self) -> &'static str {
        "transcript_retention"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(6 * 3600)
    }

    async fn run_once(&self) -> Result<()> {
        let purged = self.0.apply_retention().await?;
        if purged > 0 {
            tracing::info!(purged, "old ticket transcripts deleted");
        }
        Ok(())
    }
}
