//! Verification of a database file before it is trusted as a backup or restored: it is SQLite,
//! passes SQLite's own check, carries our application id and a schema version this binary knows.
//!
//! Two depths of SQLite check, one for each use:
//! - [`verify_database`] (restore, and any file of unknown history): the full
//!   `PRAGMA integrity_check` — every page, every record, CHECK and NOT NULL constraints, and
//!   every index entry against its table row (UNIQUE included). 19–22 s for 1 GB
//!   (`benches/backup.rs`, 2 shared cores).
//! - [`verify_copy`] (right after a backup): the page-level check, which is what a copy can
//!   fail — `PRAGMA quick_check` with CHECK constraints not evaluated (every b-tree and free-list
//!   page read and checked: page format, cell order, overflow chains, every page used exactly
//!   once; every record decoded, NOT NULL and STRICT column types), plus the page count of the
//!   snapshot it was copied from. 2.0–2.6 s for the same 1 GB.
//!
//! What the copy check leaves out — index entries against their rows, UNIQUE, CHECK constraints
//! — are rules about rows, which the live database enforces on every write. The backup API
//! copies pages verbatim from one snapshot: a missing, short or garbled page is what a copy can
//! get wrong, and the page-level check reads every page. A copy can break a rule about rows only
//! if the live database already breaks it; `restore` (full check) refuses such a file, so it is
//! never installed. (Neither check is a checksum of the content: a byte changed inside a value
//! can pass both.)

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::store::migrations::{self, Identity};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedFile {
    /// Application id and schema version.
    pub identity: Identity,
    /// Size in bytes.
    pub bytes: u64,
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::BadBackup {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Checks the 16-byte SQLite header, so random bytes get a clear message instead of SQLite's.
///
/// # Errors
/// [`Error::BadBackup`] when the file is missing, empty, or not SQLite.
pub(super) fn check_header(path: &Path) -> Result<u64> {
    let mut file = std::fs::File::open(path).map_err(|e| bad(path, format!("cannot open: {e}")))?;
    let bytes = file
        .metadata()
        .map_err(|e| bad(path, format!("cannot read: {e}")))?
        .len();
    let mut head = [0u8; 16];
    if bytes < 512 || file.read_exact(&mut head).is_err() {
        return Err(bad(
            path,
            format!("not a SQLite database (only {bytes} bytes)"),
        ));
    }
    if &head != SQLITE_MAGIC {
        return Err(bad(path, "not a SQLite database (no SQLite header)"));
    }
    Ok(bytes)
}

/// How deep SQLite checks the file (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// `PRAGMA integrity_check`.
    Full,
    /// `PRAGMA quick_check` without CHECK constraints.
    Pages,
}

/// Opens `path` read-write (it must be a file this process owns, e.g. a staging copy), and checks
/// header, integrity (the full `PRAGMA integrity_check`), application id and schema version
/// (newer than this binary is refused; older is reported in `identity.user_version` and left to
/// the caller to migrate).
///
/// # Errors
/// [`Error::BadBackup`] naming what failed.
pub fn verify_database(path: &Path) -> Result<VerifiedFile> {
    verify(path, Depth::Full, None)
}

/// Checks a copy just written by the backup: as [`verify_database`], but with the page-level
/// check (`PRAGMA quick_check`, CHECK constraints not evaluated; see the module doc for why that
/// is enough for a verbatim page copy), and the copy must have `expected_pages` pages (the
/// snapshot's size).
///
/// # Errors
/// [`Error::BadBackup`] naming what failed.
pub(super) fn verify_copy(path: &Path, expected_pages: i64) -> Result<VerifiedFile> {
    verify(path, Depth::Pages, Some(expected_pages))
}

fn verify(path: &Path, depth: Depth, expected_pages: Option<i64>) -> Result<VerifiedFile> {
    let bytes = check_header(path)?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| bad(path, format!("SQLite cannot open it: {e}")))?;
    if let Some(expected) = expected_pages {
        let pages: i64 = conn
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .map_err(|e| bad(path, format!("damaged: {e}")))?;
        if pages != expected {
            return Err(bad(
                path,
                format!("incomplete: {pages} pages, the snapshot had {expected}"),
            ));
        }
    }
    verify_open(&conn, path, depth).map(|identity| VerifiedFile { identity, bytes })
}

