//! The order core's periodic passes as background jobs ([`crate::tasks::Job`]), beside the ones
//! that live with their service (outbox, revenue, housekeeping, subscriptions):
//!
//! - [`ApprovalReconcileJob`] (`approval_reconcile`, every 5 min and once at start): finishes or
//!   rolls back approvals a crash left midway, then completes `provisioning_pending` payments
//!   when the panel is up;
//! - [`AbandonedOrdersJob`] (`abandoned_orders`, every 10 min): closes tickets that never got a
//!   receipt after `orders.abandon_after_hours`;
//! - [`ReceiptRetentionJob`] (`receipt_retention`, every 6 h): deletes stored receipt images
//!   older than `receipts.retention_days`, keeping their hashes;
//! - [`RateLimitPurgeJob`] (`rate_limit_purge`, every 10 min): forgets rate-limit counters of
//!   users who have been quiet, so memory stays bounded.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::service::approval::ApprovalService;
use crate::service::orders::OrderService;
use crate::service::rate_limit::RateLimits;
use crate::service::receipts::ReceiptService;
use crate::tasks::Job;

/// Runs the approval reconciler, then resumes pending provisioning.
pub struct ApprovalReconcileJob(pub Arc<ApprovalService>);

/// Closes abandoned orders.
pub struct AbandonedOrdersJob(pub Arc<OrderService>);

/// Applies receipt-image retention.
pub struct ReceiptRetentionJob(pub ReceiptService);

/// Expires idle rate-limit counters.
pub struct RateLimitPurgeJob(pub Arc<RateLimits>);

#[async_trait]
impl Job for ApprovalReconcileJob {
    fn name(&self) -> &'static str {
        "approval_reconcile"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(300)
    }

    async fn run_once(&self) -> Result<()> {
        let stuck = self.0.reconcile_once().await?;
        let pending = self.0.resume_pending().await?;
        let done = stuck.approved.len() + pending.approved.len();
        let rolled_back = stuck.failed.len() + pending.failed.len();
        if done + rolled_back > 0 {
            tracing::info!(done, rolled_back, "approvals reconciled");
        }
        Ok(())
    }
}

#[async_trait]
impl Job for AbandonedOrdersJob {
    fn name(&self) -> &'static str {
        "abandoned_orders"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(600)
    }

    async fn run_once(&self) -> Result<()> {
        let closed = self.0.close_abandoned_once().await?;
        if closed > 0 {
            tracing::info!(closed, "abandoned orders closed");
        }
        Ok(())
    }
}

#[async_trait]
impl Job for ReceiptRetentionJob {
    fn name(&self) -> &'static str {
        "receipt_retention"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(6 * 3600)
    }

    async fn run_once(&self) -> Result<()> {
        let deleted = self.0.apply_retention().await?;
        if deleted > 0 {
            tracing::info!(deleted, "old receipt images deleted (hashes kept)");
        }
        Ok(())
    }
}

#[async_trait]
impl Job for RateLimitPurgeJob {
    fn name(&self) -> &'static str {
        "rate_limit_purge"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(600)
    }

    async fn run_once(&self) -> Result<()> {
        self.0.purge();
        Ok(())
    }
}
