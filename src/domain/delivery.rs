//! The typed outbox: every message the core asks the Discord layer to deliver. Services write a
//! [`Delivery`] into the `outbox` table in the same transaction as the state change that causes
//! it; the outbox worker reads the row back with [`Delivery::from_payload`] and renders it.
//!
//! Row shape: `kind` = [`Delivery::kind`] (the serde tag), `payload` = the whole value as JSON
//! (`{"kind":"deliver_link","user_id":…}`; Discord ids are JSON numbers, times Unix ms), and
//! `idempotency_key` = [`Delivery::idempotency_key`], so the same delivery is queued at most once
//! however many times a retry or the reconciler reaches that point.

use serde::{Deserialize, Serialize};

use crate::domain::status::PaymentStatus;
use crate::domain::{ChannelId, OrderId, PaymentId, UserId};

/// How a review card looks, derived from its payment's status ([`ReviewState::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for an admin (again, after a failed provisioning): buttons enabled.
    Pending,
    /// Confirmed by an admin, the client is being created: buttons disabled.
    Approving,
    /// Approved while the panel is down: waiting for the panel; buttons disabled.
    WaitingForPanel,
    /// Approved and delivered; buttons disabled.
    Approved,
    /// Rejected; buttons disabled.
    Rejected,
    /// The order was cancelled (customer, admin, or the ticket channel was deleted).
    Cancelled,
}

impl ReviewState {
    /// The card of a payment in `status`; `decided_by_admin`: false when a rejection is the
    /// order's cancellation rather than an admin's decision.
    #[must_use]
    pub const fn of(status: PaymentStatus, decided_by_admin: bool) -> Self {
        match status {
            PaymentStatus::Pending => Self::Pending,
            PaymentStatus::Approving => Self::Approving,
            PaymentStatus::ProvisioningPending => Self::WaitingForPanel,
            PaymentStatus::Approved => Self::Approved,
            PaymentStatus::Rejected if decided_by_admin => Self::Rejected,
            PaymentStatus::Rejected => Self::Cancelled,
        }
    }

    /// Whether Approve / Reject are live on the card.
    #[must_use]
    pub const fn buttons_enabled(self) -> bool {
        matches!(self, Self::Pending)
    }
}

/// One delivery for the Discord layer. Two kinds exist:
/// - **views** ([`Delivery::is_view`]): what a Discord object the bot owns must look like, named
///   by the entity only and rendered from the database's *current* state when delivered. One row
///   per view, re-armed on every change (`store::outbox::enqueue_view`), so a retry of an old
///   attempt can never show an older state;
/// - **one-shot messages** (the link DM, notices, owner alerts), delivered at least once, keyed
///   so the same notice is queued once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    /// View: the review card of a payment in the admin review channel (receipt image, plan, price,
    /// customer, flags, state, Approve / Reject while pending). Posted when the payment has no
    /// card (or its card was deleted), edited otherwise.
    ReviewCard {
        /// The payment.
        payment_id: PaymentId,
    },
    /// View: the ticket channel of an order: the customer may send and attach files only while
    /// the order waits for a receipt. A ticket found deleted is handled as a deletion.
    TicketView {
        /// The order.
        order_id: OrderId,
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
        /// True for temporary access while the receipt waits (a link of its own, keyed apart
        /// from the approval's).
        #[serde(default)]
        provisional: bool,
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
        /// The admin's reason (modal text; may be empty when `reason_code` says it).
        reason: String,
        /// The standard reason (`RejectCode` spelling), rendered in the customer's language
        /// (`None` in rows queued before reason codes existed).
        #[serde(default)]
        reason_code: Option<String>,
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
    /// DM the customer that their first-use clock started: `days` of access ending `expiry_at`.
    ActivationStarted {
        /// The customer.
        user_id: UserId,
        /// The new absolute expiry (Unix ms).
        expiry_at: i64,
        /// The plan's days that started counting.
        days: u32,
    },
    /// DM the customer that their client moved to another panel (theirs was down): the new
    /// link, same identity.
    PanelMoved {
        /// The customer.
        user_id: UserId,
        /// The panel they are on now.
        panel_id: String,
        /// Their link on it.
        link: String,
    },
    /// DM the customer that an admin changed their access.
    AccessChanged {
        /// The customer.
        user_id: UserId,
        /// Who caused it: the admin (or owner) who acted; for a referral reward, the referee.
        admin_id: UserId,
        /// What changed.
        change: AccessChange,
        /// When (Unix ms).
        at: i64,
    },
    /// DM the owners something only they can fix.
    OwnerAlert {
        /// What happened.
        alert: OwnerAlert,
    },
    /// DM the buyer of a gift its token (shown once; the database keeps only its hash). The
    /// payload is scrubbed once delivered.
    GiftIssued {
        /// The buyer.
        user_id: UserId,
        /// The gift order.
        order_id: OrderId,
        /// The gift's row id.
        gift_id: i64,
        /// The token to pass on.
        token: String,
        /// When it expires (Unix ms).
        expires_at: i64,
    },
    /// Tell the customer (in the ticket, else by DM) what became of their Crypto Pay invoice
    /// when it did not end in a delivery.
    InvoiceNotice {
        /// The customer.
        user_id: UserId,
        /// The order.
        order_id: OrderId,
        /// Where to post (the ticket), if it still exists.
        ticket_channel_id: Option<ChannelId>,
        /// Crypto Pay's `invoice_id`.
        invoice_id: i64,
        /// What happened.
        event: InvoiceEvent,
    },
}

