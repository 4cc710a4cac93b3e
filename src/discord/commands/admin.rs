//! The `/admin` group: a customer's access (`/admin extend`, `/admin revoke`), the
//! read-only look-ups `/admin user` and `/admin orders` (`Permission::ViewShop`) here and the
//! shop-wide `/admin health|revenue|backup` in `shop`. Roles are checked by the core
//! (`Permission::ManageSubscriptions` for extend and revoke), never here; the customer is told
//! by DM through the outbox.

use poise::serenity_prelude as serenity;

use crate::discord::interact::actor_of_command;
use crate::discord::{Ctx, Failure, render};
use crate::domain::UserId;
use crate::domain::status::OrderStatus;
use crate::i18n::{n, s, t};

/// Admins: add days to a customer's VPN access (counted from their current expiry).
#[poise::command(slash_command, guild_only)]
pub(crate) async fn extend(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
    #[description = "Days to add (1 to 3650)"] days: u32,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    let done = app
        .subscriptions
        .extend(&who, UserId(customer.id.get()), days)
        .await?;
    let staff = app.config.staff_language();
    let args = [
        s("mention", format!("<@{}>", customer.id)),
        n("days", days.into()),
        s("when", render::when(staff, done.expiry_at)),
    ];
    let text = t(staff, "staff-extended", &args);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Admins: end a customer's VPN access now (the customer is told why by DM).
#[poise::command(slash_command, guild_only)]
pub(crate) async fn revoke(
    ctx: Ctx<'_>,
    #[description = "The customer"] customer: serenity::User,
    #[description = "Why (the customer sees it)"] reason: String,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    app.subscriptions
        .revoke(&who, UserId(customer.id.get()), reason.trim())
        .await?;
    let mention = s("mention", format!("<@{}>", customer.id));
    let text = t(app.config.staff_language(), "staff-revoked", &[mention]);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Staff: access, customers, orders, ticket transcripts; panel health, revenue, backups.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "extend",
        "revoke",
        "user",
        "orders",
        "super::growth::ban",
        "super::growth::unban",
        "super::growth::promo",
        "super::growth::gift_revoke",
        "crate::discord::transcript::transcript",
        "super::shop::health",
        "super::shop::panels",
        "super::shop::revenue",
        "super::shop::backup"
    ),
    subcommand_required
)]
#[allow(clippy::unused_async)] // poise needs an async parent; `subcommand_required` never runs it
pub(crate) async fn admin(_ctx: Ctx<'_>) -> Result<(), Failure> {
    Ok(())
}

/// Admins: a customer's subscription (expiry, traffic limit, panel client) and open order.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn user(
    ctx: Ctx<'_>,
    #[description = "The customer"] member: serenity::User,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let found = ctx
        .data()
        .app
        .subscriptions
        .lookup_user(&who, UserId(member.id.get()))
        .await?;
    let staff = ctx.data().app.config.staff_language();
    let text = render::user_lookup(staff, member.id.get(), &found);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Admins: the oldest orders in a state (at most 15), with customer, plan and ticket.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn orders(
    ctx: Ctx<'_>,
    #[description = "Which orders to list"] status: OrderState,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let wanted = status.status();
    let list = ctx
        .data()
        .app
        .subscriptions
        .lookup_orders(&who, wanted)
        .await?;
    let text = render::order_list(ctx.data().app.config.staff_language(), wanted, &list);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// The order states staff pick from in `/admin orders`. The names are the core's spelling
/// (`OrderStatus::as_str`, checked by a test); [`OrderState::of`] matches every `OrderStatus`,
/// so a new state does not compile until it is offered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub(super) enum OrderState {
    /// Ticket open, no receipt yet.
    #[name = "pending_payment"]
    PendingPayment,
    /// A receipt waits for an admin.
    #[name = "under_review"]
    UnderReview,
    /// Approved, the panel client is being made.
    #[name = "provisioning"]
    Provisioning,
    /// Paid and delivered.
    #[name = "completed"]
    Completed,
    /// Cancelled by the customer, an admin or a deleted ticket.
    #[name = "cancelled"]
    Cancelled,
    /// No receipt in time.
    #[name = "abandoned"]
    Abandoned,
}

