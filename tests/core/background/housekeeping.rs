//! Housekeeping jobs: admin session purge, the scheduled-jobs runner (on time, never early,
//! retried with backoff, given up), TTL deletion of bot messages, scheduled verified backups.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::time::advance;
use vpn_ticket_bot::config::BackupConfig;
use vpn_ticket_bot::domain::status::{AdminAction, JobStatus};
use vpn_ticket_bot::domain::{ChannelId, MessageId, PaymentId, UserId};
use vpn_ticket_bot::ops;
use vpn_ticket_bot::service::housekeeping::{
    BackupJob, Deleted, MessageDeleter, MessageTtlJob, SessionPurgeJob,
};
use vpn_ticket_bot::service::scheduled::{
    HandlerError, ScheduledHandler, ScheduledJobsRunner, ScheduledPass,
};
use vpn_ticket_bot::store::scheduled_jobs::{self, ScheduledJob};
use vpn_ticket_bot::store::{Store, admin_sessions, bot_messages};
use vpn_ticket_bot::tasks::Job;

use super::{T0, clock};
use crate::common;

const HOUR_MS: i64 = 3_600_000;

#[tokio::test(start_paused = true)]
async fn expired_admin_sessions_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    {
        // Sessions reference payments; this test is about expiry, so skip the foreign keys.
        let conn = rusqlite::Connection::open(store.path()).unwrap();
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        for (token, expires) in [("old", T0 - 1), ("live", T0 + 5 * 60_000)] {
            admin_sessions::insert(
                &conn,
                token,
                UserId(9),
                AdminAction::Approve,
                PaymentId(1),
                T0 - 60_000,
                expires,
            )
            .unwrap();
        }
    }
    let job = SessionPurgeJob::new(store.clone(), clock());
    assert_eq!(job.name(), "session_purge");
    assert_eq!(job.purge().await.unwrap(), 1);
    let find = |token: &'static str| store.call(move |c| admin_sessions::find_by_token(c, token));
    assert!(find("old").await.unwrap().is_none());
    assert!(find("live").await.unwrap().is_some());
    advance(Duration::from_secs(5 * 60)).await;
    assert_eq!(
        job.purge().await.unwrap(),
        0,
        "expires_at itself is not yet purged"
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(job.purge().await.unwrap(), 1);
    assert!(find("live").await.unwrap().is_none());
}

/// A handler that answers from a script (then succeeds) and records when it ran.
#[derive(Default)]
struct Handler {
    script: Mutex<VecDeque<Result<(), HandlerError>>>,
    ran: Mutex<Vec<(i64, String)>>,
}

#[async_trait]
impl ScheduledHandler for Handler {
    async fn run(&self, job: &ScheduledJob) -> Result<(), HandlerError> {
        let channel = job.payload["channel"].to_string();
        self.ran.lock().unwrap().push((job.run_at, channel));
        self.script.lock().unwrap().pop_front().unwrap_or(Ok(()))
    }
}

async fn schedule(store: &Store, key: &'static str, kind: &'static str, run_at: i64) {
    store
        .call(move |c| {
            scheduled_jobs::schedule(c, key, kind, &json!({ "channel": 77 }), run_at, T0)
        })
        .await
        .unwrap()
        .unwrap();
}

async fn job(store: &Store, key: &'static str) -> ScheduledJob {
    store
        .call(move |c| scheduled_jobs::find_by_key(c, key))
        .await
        .unwrap()
        .unwrap()
}

const fn outcome(done: usize, retried: usize, given_up: usize) -> ScheduledPass {
    ScheduledPass {
        done,
        retried,
        given_up,
    }
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_job_runs_at_its_time_not_before_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let handler = Arc::new(Handler::default());
    handler
        .script
        .lock()
        .unwrap()
        .push_back(Err(HandlerError::Retry("discord 500".into())));
    let runner = ScheduledJobsRunner::new(store.clone(), clock()).handle(
        "delete_channel",
        Arc::clone(&handler) as Arc<dyn ScheduledHandler>,
    );
    schedule(
        &store,
        "delete_channel:77",
        "delete_channel",
        T0 + 24 * HOUR_MS,
    )
    .await;

    assert_eq!(runner.run_due().await.unwrap(), outcome(0, 0, 0));
    advance(Duration::from_millis(24 * 3_600_000 - 1)).await;
    assert_eq!(
        runner.run_due().await.unwrap(),
        outcome(0, 0, 0),
        "not before run_at"
    );
    advance(Duration::from_millis(1)).await;
    assert_eq!(runner.run_due().await.unwrap(), outcome(0, 1, 0));
    let j = job(&store, "delete_channel:77").await;
    assert_eq!((j.status, j.attempts), (JobStatus::Pending, 1));
    assert_eq!(j.run_at, T0 + 24 * HOUR_MS + 30_000, "retried 30 s later");
    assert_eq!(j.last_error.as_deref(), Some("discord 500"));

    advance(Duration::from_millis(29_999)).await;
    assert_eq!(runner.run_due().await.unwrap(), outcome(0, 0, 0));
    advance(Duration::from_millis(1)).await;
    assert_eq!(runner.run_due().await.unwrap(), outcome(1, 0, 0));
    let j = job(&store, "delete_channel:77").await;
    assert_eq!(j.status, JobStatus::Done);
    assert_eq!(j.finished_at, Some(T0 + 24 * HOUR_MS + 30_000));
    assert_eq!(handler.ran.lock().unwrap().len(), 2);
    advance(Duration::from_secs(86_400)).await;
    assert_eq!(
        runner.run_due().await.unwrap(),
        outcome(0, 0, 0),
        "done jobs never rerun"
    );
}

