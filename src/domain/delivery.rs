//! The typed outbox: every message the core asks the Discord layer to deliver. Services write a
//! [`Delivery`] into the `outbox` table in the same transaction as the state change that causes
//! it; the outbox worker reads the row back with [`Delivery::from_payload`] and renders it.
//!
//! Row shape: `kind` = [`Delivery::kind`] (the serde tag), `payload` = the whole value as JSON
//! (`{"kind":"deliver_link","user_id":…}`; Discord ids are JSON numbers, times Unix ms), and
//! `idempotency_key` = [`Delivery::idempotency_key`], so the same delivery is queued at most once
//! however many times a retry or the reconciler reaches that point.

use serde::{Deserialize, Serialize};

use crate::domain::{ChannelId, OrderId, PaymentId, UserId};

/// How a review card should look after a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for an admin (again, after a failed provisioning): buttons enabled.
    Pending,
    /// Approved while the panel is down: waiting for the panel; buttons disabled.
    WaitingForPanel,
    /// Approved and delivered; buttons disabled.
    Approved,
    /// Rejected; buttons disabled.
    Rejected,
    /// The order was cancelled (customer, admin, or the ticket channel was deleted).
    Cancelled,
}

/// One delivery for the Discord layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    /// Post the review card (receipt image, plan, price, customer, flags, Approve / Reject) in the
    /// admin review channel, then store its message id with `store::payments::set_review_message`.
    ReviewCard {
        /// The payment to review.
        payment_id: PaymentId,
        /// Its order.
        order_id: OrderId,
        /// The customer.
        user_id: UserId,
        /// An earlier payment whose receipt looks alike, and the Hamming distance.
        near_duplicate: Option<(PaymentId, u32)>,
    },
    /// Update the review card of `payment_id` (edit the message stored on the payment).
    ReviewCardUpdate {
        /// The payment.
        payment_id: PaymentId,
        /// New state of the card.
        state: ReviewState,
        /// The admin who decided, if any.
        admin_id: Option<UserId>,
        /// Why (reject reason, provisioning failure...), if any.
        note: Option<String>,
    },
    /// Lock (customer can no longer send) or unlock the ticket channel.
    TicketLock {
        /// The ticket channel.
        channel_id: ChannelId,
        /// The customer whose send permission changes.
        user_id: UserId,
        /// True to lock, false to unlock.
        locked: bool,
    },
    /// DM the customer their connection: `vless://` link, subscription URL and a QR code of the
    /// link. If DMs are closed, offer it in `ticket_channel_id` behind a customer-only button.
    DeliverLink {
        /// The customer.
        user_id: UserId,
        /// The order delivered.
        order_id: OrderId,
        /// The approved payment.
        payment_id: PaymentId,
        /// The ticket (fallback place), if any.
        ticket_channel_id: Option<ChannelId>,
        /// The `vless://` share link.
        link: String,
        /// Subscription URL when `panel.subscription_base_url` is configured.
        subscription_url: Option<String>,
        /// New expiry: Unix ms; negative = that many ms from the first connection; 0 = never.
        expiry_at: i64,
        /// Traffic limit in bytes; 0 = unlimited.
        traffic_limit_bytes: u64,
        /// True when an existing subscription was extended.
        renewal: bool,
    },
    /// Tell the customer the approval waits for the panel (outage) and completes on its own.
    ProvisioningDelayed {
        /// The customer.
        user_id: UserId,
        /// The order.
        order_id: OrderId,
        /// The payment.
        payment_id: PaymentId,
        /// Where to post if DMs are closed.
        ticket_channel_id: Option<ChannelId>,
    },
    /// Tell the customer their receipt was rejected and why; the ticket is open for a new one.
    ReceiptRejected {
        /// The customer.
        user_id: UserId,
        /// The order (back in `pending_payment`).
        order_id: OrderId,
        /// The rejected payment.
        payment_id: PaymentId,
        /// Where to post.
        ticket_channel_id: Option<ChannelId>,
        /// The admin's reason (modal text).
        reason: String,
    },
    /// Tell the customer (in the ticket) that the order was closed (cancelled or abandoned).
    OrderClosed {
        /// The customer.
        user_id: UserId,
        /// The order.
        order_id: OrderId,
        /// The ticket, if it still exists.
        ticket_channel_id: Option<ChannelId>,
        /// Why (`cancelled by customer`, `abandoned: no receipt within 48 h`...).
        reason: String,
    },
    /// DM the customer that their subscription ends soon (how to renew: `/order`).
    ExpiryReminder {
        /// The customer.
        user_id: UserId,
        /// The expiry the reminder is about (Unix ms, positive).
        expiry_at: i64,
        /// The reminder tier: the configured offset (`orders.reminder_days`) whose window the
        /// expiry fell in, e.g. 3 or 1 (days).
        days_left: u32,
    },
    /// DM the customer that their subscription expired and the client was disabled.
    SubscriptionExpired {
        /// The customer.
        user_id: UserId,
        /// The expiry that passed (Unix ms).
        expiry_at: i64,
    },
    /// DM the customer that an admin changed their access.
    AccessChanged {
        /// The customer.
        user_id: UserId,
        /// The admin (or owner) who acted.
        admin_id: UserId,
        /// What changed.
        change: AccessChange,
        /// When (Unix ms).
        at: i64,
    },
}

/// An admin's change to a customer's access ([`Delivery::AccessChanged`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AccessChange {
    /// The subscription was extended by `days`; new expiry in Unix ms (negative = that many ms
    /// from the first connection).
    Extended {
        /// Days added.
        days: u32,
        /// The new expiry.
        expiry_at: i64,
    },
    /// Access was revoked: the client is disabled.
    Revoked {
        /// The admin's reason.
        reason: String,
    },
}

