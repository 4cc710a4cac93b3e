//! Panel health: a periodic probe, outage detection and the circuit breaker panel calls go through.
//!
//! [`HealthMonitor`] asks a [`HealthProbe`] (implemented by the panel client, normally with
//! `GET panel/api/server/status`) every [`HealthConfig::interval`]; the first check runs at
//! start. [`HealthConfig::threshold`] consecutive failed checks make an **outage** — also when
//! the panel is already down at start, no earlier success is needed. The first successful check
//! after that is the **recovery**. Each transition is announced once on a tokio `broadcast`
//! channel as a [`HealthEvent`] (subscribe with [`CircuitBreaker::subscribe`] before spawning;
//! a receiver that falls more than 16 events behind gets `Lagged`, which cannot happen at one
//! event per outage edge unless it stops reading).
//!
//! The [`CircuitBreaker`] is the monitor's shared state, cheap to clone into every service:
//! *closed* (panel calls run), *open* during an outage (calls fail fast with
//! [`PanelUnavailable`] without touching the panel), *half-open* while the monitor's next probe —
//! the one request let through — is in flight; a successful probe closes it, a failed one opens it
//! again. Panel call errors do not move the breaker: only the probe decides, so a rejected
//! request (bad input, duplicate email) never looks like an outage.
//!
//! The monitor runs as a task until its `CancellationToken` is cancelled. Time comes from
//! `tokio::time`, so tests drive it with a paused clock. No serenity/poise, no HTTP here.

mod panel_probe;

pub use panel_probe::PanelProbe;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::config::PanelConfig;

#[cfg(test)]
mod tests;

/// The future a [`HealthProbe`] returns: `Ok(())` when the panel is healthy, else a short reason
/// for the log and the owner's DM (no secrets).
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One health check of the panel. The panel client implements it over its `status()` call;
/// tests use a double. Wrap a closure with [`probe_fn`].
pub trait HealthProbe: Send + Sync {
    /// Checks the panel once. It need not time out by itself: the monitor gives up after
    /// [`HealthConfig::probe_timeout`] and counts that as a failure.
    fn check(&self) -> ProbeFuture<'_>;
}

/// A [`HealthProbe`] made from a closure returning a future; see [`probe_fn`].
pub struct FnProbe<F>(F);

/// Makes a [`HealthProbe`] of `f` (`|| async { panel.status().await.map(drop).map_err(...) }`).
pub fn probe_fn<F, Fut>(f: F) -> FnProbe<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    FnProbe(f)
}

impl<F, Fut> HealthProbe for FnProbe<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn check(&self) -> ProbeFuture<'_> {
        Box::pin((self.0)())
    }
}

/// A change of panel health, sent once per transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthEvent {
    /// `threshold` consecutive checks failed. `since` is the wall-clock time of the first failed
    /// check of the streak; `last_error` the reason the last one gave.
    Outage {
        /// When the first failed check of the streak happened.
        since: jiff::Timestamp,
        /// The last probe's error text.
        last_error: String,
    },
    /// A check succeeded after an outage. `down_for` runs from the first failed check of the
    /// streak to this successful one.
    Recovered {
        /// How long the panel was down.
        down_for: Duration,
    },
}

/// The breaker's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Healthy (or fewer than `threshold` failures in a row): calls go to the panel.
    Closed,
    /// Outage: calls fail fast.
    Open,
    /// Outage, and the monitor's probe is in flight: calls still fail fast.
    HalfOpen,
}

/// The breaker's state with the current failure streak, as [`CircuitBreaker::snapshot`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerSnapshot {
    /// Where the breaker stands.
    pub state: BreakerState,
    /// Consecutive failed checks so far (0 after a success).
    pub failures: u32,
    /// Wall-clock start of the outage (first failed check of the streak); `None` when closed.
    pub outage_since: Option<jiff::Timestamp>,
    /// The last failed check's reason while the streak lasts (also below the threshold);
    /// `None` after a success.
    pub last_error: Option<String>,
}

/// A panel call refused because the panel is in an outage. Safe to show to customers as
/// "the VPN panel is unavailable right now".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the panel is unavailable (outage since {since})")]
pub struct PanelUnavailable {
    /// When the outage began (first failed check).
    pub since: jiff::Timestamp,
}

