//! The SQLite store: an r2d2 pool, migrations, and all SQL of the crate (one module per table).
//!
//! Every pooled connection gets `foreign_keys=ON`, `busy_timeout`, WAL and `synchronous=NORMAL`
//! in r2d2_sqlite's `with_init`. Table modules expose plain functions that take a
//! `&rusqlite::Connection` (so services compose them inside one transaction); async code reaches
//! them through [`Store::call`], which runs the closure on the calling task once a connection is
//! free (a point query or a small transaction: cheaper than a hand-off to another thread), or
//! [`Store::call_blocking`], which runs it on tokio's blocking pool (work that grows with the
//! shop). Neither holds a connection across an `.await`; callers queue for a connection as async
//! tasks (a semaphore of `pool_size` permits), not as blocked threads. A committed
//! [`Store::transaction`] that changed a row of a watched table signals that table's
//! [`Store::committed_to`] wake-ups: the outbox worker waits on `outbox`'s, so a delivery queued
//! by any service is delivered right after its transaction commits, with no call to remember.

/// First-use activation columns of `users`.
pub mod activation;
/// `admin_sessions`: one-time confirmation tokens.
pub mod admin_sessions;
/// `audit_logs`: append-only record of admin actions, refusals and repairs.
pub mod audit;
/// `bot_config`: small persistent settings (dashboard message, warnings sent).
pub mod bot_config;
/// `bot_messages`: bot messages to delete after a TTL.
pub mod bot_messages;
/// Recognising SQLite constraint violations by constraint.
pub mod constraint;
/// Unix-ms and Discord-id conversions for SQLite.
mod convert;
/// `crypto_invoices`: Crypto Pay invoices, settled at most once.
pub mod crypto_invoices;
/// `gifts`: gift subscriptions, stored by token hash, redeemed once.
pub mod gifts;
/// The customer's language choice and last Discord locale.
pub mod languages;
/// The counts a metrics scrape reads.
pub mod metrics;
/// Forward-only migrations (`migrations/NNNN_*.sql`) and database identity checks.
pub mod migrations;
/// `orders`: one purchase attempt in one ticket, with the plan snapshot and catch-up position.
pub mod orders;
/// `outbox`: deliveries and views for Discord, with idempotency keys and revisions.
pub mod outbox;
/// `payments`: a receipt and its review, with the provisioning progress.
pub mod payments;
/// Which panel each customer is on; failover tombstones.
pub mod placement;
/// `promo_codes`, `promo_redemptions`: codes, reserved / consumed / released.
pub mod promo;
/// `referral_codes`, `referrals`: referrals and their one reward.
pub mod referrals;
/// `revenue_ledger` and `revenue_cache`: money in and out, and the period totals.
pub mod revenue;
/// `scheduled_jobs`: delayed work that survives a restart.
pub mod scheduled_jobs;
/// `ticket_messages` and `transcripts`: what was said in tickets, archived before deletion.
pub mod transcripts;
/// `trials`: one free trial per Discord account, ever.
pub mod trials;
/// `users`: customers, their ban flag, their panel client and the link last sent.
pub mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::config::StorageConfig;
use crate::error::{Error, Result};

pub use convert::now_ms;
pub use migrations::{APPLICATION_ID, MIGRATIONS, schema_version};

/// The connection pool type.
pub type Pool = r2d2::Pool<SqliteConnectionManager>;
/// A pooled connection.
pub type Conn = r2d2::PooledConnection<SqliteConnectionManager>;

