//! The data-directory lock: an exclusive `flock` on `<data_dir>/bot.lock`, held by `run` (and by
//! `restore` while it works). The holder writes its pid into the file so a refusal can name it.
//! The OS releases the lock when the process dies, so a crash never leaves a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// File name of the lock inside the data directory.
    pub const FILE_NAME: &'static str = "bot.lock";

    /// Takes the lock on `data_dir` (creating the directory), without waiting.
    ///
    /// # Errors
    /// [`Error::Locked`] when another process (a running bot, a restore) holds it;
    /// [`Error::Io`] when the directory or file cannot be created.
    pub fn acquire(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(Error::io("cannot create data directory", data_dir))?;
        let path = data_dir.join(Self::FILE_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io("cannot open lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(Error::Locked {
                    path: data_dir.to_owned(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("cannot lock", &path)(e)),
        }
        file.set_len(0)
            .map_err(Error::io("cannot write lock file", &path))?;
        file.rewind()
            .map_err(Error::io("cannot write lock file", &path))?;
        write!(file, "{}", std::process::id())
            .map_err(Error::io("cannot write lock file", &path))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_pid_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let err = DataDirLock::acquire(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("in use by a running vpn-ticket-bot"),
            "{text}"
        );
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
