//! Background jobs on tokio's paused clock with a temporary SQLite: the job runner, the outbox
//! worker, revenue totals and the cache, and the housekeeping jobs. Time only moves through
//! `tokio::time::advance` / `sleep` on the virtual clock; nothing sleeps for real.

mod housekeeping;
mod outbox;
mod revenue;
mod runner;

use vpn_ticket_bot::clock::Clock;

/// 2026-11-21T12:00:00Z, the wall time the tests' clocks start at.
pub(crate) const T0: i64 = 1_795_262_400_000;

/// A clock at [`T0`] following tokio's (paused) clock.
pub(crate) fn clock() -> Clock {
    Clock::starting_at(T0)
}
