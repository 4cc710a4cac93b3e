//! Typed `custom_id`s of every component and modal the bot posts.
//!
//! Clicks are routed by parsing the `custom_id` in the global event handler, never by a
//! collector, so buttons keep working after a restart. Format: `vtb:<kind>[:<arg>]`, at most 100
//! characters (Discord's limit). Parsing is strict: anything else is `None` (a malformed or
//! foreign click is ignored with a log line, never a panic). This module has no serenity
//! dependency so it can be tested alone.

use std::fmt;

use crate::domain::status::RejectCode;
use crate::domain::{OrderId, PaymentId};

/// Discord's limit on `custom_id` length.
pub const MAX_LEN: usize = 100;

const PREFIX: &str = "vtb";

/// Every interactive component and modal of the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    /// The ephemeral plan select menu of `/order` (values are plan ids).
    PlanSelect,
    /// The plan select of `/order promo:<code>` (the code rides in the id: no state kept).
    PlanSelectWithCode(String),
    /// The plan select of `/gift`.
    GiftPlanSelect,
    /// The payment-method select menu in a ticket (values are method ids).
    MethodSelect(OrderId),
    /// "Cancel order" in a ticket.
    CancelOrder(OrderId),
    /// "Approve" on a review card.
    Approve(PaymentId),
    /// "Reject" on a review card (opens the reason modal).
    Reject(PaymentId),
    /// The reject-reason modal.
    RejectModal(PaymentId, RejectChoice),
    /// The reject-reason select of a payment (after Reject; values are [`RejectChoice`]s).
    RejectReason(PaymentId),
    /// "Confirm" on the ephemeral approval prompt; carries the one-time token (hex).
    Confirm(String),
    /// "Cancel" on the ephemeral approval prompt.
    CancelConfirm(String),
    /// "Show my link" in a ticket when the customer's DMs are closed.
    RevealLink(PaymentId),
    /// The customer's "New invoice" on a Crypto Pay order (after an expiry).
    NewInvoice(OrderId),
    /// The customer's "I paid — check now" on a Crypto Pay invoice.
    CheckInvoice(OrderId),
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PlanSelect => write!(f, "{PREFIX}:plan"),
            Self::PlanSelectWithCode(code) => write!(f, "{PREFIX}:plan_code:{code}"),
            Self::GiftPlanSelect => write!(f, "{PREFIX}:gift_plan"),
            Self::MethodSelect(o) => write!(f, "{PREFIX}:method:{o}"),
            Self::CancelOrder(o) => write!(f, "{PREFIX}:cancel:{o}"),
            Self::Approve(p) => write!(f, "{PREFIX}:approve:{p}"),
            Self::Reject(p) => write!(f, "{PREFIX}:reject:{p}"),
            Self::RejectModal(p, choice) => write!(f, "{PREFIX}:reject_reason:{p}:{choice}"),
            Self::RejectReason(p) => write!(f, "{PREFIX}:reject_code:{p}"),
            Self::Confirm(t) => write!(f, "{PREFIX}:confirm:{t}"),
            Self::CancelConfirm(t) => write!(f, "{PREFIX}:confirm_cancel:{t}"),
            Self::RevealLink(p) => write!(f, "{PREFIX}:reveal:{p}"),
            Self::NewInvoice(o) => write!(f, "{PREFIX}:invoice:{o}"),
            Self::CheckInvoice(o) => write!(f, "{PREFIX}:invoice_check:{o}"),
        }
    }
}

