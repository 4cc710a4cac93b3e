//! Finishing what was left midway: [`ApprovalService::reconcile_once`] (run at start and
//! periodically) drives every `approving` payment that no task of this process is driving (a
//! crash or restart left it), and [`ApprovalService::resume_pending`] (run on panel recovery and
//! periodically) restarts the ones parked in `provisioning_pending`. Both reuse the state machine
//! of a normal confirm, which stores identity and terms before the panel is written and looks the
//! client up by email, so a crash at any step ends with exactly one client and one delivery.

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::domain::PaymentId;
use crate::domain::audit::AuditAction;
use crate::domain::status::PaymentStatus;
use crate::error::{Error, Result};
use crate::service::health::HealthEvent;
use crate::service::state::{Target, audit, move_payment};
use crate::store;

use super::{ApprovalOutcome, ApprovalService, InFlight};

/// How many payments one pass looks at.
const BATCH: u32 = 100;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Payments approved.
    pub approved: Vec<PaymentId>,
    /// Payments parked (or left) in `provisioning_pending`.
    pub delayed: Vec<PaymentId>,
    /// Payments rolled back to `pending`.
    pub failed: Vec<PaymentId>,
}

impl ReconcileReport {
    /// Adds one payment's result. An error is logged and skipped (the payment stays where it is
    /// and the next pass retries it), so one bad row cannot block the others; only a simulated
    /// crash stops the pass.
    fn record(&mut self, payment: PaymentId, result: Result<ApprovalOutcome>) -> Result<()> {
        match result {
            Ok(ApprovalOutcome::Approved(a)) => self.approved.push(a.payment_id),
            Ok(ApprovalOutcome::Delayed(p)) => self.delayed.push(p),
            Ok(ApprovalOutcome::Failed(p, _)) => self.failed.push(p),
            Err(e @ Error::Crashed(_)) => return Err(e),
            Err(e) => tracing::error!(%payment, error = %e, "reconciling a payment failed"),
        }
        Ok(())
    }
}

impl ApprovalService {
    /// Drives every `approving` payment not in flight in this process, then (unless the panel is
    /// in outage) resumes the `provisioning_pending` ones.
    ///
    /// # Errors
    /// Store errors; [`crate::Error::Crashed`] from the fail point.
    pub async fn reconcile_once(&self) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        let stuck = self
            .deps
            .store
            .call(|c| store::payments::list_by_status(c, PaymentStatus::Approving, BATCH))
            .await?;
        for p in stuck {
            let Some(_guard) = InFlight::claim(&self.in_flight, p.id) else {
                continue;
            };
            tracing::warn!(payment = %p.id, step = ?p.provision_step, "reconciling an interrupted approval");
            report.record(p.id, self.drive(p.id).await)?;
        }
        let resumed = self.resume_pending().await?;
        report.approved.extend(resumed.approved);
        report.delayed.extend(resumed.delayed);
        report.failed.extend(resumed.failed);
        Ok(report)
    }

    /// Restarts approvals waiting in `provisioning_pending` (nothing while the breaker is open;
    /// with several panels, not those whose customer's panel is still down).
    ///
    /// # Errors
    /// Store errors; [`crate::Error::Crashed`] from the fail point.
    pub async fn resume_pending(&self) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        if self.deps.breaker.is_outage() {
            return Ok(report);
        }
        let waiting = self
            .deps
            .store
            .call(|c| store::payments::list_by_status(c, PaymentStatus::ProvisioningPending, BATCH))
            .await?;
        for p in waiting {
            if self.panel_down_for(p.user_id).await? {
                continue;
            }
            let Some(_guard) = InFlight::claim(&self.in_flight, p.id) else {
                continue;
            };
            let now = self.deps.clock.now_ms();
            let id = p.id;
            let moved = self
                .deps
                .store
                .transaction(move |tx| {
                    let moves = (PaymentStatus::ProvisioningPending, PaymentStatus::Approving);
                    if move_payment(tx, id, moves, None, None, now).is_err() {
                        return Ok(false);
                    }
                    let payload = serde_json::json!({});
                    audit(
                        tx,
                        None,
                        AuditAction::PaymentProvisionResumed,
                        Target::Payment(id),
                        None,
                        payload,
                        now,
                    )?;
                    Ok(true)
                })
                .await?;
            if moved {
                report.record(id, self.drive(id).await)?;
            }
        }
        Ok(report)
    }

    /// Reacts to one panel health event: on [`HealthEvent::Recovered`] resumes the waiting
    /// approvals and returns what happened; other events do nothing (`None`).
    ///
    /// # Errors
    /// As [`ApprovalService::resume_pending`].
    pub async fn on_health_event(&self, event: &HealthEvent) -> Result<Option<ReconcileReport>> {
        match event {
            HealthEvent::Recovered { .. } => self.resume_pending().await.map(Some),
            HealthEvent::Outage { .. } => Ok(None),
        }
    }

    /// Listens to the breaker's `events` (`CircuitBreaker::subscribe`) until `shutdown` and
    /// resumes waiting approvals on every recovery. Errors are logged, never fatal; a lagged
    /// receiver resumes once to be safe.
    pub async fn resume_on_recovery(
        &self,
        mut events: broadcast::Receiver<HealthEvent>,
        shutdown: CancellationToken,
    ) {
        loop {
            let event = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                e = events.recv() => e,
            };
            let result = match event {
                Ok(e) => self.on_health_event(&e).await.map(drop),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.resume_pending().await.map(drop)
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "resuming approvals after the panel recovered failed");
            }
        }
    }
}
