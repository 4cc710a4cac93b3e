//! The scheduled-jobs runner: runs `scheduled_jobs` rows when their time comes.
//!
//! Delays that must survive a restart (delete a ticket channel 24 h after completion, close an
//! abandoned ticket...) are rows with a `run_at`, never sleeping tasks. [`ScheduledJobsRunner`]
//! polls the due rows every [`ScheduledJobsRunner::period`] (5 s by default; a job therefore
//! runs between `run_at` and `run_at` + period, never before), and also after commits that
//! changed `scheduled_jobs`, at most once per [`WAKE_GAP`] (a job scheduled to run at once, such
//! as the deletion of a ticket with `delete_ticket_after_hours = 0`, runs within about a
//! second). It hands each due job to the
//! [`ScheduledHandler`] registered for its `kind` (the Discord layer registers `delete_channel`;
//! every kind and payload is a [`ScheduledTask`](crate::domain::scheduled::ScheduledTask)),
//! up to [`CONCURRENT_JOBS`] at a time: a busy shop closes tickets faster than one deletion
//! round trip after another, and Discord refuses new channels at 500 per guild.
//! - success → `finish(done)`;
//! - [`HandlerError::Retry`] (or no answer within 60 s, or no handler for the kind) →
//!   `record_failure` and `run_at = now + backoff.delay(attempts)` ([`SCHEDULED_BACKOFF`]:
//!   30 s doubling up to 1 h). The table has no `failed` state, so a retryable job is retried
//!   forever at the capped rate and each failure is logged;
//! - [`HandlerError::GiveUp`] → the error is recorded and the job `cancelled`.
//!
//! At least once: a crash after the handler succeeded and before `finish` runs it again, so
//! handlers treat "already done" (channel already deleted) as success.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::status::JobStatus;
use crate::error::Result;
use crate::store::Store;
use crate::store::scheduled_jobs::{self, ScheduledJob};
use crate::tasks::{Backoff, Job};

/// Retry delays of failed scheduled jobs: 30 s, doubling, capped at 1 h (`max_attempts` unused:
/// scheduled jobs are retried until they succeed or give up).
pub const SCHEDULED_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(3600),
    max_attempts: u32::MAX,
};

/// Due jobs run at the same time by one pass.
pub const CONCURRENT_JOBS: usize = 8;

/// The least time between two passes started by commits (the period's passes aside): one
/// indexed query per second at most while the shop is busy.
pub const WAKE_GAP: Duration = Duration::from_secs(1);

/// Why a scheduled job did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Try again later (network error, Discord 5xx...).
    #[error("retryable: {0}")]
    Retry(String),
    /// Never going to work: the job is cancelled with this error recorded.
    #[error("giving up: {0}")]
    GiveUp(String),
}

/// Runs the scheduled jobs of one kind. Implemented by the Discord layer (`delete_channel`...).
#[async_trait]
pub trait ScheduledHandler: Send + Sync + 'static {
    /// Does `job` (its `kind` and `payload` say what: [`from_row`]). Must be
    /// idempotent: it may run again after a crash.
    ///
    /// # Errors
    /// [`HandlerError::Retry`] to run it again after a backoff, [`HandlerError::GiveUp`] to
    /// cancel it.
    ///
    /// [`from_row`]: crate::domain::scheduled::ScheduledTask::from_row
    async fn run(&self, job: &ScheduledJob) -> Result<(), HandlerError>;
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScheduledPass {
    /// Jobs finished (`done`).
    pub done: usize,
    /// Jobs that failed and were moved later.
    pub retried: usize,
    /// Jobs given up (`cancelled`).
    pub given_up: usize,
}

/// The runner, as a [`Job`] named `scheduled_jobs`.
pub struct ScheduledJobsRunner {
    store: Store,
    clock: Clock,
    handlers: HashMap<String, Arc<dyn ScheduledHandler>>,
    backoff: Backoff,
    period: Duration,
    timeout: Duration,
    wake: Arc<Notify>,
}