/// What a [`Delivery::InvoiceNotice`] tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceEvent {
    /// It expired unpaid; a new one can be asked for (a button).
    Expired,
    /// It was paid but could not be matched to the order; staff were told and will sort it out.
    NotSettled,
}

impl InvoiceEvent {
    /// `expired` or `not_settled`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::NotSettled => "not_settled",
        }
    }
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
    /// The customer was banned from the shop.
    Banned {
        /// The admin's reason.
        reason: String,
    },
    /// The customer's ban was lifted.
    Unbanned,
    /// A referral reward of `days` was added; new expiry in Unix ms (negative = that many ms
    /// from the first connection).
    ReferralReward {
        /// Days added.
        days: u32,
        /// The new expiry.
        expiry_at: i64,
    },
}

/// Something the owners must hear about ([`Delivery::OwnerAlert`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OwnerAlert {
    /// Discord refused the bot (403: 50001 Missing Access / 50013 Missing Permissions) in a
    /// channel; the delivery keeps retrying on a long backoff until the permission is given.
    MissingAccess {
        /// The channel.
        channel_id: ChannelId,
        /// The permission the bot needs there, in Discord's words (e.g. `Manage Roles`).
        permission: String,
        /// What the bot was doing (e.g. `lock the ticket of order #12`).
        action: String,
    },
    /// A Crypto Pay invoice was paid but not settled (nothing provisioned): what it was paid
    /// with differs from what was asked, or its order had closed. Money to refund or deliver by
    /// hand.
    InvoiceNotSettled {
        /// Crypto Pay's `invoice_id`.
        invoice_id: i64,
        /// The order.
        order_id: OrderId,
        /// The customer.
        user_id: UserId,
        /// What differed (`amount 4.00 USD, expected 5.00 USD`, `order #3 is cancelled`).
        reason: String,
    },
    /// One of several panels went down or came back (the fleet-wide outage has its own DM).
    PanelHealth {
        /// The panel's `[[panels]]` id.
        panel_id: String,
        /// True: down; false: back.
        down: bool,
        /// Why it is down, or how long it was.
        detail: String,
        /// When (Unix ms): one alert per edge.
        at: i64,
    },
    /// A delivery the customer paid for was given up.
    DeliveryFailed {
        /// The outbox row (shown by `/admin health`).
        outbox_id: i64,
        /// The customer.
        user_id: UserId,
        /// What could not be delivered (e.g. `the link of payment #7`).
        what: String,
        /// The last error.
        error: String,
    },
}

impl AccessChange {
    /// `extended` or `revoked`.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Extended { .. } => "extended",
            Self::Revoked { .. } => "revoked",
            Self::Banned { .. } => "banned",
            Self::Unbanned => "unbanned",
            Self::ReferralReward { .. } => "referral_reward",
        }
    }
}

