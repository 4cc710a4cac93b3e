//! Online backup through SQLite's backup API while the bot keeps writing.
//!
//! The copy is taken in steps of about 4 MiB inside one read transaction on the live database,
//! so it is one consistent snapshot (WAL readers do not block writers) and every transaction
//! committed before the backup started is in it. The copy is written to `<name>.partial`, synced
//! step by step, verified (the page-level check of a fresh copy, see `ops::verify`:
//! `quick_check`, the snapshot's page count, application id, schema version), and only then
//! renamed to `bot-<UTC>.db`. Retention runs after each successful backup.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use crate::config::StorageConfig;
use crate::error::{Error, Result};
use crate::ops::{file_stamp, verify};
use crate::store::{configure_connection, migrations};

/// What a backup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The verified backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version.
    pub schema_version: i64,
    /// How long the whole backup took (copy, verification, rename, retention).
    pub took: Duration,
    /// Of which copying the snapshot into the new file.
    pub copy_took: Duration,
    /// Of which verifying the copy.
    pub verify_took: Duration,
    /// Old backups deleted by retention.
    pub removed: Vec<PathBuf>,
}

/// Backs up `<data_dir>/bot.db` to `out`, or to `<data_dir>/backups/bot-<UTC>.db` (`-2`, `-3`...
/// appended when one was taken in the same second) and then
/// deletes backups in that folder older than `keep_days` (0 = keep all; the newest is always
/// kept).
///
/// # Errors
/// [`Error::BadBackup`] when there is no database yet, it is not ours, or the copy fails
/// verification (the partial file is removed); [`Error::Io`] for file errors (an existing `out`
/// is never overwritten); [`Error::Db`] from SQLite.
pub fn backup(
    storage: &StorageConfig,
    out: Option<&Path>,
    keep_days: u32,
    now: jiff::Timestamp,
) -> Result<BackupReport> {
    let started = Instant::now();
    let source_path = storage.db_path();
    if !source_path.exists() {
        return Err(Error::BadBackup {
            path: source_path,
            reason: "no database to back up yet (run `vpn-ticket-bot migrate` first)".into(),
        });
    }
    let dest = if let Some(p) = out {
        p.to_owned()
    } else {
        let dir = storage.backups_dir();
        std::fs::create_dir_all(&dir).map_err(Error::io("cannot create backup directory", &dir))?;
        free_name(&dir, &file_stamp(now))
    };
    if dest.exists() {
        return Err(Error::io("refusing to overwrite", &dest)(
            std::io::ErrorKind::AlreadyExists.into(),
        ));
    }
    let partial = with_suffix(&dest, ".partial");
    let result = copy_and_verify(&source_path, &partial, storage.busy_timeout_ms);
    let (verified, copy_took, verify_took) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &dest).map_err(Error::io("cannot rename backup to", &dest))?;
    sync_dir(&dest);
    let removed = if out.is_none() {
        apply_retention(&storage.backups_dir(), keep_days, now, &dest)?
    } else {
        Vec::new()
    };
    tracing::info!(path = %dest.display(), bytes = verified.bytes, "backup written and verified");
    Ok(BackupReport {
        path: dest,
        bytes: verified.bytes,
        schema_version: verified.identity.user_version,
        took: started.elapsed(),
        copy_took,
        verify_took,
        removed,
    })
}

/// The verified copy, and how long copying and verifying took.
type Copied = (verify::VerifiedFile, Duration, Duration);

fn copy_and_verify(source: &Path, partial: &Path, busy_ms: u64) -> Result<Copied> {
    let _ = std::fs::remove_file(partial);
    let started = Instant::now();
    let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    configure_connection(&src, Duration::from_millis(busy_ms))?;
    migrations::check_ownership(&src, source)?;
    let pages = {
        let mut dst = Connection::open(partial)?;
        // A scratch file until it is renamed: a crash leaves only a `.partial`, removed by the
        // next backup. The copy is synced below, once, and step by step while it is written.
        dst.pragma_update(None, "synchronous", "OFF")?;
        let page_size: i64 = src.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let step_pages = i32::try_from(STEP_BYTES / page_size.max(512)).unwrap_or(i32::MAX);
        let pages = copy_snapshot(
            &src,
            &mut dst,
            step_pages,
            Duration::from_millis(busy_ms),
            || sync_file(partial),
        )?;
        // A self-contained file: no -wal beside it.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        pages
    };
    drop(src);
    sync_file(partial)?;
    let copy_took = started.elapsed();
    let started = Instant::now();
    let verified = verify::verify_copy(partial, pages)?;
    if verified.identity.user_version != migrations::schema_version() {
        return Err(Error::BadBackup {
            path: partial.to_owned(),
            reason: format!(
                "copy has schema version {}, expected {}",
                verified.identity.user_version,
                migrations::schema_version()
            ),
        });
    }
    Ok((verified, copy_took, started.elapsed()))
}

