//! Receipt files on disk, content-addressed: `<data_dir>/receipts/<first 2 hex>/<sha256>.<ext>`.
//!
//! Writes are atomic (temp file in the same directory, `fsync`, rename, `fsync` of the
//! directory), so a crash never leaves a half-written receipt under its final name; writing a
//! name that already exists is a no-op (same name = same bytes). Paths recorded in the database
//! are relative to the data directory (`receipts/ab/ab….png`) and are checked to stay inside it
//! before being read or deleted. All functions block: call them from the blocking pool.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The name of the receipts folder inside the data directory.
pub const RECEIPTS_FOLDER: &str = "receipts";

/// The path, relative to the data directory, where a receipt with this hash is stored:
/// `receipts/ab/abcdef….png`.
#[must_use]
pub fn relative_path(sha256: &str, extension: &str) -> String {
    let shard = sha256.get(..2).unwrap_or("00");
    format!("{RECEIPTS_FOLDER}/{shard}/{sha256}.{extension}")
}

/// Resolves a stored relative path against `data_dir`, refusing absolute paths and `..`.
///
/// # Errors
/// [`Error::Io`] (`InvalidInput`) when the recorded path would leave the data directory.
pub(super) fn resolve(data_dir: &Path, relative: &str) -> Result<PathBuf> {
    let rel = Path::new(relative);
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(data_dir.join(rel))
    } else {
        Err(Error::Io {
            action: "refusing a receipt path outside the data directory:",
            path: rel.to_owned(),
            source: std::io::Error::from(ErrorKind::InvalidInput),
        })
    }
}

/// Writes `bytes` to `data_dir/relative` atomically; returns `false` when a file with that name
/// already existed (then nothing is written).
///
/// # Errors
/// [`Error::Io`] naming the file when a directory cannot be created or the file cannot be
/// written, synced or renamed (the temp file is removed on failure).
pub(super) fn write_atomic(data_dir: &Path, relative: &str, bytes: &[u8]) -> Result<bool> {
    let target = resolve(data_dir, relative)?;
    if target.exists() {
        return Ok(false);
    }
    let dir = target.parent().unwrap_or(data_dir).to_owned();
    fs::create_dir_all(&dir).map_err(Error::io("cannot create directory", &dir))?;
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|e| Error::Io {
        action: "cannot pick a temp name in",
        path: dir.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let file_name = target.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix)));
    let written = write_and_sync(&temp, bytes).and_then(|()| {
        fs::rename(&temp, &target).map_err(Error::io("cannot rename into place", &target))
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    // Make the rename itself durable.
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("cannot sync directory", &dir))?;
    Ok(true)
}

fn write_and_sync(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io("cannot create", path))?;
    file.write_all(bytes)
        .map_err(Error::io("cannot write", path))?;
    file.sync_all().map_err(Error::io("cannot sync", path))
}

/// Reads a stored receipt.
///
/// # Errors
/// [`Error::Io`] (including not found) naming the file; [`Error::Io`] (`InvalidInput`) for a path outside
/// the data directory.
pub(super) fn read(data_dir: &Path, relative: &str) -> Result<Vec<u8>> {
    let path = resolve(data_dir, relative)?;
    fs::read(&path).map_err(Error::io("cannot read receipt", path))
}

/// Deletes a stored receipt; returns whether a file was deleted (a missing file is not an error).
///
/// # Errors
/// [`Error::Io`] for other failures; [`Error::Io`] (`InvalidInput`) for a path outside the data directory.
pub(super) fn remove(data_dir: &Path, relative: &str) -> Result<bool> {
    let path = resolve(data_dir, relative)?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("cannot delete receipt", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_sharded_and_stay_inside() {
        assert_eq!(relative_path("abcdef", "png"), "receipts/ab/abcdef.png");
        let dir = Path::new("/data");
        assert_eq!(
            resolve(dir, "receipts/ab/x.png").unwrap(),
            Path::new("/data/receipts/ab/x.png")
        );
        assert!(resolve(dir, "../etc/passwd").is_err());
        assert!(resolve(dir, "/etc/passwd").is_err());
        assert!(resolve(dir, "receipts/../../x").is_err());
    }

    #[test]
    fn atomic_write_is_idempotent_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let rel = relative_path("ab12", "png");
        assert!(write_atomic(dir.path(), &rel, b"one").unwrap());
        assert!(!write_atomic(dir.path(), &rel, b"one").unwrap(), "exists");
        assert_eq!(read(dir.path(), &rel).unwrap(), b"one");
        let names: Vec<_> = fs::read_dir(dir.path().join("receipts/ab"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["ab12.png"], "no temp file left behind");
        assert!(remove(dir.path(), &rel).unwrap());
        assert!(!remove(dir.path(), &rel).unwrap(), "missing is fine");
    }
}