#[tokio::test(start_paused = true)]
async fn scheduled_jobs_give_up_or_wait_for_a_handler() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let handler = Arc::new(Handler::default());
    handler
        .script
        .lock()
        .unwrap()
        .push_back(Err(HandlerError::GiveUp("no such channel".into())));
    let runner = ScheduledJobsRunner::new(store.clone(), clock()).handle(
        "delete_channel",
        Arc::clone(&handler) as Arc<dyn ScheduledHandler>,
    );
    schedule(&store, "delete_channel:1", "delete_channel", T0).await;
    schedule(&store, "mystery:1", "mystery", T0).await;

    assert_eq!(runner.run_due().await.unwrap(), outcome(0, 1, 1));
    let gave_up = job(&store, "delete_channel:1").await;
    assert_eq!(gave_up.status, JobStatus::Cancelled);
    assert_eq!(gave_up.last_error.as_deref(), Some("no such channel"));
    let unknown = job(&store, "mystery:1").await;
    assert_eq!((unknown.status, unknown.attempts), (JobStatus::Pending, 1));
    assert!(unknown.last_error.unwrap().contains("no handler"));
}

/// Deletes messages: message 3 is already gone, message 4 fails.
#[derive(Default)]
struct Deleter(Mutex<Vec<u64>>);

