//! The shop-wide subcommands of `/admin`: `health`, `revenue` and `backup`. Each answers
//! ephemerally; the core checks the role (`ViewShop` for health and revenue, `TakeBackups` for
//! backups) and does the work, this file only renders.

use crate::discord::{Ctx, Failure, render};
use crate::i18n::{s, t};

use crate::discord::interact::actor_of_command;

/// Days of the `/admin revenue` day-by-day list.
const REVENUE_DAYS: u16 = 7;

/// Admins: panel health: outage state, panel and Xray version, pending deliveries, last backup.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn health(ctx: Ctx<'_>) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let report = ctx.data().app.staff.health(&who).await?;
    let text = render::health_text(ctx.data().app.config.staff_language(), &report);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Admins: each VPN panel's state and load (customers against capacity).
#[poise::command(slash_command, guild_only)]
pub(crate) async fn panels(ctx: Ctx<'_>) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    let lines = app.panels.report(&app.store, &app.roles, &who).await?;
    let text = render::panels_text(&lines);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}

/// Admins: sales today, this month, quarter and year per currency, and the last 7 days.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn revenue(ctx: Ctx<'_>) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let app = &ctx.data().app;
    let report = app.staff.revenue(&who, REVENUE_DAYS).await?;
    let staff = app.config.staff_language();
    let zone = s("zone", report.time_zone.clone());
    let reply = poise::CreateReply::default()
        .content(t(staff, "staff-revenue-report", &[zone]))
        .embed(render::revenue_report_embed(
            staff,
            &report,
            &app.config.shop.name,
        ))
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}

/// Owners: back up the database now (verified copy in the backups folder, taken while running).
#[poise::command(slash_command, guild_only)]
pub(crate) async fn backup(ctx: Ctx<'_>) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let report = ctx.data().app.staff.backup(&who).await?;
    let text = render::backup_text(ctx.data().app.config.staff_language(), &report);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
