//! The audit log's vocabulary: every action the bot records in `audit_logs.action`, in one list.
//!
//! Services write an entry with `service::state::audit` (actor, [`AuditAction`], target,
//! payload); readers parse the stored text back with [`str::parse`] or compare it with
//! [`AuditAction::as_str`]. The stored text is dotted (`<subject>.<verb>`, e.g.
//! `payment.approved`) and is part of the database: a variant's text never changes.

use std::fmt;
use std::str::FromStr;

use crate::domain::status::{UnknownStatus, status_enum};

status_enum! {
    /// One kind of audit entry (`audit_logs.action`). The doc line of each variant says when it
    /// is written.
    AuditAction: "audit action" {
        /// An admin was issued a one-time confirmation token for a payment (clicked Approve).
        SessionIssue = "session.issue",
        /// An admin's Approve click, confirmation or rejection of a payment was refused (role,
        /// token or payment state); the payload's `reason` says which.
        ConfirmRefused = "confirm.refused",
        /// An admin confirmed an approval with a valid token: the payment starts provisioning.
        PaymentConfirm = "payment.confirm",
        /// Provisioning finished: payment approved, order completed, sale recorded.
        PaymentApproved = "payment.approved",
        /// Provisioning failed (the panel refused, the email is taken, no link can be built...):
        /// the client was rolled back and the payment is pending review again.
        PaymentProvisionFailed = "payment.provision_failed",
        /// The panel was down during provisioning: the payment waits for it.
        PaymentProvisionDelayed = "payment.provision_delayed",
        /// The panel came back: a payment waiting for it resumes provisioning.
        PaymentProvisionResumed = "payment.provision_resumed",
        /// An admin rejected a payment (with the reason from the modal).
        PaymentReject = "payment.reject",
        /// An order was closed without a sale: cancelled (customer, admin, ticket deleted, ticket
        /// not created) or abandoned.
        OrderClose = "order.close",
        /// The ticket of an order in provisioning was deleted (the order itself goes on).
        OrderTicketDeleted = "order.ticket_deleted",
        /// A customer submitted a receipt: a payment was created for review.
        ReceiptSubmit = "receipt.submit",
        /// A receipt was refused as an exact duplicate of an earlier one.
        ReceiptDuplicate = "receipt.duplicate",
        /// A backup was asked for (`/admin backup`) by someone without the right to take one.
        BackupRefused = "backup.refused",
        /// A backup was taken on request (`/admin backup`).
        BackupCreate = "backup.create",
        /// An admin extended a customer's subscription.
        SubscriptionExtend = "subscription.extend",
        /// An admin's extension was refused (no right to manage subscriptions).
        SubscriptionExtendRefused = "subscription.extend.refused",
        /// An admin revoked a customer's access.
        SubscriptionRevoke = "subscription.revoke",
        /// An admin's revocation was refused (no right to manage subscriptions).
        SubscriptionRevokeRefused = "subscription.revoke.refused",
        /// The bot expired a subscription whose expiry passed (client disabled on the panel).
        SubscriptionExpire = "subscription.expire",
        /// Reconciliation: a customer's client was missing from the panel (re-created or not).
        ReconcileMissing = "subscription.reconcile.missing",
        /// Reconciliation: an expired or revoked customer's client was enabled (disabled or not).
        ReconcileWronglyEnabled = "subscription.reconcile.wrongly_enabled",
        /// Reconciliation: an active customer's client was disabled (enabled when clearly safe).
        ReconcileWronglyDisabled = "subscription.reconcile.wrongly_disabled",
        /// Reconciliation: a client named like a customer's that no customer owns (reported only).
        ReconcileExtra = "subscription.reconcile.extra",
        /// A first-use customer's clock started (the payload's `reason`: `panel` converted it,
        /// `panel_did_not_convert` after traffic, or `deadline`); the customer is told.
        SubscriptionActivated = "subscription.activated",
        /// Failover: a customer's client was created on another panel (theirs was down too
        /// long) and the customer moved there; the payload names both panels.
        PanelFailover = "panel.failover",
        /// Reconciliation: the panel's expiry (first use started) was copied to the database.
        ReconcileExpiryDrift = "subscription.reconcile.expiry_drift",
        /// The sweep repaired a Discord view that did not show the database (or a missing link
        /// delivery); the payload says what was found.
        SweepRepair = "sweep.repair",
        /// A Crypto Pay invoice was created for an order (payload: order, amount, currency).
        InvoiceCreate = "invoice.create",
        /// Crypto Pay refused or could not create an invoice (payload: order, error).
        InvoiceCreateFailed = "invoice.create_failed",
        /// A paid invoice matched its order and was settled: a payment was created and
        /// provisioning started (payload: order, payment, paid asset and amount).
        InvoicePaid = "invoice.paid",
        /// A paid invoice was not settled: amount, currency or payload differ from what was
        /// asked, or its order was closed (payload: order, what differed). Nothing provisioned.
        InvoiceMismatch = "invoice.mismatch",
        /// Crypto Pay expired an unpaid invoice.
        InvoiceExpired = "invoice.expired",
        /// An unpaid invoice of a closed order was deleted at Crypto Pay.
        InvoiceCancelled = "invoice.cancelled",
        /// Temporary access was granted on a receipt waiting for review (payload: expiry, traffic).
        PaymentProvisional = "payment.provisional",
        /// A customer was banned (payload: reason, whether access was revoked).
        UserBan = "user.ban",
        /// A customer's ban was lifted.
        UserUnban = "user.unban",
        /// The one free trial was granted (payload: order).
        TrialGrant = "trial.grant",
        /// `/trial` was refused (payload: why).
        TrialRefused = "trial.refused",
        /// Staff created a promo code (payload: its terms).
        PromoCreate = "promo.create",
        /// Staff disabled a promo code.
        PromoDisable = "promo.disable",
        /// A code was reserved by an order (payload: code, discount, extra days).
        PromoReserve = "promo.reserve",
        /// An order's code was consumed by its approval.
        PromoConsume = "promo.consume",
        /// An order's code was released when it closed unpaid.
        PromoRelease = "promo.release",
        /// A code was refused (payload: code, why).
        PromoRefused = "promo.refused",
        /// An order the code paid entirely went straight to provisioning (actor: none, payload:
        /// the code).
        PromoGrant = "promo.grant",
        /// A new customer bound a referral code (payload: referrer).
        ReferralBind = "referral.bind",
        /// Binding a referral code was refused (payload: why).
        ReferralRefused = "referral.refused",
        /// The referee's first payment earned the referrer a reward (payload: payment, days,
        /// pending or capped).
        ReferralEarn = "referral.earn",
        /// A referral reward was added to the referrer's subscription (payload: days, expiry).
        ReferralReward = "referral.reward",
        /// A gift token was issued for an approved gift order (payload: gift, expiry).
        GiftIssue = "gift.issue",
        /// A gift was redeemed (payload: gift, redemption order).
        GiftRedeem = "gift.redeem",
        /// A redemption was refused (payload: why).
        GiftRefused = "gift.refused",
        /// Staff revoked an unredeemed gift.
        GiftRevoke = "gift.revoke",
    }
}

