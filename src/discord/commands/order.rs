//! `/order`, `/renew` and `/gift`: the customer's entry points. All show the plans in an
//! ephemeral select menu (one shared prompt); the pick is handled by `tickets::plan_selected`
//! (routed by custom_id, so it works after a restart), where the core opens the order: a renewal
//! of the same panel client when the customer has one, with a promo code when one was given
//! (it rides in the select's custom_id), or a gift. `/renew` first asks the core whether there
//! is a subscription to renew, and refuses with its reason otherwise.

use crate::discord::custom_id::{CustomId, is_promo_code};
use crate::discord::{Ctx, Failure, lang, render};
use crate::domain::UserId;
use crate::error::UserError;
use crate::i18n::{Lang, s, t};

/// Buy VPN access: pick a plan, then pay in your private ticket channel.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn order(
    ctx: Ctx<'_>,
    #[description = "A promo code, if you have one"] promo: Option<String>,
) -> Result<(), Failure> {
    let lang = lang::of_ctx(ctx).await;
    plan_prompt(ctx, lang, t(lang, "order-prompt", &[]), promo).await
}

/// Buy VPN access for someone else: you pay, they redeem the code you get with /redeem.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn gift(ctx: Ctx<'_>) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let lang = lang::of_ctx(ctx).await;
    if !app.config.gifts.enabled {
        return Err(UserError::InvalidState {
            reason: t(lang, "gift-off", &[]),
        }
        .into());
    }
    let select = render::plan_select(lang, &app.config.plans, &CustomId::GiftPlanSelect);
    let reply = poise::CreateReply::default()
        .content(t(lang, "gift-prompt", &[]))
        .components(vec![select])
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
    plan_prompt(ctx, lang, text, promo).await
}

/// The ephemeral plan select shared by `/order` and `/renew`, under `text`; a promo code rides
/// in the select's custom_id and is checked by the core when a plan is picked.
async fn plan_prompt(
    ctx: Ctx<'_>,
    lang: Lang,
    text: String,
    promo: Option<String>,
) -> Result<(), Failure> {
    let app = &ctx.data().app;
    let id = match promo.map(|p| p.trim().to_owned()) {
        None => CustomId::PlanSelect,
        Some(code) if is_promo_code(&code) => CustomId::PlanSelectWithCode(code),
        Some(_) => {
            return Err(UserError::InvalidState {
                reason: t(lang, "promo-malformed", &[]),
            }
            .into());
        }
    };
    let reply = poise::CreateReply::default()
        .content(text)
        .components(vec![render::plan_select(lang, &app.config.plans, &id)])
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
