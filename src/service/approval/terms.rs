//! What the panel client should look like after an approval (expiry, traffic limit, device
//! limit), computed once and stored with the client identity before any panel write, so that a
//! retry or the reconciler re-applies the same absolute values instead of extending twice.
//!
//! New client: expiry `now + days`, or `-days` (ms counted from the first connection, as 3x-ui
//! does) for `start_on_first_use` plans. Renewal: from `max(now, current expiry)`, so leftover
//! days are kept; a delayed start that has not begun yet stays delayed and grows by the plan's
//! days. Traffic (3x-ui counts `up + down` against `totalGB` and is not reset here): the new limit
//! is `used + leftover + plan`, where leftover is what remained of an active subscription (0 once
//! expired); a plan without a limit (0) makes the client unlimited.

use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::panel::ClientTraffic;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Bytes in a GiB.
pub const GIB: u64 = 1 << 30;

/// The target state of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// expiryTime: Unix ms; negative = ms from the first connection.
    pub expiry_ms: i64,
    /// totalGB in bytes; 0 = unlimited.
    pub total_bytes: u64,
    /// limitIp; 0 = unlimited.
    pub limit_ip: u32,
    /// True: extend the existing client; false: create (or rewrite) it.
    pub extend: bool,
    /// For a renewal: the client's expiry (Unix ms) and limit (bytes) before it, so a failed
    /// renewal can put them back (compensation).
    #[serde(default)]
    pub previous: Option<(i64, u64)>,
}

/// Terms of a brand-new client for `plan` approved at `now` (Unix ms).
#[must_use]
pub fn new_client(plan: &Plan, now: i64) -> Terms {
    let span = i64::from(plan.days) * DAY_MS;
    Terms {
        expiry_ms: if plan.start_on_first_use {
            -span
        } else {
            now + span
        },
        total_bytes: u64::from(plan.traffic_gib) * GIB,
        limit_ip: plan.device_limit,
        extend: false,
        previous: None,
    }
}

/// Terms of temporary access while a receipt of `plan` waits: `percent` % of the plan's traffic
/// (an unlimited plan stays unlimited: the short expiry bounds it), the plan's device limit, an
/// absolute expiry `days` after `now` (even for a first-use plan).
#[must_use]
pub fn provisional(plan: &Plan, now: i64, percent: u32, days: u32) -> Terms {
    Terms {
        expiry_ms: now + i64::from(days) * DAY_MS,
        total_bytes: percent_of(u64::from(plan.traffic_gib) * GIB, percent),
        limit_ip: plan.device_limit,
        extend: false,
        previous: None,
    }
}

/// `percent` % of `bytes`, rounded down, without overflow (a plan may have `u32::MAX` GiB).
fn percent_of(bytes: u64, percent: u32) -> u64 {
    let share = u128::from(bytes) * u128::from(percent) / 100;
    u64::try_from(share).unwrap_or(u64::MAX)
}

/// An expiry (`previous`, Unix ms, as the panel reports it; negative = a delayed start that has
/// not begun) extended by `span` ms: from `max(now, previous)`, or a longer delay. Saturating,
/// since `previous` is whatever the panel sent.
#[must_use]
pub fn extended_expiry(previous: i64, now: i64, span: i64) -> i64 {
    if previous < 0 {
        previous.saturating_sub(span)
    } else {
        previous.max(now).saturating_add(span)
    }
}

/// Terms of a renewal of the client whose traffic row is `current`, approved at `now`.
#[must_use]
pub fn renewal(plan: &Plan, now: i64, current: &ClientTraffic) -> Terms {
    let span = i64::from(plan.days) * DAY_MS;
    let cur = current.expiry_time;
    let expiry_ms = extended_expiry(cur, now, span);
    let active = cur < 0 || cur > now;
    let plan_bytes = u64::from(plan.traffic_gib) * GIB;
    let total_bytes = if plan_bytes == 0 {
        0
    } else {
        let used = u64::try_from(current.up.saturating_add(current.down)).unwrap_or(0);
        let total = u64::try_from(current.total).unwrap_or(0);
        let leftover = if active && total > 0 {
            total.saturating_sub(used)
        } else {
            0
        };
        used + leftover + plan_bytes
    };
    Terms {
        expiry_ms,
        total_bytes,
        limit_ip: plan.device_limit,
        extend: true,
        previous: Some((cur, u64::try_from(current.total).unwrap_or(0))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(first_use: bool) -> Plan {
        Plan {
            id: "m".into(),
            name: "m".into(),
            days: 30,
            traffic_gib: 100,
            device_limit: 2,
            price_minor: 500,
            currency: "USD".into(),
            start_on_first_use: first_use,
        }
    }

    fn traffic(expiry: i64, used_gib: u64, total_gib: u64) -> ClientTraffic {
        ClientTraffic {
            expiry_time: expiry,
            up: 0,
            down: i64::try_from(used_gib * GIB).unwrap(),
            total: i64::try_from(total_gib * GIB).unwrap(),
            ..ClientTraffic::default()
        }
    }

    #[test]
    fn new_clients_start_now_or_on_first_use() {
        let now = 1_000 * DAY_MS;
        assert_eq!(new_client(&plan(false), now).expiry_ms, now + 30 * DAY_MS);
        assert_eq!(new_client(&plan(true), now).expiry_ms, -30 * DAY_MS);
        assert_eq!(new_client(&plan(true), now).total_bytes, 100 * GIB);
    }

    #[test]
    fn renewal_keeps_leftover_days_and_traffic() {
        let now = 1_000 * DAY_MS;
        let active = renewal(&plan(false), now, &traffic(now + 10 * DAY_MS, 30, 100));
        assert_eq!(active.expiry_ms, now + 40 * DAY_MS);
        assert_eq!(active.total_bytes, 200 * GIB, "30 used + 70 left + 100 new");
        let expired = renewal(&plan(false), now, &traffic(now - 5 * DAY_MS, 30, 100));
        assert_eq!(expired.expiry_ms, now + 30 * DAY_MS);
        assert_eq!(
            expired.total_bytes,
            130 * GIB,
            "30 used + 100 new, nothing left over"
        );
        let not_started = renewal(&plan(true), now, &traffic(-30 * DAY_MS, 0, 100));
        assert_eq!(not_started.expiry_ms, -60 * DAY_MS);
    }

    /// Regression (fuzzing, `panel_answer` and `config`): a panel's expiry near the ends of
    /// `i64` overflowed the renewal's arithmetic, and so did the provisional share of a plan of
    /// `u32::MAX` GiB (a panic in debug builds, a wrapped value in release).
    #[test]
    fn extreme_panel_values_and_plans_do_not_overflow() {
        let now = 1_000 * DAY_MS;
        let far = renewal(&plan(false), now, &traffic(i64::MAX - 1, 0, 100));
        assert_eq!(far.expiry_ms, i64::MAX);
        let long_delay = renewal(&plan(true), now, &traffic(i64::MIN + 1, 0, 100));
        assert_eq!(long_delay.expiry_ms, i64::MIN);
        let huge = Plan {
            traffic_gib: u32::MAX,
            ..plan(false)
        };
        let share = provisional(&huge, now, 100, 3).total_bytes;
        assert_eq!(share, u64::from(u32::MAX) * GIB);
        assert_eq!(provisional(&plan(false), now, 10, 3).total_bytes, 10 * GIB);
        assert_eq!(extended_expiry(-DAY_MS, now, DAY_MS), -2 * DAY_MS);
        assert_eq!(extended_expiry(now - 1, now, DAY_MS), now + DAY_MS);
    }
}
