//! How Crypto Pay invoices look: the invoice message in the ticket (a link button to pay and
//! "I paid — check now"), the answers to a check, and the invoice notices.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton};

use crate::discord::custom_id::CustomId;
use crate::domain::OrderId;
use crate::domain::delivery::InvoiceEvent;
use crate::service::approval::ApprovalOutcome;
use crate::service::crypto::{CheckOutcome, InvoiceView};

/// The invoice message: what to pay, until when, and the two buttons. The pay URL and the
/// amount are never inside other text, so a copied value carries nothing extra.
#[must_use]
pub(in crate::discord) fn invoice_message(
    view: &InvoiceView,
    method_name: &str,
    instructions: &str,
) -> (String, Vec<CreateActionRow>) {
    let assets = if view.accepted_assets.is_empty() {
        String::new()
    } else {
        format!(" (pay in {})", view.accepted_assets.join(", "))
    };
    let until = view
        .expires_at
        .map(|t| format!("\nPay before <t:{}:f> (<t:{}:R>).", t / 1000, t / 1000))
        .unwrap_or_default();
    let head = if instructions.trim().is_empty() {
        format!("**{method_name}**")
    } else {
        format!("**{method_name}**\n{instructions}")
    };
    let text = format!(
        "{head}\nInvoice #{id} for order #{order}: **{amount} {unit}**{assets}.{until}\n\
         Open the invoice in @CryptoBot and pay it; your access is created as soon as the \
         payment arrives, no screenshot needed.",
        id = view.invoice_id,
        order = view.order_id,
        amount = view.amount,
        unit = view.unit,
    );
    (text, invoice_buttons(view))
}

fn invoice_buttons(view: &InvoiceView) -> Vec<CreateActionRow> {
    let mut buttons = Vec::new();
    if !view.pay_url.is_empty() {
        buttons.push(CreateButton::new_link(view.pay_url.clone()).label("Pay with Crypto Pay"));
    }
    buttons.push(
        CreateButton::new(CustomId::CheckInvoice(view.order_id).to_string())
            .label("I paid — check now")
            .style(ButtonStyle::Secondary),
    );
    vec![CreateActionRow::Buttons(buttons)]
}

/// The "New invoice" button (an expired invoice's notice).
#[must_use]
pub(in crate::discord) fn new_invoice_button(order: OrderId) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::NewInvoice(order).to_string())
            .label("New invoice")
            .style(ButtonStyle::Primary),
    ])]
}

/// The answer to "I paid — check now" (only the customer sees it).
#[must_use]
pub(in crate::discord) fn check_reply(order: OrderId, outcome: &CheckOutcome) -> String {
    match outcome {
        CheckOutcome::Waiting(_) => format!(
            "The invoice for order #{order} is not paid yet. Once you pay it in @CryptoBot, \
             your access is created automatically (checking again is fine)."
        ),
        CheckOutcome::Settled(Some(ApprovalOutcome::Approved(_))) | CheckOutcome::AlreadyPaid => {
            format!("Payment received for order #{order}. Your link is on its way by DM.")
        }
        CheckOutcome::Settled(Some(ApprovalOutcome::Delayed(_))) => format!(
            "Payment received for order #{order}. The VPN panel is briefly unavailable; your \
             access is created as soon as it is back and you will get your link by DM."
        ),
        CheckOutcome::Settled(Some(ApprovalOutcome::Failed(..))) => format!(
            "Payment received for order #{order}, but creating your access failed. Staff were \
             told and will finish it; you do not need to pay again."
        ),
        CheckOutcome::Settled(None) => {
            format!("Payment received for order #{order}; your access is being created.")
        }
        CheckOutcome::Expired => format!(
            "The invoice for order #{order} expired unpaid. Press **New invoice** (or pick the \
             payment method again) to get a new one."
        ),
        CheckOutcome::NotSettled(_) => not_settled(order),
    }
}

fn not_settled(order: OrderId) -> String {
    format!(
        "A payment for order #{order} arrived but does not match the invoice (or the order was \
         closed), so nothing was delivered automatically. Staff were told and will contact you; \
         do not pay again."
    )
}

/// The text of an invoice notice, posted in the ticket (else DMed).
#[must_use]
pub(in crate::discord) fn invoice_notice(
    user: crate::domain::UserId,
    order: OrderId,
    invoice_id: i64,
    event: InvoiceEvent,
) -> String {
    match event {
        InvoiceEvent::Expired => format!(
            "<@{user}>, the Crypto Pay invoice #{invoice_id} for order #{order} expired unpaid. \
             Press **New invoice** to get a new one."
        ),
        InvoiceEvent::NotSettled => format!("<@{user}>, {}", not_settled(order)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> InvoiceView {
        InvoiceView {
            order_id: OrderId(7),
            invoice_id: 42,
            pay_url: "https://t.me/CryptoBot?start=IVabc".into(),
            amount: "5.00".into(),
            unit: "USD".into(),
            accepted_assets: vec!["USDT".into(), "TON".into()],
            expires_at: Some(1_700_000_000_000),
        }
    }

    #[test]
    fn the_invoice_message_names_amount_expiry_and_has_both_buttons() {
        let (text, rows) = invoice_message(&view(), "Crypto", "");
        assert!(text.contains("**5.00 USD** (pay in USDT, TON)"), "{text}");
        assert!(text.contains("<t:1700000000:f>"), "{text}");
        assert!(text.contains("Invoice #42 for order #7"), "{text}");
        let json = serde_json::to_value(&rows).unwrap();
        let buttons = &json[0]["components"];
        assert_eq!(buttons[0]["url"], "https://t.me/CryptoBot?start=IVabc");
        assert_eq!(buttons[0]["style"], 5, "a link button");
        assert_eq!(buttons[1]["custom_id"], "vtb:invoice_check:7");
    }

    #[test]
    fn check_replies_say_what_happened() {
        let order = OrderId(7);
        assert!(check_reply(order, &CheckOutcome::Waiting(view())).contains("not paid yet"));
        assert!(check_reply(order, &CheckOutcome::AlreadyPaid).contains("Payment received"));
        assert!(check_reply(order, &CheckOutcome::Expired).contains("New invoice"));
        assert!(
            check_reply(order, &CheckOutcome::NotSettled("x".into())).contains("do not pay again")
        );
    }
}
