//! Health monitor tests on tokio's paused clock: checks run at t = 0, 60, 120... s; the tests
//! look at t = n·60 + 30 s, when no check is in progress, by sleeping on the virtual clock.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Semaphore;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::Instant;

use super::*;

/// A panel double: healthy or not, counts its calls, and can hold a probe until released.
struct FakePanel {
    healthy: AtomicBool,
    probes: AtomicUsize,
    gated: AtomicBool,
    gate: Semaphore,
}

impl FakePanel {
    fn new(healthy: bool) -> Arc<Self> {
        Arc::new(Self {
            healthy: AtomicBool::new(healthy),
            probes: AtomicUsize::new(0),
            gated: AtomicBool::new(false),
            gate: Semaphore::new(0),
        })
    }

    fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::SeqCst);
    }

    fn probes(&self) -> usize {
        self.probes.load(Ordering::SeqCst)
    }
}

impl HealthProbe for FakePanel {
    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            self.probes.fetch_add(1, Ordering::SeqCst);
            if self.gated.load(Ordering::SeqCst) {
                self.gate.acquire().await.expect("gate open").forget();
            }
            if self.healthy.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("connection refused".to_owned())
            }
        })
    }
}

/// Starts a monitor (60 s, threshold 3) at t = 0 with its event receiver.
fn start(
    panel: &Arc<FakePanel>,
) -> (
    CircuitBreaker,
    broadcast::Receiver<HealthEvent>,
    CancellationToken,
    JoinHandle<()>,
) {
    let monitor = HealthMonitor::new(panel.clone(), HealthConfig::default());
    let breaker = monitor.breaker();
    let events = breaker.subscribe();
    let shutdown = CancellationToken::new();
    let task = monitor.spawn(shutdown.clone());
    (breaker, events, shutdown, task)
}

/// Lets virtual time run until `secs` after `t0`.
async fn at(t0: Instant, secs: u64) {
    tokio::time::sleep_until(t0 + Duration::from_secs(secs)).await;
}

fn no_event(events: &mut broadcast::Receiver<HealthEvent>) {
    assert_eq!(events.try_recv(), Err(TryRecvError::Empty));
}

#[tokio::test(start_paused = true)]
async fn outage_after_exactly_three_failures_not_two() {
    let t0 = Instant::now();
    let panel = FakePanel::new(true);
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 90).await; // checks at 0 and 60 succeeded
    panel.set_healthy(false);
    at(t0, 210).await; // failures at 120 and 180
    assert_eq!(panel.probes(), 4);
    no_event(&mut events);
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert!(breaker.check().is_ok());

    at(t0, 270).await; // third failure at 240
    assert!(breaker.is_outage());
    let Ok(HealthEvent::Outage { since, last_error }) = events.try_recv() else {
        panic!("expected an outage event");
    };
    assert_eq!(last_error, "connection refused");
    // `since` is the first failure (t = 120): the wall clock when the outage was declared
    // (t = 240) minus 120 s. The wall clock itself does not follow the paused tokio clock.
    let ago = jiff::Timestamp::now().duration_since(since);
    assert!(
        (119..=121).contains(&ago.as_secs()),
        "since was {ago:?} ago"
    );
    assert_eq!(breaker.check().unwrap_err().since, since);
}

#[tokio::test(start_paused = true)]
async fn one_event_per_outage_not_per_failed_check() {
    let t0 = Instant::now();
    let panel = FakePanel::new(false);
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 630).await; // 11 failed checks
    assert_eq!(panel.probes(), 11);
    assert!(matches!(events.try_recv(), Ok(HealthEvent::Outage { .. })));
    no_event(&mut events);
    assert_eq!(breaker.state(), BreakerState::Open);
}

#[tokio::test(start_paused = true)]
async fn panel_down_at_start_is_an_outage_after_three_checks() {
    let t0 = Instant::now();
    let panel = FakePanel::new(false);
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 90).await;
    assert_eq!(panel.probes(), 2);
    no_event(&mut events);
    assert!(!breaker.is_outage());
    at(t0, 150).await;
    assert!(breaker.is_outage());
    assert!(matches!(events.try_recv(), Ok(HealthEvent::Outage { .. })));
}

#[tokio::test(start_paused = true)]
async fn recovery_reports_time_since_first_failure_once() {
    let t0 = Instant::now();
    let panel = FakePanel::new(true);
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 30).await;
    panel.set_healthy(false); // failures at 60, 120, 180 (outage), 240
    at(t0, 270).await;
    assert!(matches!(events.try_recv(), Ok(HealthEvent::Outage { .. })));
    panel.set_healthy(true); // success at 300
    at(t0, 330).await;
    let down_for = Duration::from_secs(300 - 60);
    assert_eq!(events.try_recv(), Ok(HealthEvent::Recovered { down_for }));
    assert_eq!(breaker.state(), BreakerState::Closed);
    at(t0, 630).await; // five more good checks: no more events
    no_event(&mut events);
}

#[tokio::test(start_paused = true)]
async fn breaker_fails_fast_while_open_without_calling_the_panel() {
    let t0 = Instant::now();
    let panel = FakePanel::new(false);
    let (breaker, _events, _shutdown, _task) = start(&panel);
    let calls = AtomicUsize::new(0);
    let panel_call = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, String>("created")
    };
    at(t0, 30).await; // one failure: still closed, calls go through
    assert_eq!(breaker.call(panel_call).await.unwrap(), "created");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    at(t0, 150).await; // outage
    let probes = panel.probes();
    for _ in 0..5 {
        let refused = breaker.call(panel_call).await;
        assert!(matches!(refused, Err(BreakerError::Open(_))), "{refused:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no call reached the panel");
    assert_eq!(panel.probes(), probes, "refusals did not probe either");
}

