//! How the growth features answer: a free access provisioned (trial, a code that pays
//! everything, a redeemed gift), referral codes, promo code lists.

use crate::domain::OrderId;
use crate::service::approval::ApprovalOutcome;
use crate::service::growth::ReferralView;
use crate::store::promo::{PromoCode, PromoKind};

use super::money;

/// The answer after a free access was provisioned: `what` ("Your free trial") and how it went.
#[must_use]
pub(in crate::discord) fn provisioned_text(
    what: &str,
    outcome: Option<&ApprovalOutcome>,
) -> String {
    match outcome {
        Some(ApprovalOutcome::Approved(_)) => {
            format!("{what} is ready: your link is on its way by DM.")
        }
        Some(ApprovalOutcome::Delayed(_)) => format!(
            "{what} is on its way: the VPN panel is briefly unavailable, and you will get your \
             link by DM as soon as it is back."
        ),
        Some(ApprovalOutcome::Failed(..)) => format!(
            "{what} could not be created right now; staff were told and will finish it. You do \
             not need to do anything."
        ),
        None => format!("{what} is being created; you will get your link by DM."),
    }
}

/// The answer when a code paid the whole order.
#[must_use]
pub(in crate::discord) fn granted_text(
    order: OrderId,
    outcome: Option<&ApprovalOutcome>,
) -> String {
    provisioned_text(
        &format!("Your code covers the whole of order #{order}: your access"),
        outcome,
    )
}

/// `/referral`: the customer's code and how it works.
#[must_use]
pub(in crate::discord) fn referral_text(view: &ReferralView) -> String {
    format!(
        "Your referral code:\n```\n{}\n```\nA friend who enters it with `/referral code:` before \
         their first order brings you {} days of VPN access when their first payment is approved.",
        view.code, view.reward_days
    )
}

/// `/admin promo list`: one line per code.
#[must_use]
pub(in crate::discord) fn promo_list(codes: &[PromoCode]) -> String {
    if codes.is_empty() {
        return "No promo codes yet. Create one with `/admin promo create`.".into();
    }
    codes
        .iter()
        .map(|c| {
            let what = match c.kind {
                PromoKind::Percent => format!("{} % off", c.value),
                PromoKind::Amount => money(c.value, c.currency.as_deref().unwrap_or("")),
                PromoKind::Days => format!("+{} days", c.value),
                PromoKind::Plan => format!("plan {} free", c.plan_id.as_deref().unwrap_or("?")),
            };
            let uses = c.max_uses.map_or_else(
                || format!("{} uses", c.uses),
                |m| format!("{}/{m} uses", c.uses),
            );
            let state = if c.disabled_at.is_some() {
                " · disabled"
            } else {
                ""
            };
            let until = c
                .valid_until
                .map(|t| format!(" · until <t:{}:d>", t / 1000))
                .unwrap_or_default();
            format!("`{}` — {what} · {uses}{until}{state}", c.code)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
