//! Verification of a database file before it is trusted as a backup or restored: it is SQLite,
//! passes `PRAGMA integrity_check`, carries our application id and a schema version this binary
//! knows.

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

/// Opens `path` read-write (it must be a file this process owns, e.g. a staging copy), and checks
/// header, integrity, application id and schema version (newer than this binary is refused;
/// older is reported in `identity.user_version` and left to the caller to migrate).
///
/// # Errors
/// [`Error::BadBackup`] naming what failed.
pub fn verify_database(path: &Path) -> Result<VerifiedFile> {
    let bytes = check_header(path)?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| bad(path, format!("SQLite cannot open it: {e}")))?;
    verify_open(&conn, path).map(|identity| VerifiedFile { identity, bytes })
}

/// As [`verify_database`], on an open connection.
///
/// # Errors
/// [`Error::BadBackup`] naming what failed.
pub(super) fn verify_open(conn: &Connection, path: &Path) -> Result<Identity> {
    let problems = integrity_problems(conn).map_err(|e| bad(path, format!("damaged: {e}")))?;
    if !problems.is_empty() {
        let shown: Vec<_> = problems.iter().take(3).map(String::as_str).collect();
        return Err(bad(
            path,
            format!(
                "damaged: integrity_check found {} problem(s): {}",
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

fn integrity_problems(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let all = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(all.into_iter().filter(|l| l != "ok").collect())
}