#[tokio::test]
async fn failed_panel_calls_do_not_move_the_breaker() {
    let breaker = CircuitBreaker::new(1);
    for _ in 0..3 {
        let result = breaker
            .call(|| async { Err::<(), _>("duplicate email") })
            .await;
        assert!(matches!(
            result,
            Err(BreakerError::Inner("duplicate email"))
        ));
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn half_open_lets_only_the_probe_through() {
    let t0 = Instant::now();
    let panel = FakePanel::new(false);
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 150).await;
    assert!(matches!(events.try_recv(), Ok(HealthEvent::Outage { .. })));
    panel.gated.store(true, Ordering::SeqCst);
    at(t0, 181).await; // the probe of t = 180 is in flight, held by the gate
    assert_eq!(panel.probes(), 4);
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert!(
        breaker.check().is_err(),
        "calls still fail fast while half-open"
    );
    panel.gate.add_permits(1); // the probe fails: open again, no new outage event
    at(t0, 190).await;
    assert_eq!(breaker.state(), BreakerState::Open);
    no_event(&mut events);

    panel.set_healthy(true);
    at(t0, 241).await; // the probe of t = 240 is held
    assert_eq!(panel.probes(), 5, "one probe per interval, even half-open");
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    panel.gate.add_permits(1);
    at(t0, 250).await;
    assert_eq!(breaker.state(), BreakerState::Closed);
    let down_for = Duration::from_secs(241); // first failure at t = 0
    assert_eq!(events.try_recv(), Ok(HealthEvent::Recovered { down_for }));
    assert!(breaker.check().is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_probe_that_hangs_counts_as_a_failure() {
    let t0 = Instant::now();
    let panel = FakePanel::new(true);
    panel.gated.store(true, Ordering::SeqCst); // never released
    let (breaker, mut events, _shutdown, _task) = start(&panel);
    at(t0, 131).await; // timeouts at 10, 70, 130
    assert!(breaker.is_outage());
    let Ok(HealthEvent::Outage { last_error, .. }) = events.try_recv() else {
        panic!("expected an outage event");
    };
    assert_eq!(last_error, "no answer within 10s");
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_the_monitor_even_mid_probe() {
    let t0 = Instant::now();
    let panel = FakePanel::new(true);
    panel.gated.store(true, Ordering::SeqCst);
    let (_breaker, _events, shutdown, task) = start(&panel);
    at(t0, 5).await; // first probe held
    shutdown.cancel();
    task.await.expect("monitor task ends cleanly");
    at(t0, 600).await;
    assert_eq!(panel.probes(), 1);
}

#[test]
fn breaker_state_machine_without_a_monitor() {
    let breaker = CircuitBreaker::new(2);
    let mut events = breaker.subscribe();
    assert_eq!(breaker.record_failure("a"), None);
    assert_eq!(
        breaker.record_success(),
        None,
        "a success resets the streak"
    );
    assert_eq!(breaker.record_failure("b"), None);
    let outage = breaker.record_failure("c");
    assert!(matches!(&outage, Some(HealthEvent::Outage { last_error, .. }) if last_error == "c"));
    assert_eq!(events.try_recv().ok(), outage, "the event is broadcast too");
    assert_eq!(breaker.record_failure("d"), None);
    breaker.begin_probe();
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert!(matches!(
        breaker.record_success(),
        Some(HealthEvent::Recovered { .. })
    ));
    assert_eq!(breaker.state(), BreakerState::Closed);
    assert!(
        CircuitBreaker::new(0).record_failure("x").is_some(),
        "threshold 0 acts as 1"
    );
}

#[test]
fn config_from_panel_section() {
    let panel = PanelConfig {
        health_interval_secs: 30,
        health_failure_threshold: 5,
        timeout_secs: 45,
        ..PanelConfig::default()
    };
    let config = HealthConfig::from_panel(&panel);
    assert_eq!(config.interval, Duration::from_secs(30));
    assert_eq!(config.threshold, 5);
    assert_eq!(
        config.probe_timeout,
        Duration::from_secs(30),
        "capped at the interval"
    );
    let defaults = HealthConfig::from_panel(&PanelConfig::default());
    assert_eq!(
        (defaults.interval, defaults.threshold),
        (Duration::from_secs(60), 3)
    );
}

#[test]
fn snapshot_reports_the_streak_the_outage_and_the_last_error() {
    let breaker = CircuitBreaker::new(2);
    let healthy = breaker.snapshot();
    assert_eq!(
        (healthy.state, healthy.failures, healthy.outage_since),
        (BreakerState::Closed, 0, None)
    );
    assert_eq!(healthy.last_error, None);

    breaker.record_failure("timeout");
    let failing = breaker.snapshot();
    assert_eq!(failing.state, BreakerState::Closed, "below the threshold");
    assert_eq!(failing.failures, 1);
    assert_eq!(failing.last_error.as_deref(), Some("timeout"));
    assert_eq!(failing.outage_since, None);

    let Some(HealthEvent::Outage { since, .. }) = breaker.record_failure("refused") else {
        panic!("expected the outage");
    };
    let down = breaker.snapshot();
    assert_eq!(down.state, BreakerState::Open);
    assert_eq!(down.outage_since, Some(since));
    assert_eq!(down.last_error.as_deref(), Some("refused"));

    breaker.record_success();
    assert_eq!(breaker.snapshot(), healthy, "a success clears it all");
}