/// The result of a call through [`CircuitBreaker::call`].
#[derive(Debug, thiserror::Error)]
pub enum BreakerError<E> {
    /// Refused without calling the panel.
    #[error(transparent)]
    Open(#[from] PanelUnavailable),
    /// The call ran and failed with its own error.
    #[error("{0}")]
    Inner(E),
}

/// Interval, threshold and probe timeout of the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthConfig {
    /// Time between the starts of two checks (default 60 s).
    pub interval: Duration,
    /// Consecutive failed checks that make an outage (default 3; 0 is treated as 1).
    pub threshold: u32,
    /// A probe taking longer than this is a failure (default 10 s).
    pub probe_timeout: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            threshold: 3,
            probe_timeout: Duration::from_secs(10),
        }
    }
}

impl HealthConfig {
    /// From `[panel]`: `health_interval_secs`, `health_failure_threshold`, and the request
    /// timeout `timeout_secs` (capped at the interval) as the probe timeout.
    pub fn from_panel(panel: &PanelConfig) -> Self {
        let interval = Duration::from_secs(panel.health_interval_secs.max(1));
        Self {
            interval,
            threshold: panel.health_failure_threshold,
            probe_timeout: panel.timeout().clamp(Duration::from_secs(1), interval),
        }
    }
}

/// The health state shared by the monitor and every breaker clone.
struct Core {
    state: BreakerState,
    failures: u32,
    /// When the first failed check of the current streak finished.
    streak_start: Option<Instant>,
    /// Wall-clock start of the current outage (set while not closed).
    outage_since: Option<jiff::Timestamp>,
    /// The error of the last failed check of the current streak (cleared by a success).
    last_error: Option<String>,
}

struct Shared {
    core: Mutex<Core>,
    threshold: u32,
    events: broadcast::Sender<HealthEvent>,
}

/// The circuit breaker in front of panel calls; clones share one state.
///
/// Built by [`HealthMonitor::new`] (use [`HealthMonitor::breaker`]); `CircuitBreaker::new` makes
/// a stand-alone one for tests of services.
#[derive(Clone)]
pub struct CircuitBreaker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl CircuitBreaker {
    /// A closed breaker that opens after `threshold` consecutive failures (0 counts as 1).
    pub fn new(threshold: u32) -> Self {
        let (events, _) = broadcast::channel(16);
        let core = Core {
            state: BreakerState::Closed,
            failures: 0,
            streak_start: None,
            outage_since: None,
            last_error: None,
        };
        Self {
            shared: Arc::new(Shared {
                core: Mutex::new(core),
                threshold: threshold.max(1),
                events,
            }),
        }
    }

    /// Runs `call` if the breaker is closed; fails fast with [`BreakerError::Open`] (without
    /// calling) during an outage. The call's own result does not move the breaker.
    ///
    /// # Errors
    /// [`BreakerError::Open`] during an outage, [`BreakerError::Inner`] when the call fails.
    pub async fn call<T, E, F, Fut>(&self, call: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.check()?;
        call().await.map_err(BreakerError::Inner)
    }

    /// `Ok` when panel calls may go ahead, [`PanelUnavailable`] during an outage.
    ///
    /// # Errors
    /// [`PanelUnavailable`] when the breaker is open or half-open.
    pub fn check(&self) -> Result<(), PanelUnavailable> {
        let core = self.lock();
        match (core.state, core.outage_since) {
            (BreakerState::Closed, _) => Ok(()),
            (_, since) => Err(PanelUnavailable {
                since: since.unwrap_or_else(jiff::Timestamp::now),
            }),
        }
    }

    /// Where the breaker stands.
    pub fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// True from the outage until the recovery (breaker open or half-open).
    pub fn is_outage(&self) -> bool {
        self.state() != BreakerState::Closed
    }

    /// Everything the breaker knows right now, read under one lock (for a health report).
    pub fn snapshot(&self) -> BreakerSnapshot {
        let core = self.lock();
        BreakerSnapshot {
            state: core.state,
            failures: core.failures,
            outage_since: core.outage_since,
            last_error: core.last_error.clone(),
        }
    }

