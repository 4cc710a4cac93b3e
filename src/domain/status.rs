//! Status enums stored as text in SQLite. Each has `as_str`/`FromStr` and the same spelling as the
//! `CHECK` constraints in `migrations/0001_init.sql`.

use std::fmt;
use std::str::FromStr;

/// A stored status text that no variant matches (the database holds something this binary does
/// not know).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownStatus {
    /// Which enum was parsed.
    pub kind: &'static str,
    /// The text found.
    pub value: String,
}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident : $kind:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored spelling.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)*
                    _ => Err(UnknownStatus { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
/// Also used by `domain::audit` (the same shape for the audit log's actions).
pub(crate) use status_enum;

status_enum! {
    /// `users.status`: the customer's subscription.
    SubscriptionStatus: "subscription status" {
        /// Never bought anything.
        None = "none",
        /// Client enabled on the panel, not expired.
        Active = "active",
        /// Past expiry; client disabled on the panel.
        Expired = "expired",
        /// Revoked by an admin.
        Revoked = "revoked",
    }
}

status_enum! {
    /// `orders.kind`
    OrderKind: "order kind" {
        /// First purchase: a new panel client.
        New = "new",
        /// Extends an existing client from max(now, expiry).
        Renewal = "renewal",
        /// The one free trial (price 0, no ticket).
        Trial = "trial",
        /// Bought for someone else: on approval a gift token is issued instead of a client.
        Gift = "gift",
        /// A gift token redeemed (price 0, no ticket).
        Redemption = "redemption",
    }
}

status_enum! {
    /// `orders.status`
    OrderStatus: "order status" {
        /// Ticket open; waiting for a payment method and a receipt.
        PendingPayment = "pending_payment",
        /// A receipt was accepted and waits for an admin.
        UnderReview = "under_review",
        /// Approved; the panel client is being created or extended.
        Provisioning = "provisioning",
        /// Paid and delivered.
        Completed = "completed",
        /// Cancelled by the customer, an admin, or the ticket channel's deletion.
        Cancelled = "cancelled",
        /// Closed because no receipt arrived in time.
        Abandoned = "abandoned",
    }
}

status_enum! {
    /// `payments.status`
    PaymentStatus: "payment status" {
        /// Waiting for an admin.
        Pending = "pending",
        /// A confirm consumed its token; provisioning is in progress.
        Approving = "approving",
        /// Approved while the panel was down; completes when it is back.
        ProvisioningPending = "provisioning_pending",
        /// Delivered.
        Approved = "approved",
        /// Refused by an admin (hashes still count for duplicates).
        Rejected = "rejected",
    }
}

status_enum! {
    /// `payments.source`: what backs a payment.
    PaymentSource: "payment source" {
        /// A receipt image, reviewed by an admin.
        Receipt = "receipt",
        /// A paid Crypto Pay invoice (`crypto_invoices.payment_id`), settled by the bot.
        Cryptobot = "cryptobot",
        /// A promo code that covers the whole price (nothing paid).
        Promo = "promo",
        /// The one free trial (nothing paid).
        Trial = "trial",
        /// A redeemed gift (paid by someone else).
        Gift = "gift",
    }
}

status_enum! {
    /// `crypto_invoices.status`: `creating → active → paid | expired | cancelled | mismatch`,
    /// `creating → failed`.
    InvoiceState: "invoice state" {
        /// Row written; `createInvoice` not answered yet.
        Creating = "creating",
        /// Created at Crypto Pay and payable.
        Active = "active",
        /// Paid and matched; its payment is in `crypto_invoices.payment_id`.
        Paid = "paid",
        /// Crypto Pay expired it unpaid.
        Expired = "expired",
        /// Deleted at Crypto Pay because its order closed.
        Cancelled = "cancelled",
        /// Paid, but not what we asked for (amount, currency or payload): never provisioned.
        Mismatch = "mismatch",
        /// `createInvoice` failed; nothing exists at Crypto Pay.
        Failed = "failed",
    }
}

status_enum! {
    /// `payments.reason_code`: why a receipt was rejected, a code the customer's language can
    /// render (the admin's free text stays in `reason`).
    RejectCode: "reject reason code" {
        /// The amount paid is not the order's price.
        AmountMismatch = "amount_mismatch",
        /// The receipt cannot be read.
        Unreadable = "unreadable",
        /// The money went to someone else.
        WrongRecipient = "wrong_recipient",
        /// The receipt was used before.
        Duplicate = "duplicate",
        /// Anything else (the free text says what).
        Other = "other",
    }
}

status_enum! {
    /// `admin_sessions.action`
    AdminAction: "admin action" {
        /// Approve a payment.
        Approve = "approve",
        /// Reject a payment.
        Reject = "reject",
    }
}

status_enum! {
    /// `outbox.status`
    OutboxStatus: "outbox status" {
        /// Not delivered yet (or waiting for a retry).
        Pending = "pending",
        /// Delivered.
        Delivered = "delivered",
        /// Gave up after the maximum attempts.
        Failed = "failed",
    }
}

status_enum! {
    /// `scheduled_jobs.status`
    JobStatus: "job status" {
        /// Waiting for `run_at`.
        Pending = "pending",
        /// Ran.
        Done = "done",
        /// Cancelled before it ran.
        Cancelled = "cancelled",
    }
}

status_enum! {
    /// `revenue_ledger.kind`
    LedgerKind: "ledger kind" {
        /// An approved payment (positive amount).
        Sale = "sale",
        /// Money given back (negative amount).
        Refund = "refund",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Copy + PartialEq + fmt::Debug + FromStr + fmt::Display>(all: &[T])
    where
        T::Err: fmt::Debug,
    {
        for v in all {
            assert_eq!(v.to_string().parse::<T>().unwrap(), *v);
        }
    }

    #[test]
    fn every_status_round_trips_through_text() {
        round_trip(SubscriptionStatus::ALL);
        round_trip(OrderKind::ALL);
        round_trip(OrderStatus::ALL);
        round_trip(PaymentStatus::ALL);
        round_trip(AdminAction::ALL);
        round_trip(PaymentSource::ALL);
        round_trip(RejectCode::ALL);
        round_trip(InvoiceState::ALL);
        round_trip(OutboxStatus::ALL);
        round_trip(JobStatus::ALL);
        round_trip(LedgerKind::ALL);
    }

    #[test]
    fn unknown_text_is_an_error_naming_the_kind() {
        let err = "paid".parse::<PaymentStatus>().unwrap_err();
        assert_eq!(err.to_string(), "unknown payment status \"paid\"");
    }
}
