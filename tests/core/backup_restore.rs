//! Online backup under concurrent writes, restore round trip, and every refusal of `restore`
//! leaving the live database unchanged.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc;

use rusqlite::Connection;
use rusqlite::types::Value;
use serde_json::json;
use vpn_ticket_bot::Error;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::ops::{self, DataDirLock};
use vpn_ticket_bot::store::{self, audit, users};

fn now() -> jiff::Timestamp {
    "2026-11-21T12:00:00Z".parse().unwrap()
}

fn add_rows(conn: &Connection, from: u64, n: u64) {
    for i in from..from + n {
        users::ensure(conn, UserId(i), i64::try_from(i).unwrap()).unwrap();
    }
}

/// Every row of every table, for equality checks.
fn dump(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let conn = Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
                .unwrap();
            let cols = stmt.column_count();
            let rows = stmt
                .query_map([], |r| (0..cols).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (t, rows)
        })
        .collect()
}

fn restore_yes(dir: &Path, file: &Path) -> vpn_ticket_bot::Result<ops::RestoreReport> {
    ops::restore(&common::storage(dir), file, |_| true, now())
}

#[test]
fn backup_while_writing_contains_every_row_committed_before_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    add_rows(&store.conn().unwrap(), 1, 20_000);

    let committed = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = mpsc::channel();
    let writer = {
        let (store, committed, stop) = (store.clone(), committed.clone(), stop.clone());
        std::thread::spawn(move || {
            let conn = store.conn().unwrap();
            let mut written = 0;
            while !stop.load(Ordering::SeqCst) {
                let entry = audit::NewEntry {
                    actor: None,
                    action: "test.write",
                    target_type: None,
                    target_id: None,
                    session_id: None,
                    payload: json!({"n": written}),
                };
                let id = audit::append(&conn, &entry, written).unwrap();
                committed.store(id, Ordering::SeqCst);
                written += 1;
                if written == 200 {
                    ready_tx.send(()).unwrap();
                }
            }
            written
        })
    };
    ready_rx.recv().unwrap();
    let before = committed.load(Ordering::SeqCst);
    let report = ops::backup(&common::storage(dir.path()), None, 14, now()).unwrap();
    let during_and_after = committed.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    let total = writer.join().unwrap();

    assert!(report.path.starts_with(dir.path().join("backups")));
    assert_eq!(report.path.file_name().unwrap(), "bot-20261121T120000Z.db");
    assert_eq!(report.schema_version, store::schema_version());
    let verified = ops::verify_database(&report.path).unwrap();
    assert_eq!(verified.identity.application_id, store::APPLICATION_ID);
    let backup = Connection::open(&report.path).unwrap();
    let (count, max): (i64, i64) = backup
        .query_row(
            "SELECT count(*), max(id) FROM audit_logs WHERE id <= ?1",
            [before],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (count, max),
        (before, before),
        "every audit row committed before the backup is in it"
    );
    let users_in_backup: i64 = backup
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users_in_backup, 20_000);
    assert!(
        during_and_after >= before && total > 200,
        "the writer kept writing ({total} rows)"
    );
    let journal: String = backup
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete", "the backup is one self-contained file");
    assert!(!PathBuf::from(format!("{}.partial", report.path.display())).exists());
}

#[test]
fn backup_to_an_explicit_file_refuses_to_overwrite_and_needs_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let storage = common::storage(dir.path());
    let err = ops::backup(&storage, None, 14, now()).unwrap_err();
    assert!(
        err.to_string()
            .contains("run `vpn-ticket-bot migrate` first"),
        "{err}"
    );
    common::store(dir.path());
    let out = dir.path().join("manual.db");
    ops::backup(&storage, Some(&out), 14, now()).unwrap();
    let err = ops::backup(&storage, Some(&out), 14, now()).unwrap_err();
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
}

#[test]
fn backup_applies_retention() {
    let dir = tempfile::tempdir().unwrap();
    common::store(dir.path());
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join("bot-20261001T000000Z.db"), b"old").unwrap();
    std::fs::write(backups.join("bot-20261120T000000Z.db"), b"recent").unwrap();
    let report = ops::backup(&common::storage(dir.path()), None, 14, now()).unwrap();
    assert_eq!(
        report.removed,
        vec![backups.join("bot-20261001T000000Z.db")]
    );
    assert!(backups.join("bot-20261120T000000Z.db").exists());
}

