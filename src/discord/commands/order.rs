//! `/order` and `/renew`: the customer's entry points. Both show the plans in an ephemeral select
//! menu (one shared prompt); the pick is handled by `tickets::plan_selected` (routed by
//! custom_id, so it works after a restart), where the core opens the order: a renewal of the
//! same panel client when the customer has one. `/renew` first asks the core whether there is a
//! subscription to renew, and refuses with its reason otherwise.

use crate::discord::{Ctx, Failure, render};
use crate::domain::UserId;

/// Buy VPN access: pick a plan, then pay in your private ticket channel.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn order(ctx: Ctx<'_>) -> Result<(), Failure> {
    plan_prompt(ctx, "Which plan would you like?".to_owned()).await
}

/// Extend your VPN access: pick a plan; the days are added to your current expiry.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn renew(ctx: Ctx<'_>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let current = app.orders.renewable(UserId(ctx.author().id.get())).await?;
    let ends = match current.expiry_at {
        Some(0) => "never ends".to_owned(),
        Some(at) => format!("ends {}", render::when(at)),
        None => "has no known end".to_owned(),
    };
    let text = format!(
        "Your VPN access ({}) {ends}. Which plan would you like to add? Its days are added to \
         what you have left.",
        current.status
    );
    plan_prompt(ctx, text).await
}

/// The ephemeral plan select shared by `/order` and `/renew`, under `text`.
async fn plan_prompt(ctx: Ctx<'_>, text: String) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let reply = poise::CreateReply::default()
        .content(text)
        .components(vec![render::plan_select(&app.config.plans)])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