/// About how much one backup step copies (then the copy is synced): 4 MiB. Bounds the unsynced
/// data a concurrent commit's checkpoint may have to wait behind.
const STEP_BYTES: i64 = 4 << 20;

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_data())
        .map_err(Error::io("cannot sync", path))
}

/// Copies the database of `src` into `dst`, `step_pages` pages per backup step, calling
/// `after_step` after each step but the last; returns the number of pages copied.
///
/// The whole copy runs inside one read transaction on `src`, opened first: every step reads the
/// same snapshot (WAL readers do not block writers), so the copy is one consistent snapshot,
/// and the steps never restart when the bot commits (SQLite restarts a backup only when its
/// source connection starts a new read transaction and sees another connection's changes).
/// Between steps the destination can be synced, so a backup never leaves a gigabyte of
/// unwritten data for the bot's next checkpoint to wait behind. `Busy`/`Locked` are retried
/// until `patience` runs out.
fn copy_snapshot(
    src: &Connection,
    dst: &mut Connection,
    step_pages: i32,
    patience: Duration,
    mut after_step: impl FnMut() -> Result<()>,
) -> Result<i64> {
    use rusqlite::backup::StepResult;
    src.execute_batch("BEGIN")?;
    let copied = (|| {
        // Starts the read transaction: the snapshot is taken here.
        src.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        let backup = Backup::new(src, dst)?;
        let started = Instant::now();
        loop {
            match backup.step(step_pages.max(1))? {
                StepResult::Done => return Ok(i64::from(backup.progress().pagecount)),
                StepResult::More => after_step()?,
                StepResult::Busy | StepResult::Locked if started.elapsed() >= patience => {
                    return Err(Error::Db(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("the database stayed locked for the whole busy timeout".into()),
                    )));
                }
                // Busy, Locked: go again.
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    })();
    // Ends the read transaction (nothing was written through `src`).
    let ended = src.execute_batch("COMMIT");
    let pages = copied?;
    ended?;
    Ok(pages)
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Best effort: makes a rename durable.
pub(crate) fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// `bot-<stamp>.db` in `dir`, or `bot-<stamp>-2.db`, `-3`... when a backup was already taken in
/// the same second (the daily job and `/admin backup`, say).
fn free_name(dir: &Path, stamp: &str) -> PathBuf {
    let first = dir.join(format!("bot-{stamp}.db"));
    if !first.exists() {
        return first;
    }
    (2u32..=u32::MAX)
        .map(|n| dir.join(format!("bot-{stamp}-{n}.db")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Parses `bot-YYYYMMDDTHHMMSSZ.db` (or `bot-YYYYMMDDTHHMMSSZ-N.db`) into its time stamp.
fn backup_time(name: &str) -> Option<jiff::Timestamp> {
    let stamp = name.strip_prefix("bot-")?.strip_suffix(".db")?;
    let stamp = match stamp.split_once('-') {
        Some((stamp, n)) if n.bytes().all(|b| b.is_ascii_digit()) => stamp,
        Some(_) => return None,
        None => stamp,
    };
    jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp)
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Deletes `bot-<UTC>.db` files in `dir` older than `keep_days` days before `now`, never `keep`.
///
/// # Errors
/// [`Error::Io`] when the directory cannot be read or a file cannot be deleted.
pub fn apply_retention(
    dir: &Path,
    keep_days: u32,
    now: jiff::Timestamp,
    keep: &Path,
) -> Result<Vec<PathBuf>> {
    if keep_days == 0 {
        return Ok(Vec::new());
    }
    let cutoff = now - jiff::SignedDuration::from_hours(24 * i64::from(keep_days));
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(Error::io("cannot read", dir))? {
        let path = entry.map_err(Error::io("cannot read", dir))?.path();
        let Some(time) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(backup_time)
        else {
            continue;
        };
        if time < cutoff && path != keep {
            std::fs::remove_file(&path).map_err(Error::io("cannot delete old backup", &path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

/// The time stamp of the newest `bot-<UTC>.db` in `dir`; `None` when there is none (or the
/// folder does not exist yet).
#[must_use]
pub fn newest_backup(dir: &Path) -> Option<jiff::Timestamp> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            backup_time(entry.file_name().to_str()?)
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database of about 1 MB: `rows` holds `n` rows, `meta.rows` counts them (both are
    /// written in one transaction, so a consistent copy agrees with itself).
    fn pairs_database(path: &Path, n: i64) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             CREATE TABLE meta (rows INTEGER NOT NULL);
             INSERT INTO meta VALUES (0);",
        )
        .unwrap();
        for _ in 0..n {
            add_pair(&conn);
        }
        conn
    }

    fn add_pair(conn: &Connection) {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             INSERT INTO rows (body) VALUES (printf('%.500c', 'x'));
             UPDATE meta SET rows = rows + 1;
             COMMIT;",
        )
        .unwrap();
    }

    fn counts(path: &Path) -> (i64, i64) {
        let conn = Connection::open(path).unwrap();
        conn.query_row(
            "SELECT (SELECT count(*) FROM rows), (SELECT rows FROM meta)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    #[test]
    fn a_copy_in_many_steps_is_the_snapshot_it_started_from_while_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let (live, copy) = (dir.path().join("live.db"), dir.path().join("copy.db"));
        let writer = pairs_database(&live, 2_000);
        let src = Connection::open(&live).unwrap();
        let mut dst = Connection::open(&copy).unwrap();
        let mut steps = 0;
        let pages = copy_snapshot(&src, &mut dst, 8, Duration::from_secs(5), || {
            // Another connection commits between every two steps (a busy shop). A backup that
            // restarted on each commit would never finish: give up long before.
            add_pair(&writer);
            steps += 1;
            assert!(steps < 10_000, "the copy keeps restarting");
            Ok(())
        })
        .unwrap();
        drop(dst);
        assert!(pages > 2_000 * 500 / 4096, "{pages} pages");
        assert_eq!(
            i64::from(steps),
            (pages - 1) / 8,
            "every page copied once in steps of 8: never restarted"
        );
        assert_eq!(
            counts(&copy),
            (2_000, 2_000),
            "the copy is the snapshot taken when it started, whole"
        );
        let live_rows = 2_000 + i64::from(steps);
        assert_eq!(counts(&live), (live_rows, live_rows));
        let copy = Connection::open(&copy).unwrap();
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let copied: i64 = copy
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        assert_eq!(copied, pages);
    }

    #[test]
    fn retention_deletes_only_old_backup_files() {
        let dir = tempfile::tempdir().unwrap();
        let now: jiff::Timestamp = "2026-11-21T12:00:00Z".parse().unwrap();
        for name in [
            "bot-20261101T000000Z.db",
            "bot-20261110T000000Z.db",
            "bot-20261120T000000Z.db",
            "notes.txt",
            "bot-garbage.db",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let keep = dir.path().join("bot-20261121T120000Z.db");
        let removed = apply_retention(dir.path(), 14, now, &keep).unwrap();
        assert_eq!(removed, vec![dir.path().join("bot-20261101T000000Z.db")]);
        assert!(dir.path().join("bot-20261110T000000Z.db").exists());
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir.path().join("bot-garbage.db").exists());
    }

    #[test]
    fn backup_file_names_parse_back_to_their_time() {
        let now: jiff::Timestamp = "2026-11-21T14:08:11Z".parse().unwrap();
        let name = format!("bot-{}.db", file_stamp(now));
        assert_eq!(name, "bot-20261121T140811Z.db");
        assert_eq!(backup_time(&name), Some(now));
        assert_eq!(backup_time("bot-20261121T140811Z-2.db"), Some(now));
        assert_eq!(backup_time("bot-20261121T140811Z-x.db"), None);
    }

    #[test]
    fn a_second_backup_in_the_same_second_gets_a_numbered_name() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_name(dir.path(), "20261121T140811Z");
        assert_eq!(first, dir.path().join("bot-20261121T140811Z.db"));
        std::fs::write(&first, b"x").unwrap();
        let second = free_name(dir.path(), "20261121T140811Z");
        assert_eq!(second, dir.path().join("bot-20261121T140811Z-2.db"));
        std::fs::write(&second, b"x").unwrap();
        let third = free_name(dir.path(), "20261121T140811Z");
        assert_eq!(third, dir.path().join("bot-20261121T140811Z-3.db"));
    }
}