impl ScheduledJobsRunner {
    /// A runner with no handlers, [`SCHEDULED_BACKOFF`], a 5 s period (a due job waits at most
    /// that long; a pass is one indexed query), woken by commits that changed `scheduled_jobs`
    /// (at most once per [`WAKE_GAP`]) and a 60 s timeout.
    pub fn new(store: Store, clock: Clock) -> Self {
        let wake = store.committed_to("scheduled_jobs");
        Self {
            store,
            clock,
            handlers: HashMap::new(),
            backoff: SCHEDULED_BACKOFF,
            period: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
            wake,
        }
    }

    /// Registers `handler` for jobs of `kind` (replacing an earlier one).
    #[must_use]
    pub fn handle(mut self, kind: &str, handler: Arc<dyn ScheduledHandler>) -> Self {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    /// Replaces the retry delays.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Replaces the polling period.
    #[must_use]
    pub fn with_period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// Runs every job due now once, 100 at a time until none is left (a job that fails is
    /// rescheduled later, so a pass always ends), [`CONCURRENT_JOBS`] of a batch at a time.
    ///
    /// # Errors
    /// Store errors (jobs not yet recorded stay pending and run again). The other jobs of the
    /// batch still finish and are recorded first.
    pub async fn run_due(&self) -> Result<ScheduledPass> {
        const BATCH: u32 = 100;
        let now = self.clock.now_ms();
        let mut pass = ScheduledPass::default();
        loop {
            let jobs = self
                .store
                .call(move |conn| scheduled_jobs::due(conn, now, BATCH))
                .await?;
            let taken = jobs.len();
            let outcomes: Vec<Result<Outcome>> = futures_util::stream::iter(jobs)
                .map(|job| async move {
                    let outcome = self.run_job(&job).await;
                    self.record(&job, outcome).await
                })
                .buffer_unordered(CONCURRENT_JOBS)
                .collect()
                .await;
            for outcome in outcomes {
                match outcome? {
                    Outcome::Done => pass.done += 1,
                    Outcome::Retried => pass.retried += 1,
                    Outcome::GivenUp => pass.given_up += 1,
                }
            }
            if u32::try_from(taken).unwrap_or(u32::MAX) < BATCH {
                return Ok(pass);
            }
        }
    }

    async fn run_job(&self, job: &ScheduledJob) -> Result<(), HandlerError> {
        let Some(handler) = self.handlers.get(&job.kind) else {
            return Err(HandlerError::Retry(format!(
                "no handler for kind {:?}",
                job.kind
            )));
        };
        match tokio::time::timeout(self.timeout, handler.run(job)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(HandlerError::Retry(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }

    async fn record(
        &self,
        job: &ScheduledJob,
        outcome: Result<(), HandlerError>,
    ) -> Result<Outcome> {
        let (id, now) = (job.id, self.clock.now_ms());
        Ok(match outcome {
            Ok(()) => {
                self.store
                    .call(move |c| scheduled_jobs::finish(c, id, JobStatus::Done, now))
                    .await?;
                Outcome::Done
            }
            Err(HandlerError::Retry(error)) => {
                let failures = u32::try_from(job.attempts + 1).unwrap_or(u32::MAX);
                let retry_at = now.saturating_add(self.backoff.delay_ms(failures));
                tracing::warn!(job = id, key = %job.dedupe_key, %error, retry_at, "scheduled job failed; will retry");
                self.store
                    .call(move |c| scheduled_jobs::record_failure(c, id, &error, retry_at))
                    .await?;
                Outcome::Retried
            }
            Err(HandlerError::GiveUp(error)) => {
                tracing::warn!(job = id, key = %job.dedupe_key, %error, "scheduled job given up");
                self.store
                    .transaction(move |tx| {
                        scheduled_jobs::record_failure(tx, id, &error, now)?;
                        scheduled_jobs::finish(tx, id, JobStatus::Cancelled, now)
                    })
                    .await?;
                Outcome::GivenUp
            }
        })
    }
}

/// What became of one job in a pass.
enum Outcome {
    Done,
    Retried,
    GivenUp,
}

#[async_trait]
impl Job for ScheduledJobsRunner {
    fn name(&self) -> &'static str {
        "scheduled_jobs"
    }

    fn period(&self) -> Duration {
        self.period
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.wake.clone())
    }

    fn min_gap(&self) -> Duration {
        WAKE_GAP
    }

    async fn run_once(&self) -> Result<()> {
        self.run_due().await.map(drop)
    }
}
