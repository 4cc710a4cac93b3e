//! The review card's place in Discord: the Discord layer reports where it posted a payment's card
//! and that a card was found deleted; the card's content is always rendered from the payment's
//! current state (`Delivery::ReviewCard` is a view).

use crate::domain::audit::AuditAction;
use crate::domain::{ChannelId, MessageId, OrderId, PaymentId};
use crate::error::Result;
use crate::store::{self, orders::Order, payments::Payment};

use super::ApprovalService;

impl ApprovalService {
    /// The payment and its order as they are now, for rendering its review card; `None` when
    /// either is gone.
    ///
    /// # Errors
    /// Store errors.
    pub async fn card_of(&self, payment: PaymentId) -> Result<Option<(Payment, Order)>> {
        self.deps
            .store
            .call(move |c| {
                let Some(p) = store::payments::get(c, payment)? else {
                    return Ok(None);
                };
                Ok(store::orders::get(c, p.order_id)?.map(|o| (p, o)))
            })
            .await
    }

    /// The review card of `payment` was posted as `message` in `channel`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn card_posted(
        &self,
        payment: PaymentId,
        channel: ChannelId,
        message: MessageId,
    ) -> Result<()> {
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .call(move |c| store::payments::set_review_message(c, payment, channel, message, now))
            .await
            .map(drop)
    }

    /// The review card `message` of `payment` was deleted in Discord: forgotten, so the next
    /// delivery of the card posts it again (audited as a repair).
    ///
    /// # Errors
    /// Store errors.
    pub async fn card_gone(
        &self,
        payment: PaymentId,
        order: OrderId,
        message: MessageId,
    ) -> Result<()> {
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .transaction(move |tx| {
                if store::payments::clear_review_message(tx, payment, message, now)? {
                    let payload = serde_json::json!({
                        "view": "review_card", "found": "card deleted", "order": order,
                    });
                    crate::service::state::audit(
                        tx,
                        None,
                        AuditAction::SweepRepair,
                        crate::service::state::Target::Payment(payment),
                        None,
                        payload,
                        now,
                    )?;
                }
                Ok(())
            })
            .await
    }
}