/// The checks of [`verify_database`] (or, with [`Depth::Pages`], of [`verify_copy`]) on an open
/// connection.
///
/// # Errors
/// [`Error::BadBackup`] naming what failed.
fn verify_open(conn: &Connection, path: &Path, depth: Depth) -> Result<Identity> {
    let problems =
        integrity_problems(conn, depth).map_err(|e| bad(path, format!("damaged: {e}")))?;
    if !problems.is_empty() {
        let shown: Vec<_> = problems.iter().take(3).map(String::as_str).collect();
        let check = match depth {
            Depth::Full => "integrity_check",
            Depth::Pages => "quick_check",
        };
        return Err(bad(
            path,
            format!(
                "damaged: {check} found {} problem(s): {}",
                problems.len(),
                shown.join("; ")
            ),
        ));
    }
    let identity = migrations::check_ownership(conn, path)?;
    if identity.application_id != migrations::APPLICATION_ID {
        return Err(bad(
            path,
            "not a vpn-ticket-bot database (no application id: empty file?)",
        ));
    }
    Ok(identity)
}

fn integrity_problems(conn: &Connection, depth: Depth) -> rusqlite::Result<Vec<String>> {
    let pragma = match depth {
        Depth::Full => "PRAGMA integrity_check",
        Depth::Pages => {
            // Only this connection, which only reads: nothing is written unchecked.
            conn.pragma_update(None, "ignore_check_constraints", true)?;
            "PRAGMA quick_check"
        }
    };
    let mut stmt = conn.prepare(pragma)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let all = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(all.into_iter().filter(|l| l != "ok").collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use crate::store::{Store, users};
    use std::time::Duration;

    /// A migrated database with `n` users, as one plain file (no WAL), and its page count.
    fn database(dir: &Path, n: u64) -> (std::path::PathBuf, i64) {
        let path = dir.join("copy.db");
        let store = Store::open_path(&path, Duration::from_secs(5), 1).unwrap();
        let conn = store.conn().unwrap();
        for i in 1..=n {
            users::ensure(&conn, UserId(i), i64::try_from(i).unwrap()).unwrap();
        }
        drop(conn);
        drop(store);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        let pages = conn
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        (path, pages)
    }

    fn reason(e: Error) -> String {
        match e {
            Error::BadBackup { reason, .. } => reason,
            other => panic!("not a BadBackup: {other}"),
        }
    }

    #[test]
    fn the_copy_check_refuses_a_damaged_page_and_a_short_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (path, pages) = database(dir.path(), 5_000);
        let ok = verify_copy(&path, pages).unwrap();
        assert_eq!(ok.identity.application_id, migrations::APPLICATION_ID);
        assert!(reason(verify_copy(&path, pages + 1).unwrap_err()).contains("incomplete"));

        // A leaf page of `users` in the middle of the file overwritten with garbage.
        let conn = Connection::open(&path).unwrap();
        let (page, size): (i64, i64) = conn
            .query_row(
                "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat
                 WHERE name = 'users' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 3",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        drop(conn);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = usize::try_from((page - 1) * size).unwrap();
        for (i, b) in bytes[at..at + 64].iter_mut().enumerate() {
            *b = u8::try_from(i * 37 % 251).unwrap();
        }
        std::fs::write(&path, &bytes).unwrap();
        let why = reason(verify_copy(&path, pages).unwrap_err());
        assert!(why.starts_with("damaged: "), "{why}");
        let why = reason(verify_database(&path).unwrap_err());
        assert!(why.starts_with("damaged: "), "{why}");
    }

    #[test]
    fn an_index_that_disagrees_with_its_table_passes_the_copy_check_but_not_the_restore_check() {
        // Only the live database can break a rule about rows (a page copy copies it as it is):
        // the copy check leaves it to the full check, which refuses the file.
        let dir = tempfile::tempdir().unwrap();
        let (path, pages) = database(dir.path(), 200);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = 'CREATE INDEX users_status_expiry ON users (status, created_at)'
              WHERE name = 'users_status_expiry';
             PRAGMA writable_schema = OFF;",
        )
        .unwrap();
        drop(conn);
        verify_copy(&path, pages).expect("pages and records are sound");
        let why = reason(verify_database(&path).unwrap_err());
        assert!(
            why.contains("integrity_check found") && why.contains("users_status_expiry"),
            "{why}"
        );
    }
}
