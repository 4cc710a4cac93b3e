//! Crypto Pay in the ticket: picking a `cryptobot` method (or "New invoice") posts the order's
//! invoice; "I paid — check now" asks Crypto Pay and settles. Handlers only translate: parse →
//! `service::crypto` → render. Both defer first: Crypto Pay may take longer than Discord's 3 s.

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse,
};

use crate::config::PaymentMethod;
use crate::domain::{OrderId, UserId};
use crate::error::UserError;

use super::interact::{Failure, ephemeral};
use super::render;
use super::{Data, lang};
use crate::i18n::{s, t};

/// The order's invoice, posted in the ticket (visible to staff too): a new one unless a
/// payable one exists. Answers the click itself (deferred, then edited).
pub(super) async fn post_invoice(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
    method: &PaymentMethod,
) -> Result<(), Failure> {
    let Some(crypto) = data.app.crypto.clone() else {
        return Err(UserError::ProviderUnavailable {
            provider: "Crypto Pay",
        }
        .into());
    };
    // A new message in the ticket (DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE), not an edit of the
    // message clicked: the ticket's method select and Cancel stay usable.
    let thinking = CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new());
    c.create_response(ctx, thinking).await?;
    let user = UserId(c.user.id.get());
    let lang = lang::of_interaction(&data.app, c.user.id, &c.locale).await;
    let edit = match crypto.open_invoice(user, order).await {
        Ok(view) => {
            let (text, buttons) =
                render::invoice_message(lang, &view, &method.name, &method.instructions);
            EditInteractionResponse::new()
                .content(text)
                .components(buttons)
        }
        Err(e) => {
            let text = Failure::from(e).report(&format!("invoice for order #{order}"), lang);
            EditInteractionResponse::new().content(text)
        }
    };
    c.edit_response(ctx, edit).await?;
    Ok(())
}

/// "New invoice" after an expiry: the same as picking the order's Crypto Pay method again.
pub(super) async fn new_invoice(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
) -> Result<(), Failure> {
    let app = &data.app;
    let method = match app.orders.get(order).await? {
        Some(o) if o.user_id.0 == c.user.id.get() => o
            .payment_method
            .and_then(|m| app.config.payment_method(&m).cloned()),
        _ => None,
    };
    match method {
        Some(m) if m.kind == crate::config::PaymentKind::Cryptobot => {
            post_invoice(ctx, c, data, order, &m).await
        }
        _ => {
            let lang = lang::of_interaction(app, c.user.id, &c.locale).await;
            let text = t(lang, "invoice-not-crypto", &[s("order", order.to_string())]);
            ephemeral(ctx, c, &text).await
        }
    }
}

/// "I paid — check now": only the customer sees the answer.
pub(super) async fn check(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
) -> Result<(), Failure> {
    let Some(crypto) = data.app.crypto.clone() else {
        return ephemeral(
            ctx,
            c,
            "Crypto Pay is not available in this shop right now.",
        )
        .await;
    };
    c.defer_ephemeral(ctx).await?;
    let user = UserId(c.user.id.get());
    let lang = lang::of_interaction(&data.app, c.user.id, &c.locale).await;
    let text = match crypto.check_order(user, order).await {
        Ok(outcome) => render::check_reply(lang, order, &outcome),
        Err(e) => Failure::from(e).report(&format!("checking the invoice of order #{order}"), lang),
    };
    c.edit_response(ctx, EditInteractionResponse::new().content(text))
        .await?;
    Ok(())
}
