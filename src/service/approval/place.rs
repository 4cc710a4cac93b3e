//! Placement (several panels): before provisioning, the payment's customer is put on a panel —
//! the one they are on, or the least-loaded healthy panel with room, chosen and stored in one
//! write transaction (`store::placement::place`), so concurrent approvals cannot overfill a
//! panel — and the attempt then runs on that panel's client, breaker and `[[panels]]` section.
//! With one panel nothing is chosen.

use crate::domain::{PaymentId, UserId};
use crate::error::{Error, Result};
use crate::store;

use super::{ApprovalOutcome, ApprovalService};

impl ApprovalService {
    /// Drives `payment` on its customer's panel (placing them first); parks it when no panel
    /// can take a new customer. A gift order needs no panel: its token is issued at once.
    pub(super) async fn drive(&self, payment: PaymentId) -> Result<ApprovalOutcome> {
        let ctx = self.load(payment).await?;
        if ctx.order.kind == crate::domain::status::OrderKind::Gift {
            return self.finalize_gift(&ctx).await;
        }
        if !self.deps.panels.is_several() {
            return self.drive_here(payment).await;
        }
        if let Some(panel) = self.place(payment).await? {
            return self.on(&panel).drive_here(payment).await;
        }
        let why = "no panel can take a new customer (every panel is down or full)";
        self.delay(&ctx, why).await
    }

    /// The payment customer's panel, placed now if they have none; `None` when no healthy
    /// panel has room.
    async fn place(&self, payment: PaymentId) -> Result<Option<String>> {
        let candidates = self.deps.panels.candidates();
        let first = self.deps.panels.first_id().to_owned();
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| {
                let p = store::payments::get(tx, payment)?
                    .ok_or(Error::Internal("placement: payment row missing"))?;
                store::placement::place(tx, p.user_id, &candidates, &first, now)
            })
            .await
    }

    /// Whether `user` is placed on a panel that is down (several panels only).
    pub(super) async fn panel_down_for(&self, user: UserId) -> Result<bool> {
        if !self.deps.panels.is_several() {
            return Ok(false);
        }
        let first = self.deps.panels.first_id().to_owned();
        let placed = self
            .deps
            .store
            .call(move |c| store::placement::panel_of(c, user, &first))
            .await?;
        Ok(placed
            .and_then(|id| self.deps.panels.get(&id))
            .is_some_and(|h| h.breaker.is_outage()))
    }

    /// The same service on panel `id`.
    fn on(&self, id: &str) -> Self {
        Self {
            deps: self.deps.on(id),
            fail_point: self.fail_point.clone(),
            in_flight: self.in_flight.clone(),
            shapes: self.shapes.clone(),
        }
    }
}
