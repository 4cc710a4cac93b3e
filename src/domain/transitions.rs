//! The order and payment state machines: which status moves exist. Services move statuses only
//! along these edges (through `service::state`), and the store's guarded `transition` functions
//! make each move happen at most once.
//!
//! Orders: `pending_payment → under_review` (receipt), `under_review → pending_payment` (reject),
//! `under_review → provisioning` (confirm), `provisioning → completed`, `provisioning →
//! under_review` (failed provisioning), `pending_payment | under_review → cancelled`,
//! `pending_payment → abandoned`. A `provisioning` order cannot be cancelled: the admin accepted
//! the money, so it finishes (or rolls back to review) first.
//!
//! Payments: `pending → approving | rejected`, `approving → approved | pending |
//! provisioning_pending`, `provisioning_pending → approving` (resume after an outage).

use crate::domain::status::{OrderStatus, PaymentStatus};

/// Whether an order may move from `from` to `to`.
#[must_use]
pub fn order_move_allowed(from: OrderStatus, to: OrderStatus) -> bool {
    use OrderStatus::{Abandoned, Cancelled, Completed, PendingPayment, Provisioning, UnderReview};
    matches!(
        (from, to),
        (PendingPayment, UnderReview | Cancelled | Abandoned)
            | (UnderReview, PendingPayment | Provisioning | Cancelled)
            | (Provisioning, Completed | UnderReview)
    )
}

/// Whether a payment may move from `from` to `to`.
#[must_use]
pub fn payment_move_allowed(from: PaymentStatus, to: PaymentStatus) -> bool {
    use PaymentStatus::{Approved, Approving, Pending, ProvisioningPending, Rejected};
    matches!(
        (from, to),
        (Pending, Approving | Rejected)
            | (Approving, Approved | Pending | ProvisioningPending)
            | (ProvisioningPending, Approving)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_orders_never_move_again() {
        for from in [
            OrderStatus::Completed,
            OrderStatus::Cancelled,
            OrderStatus::Abandoned,
        ] {
            for to in OrderStatus::ALL {
                assert!(!order_move_allowed(from, *to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn provisioning_cannot_be_cancelled_and_approved_is_final() {
        assert!(!order_move_allowed(
            OrderStatus::Provisioning,
            OrderStatus::Cancelled
        ));
        for to in PaymentStatus::ALL {
            assert!(!payment_move_allowed(PaymentStatus::Approved, *to));
            assert!(!payment_move_allowed(PaymentStatus::Rejected, *to));
        }
        assert!(payment_move_allowed(
            PaymentStatus::ProvisioningPending,
            PaymentStatus::Approving
        ));
        assert!(!payment_move_allowed(
            PaymentStatus::Pending,
            PaymentStatus::Approved
        ));
    }
}