#[test]
fn restore_round_trip_gives_identical_data_and_keeps_the_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    add_rows(&store.conn().unwrap(), 1, 50);
    let report = ops::backup(&common::storage(dir.path()), None, 14, now()).unwrap();
    let at_backup = dump(&report.path);

    add_rows(&store.conn().unwrap(), 1_000, 25);
    drop(store);
    let live = dir.path().join("bot.db");
    let before_restore = dump(&live);
    assert_ne!(before_restore, at_backup);

    let mut seen = None;
    let restored = ops::restore(
        &common::storage(dir.path()),
        &report.path,
        |s| {
            seen = Some(s.clone());
            true
        },
        now(),
    )
    .unwrap();
    let summary = seen.unwrap();
    assert!(summary.rows.contains(&("users", 50)), "{summary}");
    assert!(summary.target_exists);
    assert_eq!(
        dump(&live),
        at_backup,
        "restored data is identical to the backup"
    );
    let previous = restored.previous.unwrap();
    assert_eq!(
        previous.file_name().unwrap(),
        "bot.db.pre-restore-20261121T120000Z"
    );
    assert_eq!(
        dump(&previous),
        before_restore,
        "the replaced database is kept aside intact"
    );
    let reopened = common::store(dir.path());
    let n: i64 = reopened
        .conn()
        .unwrap()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 50);
}

#[test]
fn restore_into_an_empty_data_directory_creates_the_database() {
    let source = tempfile::tempdir().unwrap();
    let store = common::store(source.path());
    add_rows(&store.conn().unwrap(), 1, 3);
    let report = ops::backup(&common::storage(source.path()), None, 14, now()).unwrap();
    let target = tempfile::tempdir().unwrap();
    let restored = restore_yes(target.path(), &report.path).unwrap();
    assert!(restored.previous.is_none());
    assert_eq!(dump(&target.path().join("bot.db")), dump(&report.path));
}

/// A live database with data, and a valid backup of it.
struct Fixture {
    dir: tempfile::TempDir,
    backup: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = common::store(dir.path());
        add_rows(&store.conn().unwrap(), 1, 500);
        let backup = ops::backup(&common::storage(dir.path()), None, 14, now())
            .unwrap()
            .path;
        add_rows(&store.conn().unwrap(), 10_000, 5);
        Self { dir, backup }
    }

    fn live(&self) -> PathBuf {
        self.dir.path().join("bot.db")
    }

    /// Restores `file` expecting a refusal; asserts the live database is unchanged and no
    /// staging file is left behind. Returns the error text.
    fn refused(&self, file: &Path) -> String {
        let before = dump(&self.live());
        let files_before = list(self.dir.path());
        let err = restore_yes(self.dir.path(), file).unwrap_err();
        assert_eq!(
            dump(&self.live()),
            before,
            "live database changed after: {err}"
        );
        assert_eq!(
            list(self.dir.path()),
            files_before,
            "files left behind after: {err}"
        );
        err.to_string()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // The lock file stays by design (like the -wal/-shm of the live database).
        .filter(|n| !n.ends_with("-shm") && !n.ends_with("-wal") && n != "bot.lock")
        .collect();
    names.sort();
    names
}

#[test]
fn restore_refuses_a_truncated_file() {
    let f = Fixture::new();
    let bytes = std::fs::read(&f.backup).unwrap();
    let truncated = f.file("truncated.db", &bytes[..bytes.len() / 2]);
    let err = f.refused(&truncated);
    assert!(
        err.contains("truncated.db") && err.contains("damaged"),
        "{err}"
    );
}

