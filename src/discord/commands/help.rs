//! `/help`: how ordering works and what each role can do with the bot.

use crate::discord::{Ctx, Failure};

/// How ordering works, and the commands for customers, support, admins and owners.
#[poise::command(slash_command)]
pub(crate) async fn help(ctx: Ctx<'_>) -> Result<(), Failure> {
    let shop = &ctx.data().app.config.shop.name;
    let text = format!(
        "**{shop}**\n\
         1. Run `/order` and pick a plan: a private ticket channel opens for you.\n\
         2. Pick a payment method in the ticket and follow the instructions.\n\
         3. Upload a screenshot of your payment in the ticket.\n\
         4. Once an admin approves it, you get your connection link by DM.\n\
         \n\
         **Customers:** `/order` buys a plan · `/renew` adds a plan to your current access · \
         `/status` shows your expiry, traffic and link again · `/help` shows this.\n\
         **Support:** sees every ticket and talks to customers there (cannot approve, reject, \
         extend or revoke).\n\
         **Admins:** Approve / Reject on the review cards · `/admin extend` and `/admin revoke` a customer's \
         access · `/admin user` and `/admin orders` look-ups · `/admin revenue` sales totals · \
         `/admin health` the panel's state · `/admin panels` each panel's state and load.\n\
         **Owners:** everything admins can do · `/admin backup` backs the database up now · a DM \
         when the panel goes down and when it is back."
    );
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
