//! Staff commands on a customer's access: `/extend` and `/revoke`. The role is checked by the
//! core (`Permission::ManageSubscriptions`), never here; the customer is told by DM through the
//! outbox.

use poise::serenity_prelude as serenity;

use crate::discord::{Ctx, Failure, render};
use crate::domain::UserId;
use crate::service::roles::Actor;

/// Admins: extend a customer's VPN access by some days (from their current expiry).
#[poise::command(slash_command, guild_only)]
pub async fn extend(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
    #[description = "Days to add (1 to 3650)"] days: u32,
) -> Result<(), Failure> {
    let who = actor(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    let done = app
        .subscriptions
        .extend(&who, UserId(customer.id.get()), days)
        .await?;
    app.wake_outbox();
    let text = format!(
        "Extended <@{}> by {days} days: access now ends {}.",
        customer.id,
        render::when(done.expiry_at)
    );
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Admins: revoke a customer's VPN access (the client is disabled on the panel).
#[poise::command(slash_command, guild_only)]
pub async fn revoke(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
    #[description = "Why (the customer sees it)"] reason: String,
) -> Result<(), Failure> {
    let who = actor(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    app.subscriptions
        .revoke(&who, UserId(customer.id.get()), reason.trim())
        .await?;
    app.wake_outbox();
    let text = format!("Revoked the access of <@{}>.", customer.id);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// `/extend` with its `days` bounds sent as JSON integers: poise writes every integer option's
/// bounds as floats (`1.0`), which Discord's API description refuses for INTEGER options.
pub fn extend_command() -> poise::Command<crate::discord::Data, Failure> {
    let mut command = extend();
    for p in &mut command.parameters {
        if p.name == "days" {
            p.type_setter = Some(|b| {
                b.kind(serenity::CommandOptionType::Integer)
                    .min_int_value(1)
                    .max_int_value(3650)
            });
        }
    }
    command
}

/// The invoking member as the core sees them: user id and current guild role ids.
async fn actor(ctx: Ctx<'_>) -> Actor {
    let roles = ctx
        .author_member()
        .await
        .map(|m| m.roles.iter().map(|r| r.get()).collect())
        .unwrap_or_default();
    Actor {
        user: UserId(ctx.author().id.get()),
        role_ids: roles,
    }
}