impl OrderState {
    /// The core's status for this choice.
    #[must_use]
    pub(super) const fn status(self) -> OrderStatus {
        match self {
            Self::PendingPayment => OrderStatus::PendingPayment,
            Self::UnderReview => OrderStatus::UnderReview,
            Self::Provisioning => OrderStatus::Provisioning,
            Self::Completed => OrderStatus::Completed,
            Self::Cancelled => OrderStatus::Cancelled,
            Self::Abandoned => OrderStatus::Abandoned,
        }
    }

    /// The choice offering `status` (exhaustive: every core state has one).
    #[must_use]
    pub(super) const fn of(status: OrderStatus) -> Self {
        match status {
            OrderStatus::PendingPayment => Self::PendingPayment,
            OrderStatus::UnderReview => Self::UnderReview,
            OrderStatus::Provisioning => Self::Provisioning,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Cancelled => Self::Cancelled,
            OrderStatus::Abandoned => Self::Abandoned,
        }
    }
}

// Checked at compile time: every core state maps to a choice and back to itself.
const _: () = {
    let mut i = 0;
    while i < OrderStatus::ALL.len() {
        let status = OrderStatus::ALL[i];
        assert!(OrderState::of(status).status() as u8 == status as u8);
        i += 1;
    }
};

/// `/admin` with every integer option's bounds sent as JSON integers: poise writes them as
/// floats (`1.0`), which Discord's API description refuses for INTEGER options. Bounds by
/// option name: `days` 1–3650, `value` and `max_uses` 1–1 000 000, `valid_days` 1–3650, `gift`
/// 1–2^53, `order` (`/admin transcript`) 1–2^32−1.
pub(super) fn admin_command() -> poise::Command<crate::discord::Data, Failure> {
    let mut command = admin();
    integer_bounds(&mut command);
    command
}

/// Sets the integer bounds of `command`'s options and its subcommands', recursively.
fn integer_bounds(command: &mut poise::Command<crate::discord::Data, Failure>) {
    type Setter = fn(serenity::CreateCommandOption) -> serenity::CreateCommandOption;
    fn bounded(name: &str) -> Option<Setter> {
        let setter: Setter = match name {
            "days" | "valid_days" => |b| {
                b.kind(serenity::CommandOptionType::Integer)
                    .min_int_value(1)
                    .max_int_value(3650)
            },
            "value" | "max_uses" => |b| {
                b.kind(serenity::CommandOptionType::Integer)
                    .min_int_value(1)
                    .max_int_value(1_000_000)
            },
            "gift" => |b| {
                b.kind(serenity::CommandOptionType::Integer)
                    .min_int_value(1)
                    .max_int_value(9_007_199_254_740_991_u64)
            },
            "order" => |b| {
                b.kind(serenity::CommandOptionType::Integer)
                    .min_int_value(1)
                    .max_int_value(u64::from(u32::MAX))
            },
            _ => return None,
        };
        Some(setter)
    }
    for p in &mut command.parameters {
        if let Some(setter) = bounded(&p.name) {
            p.type_setter = Some(setter);
        }
    }
    for sub in &mut command.subcommands {
        integer_bounds(sub);
    }
}

#[cfg(test)]
mod tests {
    use poise::ChoiceParameter;

    use super::*;

    #[test]
    fn every_order_state_is_offered_under_the_core_spelling() {
        let offered = OrderState::list();
        assert_eq!(offered.len(), OrderStatus::ALL.len());
        for (i, &status) in OrderStatus::ALL.iter().enumerate() {
            let choice = OrderState::of(status);
            assert_eq!(choice.status(), status);
            assert_eq!(choice.name(), status.as_str(), "the core's spelling");
            assert_eq!(status.as_str().parse(), Ok(status), "the core parses it");
            assert_eq!(OrderState::from_index(i), Some(choice), "listed in order");
            assert_eq!(offered[i].name, status.as_str());
        }
        assert_eq!(OrderState::from_index(OrderStatus::ALL.len()), None);
    }
}
