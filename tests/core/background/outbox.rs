//! The outbox worker against a temporary SQLite and a scripted deliverer: delivered once,
//! retried with growing delays, given up on a permanent failure or after the maximum attempts,
//! picked up again after a restart, woken by a fresh enqueue.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::time::{advance, sleep};
use tokio_util::sync::CancellationToken;
use vpn_ticket_bot::domain::status::OutboxStatus;
use vpn_ticket_bot::service::outbox::{
    DEFAULT_BACKOFF, Deliverer, DeliveryError, OutboxJob, OutboxPass,
};
use vpn_ticket_bot::store::Store;
use vpn_ticket_bot::store::outbox::{self, OutboxItem};
use vpn_ticket_bot::tasks::{Backoff, Job, Jobs};

use super::clock;
use crate::common;

/// A deliverer that answers from a script per key (then succeeds) and records every call.
#[derive(Default)]
struct Scripted {
    script: Mutex<HashMap<String, VecDeque<Result<(), DeliveryError>>>>,
    always_retry: bool,
    calls: Mutex<Vec<String>>,
}

impl Scripted {
    fn with(key: &str, answers: Vec<Result<(), DeliveryError>>) -> Arc<Self> {
        let me = Self::default();
        me.script.lock().unwrap().insert(key.into(), answers.into());
        Arc::new(me)
    }

    fn failing() -> Arc<Self> {
        Arc::new(Self {
            always_retry: true,
            ..Self::default()
        })
    }

    fn calls(&self, key: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|k| *k == key)
            .count()
    }
}

#[async_trait]
impl Deliverer for Scripted {
    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        self.calls
            .lock()
            .unwrap()
            .push(item.idempotency_key.clone());
        if self.always_retry {
            return Err(DeliveryError::Retry("discord 503".into()));
        }
        let mut script = self.script.lock().unwrap();
        let next = script
            .get_mut(&item.idempotency_key)
            .and_then(VecDeque::pop_front);
        next.unwrap_or(Ok(()))
    }
}

fn retry() -> Result<(), DeliveryError> {
    Err(DeliveryError::Retry("discord 503".into()))
}

async fn enqueue(store: &Store, key: &'static str, now: i64) -> Option<i64> {
    store
        .call(move |c| outbox::enqueue(c, key, "dm_link", &json!({ "user": 42 }), now))
        .await
        .unwrap()
}

async fn item(store: &Store, key: &'static str) -> OutboxItem {
    store
        .call(move |c| outbox::find_by_key(c, key))
        .await
        .unwrap()
        .unwrap()
}

fn worker(dir: &Path, deliverer: Arc<Scripted>) -> (Store, OutboxJob) {
    let store = common::store(dir);
    let job = OutboxJob::new(store.clone(), deliverer, clock());
    (store, job)
}

const fn pass(delivered: usize, retried: usize, failed: usize) -> OutboxPass {
    OutboxPass {
        delivered,
        retried,
        failed,
    }
}

#[tokio::test(start_paused = true)]
async fn delivered_once_and_the_key_is_never_delivered_again() {
    let dir = tempfile::tempdir().unwrap();
    let deliverer = Arc::new(Scripted::default());
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    let now = clock().now_ms();
    assert!(enqueue(&store, "dm:1", now).await.is_some());
    assert_eq!(
        enqueue(&store, "dm:1", now).await,
        None,
        "same key queued once"
    );

    assert_eq!(job.deliver_due().await.unwrap(), pass(1, 0, 0));
    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 0, 0));
    assert_eq!(
        enqueue(&store, "dm:1", now).await,
        None,
        "delivered key stays a no-op"
    );
    advance(Duration::from_secs(3600)).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 0, 0));

    assert_eq!(deliverer.calls("dm:1"), 1);
    let it = item(&store, "dm:1").await;
    assert_eq!(it.status, OutboxStatus::Delivered);
    assert_eq!((it.attempts, it.delivered_at), (1, Some(now)));
}

#[tokio::test(start_paused = true)]
async fn retryable_failures_are_retried_with_growing_delays() {
    let dir = tempfile::tempdir().unwrap();
    let deliverer = Scripted::with("dm:2", vec![retry(), retry(), Ok(())]);
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    let t0 = clock().now_ms();
    enqueue(&store, "dm:2", t0).await;

    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 1, 0));
    let it = item(&store, "dm:2").await;
    assert_eq!((it.attempts, it.next_attempt_at), (1, t0 + 5_000));
    assert_eq!(it.last_error.as_deref(), Some("discord 503"));

    advance(Duration::from_millis(4_999)).await;
    assert_eq!(
        job.deliver_due().await.unwrap(),
        pass(0, 0, 0),
        "not before 5 s"
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 1, 0));
    let it = item(&store, "dm:2").await;
    assert_eq!((it.attempts, it.next_attempt_at), (2, t0 + 5_000 + 10_000));

    advance(Duration::from_millis(9_999)).await;
    assert_eq!(
        job.deliver_due().await.unwrap(),
        pass(0, 0, 0),
        "not before 10 s more"
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(1, 0, 0));
    let it = item(&store, "dm:2").await;
    assert_eq!((it.status, it.attempts), (OutboxStatus::Delivered, 3));
    assert_eq!(deliverer.calls("dm:2"), 3);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_failure_gives_up_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let answer = Err(DeliveryError::Permanent("unknown channel".into()));
    let deliverer = Scripted::with("dm:3", vec![answer]);
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    enqueue(&store, "dm:3", clock().now_ms()).await;

    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 0, 1));
    advance(Duration::from_secs(86_400)).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 0, 0));
    let it = item(&store, "dm:3").await;
    assert_eq!(it.status, OutboxStatus::Failed);
    assert_eq!(it.last_error.as_deref(), Some("unknown channel"));
    assert_eq!(deliverer.calls("dm:3"), 1);
}

