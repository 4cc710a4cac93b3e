//! The subscription passes as background jobs ([`crate::tasks::Job`]):
//!
//! - [`RemindersJob`] (`subscription_reminders`, every 10 min): reminders are keyed per
//!   (user, expiry, offset), so the period only bounds how late a reminder can be;
//! - [`ExpiryJob`] (`subscription_expiry`, every 60 s): a customer keeps access at most about a
//!   minute past expiry (the panel's own traffic job may cut them off sooner);
//! - [`ReconcileJob`] (`subscription_reconcile`, every 15 min, and once at start like every job):
//!   the first pass after a restart repairs what happened while the bot was down; later passes
//!   catch hand edits on the panel. It reads one inbound, so it is cheap.
//!
//! Each pass is skipped while the panel's circuit breaker reports an outage (reminders excepted:
//! they do not touch the panel).

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::tasks::Job;

use super::SubscriptionService;

/// Queues expiry reminders every 10 minutes.
#[derive(Debug, Clone)]
pub struct RemindersJob(pub SubscriptionService);

/// Expires subscriptions every 60 seconds.
#[derive(Debug, Clone)]
pub struct ExpiryJob(pub SubscriptionService);

/// Reconciles the database with the panel every 15 minutes.
#[derive(Debug, Clone)]
pub struct ReconcileJob(pub SubscriptionService);

#[async_trait]
impl Job for RemindersJob {
    fn name(&self) -> &'static str {
        "subscription_reminders"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(600)
    }

    async fn run_once(&self) -> Result<()> {
        let queued = self.0.reminders_once().await?;
        if queued > 0 {
            tracing::info!(queued, "expiry reminders queued");
        }
        Ok(())
    }
}

#[async_trait]
impl Job for ExpiryJob {
    fn name(&self) -> &'static str {
        "subscription_expiry"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn run_once(&self) -> Result<()> {
        let pass = self.0.expire_once().await?;
        if !pass.expired.is_empty() || !pass.deferred.is_empty() {
            tracing::info!(
                expired = pass.expired.len(),
                deferred = pass.deferred.len(),
                "subscriptions expired"
            );
        }
        Ok(())
    }
}

#[async_trait]
impl Job for ReconcileJob {
    fn name(&self) -> &'static str {
        "subscription_reconcile"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(900)
    }

    async fn run_once(&self) -> Result<()> {
        let r = self.0.reconcile_once().await?;
        if r.fixes() > 0 || !r.errors.is_empty() || !r.extra.is_empty() {
            tracing::warn!(
                fixes = r.fixes(),
                recreated = r.recreated.len(),
                disabled = r.disabled.len(),
                enabled = r.enabled.len(),
                wrongly_disabled = r.wrongly_disabled.len(),
                extra = r.extra.len(),
                errors = r.errors.len(),
                "subscription reconciliation"
            );
        }
        Ok(())
    }
}
