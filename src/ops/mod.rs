//! Operator commands: online verified backup, verified restore, and the data-directory lock that
//! `run` holds (so a restore can never swap the database under a running bot).

pub mod backup;
pub mod check;
pub mod lock;
pub mod restore;
mod verify;

pub use backup::{BackupReport, backup};
pub use lock::DataDirLock;
pub use restore::{RestoreReport, RestoreSummary, restore};
pub use verify::{VerifiedFile, verify_database};

/// UTC time stamp used in file names: `20261121T140811Z`.
fn file_stamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}
