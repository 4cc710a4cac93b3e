//! The growth commands: `/trial`, `/referral`, `/redeem` for customers; `/admin ban|unban`,
//! `/admin promo create|disable|list` and `/admin gift_revoke` for staff. Every check (roles,
//! limits, bans) is the core's; these only translate.

use poise::serenity_prelude as serenity;

use crate::discord::interact::actor_of_command;
use crate::discord::{Ctx, Failure, lang, render};
use crate::domain::UserId;
use crate::i18n::{s, t};
use crate::service::growth::NewPromo;
use crate::store::promo::PromoKind;

async fn reply(ctx: Ctx<'_>, text: String) -> Result<(), Failure> {
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Try the VPN for free, once: the link comes by DM.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn trial(ctx: Ctx<'_>) -> Result<(), Failure> {
    ctx.defer_ephemeral().await?;
    let outcome = ctx
        .data()
        .app
        .growth
        .trial(UserId(ctx.author().id.get()))
        .await?;
    let lang = lang::of_ctx(ctx).await;
    let text = render::provisioned_text(lang, render::Free::Trial, outcome.as_ref());
    reply(ctx, text).await
}

/// Your referral code; or enter a friend's code before your first order.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn referral(
    ctx: Ctx<'_>,
    #[description = "A friend's referral code (before your first order)"] code: Option<String>,
) -> Result<(), Failure> {
    ctx.defer_ephemeral().await?;
    let (growth, user) = (&ctx.data().app.growth, UserId(ctx.author().id.get()));
    let lang = lang::of_ctx(ctx).await;
    let text = match code {
        Some(code) => {
            let referrer = growth.bind_referral(user, &code).await?;
            t(
                lang,
                "referral-bound",
                &[s("mention", format!("<@{referrer}>"))],
            )
        }
        None => render::referral_text(lang, &growth.referral_code(user).await?),
    };
    reply(ctx, text).await
}

/// Redeem a gift code someone gave you: the link comes by DM.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn redeem(
    ctx: Ctx<'_>,
    #[description = "The gift code"] code: String,
) -> Result<(), Failure> {
    ctx.defer_ephemeral().await?;
    let outcome = ctx
        .data()
        .app
        .growth
        .redeem(UserId(ctx.author().id.get()), &code)
        .await?;
    let lang = lang::of_ctx(ctx).await;
    reply(
        ctx,
        render::provisioned_text(lang, render::Free::Gift, outcome.as_ref()),
    )
    .await
}

/// Admins: ban a customer from ordering (they are told why by DM).
#[poise::command(slash_command, guild_only)]
pub(crate) async fn ban(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
    #[description = "Why (the customer sees it)"] reason: String,
    #[description = "Also end their VPN access now"] revoke_access: Option<bool>,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let revoke = revoke_access.unwrap_or(false);
    ctx.data()
        .app
        .growth
        .ban(&who, UserId(customer.id.get()), &reason, revoke)
        .await?;
    let access = if revoke {
        " and their access revoked"
    } else {
        ""
    };
    reply(ctx, format!("<@{}> is banned{access}.", customer.id)).await
}

/// Admins: lift a customer's ban.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn unban(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    ctx.data()
        .app
        .growth
        .unban(&who, UserId(customer.id.get()))
        .await?;
    let staff = ctx.data().app.config.staff_language();
    reply(
        ctx,
        t(
            staff,
            "staff-unbanned",
            &[s("mention", format!("<@{}>", customer.id))],
        ),
    )
    .await
}

/// What a promo code gives.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub(crate) enum PromoKindChoice {
    /// `value` % off.
    #[name = "percent off"]
    Percent,
    /// `value` minor units (cents) off.
    #[name = "amount off (minor units)"]
    Amount,
    /// `value` extra days.
    #[name = "extra days"]
    Days,
    /// A whole plan for free.
    #[name = "a whole plan"]
    Plan,
}

impl From<PromoKindChoice> for PromoKind {
    fn from(c: PromoKindChoice) -> Self {
        match c {
            PromoKindChoice::Percent => Self::Percent,
            PromoKindChoice::Amount => Self::Amount,
            PromoKindChoice::Days => Self::Days,
            PromoKindChoice::Plan => Self::Plan,
        }
    }
}

/// Admins: create a promo code.
#[poise::command(slash_command, guild_only, rename = "create")]
#[allow(clippy::too_many_arguments)] // one per option of the command
pub(crate) async fn promo_create(
    ctx: Ctx<'_>,
    #[description = "The code: 4-32 letters, digits, '_' or '-'"] code: String,
    #[description = "What it gives"] kind: PromoKindChoice,
    #[description = "Percent, minor units or days (ignored for a whole plan)"] value: Option<i64>,
    #[description = "The plan it grants (whole plan) or is limited to"] plan: Option<String>,
    #[description = "How many times it can be used in all"] max_uses: Option<i64>,
    #[description = "Only for a customer's first order"] first_order_only: Option<bool>,
    #[description = "Valid for this many days"] valid_days: Option<u32>,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let new = NewPromo {
        code,
        kind: kind.into(),
        value: value.unwrap_or(1),
        plan_id: plan,
        max_uses,
        first_order_only: first_order_only.unwrap_or(false),
        valid_days,
    };
    let created = ctx.data().app.growth.create_promo(&who, new).await?;
    let staff = ctx.data().app.config.staff_language();
    let line = render::promo_list(staff, &[created]);
    reply(ctx, t(staff, "staff-promo-created", &[s("code", line)])).await
}

/// Admins: disable a promo code (orders that reserved it keep it).
#[poise::command(slash_command, guild_only, rename = "disable")]
pub(crate) async fn promo_disable(
    ctx: Ctx<'_>,
    #[description = "The code"] code: String,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    ctx.data().app.growth.disable_promo(&who, &code).await?;
    let staff = ctx.data().app.config.staff_language();
    reply(
        ctx,
        t(
            staff,
            "staff-promo-disabled-now",
            &[s("code", code.trim().to_owned())],
        ),
    )
    .await
}

/// Admins: the newest promo codes and their uses.
#[poise::command(slash_command, guild_only, rename = "list")]
pub(crate) async fn promo_list(ctx: Ctx<'_>) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let codes = ctx.data().app.growth.list_promos(&who).await?;
    reply(
        ctx,
        render::promo_list(ctx.data().app.config.staff_language(), &codes),
    )
    .await
}

/// Admins: promo codes.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("promo_create", "promo_disable", "promo_list"),
    subcommand_required
)]
#[allow(clippy::unused_async)] // poise needs an async parent; `subcommand_required` never runs it
pub(crate) async fn promo(_ctx: Ctx<'_>) -> Result<(), Failure> {
    Ok(())
}

/// Admins: revoke a gift code that was not redeemed yet.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn gift_revoke(
    ctx: Ctx<'_>,
    #[description = "The gift's number (from the audit log or the buyer)"] gift: i64,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let g = ctx.data().app.growth.revoke_gift(&who, gift).await?;
    reply(
        ctx,
        format!("Gift #{} (bought by <@{}>) is revoked.", g.id, g.buyer),
    )
    .await
}
