//! The texts of one-shot deliveries: customer notices (rejection, closing, delays, reminders,
//! admin changes), the "Show my link" offer and the owners' alerts.

use poise::serenity_prelude as serenity;

use crate::domain::delivery::{AccessChange, Delivery, InvoiceEvent, OwnerAlert};
use crate::domain::{ChannelId, UserId};

use super::when;

/// A plain-text notice: who it is for, the ticket to post it in (else a DM) and the text; `None`
/// for deliveries that are not plain notices (views, the link, owner alerts).
#[must_use]
pub(crate) fn notice(d: &Delivery) -> Option<(UserId, Option<ChannelId>, String)> {
    Some(match d {
        Delivery::ProvisioningDelayed {
            user_id,
            order_id,
            ticket_channel_id,
            ..
        } => (
            *user_id,
            *ticket_channel_id,
            format!(
                "<@{user_id}>, your payment for order #{order_id} is approved. The VPN panel is \
                 briefly unavailable; your access is created automatically as soon as it is \
                 back, and you will get your link by DM."
            ),
        ),
        Delivery::ReceiptRejected {
            user_id,
            order_id,
            ticket_channel_id,
            reason,
            ..
        } => (
            *user_id,
            *ticket_channel_id,
            format!(
                "<@{user_id}>, your receipt for order #{order_id} was rejected: {reason}\n\
                 You can upload a new screenshot in this channel."
            ),
        ),
        Delivery::OrderClosed {
            user_id,
            order_id,
            ticket_channel_id,
            reason,
        } => (
            *user_id,
            *ticket_channel_id,
            format!("<@{user_id}>, order #{order_id} is closed: {reason}."),
        ),
        Delivery::ExpiryReminder { .. }
        | Delivery::SubscriptionExpired { .. }
        | Delivery::ActivationStarted { .. }
        | Delivery::PanelMoved { .. }
        | Delivery::AccessChanged { .. } => return subscription_notice(d),
        Delivery::InvoiceNotice {
            user_id,
            order_id,
            ticket_channel_id,
            invoice_id,
            event,
        } => (
            *user_id,
            *ticket_channel_id,
            super::invoice_notice(*user_id, *order_id, *invoice_id, *event),
        ),
        Delivery::ReviewCard { .. }
        | Delivery::TicketView { .. }
        | Delivery::DeliverLink { .. }
        | Delivery::OwnerAlert { .. } => return None,
    })
}

/// The buttons under a notice: "New invoice" under an expired invoice's notice; none otherwise.
#[must_use]
pub(crate) fn notice_buttons(d: &Delivery) -> Vec<serenity::CreateActionRow> {
    match d {
        Delivery::InvoiceNotice {
            order_id,
            event: InvoiceEvent::Expired,
            ..
        } => super::new_invoice_button(*order_id),
        _ => Vec::new(),
    }
}

/// A DM about the customer's subscription (reminder, expiry, an admin's change).
fn subscription_notice(d: &Delivery) -> Option<(UserId, Option<ChannelId>, String)> {
    Some(match d {
        Delivery::ExpiryReminder {
            user_id, expiry_at, ..
        } => (
            *user_id,
            None,
            format!(
                "Your VPN access ends {}. Run `/order` to renew: the days and traffic you have \
                 left are kept.",
                when(*expiry_at)
            ),
        ),
        Delivery::SubscriptionExpired { user_id, expiry_at } => (
            *user_id,
            None,
            format!(
                "Your VPN access expired {} and was disabled. Run `/order` to renew.",
                when(*expiry_at)
            ),
        ),
        Delivery::ActivationStarted {
            user_id,
            expiry_at,
            days,
        } => (*user_id, None, activation_started(*days, *expiry_at)),
        Delivery::PanelMoved { user_id, link, .. } => (
            *user_id,
            None,
            format!(
                "Your VPN server was down, so your access moved to another one. Your new \
                 link:\n{link}"
            ),
        ),
        Delivery::AccessChanged {
            user_id, change, ..
        } => (*user_id, None, access_changed(change)),
        _ => return None,
    })
}

