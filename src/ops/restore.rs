//! Verified restore. Refuses while the bot runs (it takes the data-directory lock), verifies a
//! staging copy of the file (SQLite header, integrity_check, application id, schema version not
//! newer than this binary; older schemas are migrated on the copy), asks for confirmation, keeps
//! the current database as `bot.db.pre-restore-<UTC>` (with its `-wal`), and swaps the copy in
//! with one atomic rename. Until that rename the live database is untouched; if it fails, the
//! live database stays as it was.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::config::StorageConfig;
use crate::error::{Error, Result};
use crate::ops::backup::{sync_dir, with_suffix};
use crate::ops::{DataDirLock, file_stamp, verify};
use crate::store::migrations;

/// What will be restored; shown to the operator before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreSummary {
    /// The backup file.
    pub source: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version (before migration).
    pub schema_version: i64,
    /// This binary's schema version.
    pub current_schema_version: i64,
    /// Row counts of the main tables in the backup: (table, rows).
    pub rows: Vec<(&'static str, i64)>,
    /// The live database that will be replaced.
    pub target: PathBuf,
    /// Whether a live database exists (it is kept aside).
    pub target_exists: bool,
}

impl std::fmt::Display for RestoreSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Backup:   {} ({} bytes)",
            self.source.display(),
            self.bytes
        )?;
        write!(f, "Schema:   version {}", self.schema_version)?;
        if self.schema_version < self.current_schema_version {
            write!(f, " (will be migrated to {})", self.current_schema_version)?;
        }
        writeln!(f)?;
        let rows: Vec<String> = self.rows.iter().map(|(t, n)| format!("{t} {n}")).collect();
        writeln!(f, "Contents: {}", rows.join(", "))?;
        if self.target_exists {
            write!(
                f,
                "Replaces: {} (kept aside as {}.pre-restore-<UTC>)",
                self.target.display(),
                self.target.display()
            )
        } else {
            write!(f, "Creates:  {}", self.target.display())
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// What was restored.
    pub summary: RestoreSummary,
    /// Where the previous database was moved, if there was one.
    pub previous: Option<PathBuf>,
    /// Schema version after migration.
    pub schema_version: i64,
}

const COUNTED: [&str; 4] = ["users", "orders", "payments", "revenue_ledger"];

/// Restores `file` over `<data_dir>/bot.db`. `confirm` sees the summary and returns whether to go
/// on.
///
/// # Errors
/// [`Error::Locked`] while the bot runs; [`Error::BadBackup`] for a missing, truncated, foreign,
/// damaged or newer-schema file, or one that cannot be migrated or lacks the shop's tables; [`Error::NotConfirmed`] when `confirm` says no; [`Error::Io`] /
/// [`Error::Db`] otherwise. In every error case the live database is unchanged.
pub fn restore(
    storage: &StorageConfig,
    file: &Path,
    confirm: impl FnOnce(&RestoreSummary) -> bool,
    now: jiff::Timestamp,
) -> Result<RestoreReport> {
    let _lock = DataDirLock::acquire(&storage.data_dir)?;
    let bytes = verify::check_header(file)?;
    let target = storage.db_path();
    let staging = with_suffix(&target, ".restore-tmp");
    let result = stage(file, &staging, bytes, &target).and_then(|(summary, version)| {
        if !confirm(&summary) {
            return Err(Error::NotConfirmed(
                "restore cancelled; nothing was changed".into(),
            ));
        }
        let previous = swap(&staging, &target, now)?;
        Ok(RestoreReport {
            summary,
            previous,
            schema_version: version,
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
        let _ = std::fs::remove_file(with_suffix(&staging, "-journal"));
    }
    result
}

/// Copies the backup to `staging`, verifies and migrates the copy.
fn stage(file: &Path, staging: &Path, bytes: u64, target: &Path) -> Result<(RestoreSummary, i64)> {
    let _ = std::fs::remove_file(staging);
    std::fs::copy(file, staging).map_err(Error::io("cannot copy backup to", staging))?;
    let verified = verify::verify_database(staging).map_err(|e| match e {
        Error::BadBackup { reason, .. } => Error::BadBackup {
            path: file.to_owned(),
            reason,
        },
        other => other,
    })?;
    // The file passed verification but is still the backup's content: anything that fails on
    // it from here on is the file's fault, and is refused as such.
    let bad = |reason: String| Error::BadBackup {
        path: file.to_owned(),
        reason,
    };
    let mut conn = Connection::open(staging)?;
    let (_, version) = migrations::migrate(&mut conn)
        .map_err(|e| bad(format!("cannot be migrated to this binary's schema: {e}")))?;
    let rows = COUNTED
        .iter()
        .map(|t| {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .map(|n| (*t, n))
                .map_err(|e| bad(format!("cannot count its {t}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    drop(conn);
    std::fs::File::open(staging)
        .and_then(|f| f.sync_all())
        .map_err(Error::io("cannot sync", staging))?;
    let summary = RestoreSummary {
        source: file.to_owned(),
        bytes,
        schema_version: verified.identity.user_version,
        current_schema_version: migrations::schema_version(),
        rows,
        target: target.to_owned(),
        target_exists: target.exists(),
    };
    Ok((summary, version))
}

/// Keeps the live database aside (hard link + its WAL) and renames `staging` over it.
fn swap(staging: &Path, target: &Path, now: jiff::Timestamp) -> Result<Option<PathBuf>> {
    let wal = with_suffix(target, "-wal");
    let shm = with_suffix(target, "-shm");
    if !target.exists() {
        std::fs::rename(staging, target)
            .map_err(Error::io("cannot move restored database to", target))?;
        sync_dir(target);
        return Ok(None);
    }
    // Fold the WAL into the main file so the kept copy is self-contained (best effort: a damaged
    // live database is kept as it is, WAL included).
    if let Ok(conn) = Connection::open(target) {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
    let aside = with_suffix(target, &format!(".pre-restore-{}", file_stamp(now)));
    if std::fs::hard_link(target, &aside).is_err() {
        std::fs::copy(target, &aside)
            .map_err(Error::io("cannot keep the current database as", &aside))?;
    }
    let aside_wal = with_suffix(&aside, "-wal");
    let moved_wal = wal.exists();
    if moved_wal {
        // A WAL left beside the new file would be replayed into it: it must move, or we stop.
        if let Err(e) = std::fs::rename(&wal, &aside_wal) {
            let _ = std::fs::remove_file(&aside);
            return Err(Error::io(
                "cannot move the current WAL aside to",
                &aside_wal,
            )(e));
        }
    }
    if let Err(e) = std::fs::rename(staging, target) {
        if moved_wal {
            let _ = std::fs::rename(&aside_wal, &wal);
        }
        let _ = std::fs::remove_file(&aside);
        return Err(Error::io("cannot move restored database to", target)(e));
    }
    let _ = std::fs::remove_file(&shm);
    sync_dir(target);
    tracing::info!(previous = %aside.display(), "database restored; previous one kept aside");
    Ok(Some(aside))
}
