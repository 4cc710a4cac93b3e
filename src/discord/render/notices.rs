//! The texts of one-shot deliveries: customer notices (rejection, closing, delays, reminders,
//! admin changes), the "Show my link" offer and the owners' alerts.

use poise::serenity_prelude as serenity;

use crate::domain::delivery::{AccessChange, Delivery, InvoiceEvent, OwnerAlert};
use crate::domain::{ChannelId, UserId};
use crate::i18n::{Lang, n, s, t};
use crate::service::orders::{
    ABANDONED_PREFIX, CANCELLED_BY_CUSTOMER, CUSTOMER_LEFT, TICKET_DELETED,
};

use super::when;

/// Who a plain-text notice is for and the ticket to post it in (else a DM); `None` for
/// deliveries that are not plain notices (views, the link, owner alerts).
#[must_use]
pub(crate) fn notice_target(d: &Delivery) -> Option<(UserId, Option<ChannelId>)> {
    match d {
        Delivery::ProvisioningDelayed {
            user_id,
            ticket_channel_id,
            ..
        }
        | Delivery::ReceiptRejected {
            user_id,
            ticket_channel_id,
            ..
        }
        | Delivery::OrderClosed {
            user_id,
            ticket_channel_id,
            ..
        }
        | Delivery::InvoiceNotice {
            user_id,
            ticket_channel_id,
            ..
        } => Some((*user_id, *ticket_channel_id)),
        Delivery::ExpiryReminder { user_id, .. }
        | Delivery::SubscriptionExpired { user_id, .. }
        | Delivery::AccessChanged { user_id, .. }
        | Delivery::ActivationStarted { user_id, .. }
        | Delivery::PanelMoved { user_id, .. }
        | Delivery::GiftIssued { user_id, .. } => Some((*user_id, None)),
        Delivery::ReviewCard { .. }
        | Delivery::TicketView { .. }
        | Delivery::DeliverLink { .. }
        | Delivery::OwnerAlert { .. } => None,
    }
}

/// The text of a plain-text notice in the customer's `lang`; `None` as [`notice_target`].
#[must_use]
pub(crate) fn notice(d: &Delivery, lang: Lang) -> Option<String> {
    let mention = |u: &UserId| s("mention", format!("<@{u}>"));
    let order = |o: &crate::domain::OrderId| s("order", o.to_string());
    Some(match d {
        Delivery::ProvisioningDelayed {
            user_id, order_id, ..
        } => t(lang, "notice-delayed", &[mention(user_id), order(order_id)]),
        Delivery::ReceiptRejected {
            user_id,
            order_id,
            reason,
            reason_code,
            ..
        } => t(
            lang,
            "notice-rejected",
            &[
                mention(user_id),
                order(order_id),
                s("reason", rejection(lang, reason_code.as_deref(), reason)),
            ],
        ),
        Delivery::OrderClosed {
            user_id,
            order_id,
            reason,
            ..
        } => t(
            lang,
            "notice-closed",
            &[
                mention(user_id),
                order(order_id),
                s("reason", close_reason(lang, reason)),
            ],
        ),
        Delivery::ExpiryReminder { expiry_at, .. } => t(
            lang,
            "notice-reminder",
            &[s("when", when(lang, *expiry_at))],
        ),
        Delivery::SubscriptionExpired { expiry_at, .. } => {
            t(lang, "notice-expired", &[s("when", when(lang, *expiry_at))])
        }
        Delivery::AccessChanged { change, .. } => access_changed(lang, change),
        Delivery::ActivationStarted {
            expiry_at, days, ..
        } => t(
            lang,
            "notice-activation-started",
            &[n("days", (*days).into()), s("when", when(lang, *expiry_at))],
        ),
        Delivery::PanelMoved { link, .. } => {
            format!("{}\n{link}", t(lang, "notice-panel-moved", &[]))
        }
        Delivery::InvoiceNotice {
            user_id,
            order_id,
            invoice_id,
            event,
            ..
        } => super::invoice_notice(lang, *user_id, *order_id, *invoice_id, *event),
        Delivery::GiftIssued {
            order_id,
            token,
            expires_at,
            ..
        } => format!(
            "{}\n```\n{token}\n```",
            t(
                lang,
                "notice-gift",
                &[
                    order(order_id),
                    s("until", format!("<t:{}:D>", expires_at / 1000))
                ],
            )
        ),
        _ => return None,
    })
}

/// A rejection's reason in `lang`: the standard reason's words, then the admin's details.
fn rejection(lang: Lang, code: Option<&str>, details: &str) -> String {
    use crate::domain::status::RejectCode;
    match code.and_then(|c| c.parse::<RejectCode>().ok()) {
        None | Some(RejectCode::Other) => details.to_owned(),
        Some(code) if details.is_empty() => super::reject_reason_text(lang, code),
        Some(code) => format!("{} ({details})", super::reject_reason_text(lang, code)),
    }
}

/// The buttons under a notice: "New invoice" under an expired invoice's notice; none otherwise.
#[must_use]
pub(crate) fn notice_buttons(d: &Delivery, lang: Lang) -> Vec<serenity::CreateActionRow> {
    match d {
        Delivery::InvoiceNotice {
            order_id,
            event: InvoiceEvent::Expired,
            ..
        } => super::new_invoice_button(lang, *order_id),
        _ => Vec::new(),
    }
}