/// The one text of the "your days started" DM.
fn activation_started(days: u32, expiry_at: i64) -> String {
    format!(
        "Your {days} days of VPN access have started; they end {}.",
        when(expiry_at)
    )
}

fn access_changed(change: &AccessChange) -> String {
    match change {
        AccessChange::Extended { days, expiry_at } => format!(
            "An admin extended your VPN access by {days} days; it now ends {}.",
            when(*expiry_at)
        ),
        AccessChange::Revoked { reason } => {
            format!("An admin revoked your VPN access: {reason}")
        }
    }
}

/// The ticket message offering the link when the customer's DMs are closed.
#[must_use]
pub(crate) fn reveal_offer(user: UserId) -> String {
    format!(
        "<@{user}>, your access is ready, but your DMs are closed. Click the button: only you \
         will see the link."
    )
}

/// The owners' DM for `alert`, in plain words: what is wrong and what to do.
#[must_use]
pub(crate) fn owner_alert(alert: &OwnerAlert) -> String {
    match alert {
        OwnerAlert::MissingAccess {
            channel_id,
            permission,
            action,
        } => format!(
            "⚠ Discord refused the bot in <#{channel_id}>: it could not {action}. Give the \
             bot's role **{permission}** in that channel (Edit Channel → Permissions). The bot \
             keeps retrying and catches up on its own once the permission is there."
        ),
        OwnerAlert::InvoiceNotSettled {
            invoice_id,
            order_id,
            user_id,
            reason,
        } => format!(
            "⚠ Crypto Pay invoice #{invoice_id} (order #{order_id}, <@{user_id}>) was paid but              not settled: {reason}. Nothing was delivered. Check the payment in @CryptoBot, then              refund it or serve the customer by hand (`/admin extend`)."
        ),
        OwnerAlert::PanelHealth {
            panel_id,
            down: true,
            detail,
            ..
        } => format!(
            "⚠ Panel `{panel_id}` is down ({detail}). New customers go to the other panels; its \
             own customers wait, or move after `backends.failover_after_minutes`."
        ),
        OwnerAlert::PanelHealth {
            panel_id, detail, ..
        } => format!("✅ Panel `{panel_id}` is back ({detail})."),
        OwnerAlert::DeliveryFailed {
            outbox_id,
            user_id,
            what,
            error,
        } => format!(
            "⚠ {what} could not be delivered to <@{user_id}> and was given up (delivery \
             #{outbox_id}: {error}). The customer paid: send it to them by hand (they can also \
             see it with `/status`). `/admin health` lists such deliveries."
        ),
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
        let (user, ticket, text) = notice(&d).unwrap();
        assert_eq!((user, ticket), (UserId(7), Some(ChannelId(9))));
        assert_eq!(text, "<@7>, order #3 is closed: cancelled by customer.");
        assert!(
            notice(&Delivery::ReviewCard {
                payment_id: PaymentId(1)
            })
            .is_none()
        );
    }

    #[test]
    fn the_activation_dm_says_how_many_days_and_when_they_end() {
        let d = Delivery::ActivationStarted {
            user_id: UserId(7),
            expiry_at: 1_900_000_000_000,
            days: 30,
        };
        let (user, ticket, text) = notice(&d).unwrap();
        assert_eq!((user, ticket), (UserId(7), None));
        assert_eq!(
            text,
            "Your 30 days of VPN access have started; they end on <t:1900000000:f>."
        );
    }

    #[test]
    fn a_missing_permission_names_the_permission_and_the_channel() {
        let text = owner_alert(&OwnerAlert::MissingAccess {
            channel_id: ChannelId(42),
            permission: "Manage Roles".into(),
            action: "lock a ticket".into(),
        });
        assert!(
            text.contains("<#42>") && text.contains("**Manage Roles**"),
            "{text}"
        );
    }
}