impl AuditAction {
    /// Whether this is a reconciliation finding (`subscription.reconcile.*`).
    #[must_use]
    pub const fn is_reconcile_finding(self) -> bool {
        matches!(
            self,
            Self::ReconcileMissing
                | Self::ReconcileWronglyEnabled
                | Self::ReconcileWronglyDisabled
                | Self::ReconcileExtra
                | Self::ReconcileExpiryDrift
        )
    }
}

impl TryFrom<&str> for AuditAction {
    type Error = UnknownStatus;

    /// As [`str::parse`]: the action a stored `audit_logs.action` text names.
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_action_round_trips_through_its_text() {
        let mut seen = HashSet::new();
        for &action in AuditAction::ALL {
            let text = action.as_str();
            assert!(seen.insert(text), "{text} is used twice");
            assert_eq!(text.parse::<AuditAction>(), Ok(action));
            assert_eq!(AuditAction::try_from(text), Ok(action));
            assert_eq!(action.to_string(), text);
            assert_eq!(
                action.is_reconcile_finding(),
                text.starts_with("subscription.reconcile."),
                "{text}"
            );
        }
    }

    /// The texts are stored in the database: pinned here, one by one.
    #[test]
    fn the_stored_texts_do_not_change() {
        let pinned = [
            (AuditAction::SessionIssue, "session.issue"),
            (AuditAction::ConfirmRefused, "confirm.refused"),
            (AuditAction::PaymentConfirm, "payment.confirm"),
            (AuditAction::PaymentApproved, "payment.approved"),
            (
                AuditAction::PaymentProvisionFailed,
                "payment.provision_failed",
            ),
            (
                AuditAction::PaymentProvisionDelayed,
                "payment.provision_delayed",
            ),
            (
                AuditAction::PaymentProvisionResumed,
                "payment.provision_resumed",
            ),
            (AuditAction::PaymentReject, "payment.reject"),
            (AuditAction::OrderClose, "order.close"),
            (AuditAction::OrderTicketDeleted, "order.ticket_deleted"),
            (AuditAction::ReceiptSubmit, "receipt.submit"),
            (AuditAction::ReceiptDuplicate, "receipt.duplicate"),
            (AuditAction::BackupRefused, "backup.refused"),
            (AuditAction::BackupCreate, "backup.create"),
            (AuditAction::SubscriptionExtend, "subscription.extend"),
            (
                AuditAction::SubscriptionExtendRefused,
                "subscription.extend.refused",
            ),
            (AuditAction::SubscriptionRevoke, "subscription.revoke"),
            (
                AuditAction::SubscriptionRevokeRefused,
                "subscription.revoke.refused",
            ),
            (AuditAction::SubscriptionExpire, "subscription.expire"),
            (AuditAction::SubscriptionActivated, "subscription.activated"),
            (AuditAction::PanelFailover, "panel.failover"),
            (
                AuditAction::ReconcileMissing,
                "subscription.reconcile.missing",
            ),
            (
                AuditAction::ReconcileWronglyEnabled,
                "subscription.reconcile.wrongly_enabled",
            ),
            (
                AuditAction::ReconcileWronglyDisabled,
                "subscription.reconcile.wrongly_disabled",
            ),
            (AuditAction::ReconcileExtra, "subscription.reconcile.extra"),
            (
                AuditAction::ReconcileExpiryDrift,
                "subscription.reconcile.expiry_drift",
            ),
            (AuditAction::SweepRepair, "sweep.repair"),
            (AuditAction::InvoiceCreate, "invoice.create"),
            (AuditAction::InvoiceCreateFailed, "invoice.create_failed"),
            (AuditAction::InvoicePaid, "invoice.paid"),
            (AuditAction::InvoiceMismatch, "invoice.mismatch"),
            (AuditAction::InvoiceExpired, "invoice.expired"),
            (AuditAction::InvoiceCancelled, "invoice.cancelled"),
            (AuditAction::PaymentProvisional, "payment.provisional"),
            (AuditAction::UserBan, "user.ban"),
            (AuditAction::UserUnban, "user.unban"),
            (AuditAction::TrialGrant, "trial.grant"),
            (AuditAction::TrialRefused, "trial.refused"),
            (AuditAction::PromoCreate, "promo.create"),
            (AuditAction::PromoDisable, "promo.disable"),
            (AuditAction::PromoReserve, "promo.reserve"),
            (AuditAction::PromoConsume, "promo.consume"),
            (AuditAction::PromoRelease, "promo.release"),
            (AuditAction::PromoRefused, "promo.refused"),
            (AuditAction::PromoGrant, "promo.grant"),
            (AuditAction::ReferralBind, "referral.bind"),
            (AuditAction::ReferralRefused, "referral.refused"),
            (AuditAction::ReferralEarn, "referral.earn"),
            (AuditAction::ReferralReward, "referral.reward"),
            (AuditAction::GiftIssue, "gift.issue"),
            (AuditAction::GiftRedeem, "gift.redeem"),
            (AuditAction::GiftRefused, "gift.refused"),
            (AuditAction::GiftRevoke, "gift.revoke"),
        ];
        assert_eq!(pinned.len(), AuditAction::ALL.len());
        for (action, text) in pinned {
            assert_eq!(action.as_str(), text);
        }
    }

    #[test]
    fn unknown_texts_are_refused() {
        let bad_texts = [
            "",
            "payment",
            "payment.approve",
            "PAYMENT.APPROVED",
            "subscription.reconcile.",
        ];
        for bad in bad_texts {
            assert_eq!(
                bad.parse::<AuditAction>(),
                Err(UnknownStatus {
                    kind: "audit action",
                    value: bad.to_owned()
                }),
                "{bad:?}"
            );
        }
    }
}