    /// A receiver of every [`HealthEvent`] sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<HealthEvent> {
        self.shared.events.subscribe()
    }

    /// Before a probe: an open breaker becomes half-open (the probe is the one request let through).
    fn begin_probe(&self) {
        let mut core = self.lock();
        if core.state == BreakerState::Open {
            core.state = BreakerState::HalfOpen;
        }
    }

    /// A check succeeded: reset the streak; after an outage close and announce the recovery.
    fn record_success(&self) -> Option<HealthEvent> {
        let mut core = self.lock();
        let streak_start = core.streak_start.take();
        core.failures = 0;
        core.last_error = None;
        if core.state == BreakerState::Closed {
            return None;
        }
        core.state = BreakerState::Closed;
        core.outage_since = None;
        let down_for = streak_start.map_or(Duration::ZERO, |start| start.elapsed());
        Some(self.announce(HealthEvent::Recovered { down_for }))
    }

    /// A check failed: count it; at the threshold open and announce the outage (once).
    fn record_failure(&self, error: &str) -> Option<HealthEvent> {
        let mut core = self.lock();
        let now = Instant::now();
        let start = *core.streak_start.get_or_insert(now);
        core.failures = core.failures.saturating_add(1);
        core.last_error = Some(error.to_owned());
        match core.state {
            BreakerState::HalfOpen => {
                core.state = BreakerState::Open;
                None
            }
            BreakerState::Open => None,
            BreakerState::Closed if core.failures < self.shared.threshold => None,
            BreakerState::Closed => {
                let since = wall_clock_of(start);
                core.state = BreakerState::Open;
                core.outage_since = Some(since);
                Some(self.announce(HealthEvent::Outage {
                    since,
                    last_error: error.to_owned(),
                }))
            }
        }
    }

    fn announce(&self, event: HealthEvent) -> HealthEvent {
        // No receiver is not an error: nobody listens yet (or any more).
        let _ = self.shared.events.send(event.clone());
        event
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // The lock is never held across an await or a panic-prone call; recover regardless.
        self.shared
            .core
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The wall-clock time of the tokio instant `at` (consistent with a paused test clock).
fn wall_clock_of(at: Instant) -> jiff::Timestamp {
    let ago = jiff::SignedDuration::try_from(at.elapsed()).unwrap_or(jiff::SignedDuration::ZERO);
    jiff::Timestamp::now()
        .checked_sub(ago)
        .unwrap_or_else(|_| jiff::Timestamp::now())
}

/// The periodic health check of the panel; see the module docs.
pub struct HealthMonitor {
    probe: Arc<dyn HealthProbe>,
    breaker: CircuitBreaker,
    config: HealthConfig,
}

impl HealthMonitor {
    /// A monitor of `probe` with a fresh, closed breaker.
    pub fn new(probe: Arc<dyn HealthProbe>, config: HealthConfig) -> Self {
        Self {
            probe,
            breaker: CircuitBreaker::new(config.threshold),
            config,
        }
    }

    /// The breaker this monitor drives (a clone sharing its state).
    pub fn breaker(&self) -> CircuitBreaker {
        self.breaker.clone()
    }

    /// A receiver of every [`HealthEvent`] sent from now on (same as the breaker's).
    pub fn subscribe(&self) -> broadcast::Receiver<HealthEvent> {
        self.breaker.subscribe()
    }

    /// Starts [`HealthMonitor::run`] on the runtime.
    pub fn spawn(self, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    /// Checks at once, then every `interval`, until `shutdown` is cancelled (also mid-probe).
    pub async fn run(self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(self.config.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                _ = self.check_once() => {}
            }
        }
        tracing::debug!("panel health monitor stopped");
    }

    /// Runs one check now and updates the breaker; returns the event it caused, if any.
    pub async fn check_once(&self) -> Option<HealthEvent> {
        self.breaker.begin_probe();
        let timeout = self.config.probe_timeout;
        let result = match tokio::time::timeout(timeout, self.probe.check()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {}s", timeout.as_secs_f32())),
        };
        match result {
            Ok(()) => {
                let event = self.breaker.record_success();
                if let Some(HealthEvent::Recovered { down_for }) = &event {
                    tracing::info!(down_secs = down_for.as_secs(), "panel recovered");
                }
                event
            }
            Err(error) => {
                let event = self.breaker.record_failure(&error);
                if event.is_some() {
                    tracing::error!(%error, "panel outage: health checks keep failing");
                } else {
                    tracing::warn!(%error, "panel health check failed");
                }
                event
            }
        }
    }
}