impl Delivery {
    /// The `outbox.kind` text: the serde tag of the variant.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::ReviewCard { .. } => "review_card",
            Self::TicketView { .. } => "ticket_view",
            Self::DeliverLink { .. } => "deliver_link",
            Self::ProvisioningDelayed { .. } => "provisioning_delayed",
            Self::ReceiptRejected { .. } => "receipt_rejected",
            Self::OrderClosed { .. } => "order_closed",
            Self::ExpiryReminder { .. } => "expiry_reminder",
            Self::SubscriptionExpired { .. } => "subscription_expired",
            Self::ActivationStarted { .. } => "activation_started",
            Self::PanelMoved { .. } => "panel_moved",
            Self::AccessChanged { .. } => "access_changed",
            Self::OwnerAlert { .. } => "owner_alert",
            Self::InvoiceNotice { .. } => "invoice_notice",
            Self::GiftIssued { .. } => "gift_issued",
        }
    }

    /// Whether this is a view (rendered from the current state, re-armed on each change) rather
    /// than a one-shot message.
    #[must_use]
    pub const fn is_view(&self) -> bool {
        matches!(self, Self::ReviewCard { .. } | Self::TicketView { .. })
    }

    /// The idempotency key: one per (kind, subject) so a repeated step queues nothing new
    /// (`deliver_link:payment:42`: one link per payment, however often finalization is reached).
    /// Views are keyed by their entity (`review_card:payment:42`, `ticket_view:order:12`): one row
    /// each, re-armed on every change. Subscription notices are keyed by user and the expiry they
    /// are about (`expiry_reminder:user:7:1700000000000:3`: one reminder per user, expiry and
    /// offset, so a renewal's new expiry gets fresh ones; `subscription_expired:user:7:1700000000000`),
    /// admin changes by user, change and time (`access_changed:user:7:revoked:1700000000000`),
    /// order closings by order, owner alerts by what they are about (one per channel and missing
    /// permission; one per failed delivery).
    #[must_use]
    pub fn idempotency_key(&self) -> String {
        match self {
            Self::DeliverLink {
                payment_id,
                provisional: true,
                ..
            } => format!("{}:payment:{payment_id}:provisional", self.kind()),
            Self::ReviewCard { payment_id }
            | Self::DeliverLink { payment_id, .. }
            | Self::ProvisioningDelayed { payment_id, .. }
            | Self::ReceiptRejected { payment_id, .. } => {
                format!("{}:payment:{payment_id}", self.kind())
            }
            Self::TicketView { order_id }
            | Self::OrderClosed { order_id, .. }
            | Self::GiftIssued { order_id, .. } => {
                format!("{}:order:{order_id}", self.kind())
            }
            Self::ExpiryReminder {
                user_id,
                expiry_at,
                days_left,
            } => format!("{}:user:{user_id}:{expiry_at}:{days_left}", self.kind()),
            Self::SubscriptionExpired { user_id, expiry_at }
            | Self::ActivationStarted {
                user_id, expiry_at, ..
            } => format!("{}:user:{user_id}:{expiry_at}", self.kind()),
            Self::AccessChanged {
                user_id,
                change,
                at,
                ..
            } => format!("{}:user:{user_id}:{}:{at}", self.kind(), change.as_str()),
            Self::OwnerAlert {
                alert:
                    OwnerAlert::MissingAccess {
                        channel_id,
                        permission,
                        ..
                    },
            } => format!("{}:missing_access:{channel_id}:{permission}", self.kind()),
            Self::OwnerAlert {
                alert: OwnerAlert::DeliveryFailed { outbox_id, .. },
            } => format!("{}:delivery_failed:{outbox_id}", self.kind()),
            Self::OwnerAlert {
                alert: OwnerAlert::InvoiceNotSettled { invoice_id, .. },
            } => format!("{}:invoice_not_settled:{invoice_id}", self.kind()),
            Self::OwnerAlert {
                alert:
                    OwnerAlert::PanelHealth {
                        panel_id, down, at, ..
                    },
            } => format!("{}:panel:{panel_id}:{down}:{at}", self.kind()),
            Self::PanelMoved {
                user_id, panel_id, ..
            } => format!("{}:user:{user_id}:{panel_id}", self.kind()),
            Self::InvoiceNotice {
                invoice_id, event, ..
            } => format!("{}:invoice:{invoice_id}:{}", self.kind(), event.as_str()),
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
            reason_code: Some("unreadable".into()),
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
