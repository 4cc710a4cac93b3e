//! A refusal ([`UserError`]) in the reader's language. Structured refusals (an open order, a
//! duplicate receipt, a rate limit...) are whole catalog messages; refusals that carry the
//! core's own English detail (what was not found, why a state does not allow it) are framed by
//! the catalog with the detail as an argument (the known ones map to whole messages). One-time
//! confirmation refusals are staff-only and keep the core's words.

use super::{Lang, n, s, t};
use crate::error::UserError;
use crate::service::growth;
use crate::service::orders::{CHOOSE_METHOD_FIRST, NOTHING_TO_RENEW};

/// The text of `e` for a reader of `lang`.
#[must_use]
pub fn refusal(lang: Lang, e: &UserError) -> String {
    match e {
        UserError::NotFound { what } => t(lang, "error-not-found", &[s("what", what.clone())]),
        UserError::Forbidden { action } => {
            t(lang, "error-forbidden", &[s("action", action.clone())])
        }
        UserError::InvalidState { reason } => invalid_state(lang, reason),
        UserError::OpenOrderExists { order } => {
            t(lang, "error-open-order", &[s("order", order.to_string())])
        }
        UserError::Banned => t(lang, "error-banned", &[]),
        UserError::RateLimited { retry_after_secs } => t(
            lang,
            "error-rate-limited",
            &[n(
                "seconds",
                i64::try_from(*retry_after_secs).unwrap_or(i64::MAX),
            )],
        ),
        UserError::PanelUnavailable => t(lang, "error-panel-unavailable", &[]),
        UserError::ProviderUnavailable { provider } => t(
            lang,
            "error-provider-unavailable",
            &[s("provider", (*provider).to_owned())],
        ),
        UserError::DuplicateReceipt { earlier_order } => t(
            lang,
            "error-duplicate-receipt",
            &[s("order", earlier_order.to_string())],
        ),
        UserError::BadReceipt { reason } => {
            t(lang, "error-bad-receipt", &[s("reason", reason.clone())])
        }
        UserError::Token(refusal) => refusal.to_string(),
    }
}

fn invalid_state(lang: Lang, reason: &str) -> String {
    // The core's "order #12 is no longer waiting for a payment" / "… is not waiting for a
    // receipt": the order no longer takes a payment.
    let not_waiting = reason
        .strip_prefix("order #")
        .and_then(|r| r.split_once(' '))
        .filter(|(_, rest)| rest.contains("waiting for a"))
        .map(|(order, _)| order);
    match reason {
        NOTHING_TO_RENEW => t(lang, "error-nothing-to-renew", &[]),
        CHOOSE_METHOD_FIRST => t(lang, "error-choose-method", &[]),
        _ if not_waiting.is_some() => t(
            lang,
            "error-order-not-waiting",
            &[s("order", not_waiting.unwrap_or_default())],
        ),
        other => {
            if let Some((_, id)) = growth::refusals::CATALOG
                .iter()
                .find(|(text, _)| *text == other)
            {
                return t(lang, id, &[]);
            }
            match other.strip_prefix(growth::refusals::BANNED_PREFIX) {
                Some(rest) => t(
                    lang,
                    "refused-banned",
                    &[s("reason", rest.trim_start_matches(": ").to_owned())],
                ),
                None => t(lang, "error-invalid-state", &[s("reason", other)]),
            }
        }
    }
}