#[async_trait]
impl MessageDeleter for Deleter {
    async fn delete(&self, _channel: ChannelId, message: MessageId) -> Result<Deleted, String> {
        self.0.lock().unwrap().push(message.0);
        match message.0 {
            3 => Ok(Deleted::AlreadyGone),
            4 => Err("missing permissions".into()),
            _ => Ok(Deleted::Now),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn ttl_messages_are_deleted_when_due_and_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    store
        .call(|c| {
            for (msg, ttl) in [
                (1, Some(T0)),
                (2, Some(T0 + HOUR_MS)),
                (3, Some(T0)),
                (4, Some(T0)),
                (5, None),
            ] {
                bot_messages::track(c, ChannelId(10), MessageId(msg), "notice", ttl, T0)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let deleter = Arc::new(Deleter::default());
    let job = MessageTtlJob::new(
        store.clone(),
        clock(),
        Arc::clone(&deleter) as Arc<dyn MessageDeleter>,
    );

    assert_eq!(job.delete_due().await.unwrap(), (2, 1));
    let mut tried = deleter.0.lock().unwrap().clone();
    tried.sort_unstable();
    assert_eq!(tried, [1, 3, 4]);
    let remaining = |at: i64| store.call(move |c| bot_messages::due(c, at, 100));
    let later: Vec<(u64, Option<i64>)> = remaining(i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.message_id.0, m.delete_after))
        .collect();
    let retry = T0 + i64::try_from(MessageTtlJob::RETRY.as_millis()).unwrap();
    assert_eq!(
        later,
        [(4, Some(retry)), (2, Some(T0 + HOUR_MS))],
        "1 and 3 forgotten, 5 kept"
    );

    advance(Duration::from_secs(3600)).await;
    assert_eq!(
        job.delete_due().await.unwrap(),
        (1, 1),
        "2 deleted, 4 failed again"
    );
    assert!(remaining(T0 + HOUR_MS - 1).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn scheduled_backups_write_verified_files_when_due() {
    let dir = tempfile::tempdir().unwrap();
    let storage = common::storage(dir.path());
    let store = common::store(dir.path());
    let disabled = BackupConfig {
        keep_days: 7,
        every_hours: 0,
    };
    assert!(BackupJob::from_config(&disabled, storage.clone(), clock()).is_none());
    let config = BackupConfig {
        keep_days: 7,
        every_hours: 6,
    };
    let job = BackupJob::from_config(&config, storage.clone(), clock()).unwrap();
    assert_eq!(job.period(), Duration::from_secs(3600));

    let first = job
        .backup_if_due()
        .await
        .unwrap()
        .expect("no backup yet: due now");
    assert!(first.path.starts_with(storage.backups_dir()));
    ops::verify_database(&first.path).unwrap();
    assert_eq!(first.path.file_name().unwrap(), "bot-20261121T120000Z.db");

    advance(Duration::from_secs(6 * 3600 - 1)).await;
    assert!(
        job.backup_if_due().await.unwrap().is_none(),
        "not due before 6 h"
    );
    advance(Duration::from_secs(1)).await;
    let second = job.backup_if_due().await.unwrap().expect("due after 6 h");
    assert_eq!(second.path.file_name().unwrap(), "bot-20261121T180000Z.db");
    ops::verify_database(&second.path).unwrap();
    assert_eq!(std::fs::read_dir(storage.backups_dir()).unwrap().count(), 2);
    drop(store);
}

#[tokio::test(start_paused = true)]
async fn started_as_jobs_a_scheduled_job_runs_at_the_first_tick_after_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let (ran, mut runs) = tokio::sync::mpsc::unbounded_channel();
    let runner = ScheduledJobsRunner::new(store.clone(), clock()).handle(
        "delete_channel",
        Arc::new(Report(ran)) as Arc<dyn ScheduledHandler>,
    );
    assert_eq!(runner.period(), Duration::from_secs(5));
    schedule(&store, "delete_channel:9", "delete_channel", T0 + 90_000).await;
    let started = tokio::time::Instant::now();
    let jobs = vpn_ticket_bot::tasks::Jobs::start(
        vec![
            Arc::new(runner),
            Arc::new(SessionPurgeJob::new(store.clone(), clock())),
        ],
        &tokio_util::sync::CancellationToken::new(),
    );
    // Ticks every 5 s: the 90 s tick runs it, the 85 s one does not. The clock is paused, so
    // awaiting the handler's report moves virtual time on while the jobs are idle.
    assert_eq!(runs.recv().await.unwrap(), "delete_channel:9");
    let at = started.elapsed();
    assert!(
        at > Duration::from_secs(85),
        "not before its time: ran at {at:?}"
    );
    assert!(at <= Duration::from_secs(95), "ran at {at:?}");
    let again = tokio::time::timeout(Duration::from_secs(300), runs.recv()).await;
    assert!(again.is_err(), "once: {again:?}");
    assert_eq!(
        job(&store, "delete_channel:9").await.status,
        JobStatus::Done
    );
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
}

/// A handler that waits until `parties` jobs are inside it at once: a runner that ran jobs one
/// after another would never get past the first.
struct Together(tokio::sync::Barrier);

#[async_trait]
impl ScheduledHandler for Together {
    async fn run(&self, _job: &ScheduledJob) -> Result<(), HandlerError> {
        self.0.wait().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn the_due_jobs_of_a_pass_run_at_the_same_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let parties = vpn_ticket_bot::service::scheduled::CONCURRENT_JOBS;
    let keys: Vec<&'static str> = (0..parties)
        .map(|i| &*Box::leak(format!("delete_channel:{i}").into_boxed_str()))
        .collect();
    for key in &keys {
        schedule(&store, key, "delete_channel", T0).await;
    }
    let runner = ScheduledJobsRunner::new(store.clone(), clock()).handle(
        "delete_channel",
        Arc::new(Together(tokio::sync::Barrier::new(parties))) as Arc<dyn ScheduledHandler>,
    );
    // Virtual time: a runner stuck on the first job times out at once instead of hanging.
    let pass = tokio::time::timeout(Duration::from_secs(30), runner.run_due())
        .await
        .expect("the jobs ran together")
        .unwrap();
    assert_eq!(pass, outcome(parties, 0, 0));
    for key in keys {
        assert_eq!(job(&store, key).await.status, JobStatus::Done);
    }
}

/// A handler that reports each job it ran.
struct Report(tokio::sync::mpsc::UnboundedSender<String>);

#[async_trait]
impl ScheduledHandler for Report {
    async fn run(&self, job: &ScheduledJob) -> Result<(), HandlerError> {
        self.0.send(job.dedupe_key.clone()).unwrap();
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_job_committed_as_due_runs_without_waiting_for_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let (ran, mut runs) = tokio::sync::mpsc::unbounded_channel();
    let runner = ScheduledJobsRunner::new(store.clone(), clock()).handle(
        "delete_channel",
        Arc::new(Report(ran)) as Arc<dyn ScheduledHandler>,
    );
    assert_eq!(runner.period(), Duration::from_secs(5));
    schedule(&store, "delete_channel:1", "delete_channel", T0).await;
    let jobs = vpn_ticket_bot::tasks::Jobs::start(
        vec![Arc::new(runner)],
        &tokio_util::sync::CancellationToken::new(),
    );
    // The first pass (at start) runs the first job; its query is behind it, so the second job
    // can only be run by a later pass.
    assert_eq!(runs.recv().await.unwrap(), "delete_channel:1");
    let started = tokio::time::Instant::now();
    store
        .transaction(|tx| {
            scheduled_jobs::schedule(
                tx,
                "delete_channel:2",
                "delete_channel",
                &json!({ "channel": 78 }),
                T0,
                T0,
            )
        })
        .await
        .unwrap()
        .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(3), runs.recv())
        .await
        .expect("woken by the commit, well before the 5 s tick");
    assert_eq!(second.unwrap(), "delete_channel:2");
    assert!(started.elapsed() <= vpn_ticket_bot::service::scheduled::WAKE_GAP);
    assert!(jobs.shutdown(Duration::from_secs(5)).await.is_empty());
}
