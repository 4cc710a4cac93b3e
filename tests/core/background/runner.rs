//! The job runner: a pass at start then one per period, errors and panics logged with the job's
//! name without stopping it, wake-ups, and a prompt shutdown (a stuck pass is aborted at the
//! timeout).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;
use vpn_ticket_bot::tasks::{Backoff, Job, Jobs};
use vpn_ticket_bot::{Error, Result};

#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Succeed,
    Fail,
    Panic,
    Hang,
}

struct TestJob {
    name: &'static str,
    behaviour: Behaviour,
    passes: AtomicUsize,
    wake: Arc<Notify>,
    gap: Duration,
}

impl TestJob {
    fn new(name: &'static str, behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            name,
            behaviour,
            passes: AtomicUsize::new(0),
            wake: Arc::default(),
            gap: Duration::ZERO,
        })
    }

    fn with_gap(name: &'static str, gap: Duration) -> Arc<Self> {
        Arc::new(Self {
            name,
            behaviour: Behaviour::Succeed,
            passes: AtomicUsize::new(0),
            wake: Arc::default(),
            gap,
        })
    }

    fn passes(&self) -> usize {
        self.passes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Job for TestJob {
    fn name(&self) -> &'static str {
        self.name
    }

    fn period(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(Arc::clone(&self.wake))
    }

    fn min_gap(&self) -> Duration {
        self.gap
    }

    async fn run_once(&self) -> Result<()> {
        self.passes.fetch_add(1, Ordering::SeqCst);
        match self.behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::Fail => Err(Error::Command("boom".into())),
            Behaviour::Panic => panic!("job panicked on purpose"),
            Behaviour::Hang => std::future::pending().await,
        }
    }
}

fn start(jobs: &[Arc<TestJob>]) -> Jobs {
    let jobs = jobs.iter().map(|j| Arc::clone(j) as Arc<dyn Job>).collect();
    Jobs::start(jobs, &CancellationToken::new())
}

/// Log lines captured from `tracing` (the tests run on one thread: `set_default` covers them).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test(start_paused = true)]
async fn runs_at_start_then_once_per_period() {
    let job = TestJob::new("counter", Behaviour::Succeed);
    let jobs = start(&[Arc::clone(&job)]);
    // Passes at t = 0, 60, 120 s; look between them.
    sleep(Duration::from_secs(30)).await;
    assert_eq!(job.passes(), 1, "first pass runs immediately");
    sleep(Duration::from_secs(29)).await;
    assert_eq!(job.passes(), 1, "not before the period");
    sleep(Duration::from_secs(2)).await;
    assert_eq!(job.passes(), 2);
    sleep(Duration::from_secs(60)).await;
    assert_eq!(job.passes(), 3);
    assert_eq!(jobs.names(), ["counter"]);
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn failing_and_panicking_jobs_are_logged_and_keep_running() {
    let (logs, _guard) = capture_logs();
    let failing = TestJob::new("failing", Behaviour::Fail);
    let panicking = TestJob::new("panicking", Behaviour::Panic);
    let fine = TestJob::new("fine", Behaviour::Succeed);
    let jobs = start(&[
        Arc::clone(&failing),
        Arc::clone(&panicking),
        Arc::clone(&fine),
    ]);
    sleep(Duration::from_secs(150)).await; // passes at 0, 60, 120 s
    assert_eq!(failing.passes(), 3);
    assert_eq!(panicking.passes(), 3);
    assert_eq!(fine.passes(), 3);
    let text = logs.text();
    let failures: Vec<_> = text
        .lines()
        .filter(|l| l.contains("job pass failed"))
        .collect();
    assert_eq!(failures.len(), 3, "{text}");
    assert!(
        failures
            .iter()
            .all(|l| l.contains("job=\"failing\"") && l.contains("boom"))
    );
    let panics = text.lines().filter(|l| l.contains("job pass panicked"));
    assert_eq!(
        panics.filter(|l| l.contains("job=\"panicking\"")).count(),
        3,
        "{text}"
    );
    assert!(!text.contains("job=\"fine\""), "{text}");
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_wake_up_runs_a_pass_without_waiting_for_the_period() {
    let job = TestJob::new("woken", Behaviour::Succeed);
    let jobs = start(&[Arc::clone(&job)]);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(job.passes(), 1);
    job.wake.notify_one();
    sleep(Duration::from_millis(1)).await;
    assert_eq!(
        job.passes(),
        2,
        "woken pass at t = 1 s, long before t = 60 s"
    );
    jobs.shutdown(Duration::from_secs(5)).await;
}

/// Wake-ups within a job's `min_gap` after a pass are coalesced into one pass at the gap's end
/// (a burst of sales edits the dashboard once); shutdown does not wait for the gap.
#[tokio::test(start_paused = true)]
async fn wake_ups_within_the_min_gap_make_one_pass_at_its_end() {
    let job = TestJob::with_gap("gapped", Duration::from_secs(3));
    let jobs = start(&[Arc::clone(&job)]);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(job.passes(), 1, "the first pass at start");
    for _ in 0..5 {
        job.wake.notify_one();
        sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(job.passes(), 1, "no pass inside the gap");
    sleep(Duration::from_millis(1600)).await;
    assert_eq!(job.passes(), 2, "one pass for five wake-ups, at t = 3 s");
    // t = 3.1 s: inside the next gap (until t = 6 s).
    job.wake.notify_one();
    let asked = Instant::now();
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
    assert_eq!(
        asked.elapsed(),
        Duration::ZERO,
        "the gap does not hold up a stop"
    );
    sleep(Duration::from_secs(10)).await;
    assert_eq!(job.passes(), 2, "no pass after the stop");
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_jobs_at_once_and_aborts_a_stuck_pass_at_the_timeout() {
    let idle = TestJob::new("idle", Behaviour::Succeed);
    let jobs = start(&[Arc::clone(&idle)]);
    sleep(Duration::from_secs(10)).await;
    let asked = Instant::now();
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
    assert_eq!(
        asked.elapsed(),
        Duration::ZERO,
        "an idle job stops without waiting"
    );
    sleep(Duration::from_secs(600)).await;
    assert_eq!(idle.passes(), 1, "no pass after shutdown");

    let stuck = TestJob::new("stuck", Behaviour::Hang);
    let fine = TestJob::new("fine", Behaviour::Succeed);
    let jobs = start(&[Arc::clone(&stuck), Arc::clone(&fine)]);
    sleep(Duration::from_secs(1)).await;
    let asked = Instant::now();
    assert_eq!(jobs.shutdown(Duration::from_secs(5)).await, ["stuck"]);
    assert_eq!(asked.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn cancelling_the_parent_token_stops_the_jobs() {
    let parent = CancellationToken::new();
    let job = TestJob::new("child", Behaviour::Succeed);
    let jobs = Jobs::start(vec![Arc::clone(&job) as Arc<dyn Job>], &parent);
    sleep(Duration::from_secs(1)).await;
    parent.cancel();
    sleep(Duration::from_secs(600)).await;
    assert_eq!(job.passes(), 1);
    assert!(jobs.shutdown(Duration::ZERO).await.is_empty());
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let b = Backoff {
        base: Duration::from_secs(5),
        cap: Duration::from_secs(60),
        max_attempts: 10,
    };
    let delays: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
    assert_eq!(delays, [5, 10, 20, 40, 60, 60]);
    assert_eq!(b.delay_ms(2), 10_000);
    assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
}
