//! `/order`: the customer's entry point. Shows the plans in an ephemeral select menu; the pick is
//! handled by `tickets::plan_selected` (routed by custom_id, so it works after a restart).

use crate::discord::{Ctx, Failure, render};

/// Order a VPN plan: pick a plan, then pay in your private ticket.
#[poise::command(slash_command, guild_only)]
pub async fn order(ctx: Ctx<'_>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let reply = poise::CreateReply::default()
        .content("Which plan would you like?")
        .components(vec![render::plan_select(&app.config.plans)])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