impl AccessChange {
    /// `extended` or `revoked`.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Extended { .. } => "extended",
            Self::Revoked { .. } => "revoked",
        }
    }
}

impl Delivery {
    /// The `outbox.kind` text: the serde tag of the variant.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::ReviewCard { .. } => "review_card",
            Self::ReviewCardUpdate { .. } => "review_card_update",
            Self::TicketLock { .. } => "ticket_lock",
            Self::DeliverLink { .. } => "deliver_link",
            Self::ProvisioningDelayed { .. } => "provisioning_delayed",
            Self::ReceiptRejected { .. } => "receipt_rejected",
            Self::OrderClosed { .. } => "order_closed",
            Self::ExpiryReminder { .. } => "expiry_reminder",
            Self::SubscriptionExpired { .. } => "subscription_expired",
            Self::AccessChanged { .. } => "access_changed",
        }
    }

    /// The idempotency key: one per (kind, subject) so a repeated step queues nothing new
    /// (`deliver_link:payment:42`: one link per payment, however often finalization is reached).
    /// Ticket locks and non-final card updates repeat over an order's life, so each gets a random
    /// suffix; final card states (approved, rejected, cancelled) are keyed by payment and state.
    /// Subscription notices are keyed by user and the expiry they are about
    /// (`expiry_reminder:user:7:1700000000000:3`: one reminder per user, expiry and offset, so a
    /// renewal's new expiry gets fresh ones; `subscription_expired:user:7:1700000000000`), admin
    /// changes by user, change and time (`access_changed:user:7:revoked:1700000000000`).
    #[must_use]
    pub fn idempotency_key(&self) -> String {
        match self {
            Self::ReviewCard { payment_id, .. }
            | Self::DeliverLink { payment_id, .. }
            | Self::ProvisioningDelayed { payment_id, .. }
            | Self::ReceiptRejected { payment_id, .. } => {
                format!("{}:payment:{payment_id}", self.kind())
            }
            Self::ReviewCardUpdate {
                payment_id,
                state:
                    state @ (ReviewState::Approved | ReviewState::Rejected | ReviewState::Cancelled),
                ..
            } => format!("{}:payment:{payment_id}:{state:?}", self.kind()),
            Self::ReviewCardUpdate { .. } | Self::TicketLock { .. } | Self::OrderClosed { .. } => {
                format!("{}:{}", self.kind(), self.unique_suffix())
            }
            Self::ExpiryReminder {
                user_id,
                expiry_at,
                days_left,
            } => format!("{}:user:{user_id}:{expiry_at}:{days_left}", self.kind()),
            Self::SubscriptionExpired { user_id, expiry_at } => {
                format!("{}:user:{user_id}:{expiry_at}", self.kind())
            }
            Self::AccessChanged {
                user_id,
                change,
                at,
                ..
            } => format!("{}:user:{user_id}:{}:{at}", self.kind(), change.as_str()),
        }
    }

    fn unique_suffix(&self) -> String {
        match self {
            Self::TicketLock {
                channel_id, locked, ..
            } => {
                // Lock/unlock repeat over an order's life; a random suffix keeps each one.
                let mut bytes = [0u8; 8];
                getrandom::fill(&mut bytes).unwrap_or_default();
                format!("{channel_id}:{locked}:{}", hex::encode(bytes))
            }
            Self::OrderClosed { order_id, .. } => format!("order:{order_id}"),
            Self::ReviewCardUpdate {
                payment_id, state, ..
            } => {
                // A card can go back to pending (or waiting) more than once.
                let mut bytes = [0u8; 8];
                getrandom::fill(&mut bytes).unwrap_or_default();
                format!("payment:{payment_id}:{state:?}:{}", hex::encode(bytes))
            }
            _ => String::new(),
        }
    }

    /// The `outbox.payload` JSON (includes the `kind` tag).
    #[must_use]
    pub fn payload(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a payload written by [`Delivery::payload`].
    ///
    /// # Errors
    /// The serde error when the payload is not a known delivery.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_carries_the_kind() {
        let d = Delivery::ReceiptRejected {
            user_id: UserId(42),
            order_id: OrderId(7),
            payment_id: PaymentId(9),
            ticket_channel_id: Some(ChannelId(1_234_567_890_123_456_789)),
            reason: "blurry".into(),
        };
        let json = d.payload();
        assert_eq!(json["kind"], d.kind());
        assert_eq!(json["ticket_channel_id"], 1_234_567_890_123_456_789_u64);
        assert_eq!(Delivery::from_payload(&json).unwrap(), d);
        assert_eq!(d.idempotency_key(), "receipt_rejected:payment:9");
    }

    #[test]
    fn subscription_notices_are_keyed_by_user_and_expiry() {
        let r = Delivery::ExpiryReminder {
            user_id: UserId(7),
            expiry_at: 1_700_000_000_000,
            days_left: 3,
        };
        assert_eq!(
            r.idempotency_key(),
            "expiry_reminder:user:7:1700000000000:3"
        );
        let c = Delivery::AccessChanged {
            user_id: UserId(7),
            admin_id: UserId(2),
            change: AccessChange::Extended {
                days: 30,
                expiry_at: 5,
            },
            at: 9,
        };
        assert_eq!(c.payload()["change"]["type"], "extended");
        assert_eq!(Delivery::from_payload(&c.payload()).unwrap(), c);
        assert_eq!(c.idempotency_key(), "access_changed:user:7:extended:9");
    }
}