#[tokio::test(start_paused = true)]
async fn the_maximum_attempts_give_up() {
    let dir = tempfile::tempdir().unwrap();
    let deliverer = Scripted::failing();
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    let backoff = Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(4),
        max_attempts: 3,
    };
    let job = job.with_backoff(backoff);
    enqueue(&store, "dm:4", clock().now_ms()).await;

    let mut passes = Vec::new();
    for _ in 0..5 {
        passes.push(job.deliver_due().await.unwrap());
        advance(Duration::from_secs(60)).await;
    }
    assert_eq!(passes[..3], [pass(0, 1, 0), pass(0, 1, 0), pass(0, 0, 1)]);
    assert_eq!(passes[3..], [pass(0, 0, 0), pass(0, 0, 0)]);
    let it = item(&store, "dm:4").await;
    assert_eq!((it.status, it.attempts), (OutboxStatus::Failed, 3));
    assert_eq!(deliverer.calls("dm:4"), 3);
    assert_eq!(DEFAULT_BACKOFF.max_attempts, 10);
}

#[tokio::test(start_paused = true)]
async fn a_restart_delivers_what_was_pending() {
    let dir = tempfile::tempdir().unwrap();
    let now = clock().now_ms();
    {
        let (store, job) = worker(dir.path(), Scripted::failing());
        enqueue(&store, "dm:a", now).await;
        enqueue(&store, "dm:b", now).await;
        assert_eq!(job.deliver_due().await.unwrap(), pass(0, 2, 0));
        // Everything (worker, deliverer, pool) is dropped here, as in a crash.
    }
    let deliverer = Arc::new(Scripted::default());
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    assert_eq!(
        job.deliver_due().await.unwrap(),
        pass(0, 0, 0),
        "backoff survives"
    );
    advance(DEFAULT_BACKOFF.base).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(2, 0, 0));
    for key in ["dm:a", "dm:b"] {
        assert_eq!(item(&store, key).await.status, OutboxStatus::Delivered);
        assert_eq!(deliverer.calls(key), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn a_wake_up_delivers_a_fresh_enqueue_without_waiting_for_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let deliverer = Arc::new(Scripted::default());
    let (store, job) = worker(dir.path(), Arc::clone(&deliverer));
    let job = job.with_period(Duration::from_secs(3600));
    let waker = job.waker();
    assert_eq!(job.name(), "outbox");
    let jobs = Jobs::start(vec![Arc::new(job)], &CancellationToken::new());
    sleep(Duration::from_secs(1)).await;

    enqueue(&store, "dm:5", clock().now_ms()).await;
    sleep(Duration::from_secs(1)).await;
    assert_eq!(deliverer.calls("dm:5"), 0, "the period is an hour");
    waker.wake();
    sleep(Duration::from_millis(10)).await;
    assert_eq!(deliverer.calls("dm:5"), 1);
    assert_eq!(item(&store, "dm:5").await.status, OutboxStatus::Delivered);
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
}

struct Hanging;

#[async_trait]
impl Deliverer for Hanging {
    async fn deliver(&self, _item: &OutboxItem) -> Result<(), DeliveryError> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_delivery_without_an_answer_times_out_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let job = OutboxJob::new(store.clone(), Arc::new(Hanging), clock());
    let t0 = clock().now_ms();
    enqueue(&store, "dm:6", t0).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(0, 1, 0));
    let it = item(&store, "dm:6").await;
    assert_eq!(it.last_error.as_deref(), Some("no answer within 30 s"));
    let timeout = i64::try_from(job.timeout().as_millis()).unwrap();
    assert_eq!(it.next_attempt_at, t0 + timeout + 5_000);
}

/// Delivers `gate:wait` only once `gate:open` has been delivered.
#[derive(Default)]
struct Gate {
    open: tokio::sync::Notify,
    order: Mutex<Vec<String>>,
}

#[async_trait]
impl Deliverer for Gate {
    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        if item.idempotency_key == "gate:wait" {
            self.open.notified().await;
        } else {
            self.open.notify_one();
        }
        self.order
            .lock()
            .unwrap()
            .push(item.idempotency_key.clone());
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn items_of_different_keys_do_not_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let gate = Arc::new(Gate::default());
    let job = OutboxJob::new(store.clone(), gate.clone(), clock());
    let t0 = clock().now_ms();
    // The older item waits for the newer one: one at a time, it would time out.
    enqueue(&store, "gate:wait", t0).await;
    enqueue(&store, "gate:open", t0).await;
    assert_eq!(job.deliver_due().await.unwrap(), pass(2, 0, 0));
    assert_eq!(*gate.order.lock().unwrap(), ["gate:open", "gate:wait"]);
    for key in ["gate:wait", "gate:open"] {
        assert_eq!(item(&store, key).await.status, OutboxStatus::Delivered);
    }
}