impl CustomId {
    /// Parses a `custom_id`; `None` for anything the bot did not produce.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() > MAX_LEN {
            return None;
        }
        let rest = s.strip_prefix(PREFIX)?.strip_prefix(':')?;
        let (kind, arg) = rest.split_once(':').unwrap_or((rest, ""));
        let order = || row_id(arg).map(OrderId);
        let payment = || row_id(arg).map(PaymentId);
        let token = || is_token(arg).then(|| arg.to_owned());
        match kind {
            "plan" if arg.is_empty() && !rest.contains(':') => Some(Self::PlanSelect),
            "plan_code" if is_promo_code(arg) => Some(Self::PlanSelectWithCode(arg.to_owned())),
            "gift_plan" if arg.is_empty() && !rest.contains(':') => Some(Self::GiftPlanSelect),
            "method" => order().map(Self::MethodSelect),
            "cancel" => order().map(Self::CancelOrder),
            "approve" => payment().map(Self::Approve),
            "reject" => payment().map(Self::Reject),
            "reject_reason" => {
                let (p, choice) = arg.split_once(':')?;
                let choice = RejectChoice::parse(choice)?;
                row_id(p).map(|p| Self::RejectModal(PaymentId(p), choice))
            }
            "reject_code" => payment().map(Self::RejectReason),
            "confirm" => token().map(Self::Confirm),
            "confirm_cancel" => token().map(Self::CancelConfirm),
            "reveal" => payment().map(Self::RevealLink),
            "invoice" => order().map(Self::NewInvoice),
            "invoice_check" => order().map(Self::CheckInvoice),
            _ => None,
        }
    }
}

/// A positive row id written in canonical decimal (no sign, no leading zeros).
fn row_id(s: &str) -> Option<i64> {
    let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    canonical.then(|| s.parse().ok()).flatten()
}

/// Admin-session tokens are 32 lowercase hex characters (128 bits).
/// A reject reason picked on the reject select: a standard code, and whether to ban the
/// customer too. Spelled `code` or `code.ban` (also the select's option values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectChoice {
    /// The standard reason.
    pub code: RejectCode,
    /// Ban the customer too.
    pub ban: bool,
}

impl RejectChoice {
    /// Parses `code` or `code.ban`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (code, ban) = match s.strip_suffix(".ban") {
            Some(code) => (code, true),
            None => (s, false),
        };
        Some(Self {
            code: code.parse().ok()?,
            ban,
        })
    }
}

impl fmt::Display for RejectChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.code, if self.ban { ".ban" } else { "" })
    }
}

/// A promo code as `/admin promo create` accepts it: 4–32 of A-Z a-z 0-9 `_` `-`.
#[must_use]
pub fn is_promo_code(s: &str) -> bool {
    (4..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_token(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn all() -> Vec<CustomId> {
        vec![
            CustomId::PlanSelect,
            CustomId::PlanSelectWithCode("SPRING-25".into()),
            CustomId::GiftPlanSelect,
            CustomId::MethodSelect(OrderId(1)),
            CustomId::CancelOrder(OrderId(i64::MAX)),
            CustomId::Approve(PaymentId(42)),
            CustomId::Reject(PaymentId(42)),
            CustomId::RejectModal(PaymentId(7), RejectChoice::parse("unreadable.ban").unwrap()),
            CustomId::RejectModal(PaymentId(7), RejectChoice::parse("other").unwrap()),
            CustomId::RejectReason(PaymentId(7)),
            CustomId::Confirm(TOKEN.into()),
            CustomId::CancelConfirm(TOKEN.into()),
            CustomId::RevealLink(PaymentId(9_007_199_254_740_993)),
            CustomId::NewInvoice(OrderId(3)),
            CustomId::CheckInvoice(OrderId(3)),
        ]
    }

    #[test]
    fn every_id_round_trips_within_discords_limit() {
        for id in all() {
            let text = id.to_string();
            assert!(text.len() <= MAX_LEN, "{text} is {} chars", text.len());
            assert_eq!(CustomId::parse(&text), Some(id), "{text}");
        }
    }

    #[test]
    fn malformed_or_foreign_ids_are_ignored() {
        for bad in [
            "",
            "vtb",
            "vtb:",
            "vtb:plan:1",
            "vtb:approve",
            "vtb:approve:",
            "vtb:approve:-1",
            "vtb:approve:0",
            "vtb:approve:007",
            "vtb:approve:1:2",
            "vtb:approve:99999999999999999999",
            "vtb:confirm:XYZ",
            "vtb:confirm:0123456789ABCDEF0123456789ABCDEF",
            "vtb:confirm:0123456789abcdef",
            "vtb:unknown:1",
            "other:approve:1",
            &format!("vtb:approve:{}", "1".repeat(120)),
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad:?} should not parse");
        }
    }
}
