//! How the growth features answer, in the reader's language: a free access provisioned (trial,
//! a code that pays everything, a redeemed gift), referral codes, promo code lists (staff).

use crate::domain::OrderId;
use crate::i18n::{Lang, n, s, t};
use crate::service::approval::ApprovalOutcome;
use crate::service::growth::ReferralView;
use crate::store::promo::{PromoCode, PromoKind};

use super::money;

/// What was provisioned for free: the trial, a gift, or an order a code paid entirely.
#[derive(Debug, Clone, Copy)]
pub(in crate::discord) enum Free {
    /// `/trial`.
    Trial,
    /// `/redeem`.
    Gift,
    /// `/order promo:` with a code that pays everything.
    Code(OrderId),
}

/// The answer after a free access was provisioned, and how it went.
#[must_use]
pub(in crate::discord) fn provisioned_text(
    lang: Lang,
    what: Free,
    outcome: Option<&ApprovalOutcome>,
) -> String {
    let subject = match what {
        Free::Trial => t(lang, "free-trial", &[]),
        Free::Gift => t(lang, "free-gift", &[]),
        Free::Code(order) => t(lang, "free-code", &[s("order", order.to_string())]),
    };
    let id = match outcome {
        Some(ApprovalOutcome::Approved(_)) => "free-ready",
        Some(ApprovalOutcome::Delayed(_)) => "free-delayed",
        Some(ApprovalOutcome::Failed(..)) => "free-failed",
        None => "free-creating",
    };
    t(lang, id, &[s("what", subject)])
}

/// `/referral`: the customer's code (in its own block) and how it works.
#[must_use]
pub(in crate::discord) fn referral_text(lang: Lang, view: &ReferralView) -> String {
    let how = t(
        lang,
        "referral-how",
        &[n("days", i64::from(view.reward_days))],
    );
    format!(
        "{}\n```\n{}\n```\n{how}",
        t(lang, "referral-code", &[]),
        view.code
    )
}

/// `/admin promo list`: one line per code, in the staff's `lang`.
#[must_use]
pub(in crate::discord) fn promo_list(lang: Lang, codes: &[PromoCode]) -> String {
    if codes.is_empty() {
        return t(lang, "staff-promo-none", &[]);
    }
    codes
        .iter()
        .map(|c| {
            let what = match c.kind {
                PromoKind::Percent => t(lang, "staff-promo-percent", &[n("value", c.value)]),
                PromoKind::Amount => money(c.value, c.currency.as_deref().unwrap_or("")),
                PromoKind::Days => t(lang, "staff-promo-days", &[n("days", c.value)]),
                PromoKind::Plan => t(
                    lang,
                    "staff-promo-plan",
                    &[s("plan", c.plan_id.clone().unwrap_or_default())],
                ),
            };
            let uses = c
                .max_uses
                .map_or_else(|| c.uses.to_string(), |m| format!("{}/{m}", c.uses));
            let uses = t(lang, "staff-promo-uses", &[s("uses", uses)]);
            let state = if c.disabled_at.is_some() {
                t(lang, "staff-promo-disabled", &[])
            } else {
                String::new()
            };
            let until = c
                .valid_until
                .map(|at| format!(" · <t:{}:d>", at / 1000))
                .unwrap_or_default();
            format!("`{}` — {what} · {uses}{until}{state}", c.code)
        })
        .collect::<Vec<_>>()
        .join("\n")
}
