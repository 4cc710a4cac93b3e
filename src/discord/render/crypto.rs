//! How Crypto Pay invoices look, in the customer's language: the invoice message in the ticket
//! (a link button to pay and "I paid — check now"), the answers to a check, and the invoice
//! notices. The pay URL is a button's URL and the amount an argument: no text wraps them.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateButton};

use crate::discord::custom_id::CustomId;
use crate::domain::delivery::InvoiceEvent;
use crate::domain::{OrderId, UserId};
use crate::i18n::{Lang, s, t};
use crate::service::approval::ApprovalOutcome;
use crate::service::crypto::{CheckOutcome, InvoiceView};

/// The invoice message: what to pay, until when, and the two buttons.
#[must_use]
pub(in crate::discord) fn invoice_message(
    lang: Lang,
    view: &InvoiceView,
    method_name: &str,
    instructions: &str,
) -> (String, Vec<CreateActionRow>) {
    let assets = if view.accepted_assets.is_empty() {
        String::new()
    } else {
        t(
            lang,
            "invoice-assets",
            &[s("assets", view.accepted_assets.join(", "))],
        )
    };
    let until = view
        .expires_at
        .map(|at| {
            let unix = (at / 1000).to_string();
            format!("\n{}", t(lang, "invoice-until", &[s("unix", unix)]))
        })
        .unwrap_or_default();
    let head = if instructions.trim().is_empty() {
        format!("**{method_name}**")
    } else {
        format!("**{method_name}**\n{instructions}")
    };
    let args = [
        s("invoice", view.invoice_id.to_string()),
        s("order", view.order_id.to_string()),
        s("amount", format!("{} {}", view.amount, view.unit)),
        s("assets", assets),
    ];
    let text = format!(
        "{head}\n{}{until}\n{}",
        t(lang, "invoice-head", &args),
        t(lang, "invoice-how", &[])
    );
    (text, invoice_buttons(lang, view))
}

fn invoice_buttons(lang: Lang, view: &InvoiceView) -> Vec<CreateActionRow> {
    let mut buttons = Vec::new();
    if !view.pay_url.is_empty() {
        buttons.push(CreateButton::new_link(view.pay_url.clone()).label(t(
            lang,
            "invoice-pay",
            &[],
        )));
    }
    buttons.push(
        CreateButton::new(CustomId::CheckInvoice(view.order_id).to_string())
            .label(t(lang, "invoice-check", &[]))
            .style(ButtonStyle::Secondary),
    );
    vec![CreateActionRow::Buttons(buttons)]
}

/// The "New invoice" button (an expired invoice's notice).
#[must_use]
pub(in crate::discord) fn new_invoice_button(lang: Lang, order: OrderId) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::NewInvoice(order).to_string())
            .label(t(lang, "invoice-new", &[]))
            .style(ButtonStyle::Primary),
    ])]
}

/// The answer to "I paid — check now" (only the customer sees it).
#[must_use]
pub(in crate::discord) fn check_reply(
    lang: Lang,
    order: OrderId,
    outcome: &CheckOutcome,
) -> String {
    let id = match outcome {
        CheckOutcome::Waiting(_) => "invoice-waiting",
        CheckOutcome::Settled(Some(ApprovalOutcome::Approved(_))) | CheckOutcome::AlreadyPaid => {
            "invoice-paid"
        }
        CheckOutcome::Settled(Some(ApprovalOutcome::Delayed(_))) => "invoice-paid-delayed",
        CheckOutcome::Settled(Some(ApprovalOutcome::Failed(..))) => "invoice-paid-failed",
        CheckOutcome::Settled(None) => "invoice-paid-creating",
        CheckOutcome::Expired => "invoice-expired-reply",
        CheckOutcome::NotSettled(_) => "invoice-not-settled",
    };
    t(lang, id, &[s("order", order.to_string())])
}

/// The text of an invoice notice, posted in the ticket (else DMed).
#[must_use]
pub(in crate::discord) fn invoice_notice(
    lang: Lang,
    user: UserId,
    order: OrderId,
    invoice_id: i64,
    event: InvoiceEvent,
) -> String {
    let args = [
        s("mention", format!("<@{user}>")),
        s("order", order.to_string()),
        s("invoice", invoice_id.to_string()),
    ];
    match event {
        InvoiceEvent::Expired => t(lang, "notice-invoice-expired", &args),
        InvoiceEvent::NotSettled => t(lang, "notice-invoice-not-settled", &args),
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
        let (text, rows) = invoice_message(Lang::En, &view(), "Crypto", "");
        assert!(text.contains("**5.00 USD** (pay in USDT, TON)"), "{text}");
        assert!(text.contains("<t:1700000000:f>"), "{text}");
        assert!(text.contains("Invoice #42 for order #7"), "{text}");
        let json = serde_json::to_value(&rows).unwrap();
        let buttons = &json[0]["components"];
        assert_eq!(buttons[0]["url"], "https://t.me/CryptoBot?start=IVabc");
        assert_eq!(buttons[0]["style"], 5, "a link button");
        assert_eq!(buttons[1]["custom_id"], "vtb:invoice_check:7");
        let (ru, _) = invoice_message(Lang::Ru, &view(), "Crypto", "");
        assert!(ru.contains("5.00 USD") && ru.contains("Счёт"), "{ru}");
    }

    #[test]
    fn check_replies_say_what_happened() {
        let order = OrderId(7);
        let reply = |o: &CheckOutcome| check_reply(Lang::En, order, o);
        assert!(reply(&CheckOutcome::Waiting(view())).contains("not paid yet"));
        assert!(reply(&CheckOutcome::AlreadyPaid).contains("Payment received"));
        assert!(reply(&CheckOutcome::Expired).contains("New invoice"));
        assert!(reply(&CheckOutcome::NotSettled("x".into())).contains("do not pay again"));
    }
}
