//! Background jobs: one shape for every periodic job, and the set that starts and stops them.
//!
//! A [`Job`] has a name, a period and one pass ([`Job::run_once`]). [`run`] drives a job: the
//! **first pass runs immediately** when the job starts (so a restart catches up on overdue work at
//! once), then one pass per period, measured from the start of the previous tick (missed ticks are
//! delayed, never bunched: `MissedTickBehavior::Delay`). A job may also hand out a wake-up
//! ([`Job::wake`]): notifying it runs a pass right away without waiting for the period (the
//! outbox uses it so a fresh enqueue is delivered promptly). A failed pass is logged with the
//! job's name (`tracing` at `WARN`) and the job carries on at its next tick; a panicking pass is
//! caught by its own task, logged, and the job carries on too.
//!
//! Shutdown (architecture practice 10): cancelling the [`CancellationToken`] stops each job
//! between passes; a pass in progress is allowed to finish (so a delivery is never cut between
//! "sent" and "marked delivered"), and [`Jobs::shutdown`] waits for that with a timeout, after
//! which the remaining tasks are aborted. Jobs are started **once**, from `main`/setup, never from
//! Discord's `Ready` event, which fires again on every reconnect (practice 11). The shape follows
//! Discord-TTS/Bot's `Looper`. Delays that must survive a restart live in SQLite
//! (`scheduled_jobs`, `outbox`), never in a sleeping task: jobs only poll them.
//!
//! The one list of the bot's jobs is [`crate::app::App::jobs`] (the Discord layer adds only the
//! dashboard, in `discord::start`, which starts them with [`Jobs::start`] and stops them with
//! [`Jobs::shutdown`] on a graceful stop). Each job's name, period and what it does are
//! documented where it is defined; `App::jobs` names every one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::error::Result;

/// One periodic background job.
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// Short stable name for logs (`outbox`, `revenue_refresh`...).
    fn name(&self) -> &'static str;

    /// Time between the starts of two passes (zero is treated as 1 ms).
    fn period(&self) -> Duration;

    /// A wake-up: `notify_one` on it runs a pass as soon as the current one (if any) ends.
    /// `None` (the default) = only the period.
    fn wake(&self) -> Option<Arc<Notify>> {
        None
    }

    /// The least time from the end of one pass to the start of the next: wake-ups in between
    /// are coalesced into one pass (a burst of sales edits the dashboard once). Zero (the
    /// default) = run as soon as woken.
    fn min_gap(&self) -> Duration {
        Duration::ZERO
    }

    /// One pass. An error is logged by the runner with the job's name; the job keeps running.
    ///
    /// # Errors
    /// Whatever the job reports; it never stops the job.
    async fn run_once(&self) -> Result<()>;
}

/// Exponential backoff: `base · 2^(failures − 1)`, capped at `cap`; give up after
/// `max_attempts` failed attempts (where the caller has a "failed" state to give up to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
    /// Attempts (failed ones included) after which the caller gives up.
    pub max_attempts: u32,
}

impl Backoff {
    /// The delay before the next attempt after `failures` failed attempts (1 = first failure).
    #[must_use]
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        self.base.saturating_mul(1 << exp).min(self.cap)
    }

    /// [`Backoff::delay`] in whole milliseconds (saturating), for Unix-ms arithmetic.
    #[must_use]
    pub fn delay_ms(&self, failures: u32) -> i64 {
        i64::try_from(self.delay(failures).as_millis()).unwrap_or(i64::MAX)
    }
}

/// Runs `job` until `shutdown` is cancelled: a pass at once, then one per period or wake-up.
/// Errors and panics of a pass are logged with the job's name; the loop carries on.
pub async fn run(job: Arc<dyn Job>, shutdown: CancellationToken) {
    let name = job.name();
    let wake = job.wake().unwrap_or_default();
    // A zero period would make `interval` panic: treat it as 1 ms.
    let mut ticker = tokio::time::interval(job.period().max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tracing::debug!(
        job = name,
        period_s = job.period().as_secs_f64(),
        "job started"
    );
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
            () = wake.notified() => {}
        }
        let pass = Arc::clone(&job);
        let mut pass = AbortOnDrop(tokio::spawn(async move { pass.run_once().await }));
        match (&mut pass.0).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(job = name, %error, "job pass failed"),
            Err(error) => tracing::error!(job = name, %error, "job pass panicked"),
        }
        let gap = job.min_gap();
        if !gap.is_zero() {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(gap) => {}
            }
        }
    }
    tracing::debug!(job = name, "job stopped");
}

/// Aborts the pass's task when the runner is dropped or aborted (a stuck pass dies with it).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The running background jobs. Start them once with [`Jobs::start`], stop them with
/// [`Jobs::shutdown`].
#[derive(Debug)]
pub struct Jobs {
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    /// Spawns every job on the runtime. They stop when `shutdown` (or [`Jobs::shutdown`]) is
    /// cancelled; the set uses a child token, so cancelling it does not cancel the caller's.
    #[must_use]
    pub fn start(jobs: Vec<Arc<dyn Job>>, shutdown: &CancellationToken) -> Self {
        let shutdown = shutdown.child_token();
        let tasks = jobs
            .into_iter()
            .map(|job| (job.name(), tokio::spawn(run(job, shutdown.clone()))))
            .collect();
        Self { shutdown, tasks }
    }

    /// Names of the running jobs, in start order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(|(name, _)| *name).collect()
    }

    /// Cancels every job and waits up to `timeout` (in total) for them to finish their current
    /// pass. Jobs still running then are aborted; their names are returned (empty = clean stop).
    pub async fn shutdown(self, timeout: Duration) -> Vec<&'static str> {
        self.shutdown.cancel();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut aborted = Vec::new();
        for (name, mut task) in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!(job = name, "job did not stop in time; aborted");
                task.abort();
                aborted.push(name);
            }
        }
        aborted
    }
}