#[test]
fn restore_refuses_random_bytes() {
    let f = Fixture::new();
    let noise: Vec<u8> = (0..64 * 1024u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect();
    let err = f.refused(&f.file("random.db", &noise));
    assert!(err.contains("not a SQLite database"), "{err}");
    let err = f.refused(&f.file("tiny.db", b"hello"));
    assert!(err.contains("not a SQLite database"), "{err}");
    let err = f.refused(&f.dir.path().join("missing.db"));
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn restore_refuses_another_applications_database() {
    let f = Fixture::new();
    let other = f.dir.path().join("other.db");
    let conn = Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('hi');").unwrap();
    drop(conn);
    let err = f.refused(&other);
    assert!(err.contains("not a vpn-ticket-bot database"), "{err}");
    let conn = Connection::open(&other).unwrap();
    conn.pragma_update(None, "application_id", 0x1234).unwrap();
    drop(conn);
    let err = f.refused(&other);
    assert!(err.contains("application_id 0x1234"), "{err}");
}

#[test]
fn restore_refuses_a_newer_schema() {
    let f = Fixture::new();
    let newer = f.dir.path().join("newer.db");
    std::fs::copy(&f.backup, &newer).unwrap();
    let conn = Connection::open(&newer).unwrap();
    conn.pragma_update(None, "user_version", store::schema_version() + 1)
        .unwrap();
    drop(conn);
    let err = f.refused(&newer);
    assert!(err.contains("newer than this binary"), "{err}");
}

/// Regression (fuzzing, `restore_file`): a file with our application id and a schema version
/// but not the schema itself passed verification, then failed with a raw SQLite or migration
/// error instead of the promised `BadBackup`.
#[test]
fn restore_refuses_our_identity_without_our_schema() {
    let f = Fixture::new();
    let hollow = |name: &str, version: i64| {
        let path = f.dir.path().join(name);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", 0x5654_4231)
            .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
        drop(conn);
        path
    };
    let current = hollow("hollow.db", store::schema_version());
    let err = f.refused(&current);
    assert!(
        err.contains("hollow.db") && err.contains("cannot count its users"),
        "{err}"
    );
    let negative = hollow("negative.db", -1);
    let err = f.refused(&negative);
    assert!(err.contains("cannot be migrated"), "{err}");
    for file in [&current, &negative] {
        let e = ops::restore(&common::storage(f.dir.path()), file, |_| true, now()).unwrap_err();
        assert!(
            matches!(e, vpn_ticket_bot::Error::BadBackup { .. }),
            "{e:?}"
        );
    }
}

#[test]
fn restore_refuses_while_the_bot_runs() {
    let f = Fixture::new();
    let lock = DataDirLock::acquire(f.dir.path()).unwrap();
    let err = restore_yes(f.dir.path(), &f.backup).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    assert!(err.to_string().contains("stop it first"), "{err}");
    drop(lock);
    restore_yes(f.dir.path(), &f.backup).expect("works once the bot stopped");
}

#[test]
fn restore_declined_changes_nothing() {
    let f = Fixture::new();
    let before = dump(&f.live());
    let err =
        ops::restore(&common::storage(f.dir.path()), &f.backup, |_| false, now()).unwrap_err();
    assert!(matches!(err, Error::NotConfirmed(_)), "{err}");
    assert_eq!(dump(&f.live()), before);
}

#[test]
fn restore_migrates_an_older_schema() {
    let f = Fixture::new();
    let old = f.dir.path().join("old.db");
    let conn = Connection::open(&old).unwrap();
    // Schema version 0 of our application: created, never migrated.
    conn.pragma_update(None, "application_id", store::APPLICATION_ID)
        .unwrap();
    conn.execute_batch("CREATE TABLE placeholder (x); DROP TABLE placeholder;")
        .unwrap();
    drop(conn);
    let report = restore_yes(f.dir.path(), &old).unwrap();
    assert_eq!(report.summary.schema_version, 0);
    assert_eq!(report.schema_version, store::schema_version());
    let conn = Connection::open(f.live()).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, store::schema_version());
}

/// What `litestream restore -o FILE` hands back on a standby: one plain database file rebuilt
/// from the replicated main file and WAL. Emulated from a live database's `bot.db` and
/// `bot.db-wal` copied together (the WAL replayed on open, then folded into the file).
fn replica_of(live_dir: &Path, out_dir: &Path) -> PathBuf {
    let replica = out_dir.join("replica.db");
    std::fs::copy(live_dir.join("bot.db"), &replica).unwrap();
    let wal = live_dir.join("bot.db-wal");
    if wal.exists() {
        std::fs::copy(&wal, out_dir.join("replica.db-wal")).unwrap();
    }
    let conn = Connection::open(&replica).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    replica
}

#[test]
fn a_litestream_style_replica_passes_the_restore_drill() {
    let (live, standby) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store = common::store(live.path());
    add_rows(&store.conn().unwrap(), 1, 40);
    // The replica is taken while the primary is open and its last writes sit in the WAL.
    let replica = replica_of(live.path(), standby.path());
    assert!(
        !standby.path().join("replica.db-wal").exists(),
        "one plain file"
    );
    let expected = dump(&replica);
    // The standby's drill: our verified restore into its own data directory.
    let restored = restore_yes(standby.path(), &replica).unwrap();
    assert_eq!(
        restored.summary.rows.iter().find(|(t, _)| *t == "users"),
        Some(&("users", 40))
    );
    assert_eq!(dump(&standby.path().join("bot.db")), expected);
    drop(store);
    // A replica cut short (a copy taken half-way) is refused and nothing is installed.
    let cut = standby.path().join("cut.db");
    let bytes = std::fs::read(&replica).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let before = dump(&standby.path().join("bot.db"));
    assert!(restore_yes(standby.path(), &cut).is_err());
    assert_eq!(dump(&standby.path().join("bot.db")), before);
}
