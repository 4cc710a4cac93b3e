//! `/order` and `/renew`: the customer's entry points. Both show the plans in an ephemeral select
//! menu (one shared prompt); the pick is handled by `tickets::plan_selected` (routed by
//! custom_id, so it works after a restart), where the core opens the order: a renewal of the
//! same panel client when the customer has one. `/renew` first asks the core whether there is a
//! subscription to renew, and refuses with its reason otherwise.

use crate::discord::{Ctx, Failure, lang, render};
use crate::domain::UserId;
use crate::i18n::{Lang, s, t};

/// Buy VPN access: pick a plan, then pay in your private ticket channel.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn order(ctx: Ctx<'_>) -> Result<(), Failure> {
    let lang = lang::of_ctx(ctx).await;
    plan_prompt(ctx, lang, t(lang, "order-prompt", &[])).await
}

/// Extend your VPN access: pick a plan; the days are added to your current expiry.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn renew(ctx: Ctx<'_>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let lang = lang::of_ctx(ctx).await;
    let current = app.orders.renewable(UserId(ctx.author().id.get())).await?;
    let ends = match current.expiry_at {
        Some(0) => t(lang, "renew-ends-never", &[]),
        Some(at) => t(lang, "renew-ends-at", &[s("when", render::when(lang, at))]),
        None => t(lang, "renew-ends-unknown", &[]),
    };
    let status = render::sub_status(lang, current.status);
    let text = t(
        lang,
        "renew-prompt",
        &[s("status", status), s("ends", ends)],
    );
    plan_prompt(ctx, lang, text).await
}

/// The ephemeral plan select shared by `/order` and `/renew`, under `text`.
async fn plan_prompt(ctx: Ctx<'_>, lang: Lang, text: String) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let reply = poise::CreateReply::default()
        .content(text)
        .components(vec![render::plan_select(lang, &app.config.plans)])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
