//! Emulators used by tests, the demo and benches.

pub mod discord;
