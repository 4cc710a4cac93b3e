//! The services' clock: Unix milliseconds that follow tokio's clock.
//!
//! Wall time is read once (at construction) and then advanced by `tokio::time::Instant`, so
//! tests that pause tokio's clock and `advance` it move every expiry, TTL and schedule the
//! services compute, without sleeping. In production tokio's clock is the monotonic clock, so
//! times never jump backwards when the system clock is adjusted.

use tokio::time::Instant;

/// A clock anchored at a wall time. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall_at_start: i64,
    started: Instant,
}

impl Clock {
    /// A clock reading the system's wall time now.
    #[must_use]
    pub fn system() -> Self {
        Self::starting_at(jiff::Timestamp::now().as_millisecond())
    }

    /// A clock that reads `unix_ms` now and advances with tokio's clock (for tests).
    #[must_use]
    pub fn starting_at(unix_ms: i64) -> Self {
        Self {
            wall_at_start: unix_ms,
            started: Instant::now(),
        }
    }

    /// Current time in Unix milliseconds.
    #[must_use]
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.wall_at_start.saturating_add(elapsed)
    }

    /// Current time as a timestamp (saturating at jiff's range).
    #[must_use]
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms()).unwrap_or(jiff::Timestamp::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_tokios_paused_clock() {
        let clock = Clock::starting_at(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        tokio::time::advance(Duration::from_secs(300)).await;
        assert_eq!(clock.now_ms(), 301_000);
        assert_eq!(clock.now().as_millisecond(), 301_000);
    }
}
