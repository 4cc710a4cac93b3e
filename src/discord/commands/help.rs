//! `/help`: how ordering works and what each role can do with the bot.

use crate::discord::{Ctx, Failure, lang};
use crate::i18n::{s, t};

/// How ordering works, and the commands for customers, support, admins and owners.
#[poise::command(slash_command)]
pub(crate) async fn help(ctx: Ctx<'_>) -> Result<(), Failure> {
    let shop = ctx.data().app.config.shop.name.clone();
    let lang = lang::of_ctx(ctx).await;
    let text = t(lang, "help-text", &[s("shop", shop)]);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