/// Why an order closed, in `lang`: the core's reasons have catalog messages; any other reason
/// (an admin's words) is shown as it is.
fn close_reason(lang: Lang, reason: &str) -> String {
    let hours = reason
        .strip_prefix(ABANDONED_PREFIX)
        .and_then(|h| h.strip_suffix(" h"))
        .and_then(|h| h.parse::<i64>().ok());
    match reason {
        _ if hours.is_some() => t(lang, "close-abandoned", &[n("hours", hours.unwrap_or(0))]),
        CANCELLED_BY_CUSTOMER => t(lang, "close-cancelled-customer", &[]),
        TICKET_DELETED => t(lang, "close-ticket-deleted", &[]),
        CUSTOMER_LEFT => t(lang, "close-member-left", &[]),
        r if r.starts_with("no ticket channel") => t(lang, "close-no-ticket", &[]),
        other => other.to_owned(),
    }
}

fn access_changed(lang: Lang, change: &AccessChange) -> String {
    match change {
        AccessChange::Extended { days, expiry_at } => t(
            lang,
            "notice-extended",
            &[n("days", (*days).into()), s("when", when(lang, *expiry_at))],
        ),
        AccessChange::Revoked { reason } => {
            t(lang, "notice-revoked", &[s("reason", reason.clone())])
        }
        AccessChange::Banned { reason } => t(lang, "notice-banned", &[s("reason", reason.clone())]),
        AccessChange::Unbanned => t(lang, "notice-unbanned", &[]),
        AccessChange::ReferralReward { days, expiry_at } => t(
            lang,
            "notice-referral-reward",
            &[n("days", (*days).into()), s("when", when(lang, *expiry_at))],
        ),
    }
}

/// The ticket message offering the link when the customer's DMs are closed.
#[must_use]
pub(crate) fn reveal_offer(lang: Lang, user: UserId) -> String {
    t(lang, "reveal-offer", &[s("mention", format!("<@{user}>"))])
}

/// The owners' DM for `alert`, in `lang` (`shop.staff_language`): what is wrong and what to do.
#[must_use]
pub(crate) fn owner_alert(lang: Lang, alert: &OwnerAlert) -> String {
    match alert {
        OwnerAlert::MissingAccess {
            channel_id,
            permission,
            action,
        } => {
            let args = [
                s("channel", format!("<#{channel_id}>")),
                s("action", action.clone()),
                s("permission", permission.clone()),
            ];
            t(lang, "staff-alert-access", &args)
        }
        OwnerAlert::DeliveryFailed {
            outbox_id,
            user_id,
            what,
            error,
        } => {
            let args = [
                s("what", what.clone()),
                s("mention", format!("<@{user_id}>")),
                s("outbox", outbox_id.to_string()),
                s("error", error.clone()),
            ];
            t(lang, "staff-alert-delivery", &args)
        }
        OwnerAlert::PanelHealth {
            panel_id,
            down,
            detail,
            ..
        } => {
            let args = [s("panel", panel_id.clone()), s("detail", detail.clone())];
            let id = if *down {
                "staff-alert-panel-down"
            } else {
                "staff-alert-panel-back"
            };
            t(lang, id, &args)
        }
        OwnerAlert::InvoiceNotSettled {
            invoice_id,
            order_id,
            user_id,
            reason,
        } => {
            let args = [
                s("invoice", invoice_id.to_string()),
                s("order", order_id.to_string()),
                s("mention", format!("<@{user_id}>")),
                s("reason", reason.clone()),
            ];
            t(lang, "staff-alert-invoice", &args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderId, PaymentId};

    #[test]
    fn notices_go_to_the_ticket_or_by_dm() {
        let d = Delivery::OrderClosed {
            user_id: UserId(7),
            order_id: OrderId(3),
            ticket_channel_id: Some(ChannelId(9)),
            reason: "cancelled by customer".into(),
        };
        let (user, ticket) = notice_target(&d).unwrap();
        assert_eq!((user, ticket), (UserId(7), Some(ChannelId(9))));
        let text = notice(&d, Lang::En).unwrap();
        assert_eq!(text, "<@7>, order #3 is closed: cancelled by you.");
        let ru = notice(&d, Lang::Ru).unwrap();
        assert_eq!(ru, "<@7>, заказ №3 закрыт: вы отменили его.");
        let card = Delivery::ReviewCard {
            payment_id: PaymentId(1),
        };
        assert!(notice_target(&card).is_none() && notice(&card, Lang::En).is_none());
    }

    #[test]
    fn the_cores_close_reasons_are_translated_and_an_admins_words_kept() {
        let abandoned = close_reason(Lang::Ru, &format!("{ABANDONED_PREFIX}48 h"));
        assert_eq!(abandoned, "чек не поступил за 48 часов");
        assert_eq!(close_reason(Lang::Ru, "duplicate order"), "duplicate order");
    }

    #[test]
    fn the_activation_dm_says_how_many_days_and_when_they_end() {
        let d = Delivery::ActivationStarted {
            user_id: UserId(7),
            expiry_at: 1_900_000_000_000,
            days: 30,
        };
        assert_eq!(notice_target(&d), Some((UserId(7), None)));
        assert_eq!(
            notice(&d, Lang::En).unwrap(),
            "Your 30 days of VPN access have started; they end on <t:1900000000:f>."
        );
        assert_eq!(
            notice(&d, Lang::Ru).unwrap(),
            "Ваши 30 дней доступа к VPN начались; они заканчиваются <t:1900000000:f>."
        );
    }

    #[test]
    fn a_missing_permission_names_the_permission_and_the_channel() {
        let text = owner_alert(
            Lang::En,
            &OwnerAlert::MissingAccess {
                channel_id: ChannelId(42),
                permission: "Manage Roles".into(),
                action: "lock a ticket".into(),
            },
        );
        assert!(
            text.contains("<#42>") && text.contains("**Manage Roles**"),
            "{text}"
        );
    }
}
