//! `/order` and `/renew`: the customer's entry points. Both show the plans in an ephemeral select
//! menu (one shared prompt); the pick is handled by `tickets::plan_selected` (routed by
//! custom_id, so it works after a restart), where the core opens the order: a renewal of the
//! same panel client when the customer has one. `/renew` first asks the core whether there is a
//! subscription to renew, and refuses with its reason otherwise.

use crate::discord::custom_id::{CustomId, is_promo_code};
use crate::discord::{Ctx, Failure, render};
use crate::domain::UserId;

/// Buy VPN access: pick a plan, then pay in your private ticket channel.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn order(
    ctx: Ctx<'_>,
    #[description = "A promo code, if you have one"] promo: Option<String>,
) -> Result<(), Failure> {
    plan_prompt(ctx, "Which plan would you like?".to_owned(), promo).await
}

/// Buy VPN access for someone else: you pay, they redeem the code you get with /redeem.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn gift(ctx: Ctx<'_>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    if !app.config.gifts.enabled {
        return Err(crate::error::UserError::InvalidState {
            reason: "this shop sells no gifts".into(),
        }
        .into());
    }
    let reply = poise::CreateReply::default()
        .content("Which plan would you like to give? You pay in your ticket; the code comes by DM.")
        .components(vec![render::plan_select(
            &app.config.plans,
            &CustomId::GiftPlanSelect,
        )])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}

/// Extend your VPN access: pick a plan; the days are added to your current expiry.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn renew(
    ctx: Ctx<'_>,
    #[description = "A promo code, if you have one"] promo: Option<String>,
) -> Result<(), Failure> {
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
    plan_prompt(ctx, text, promo).await
}

/// The ephemeral plan select shared by `/order` and `/renew`, under `text`; a promo code rides
/// in the select's custom_id and is checked by the core when a plan is picked.
async fn plan_prompt(ctx: Ctx<'_>, text: String, promo: Option<String>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let id = match promo.map(|p| p.trim().to_owned()) {
        None => CustomId::PlanSelect,
        Some(code) if is_promo_code(&code) => CustomId::PlanSelectWithCode(code),
        Some(_) => {
            return Err(crate::error::UserError::InvalidState {
                reason: "a promo code is 4 to 32 letters, digits, '_' or '-'".into(),
            }
            .into());
        }
    };
    let reply = poise::CreateReply::default()
        .content(text)
        .components(vec![render::plan_select(&app.config.plans, &id)])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
