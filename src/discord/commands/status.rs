//! `/status`: the customer's subscription (expiry, traffic, link and QR code again), ephemeral.

use poise::serenity_prelude::CreateAttachment;

use crate::discord::{Ctx, Failure, lang, render};
use crate::domain::UserId;
use crate::error::{Error, UserError};
use crate::i18n::t;

/// Your VPN access: expiry, traffic used, and your connection link and QR code again.
#[poise::command(slash_command)]
pub(crate) async fn status(ctx: Ctx<'_>) -> Result<(), Failure> {
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    let lang = lang::of_ctx(ctx).await;
    let view = match app
        .subscriptions
        .status(UserId(ctx.author().id.get()))
        .await
    {
        Err(Error::User(UserError::NotFound { .. })) => {
            let text = t(lang, "status-none", &[]);
            ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
                .await?;
            return Ok(());
        }
        other => other?,
    };
    let mut reply = poise::CreateReply::default()
        .content(render::status_text(lang, &view))
        .ephemeral(true);
    if let Some(link) = &view.link {
        match crate::panel::qr::qr_png(link) {
            Ok(png) => reply = reply.attachment(CreateAttachment::bytes(png, "vpn-qr.png")),
            Err(e) => tracing::warn!(error = %e, "status: no QR code"),
        }
    }
    ctx.send(reply).await?;
    Ok(())
}
