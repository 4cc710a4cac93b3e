//! The global event handler: component clicks and modal submits routed by their typed
//! [`CustomId`] (never collectors, so buttons outlive restarts), receipt uploads in tickets,
//! ticket channels deleted by hand, members leaving, and a catch-up on every new session
//! (`Ready`: at start and after a resume that failed). Members serenity cached are dropped again
//! ([`members`]).

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, FullEvent, Interaction};
use tracing::Instrument;

use super::custom_id::CustomId;
use super::interact::ephemeral;
use super::tickets::PlanIntent;
use super::{Data, Failure, catch_up, crypto, members, review, tickets, transcript};
use crate::domain::{ChannelId, MessageId, UserId};

/// Handles one gateway event. Failures are answered where possible and logged, never returned
/// for events that are not the bot's.
pub(super) async fn handle(
    ctx: &serenity::Context,
    event: &FullEvent,
    data: &Data,
) -> Result<(), Failure> {
    match event {
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(c),
        } => component(ctx, c, data).await,
        FullEvent::InteractionCreate {
            interaction: Interaction::Modal(m),
        } => match CustomId::parse(&m.data.custom_id) {
            Some(CustomId::RejectModal(payment, choice)) => {
                review::reject_submitted(ctx, m, data, payment, choice).await
            }
            _ => Ok(()),
        },
        FullEvent::Message { new_message: msg } if msg.guild_id.is_some() => {
            transcript::seen(&data.app, msg.channel_id, std::slice::from_ref(msg)).await;
            if msg.author.bot || msg.attachments.is_empty() {
                return Ok(());
            }
            let tokens = Some(&data.ticket_tokens);
            tickets::receipt_message(&ctx.http, &data.app, &data.downloads, tokens, msg).await
        }
        FullEvent::MessageUpdate { event, .. } if event.guild_id.is_some() => {
            let names = event
                .attachments
                .as_ref()
                .map(|a| a.iter().map(|a| a.filename.clone()).collect());
            let (channel, id) = (ChannelId(event.channel_id.get()), MessageId(event.id.get()));
            let edit = data
                .app
                .transcripts
                .edited(channel, id, event.content.clone(), names);
            if let Err(e) = edit.await {
                tracing::warn!(%channel, error = %e, "could not record a ticket message's edit");
            }
            Ok(())
        }
        FullEvent::ChannelDelete { channel, .. } => {
            let id = ChannelId(channel.id.get());
            if let Some(order) = data.app.orders.ticket_channel_deleted(id).await? {
                tracing::info!(%order, channel = %id, "ticket channel deleted");
            }
            Ok(())
        }
        FullEvent::GuildCreate { guild, .. } => {
            members::forget_all(&ctx.cache, guild.id);
            Ok(())
        }
        FullEvent::GuildMemberAddition { new_member } => {
            members::forget(&ctx.cache, new_member.guild_id, &new_member.user);
            Ok(())
        }
        FullEvent::GuildMemberRemoval { user, .. } => {
            if let Some(order) = data.app.orders.member_left(UserId(user.id.get())).await? {
                tracing::info!(%order, user = %user.id, "customer left: unpaid order closed");
            }
            Ok(())
        }
        FullEvent::Ready { .. } => {
            // A new session (start, or a resume that failed): catch up on what was missed.
            data.app.transcripts.session_started();
            catch_up::spawn(ctx.http.clone(), data);
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn component(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
) -> Result<(), Failure> {
    let Some(id) = CustomId::parse(&c.data.custom_id) else {
        tracing::debug!(custom_id = %c.data.custom_id, "ignoring a foreign component");
        return Ok(());
    };
    let span = tracing::info_span!("click", user = %c.user.id, custom_id = %c.data.custom_id);
    let result = async {
        match id {
            CustomId::PlanSelect => tickets::plan_selected(ctx, c, data, PlanIntent::Plain).await,
            CustomId::PlanSelectWithCode(code) => {
                tickets::plan_selected(ctx, c, data, PlanIntent::Code(code)).await
            }
            CustomId::GiftPlanSelect => {
                tickets::plan_selected(ctx, c, data, PlanIntent::Gift).await
            }
            CustomId::MethodSelect(order) => tickets::method_selected(ctx, c, data, order).await,
            CustomId::CancelOrder(order) => tickets::cancel(ctx, c, data, order).await,
            CustomId::Approve(payment) => review::approve(ctx, c, data, payment).await,
            CustomId::Reject(payment) => review::reject(ctx, c, data, payment).await,
            CustomId::Confirm(token) => review::confirm(ctx, c, data, &token).await,
            CustomId::CancelConfirm(_) => review::cancel_confirm(ctx, c, data).await,
            CustomId::RevealLink(payment) => tickets::reveal_link(ctx, c, data, payment).await,
            CustomId::NewInvoice(order) => crypto::new_invoice(ctx, c, data, order).await,
            CustomId::CheckInvoice(order) => crypto::check(ctx, c, data, order).await,
            CustomId::RejectReason(payment) => review::reason_picked(ctx, c, data, payment).await,
            CustomId::RejectModal(..) => Ok(()),
        }
    }
    .instrument(span)
    .await;
    if let Err(e) = result {
        // The handler had not answered yet (handlers that answer first report their own errors).
        let lang = super::lang::of_interaction(&data.app, c.user.id, &c.locale).await;
        let text = e.report(
            &format!("click {} by {}", c.data.custom_id, c.user.id),
            lang,
        );
        ephemeral(ctx, c, &text).await?;
    }
    Ok(())
}
