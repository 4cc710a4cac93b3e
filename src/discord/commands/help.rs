//! `/help`: what the bot does and how to order.

use crate::discord::{Ctx, Failure};

/// How ordering works.
#[poise::command(slash_command)]
pub async fn help(ctx: Ctx<'_>) -> Result<(), Failure> {
    let shop = &ctx.data().app.config.shop.name;
    let text = format!(
        "**{shop}**\n\
         1. Run `/order` and pick a plan: a private ticket channel opens for you.\n\
         2. Pick a payment method in the ticket and follow the instructions.\n\
         3. Upload a screenshot of your payment in the ticket.\n\
         4. Once an admin approves it, you get your connection link by DM.\n\
         Run `/status` any time to see your expiry, traffic and link again."
    );
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