/// A table watched for commits and its wake-up ([`Store::committed_to`]).
type Watch = (&'static str, Arc<Notify>);

/// How many [`Store::committed_to`] wake-ups a store can have (one bit each per transaction).
const MAX_WATCHES: usize = 64;

/// Shared handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    path: PathBuf,
    migrated: (i64, i64),
    /// One permit per pooled connection: [`Store::call`] takes one before it goes to the
    /// blocking pool, so `pool.get()` there never waits.
    permits: Arc<Semaphore>,
    /// The [`Store::committed_to`] wake-ups: (table, wake-up), at most [`MAX_WATCHES`].
    committed: Arc<std::sync::RwLock<Arc<Vec<Watch>>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Prepared statements kept per connection (rusqlite's `prepare_cached` LRU). The store has
/// about 110 distinct statements and one order runs a few dozen of them; at rusqlite's default
/// of 16 the cache kept evicting what the next step needed, and parsing SQL again was 9 % of
/// the bot's CPU per order in the process benchmark.
pub const STATEMENT_CACHE: usize = 128;

/// Sets the per-connection PRAGMAs (not in migrations: they are per connection, and
/// `journal_mode` does nothing inside a transaction), the statement cache
/// ([`STATEMENT_CACHE`]) and SQLite's query planner stability guarantee (QPSG).
///
/// Without QPSG, SQLite plans some statements from their bound values (a `LIMIT ?`, a `?`
/// compared with a partial index's condition) and then marks the prepared statement expired
/// whenever such a parameter is bound again, so a cached statement is compiled again on every
/// run: the outbox's and the scheduled jobs' due-work queries were, at 3 % of the CPU per order.
/// Our queries write partial-index conditions as literals, so the plans do not get worse.
///
/// # Errors
/// The PRAGMA's error.
pub fn configure_connection(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// Runs a cached statement and collects every row through `map`.
fn query_all<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, map)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/bot.db`, checks it belongs to this application, and
    /// applies pending migrations.
    ///
    /// # Errors
    /// [`Error::Io`] when the data directory cannot be created, [`Error::BadBackup`] when the
    /// file is another application's database or has a newer schema than this binary,
    /// [`Error::Migration`] / [`Error::Db`] / [`Error::Pool`] from SQLite.
    pub fn open(storage: &StorageConfig) -> Result<Self> {
        std::fs::create_dir_all(&storage.data_dir)
            .map_err(Error::io("cannot create data directory", &storage.data_dir))?;
        Self::open_path(
            &storage.db_path(),
            Duration::from_millis(storage.busy_timeout_ms),
            storage.pool_size,
        )
    }

    /// Opens the database file at `path` with a pool of `pool_size` connections, migrating it.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_path(path: &Path, busy_timeout: Duration, pool_size: u32) -> Result<Self> {
        let migrated = {
            let mut conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            )?;
            configure_connection(&conn, busy_timeout)?;
            migrations::check_ownership(&conn, path)?;
            migrations::migrate(&mut conn)?
        };
        let manager = SqliteConnectionManager::file(path)
            .with_init(move |c| configure_connection(c, busy_timeout));
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // A local file's connection does not go stale; r2d2's check-out test (an empty
            // `execute_batch` per check-out) was 1.4 % of the CPU per order.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        Ok(Self {
            pool,
            path: path.to_owned(),
            migrated,
            permits: Arc::new(Semaphore::new(pool_size as usize)),
            committed: Arc::default(),
        })
    }

    /// A new wake-up, notified (`notify_one`: one stored permit) after every transaction
    /// committed through [`Store::transaction`] from now on that inserted, updated or deleted a
    /// row of `table` (SQLite's update hook; a rowid table: `WITHOUT ROWID` tables are not
    /// reported). Each call registers its own, so every waiter sees every such commit (the outbox
    /// worker watches `outbox`, the scheduled-jobs runner `scheduled_jobs`); call it once per
    /// waiter, at setup. Writes through [`Store::call`] do not signal.
    ///
    /// # Panics
    /// Beyond 64 wake-ups on one store (a setup error: they are registered once per worker).
    #[must_use]
    pub fn committed_to(&self, table: &'static str) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        let mut watches = self
            .committed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(watches.len() < MAX_WATCHES, "too many commit watches");
        let mut more = Vec::clone(&watches);
        more.push((table, notify.clone()));
        *watches = Arc::new(more);
        notify
    }

    /// Schema versions (before, after) of the migration run when this store was opened.
    #[must_use]
    pub fn migrated(&self) -> (i64, i64) {
        self.migrated
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pooled connection, for blocking code (tests, CLI). Async code uses [`Store::call`].
    ///
    /// # Errors
    /// [`Error::Pool`] when no connection can be had.
    pub fn conn(&self) -> Result<Conn> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the calling task. While every connection is busy
    /// the caller waits here, as a task, for one to come back (first come, first served).
    ///
    /// For point queries and small transactions, which take tens of microseconds: handing them
    /// to another thread and back cost more CPU than the query itself (issue 16's note). `f`
    /// holds the worker thread while it runs, so work that grows with the shop (a scan of every
    /// customer, a rebuild, a purge, files) goes through [`Store::call_blocking`] instead.
    ///
    /// # Errors
    /// `f`'s error, [`Error::Pool`], or [`Error::Internal`] if `f` panicked (the panic is
    /// caught: a transaction open inside `f` is rolled back when it is dropped).
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.permit().await?;
        let mut conn = self.pool.get()?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut conn)))
            .unwrap_or(Err(Error::Internal("a database call panicked")))
    }

    /// Runs `f` with a pooled connection on tokio's blocking pool, for work that takes long
    /// enough to stall other tasks if run in place: scans that grow with the shop, rebuilds,
    /// purges. Waits for a connection as [`Store::call`] does.
    ///
    /// # Errors
    /// `f`'s error, [`Error::Pool`], or [`Error::Task`] if `f` panicked.
    pub async fn call_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let permit = self.permit().await?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            // Held until `f` returns, even if the caller stopped waiting.
            let _permit = permit;
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// One of the `pool_size` permits: a connection is free once it is granted.
    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("the store's connection semaphore was closed"))
    }

    /// Runs `f` inside an IMMEDIATE transaction, on the calling task as [`Store::call`] does;
    /// commits when `f` returns `Ok` (then signals the [`Store::committed_to`] wake-ups of the
    /// tables it changed), rolls back otherwise.
    ///
    /// Services use `Ok(Err(refusal))` (a `Result<Result<T, UserError>>`) for a refusal that must
    /// commit together with its audit entry; an outer `Err` rolls everything back.
    ///
    /// # Errors
    /// As [`Store::call`].
    pub async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let watches = Arc::clone(
            &self
                .committed
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let changed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (out, changed) = self
            .call(move |conn| {
                if !watches.is_empty() {
                    let (names, changed) = (Arc::clone(&watches), Arc::clone(&changed));
                    conn.update_hook(Some(
                        move |_: rusqlite::hooks::Action, _: &str, table: &str, _| {
                            for (bit, (name, _)) in names.iter().enumerate() {
                                if *name == table {
                                    changed
                                        .fetch_or(1 << bit, std::sync::atomic::Ordering::Relaxed);
                                }
                            }
                        },
                    ))?;
                }
                let out = (|| {
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let out = f(&tx)?;
                    tx.commit()?;
                    Ok(out)
                })();
                if !watches.is_empty() {
                    conn.update_hook(None::<fn(rusqlite::hooks::Action, &str, &str, i64)>)?;
                }
                let changed = changed.load(std::sync::atomic::Ordering::Relaxed);
                out.map(|out| (out, (watches, changed)))
            })
            .await?;
        let (watches, changed) = changed;
        for (bit, (_, notify)) in watches.iter().enumerate() {
            if changed & (1 << bit) != 0 {
                notify.notify_one();
            }
        }
        Ok(out)
    }
}
