//! Staff commands on a customer's access: `/extend` and `/revoke`; the read-only look-ups
//! `/admin user` and `/admin orders` (`Permission::ViewShop`). The role is checked by the
//! core (`Permission::ManageSubscriptions`), never here; the customer is told by DM through the
//! outbox.

use poise::serenity_prelude as serenity;

use crate::discord::{Ctx, Failure, render};
use crate::domain::UserId;
use crate::domain::status::OrderStatus;
use crate::error::UserError;
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

/// Staff look-ups: a customer, or the orders in a state.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("user", "orders"),
    subcommand_required
)]
#[allow(clippy::unused_async)] // poise needs an async parent; `subcommand_required` never runs it
pub async fn admin(_ctx: Ctx<'_>) -> Result<(), Failure> {
    Ok(())
}

/// Staff: a customer's subscription and open order.
#[poise::command(slash_command, guild_only)]
pub async fn user(
    ctx: Ctx<'_>,
    #[description = "The customer"] member: serenity::User,
) -> Result<(), Failure> {
    let who = actor(ctx).await;
    ctx.defer_ephemeral().await?;
    let found = ctx
        .data()
        .app
        .subscriptions
        .lookup_user(&who, UserId(member.id.get()))
        .await?;
    let text = render::user_lookup(member.id.get(), &found);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Staff: the oldest orders in a state (e.g. under_review, awaiting_payment, completed).
#[poise::command(slash_command, guild_only)]
pub async fn orders(
    ctx: Ctx<'_>,
    #[description = "Order state (under_review, awaiting_payment, completed...)"] status: String,
) -> Result<(), Failure> {
    let who = actor(ctx).await;
    ctx.defer_ephemeral().await?;
    let wanted: OrderStatus = status.trim().parse().map_err(|_| UserError::InvalidState {
        reason: format!(
            "unknown order state {status:?}; use one of: {}",
            OrderStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let list = ctx
        .data()
        .app
        .subscriptions
        .lookup_orders(&who, wanted)
        .await?;
    let text = render::order_list(wanted, &list);
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
