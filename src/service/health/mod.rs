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

mod breaker;
mod panel_probe;

pub use breaker::{BreakerError, BreakerSnapshot, BreakerState, CircuitBreaker, PanelUnavailable};
pub use panel_probe::PanelProbe;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
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
