//! The circuit breaker: the health state the monitor drives and every service reads (closed,
//! open during an outage, half-open while a probe is in flight), and the events of its edges.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::HealthEvent;

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
    pub(super) fn begin_probe(&self) {
        let mut core = self.lock();
        if core.state == BreakerState::Open {
            core.state = BreakerState::HalfOpen;
        }
    }

    /// A check succeeded: reset the streak; after an outage close and announce the recovery.
    pub(super) fn record_success(&self) -> Option<HealthEvent> {
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
    pub(super) fn record_failure(&self, error: &str) -> Option<HealthEvent> {
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
