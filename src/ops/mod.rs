//! Operator commands: backup, restore, and the data-directory lock that `run` holds.
pub mod check;
