//! Growth without a hole in the till: bans, the one free trial, promo codes, referrals and gift
//! subscriptions. Every limit that protects money is enforced by the database inside the
//! transaction that uses it (a trial per account is a primary key; a code's uses a guarded
//! update plus a CHECK; one use per customer a unique index; a referral reward a unique
//! qualifying payment and a guarded status; a gift redemption a guarded status), so double
//! clicks, races and restarts cannot break them. Free orders (trial, a code paying everything,
//! a redeemed gift) are provisioned by the approval state machine like any paid order, with no
//! ledger sale. Every change and refusal is audited.

mod bans;
mod gifts;
mod promo;
mod referral;
pub mod refusals;
mod trial;

use std::sync::Arc;

use rusqlite::Connection;

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::error::Result;
use crate::service::Deps;
use crate::service::approval::ApprovalService;
use crate::service::orders::OrderService;
use crate::service::rate_limit::RateLimits;
use crate::service::state::{Target, audit};
use crate::service::subscriptions::SubscriptionService;

pub(crate) use bans::ban_in;
pub use gifts::{GiftIssue, issue_gift_in};
pub use promo::{CodeOrder, NewPromo, Reserve, apply_code_in, consume_in, release_in};
pub(crate) use promo::{refuse_code_in, reserve_in};
pub use referral::{ReferralRewardJob, ReferralView, earn_in};

/// Discord's epoch (2015-01-01T00:00:00Z) in Unix ms: a snowflake's top 42 bits count from it.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;

/// When the Discord account `user` was created (Unix ms), from its snowflake.
#[must_use]
pub fn account_created_at(user: UserId) -> i64 {
    i64::try_from(user.0 >> 22).unwrap_or(i64::MAX) + DISCORD_EPOCH_MS
}

/// Whether the account `user` is at least `days` old at `now` (Unix ms).
#[must_use]
pub fn account_old_enough(user: UserId, days: u32, now: i64) -> bool {
    now - account_created_at(user) >= i64::from(days) * 86_400_000
}

/// The growth service.
pub struct GrowthService {
    deps: Deps,
    approval: Arc<ApprovalService>,
    subscriptions: SubscriptionService,
    orders: OrderService,
    limits: Arc<RateLimits>,
}

impl std::fmt::Debug for GrowthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrowthService").finish_non_exhaustive()
    }
}

impl GrowthService {
    /// The service on `deps`, opening orders with codes through `orders`, provisioning free
    /// orders through `approval`; `limits` counts promo code attempts.
    #[must_use]
    pub fn new(
        deps: Deps,
        (approval, subscriptions, orders): (
            Arc<ApprovalService>,
            SubscriptionService,
            OrderService,
        ),
        limits: Arc<RateLimits>,
    ) -> Self {
        Self {
            deps,
            approval,
            subscriptions,
            orders,
            limits,
        }
    }
}

/// Audits a refusal of `action` to `user` with `why`, in its own small transaction's caller.
fn refused(tx: &Connection, user: UserId, action: AuditAction, why: &str, now: i64) -> Result<()> {
    let payload = serde_json::json!({ "why": why });
    audit(
        tx,
        Some(user),
        action,
        Target::User(user),
        None,
        payload,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snowflake_tells_the_account_age() {
        // Discord's documented example: 175928847299117063 was created 2016-04-30T11:18:25.796Z.
        let created = account_created_at(UserId(175_928_847_299_117_063));
        assert_eq!(created, 1_462_015_105_796);
        assert!(account_old_enough(
            UserId(175_928_847_299_117_063),
            7,
            created + 7 * 86_400_000
        ));
        assert!(!account_old_enough(
            UserId(175_928_847_299_117_063),
            7,
            created + 86_400_000
        ));
    }
}
