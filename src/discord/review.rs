//! The admin's side: Approve (issues the one-time token and shows Confirm / Cancel), Confirm
//! (provisions through the approval service), Reject (reason modal → reject). Roles are checked
//! by the core on every click, server side. Confirm and Cancel close the prompt (its buttons are
//! removed) so it cannot be clicked again.

use poise::serenity_prelude as serenity;
use serenity::{
    ActionRowComponent, ComponentInteraction, CreateActionRow, CreateInputText,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateModal,
    EditInteractionResponse, InputTextStyle, ModalInteraction,
};

use super::custom_id::CustomId;
use super::interact::actor_of_member as actor;
use super::{Data, Failure, render};
use crate::domain::PaymentId;
use crate::domain::role::Permission;
use crate::domain::status::AdminAction;
use crate::service::approval::ApprovalOutcome;

/// Approve on a review card: a one-time token bound to this admin and payment, answered with an
/// ephemeral Confirm / Cancel prompt.
pub(super) async fn approve(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let who = actor(c.user.id, c.member.as_ref());
    let issued = data
        .app
        .sessions
        .issue(&who, AdminAction::Approve, payment)
        .await?;
    let text = format!(
        "Approve payment #{payment}? The customer's access is created on the panel when you \
         confirm. This confirmation expires <t:{}:R>.",
        issued.expires_at / 1000
    );
    let msg = CreateInteractionResponseMessage::new()
        .content(text)
        .components(render::confirm_buttons(&issued.token))
        .ephemeral(true);
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}

/// Confirm: consumes the token and provisions. The prompt is answered at once with
/// UPDATE_MESSAGE, which takes its buttons away (no second click) and says it is working (the
/// panel may take a while); the outcome then replaces that text in the same prompt. A click on a
/// prompt that is already closed (a stale client) is answered in a new ephemeral message, so it
/// never overwrites the outcome shown there.
pub(super) async fn confirm(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    token: &str,
) -> Result<(), Failure> {
    let who = actor(c.user.id, c.member.as_ref());
    if c.message.components.is_empty() {
        c.defer_ephemeral(ctx).await?;
    } else {
        let working = CreateInteractionResponseMessage::new()
            .content("⏳ Confirming: creating the customer's access on the panel…")
            .components(vec![]);
        c.create_response(ctx, CreateInteractionResponse::UpdateMessage(working))
            .await?;
    }
    let result = data.app.approval.confirm(&who, token).await;
    if matches!(result, Ok(ApprovalOutcome::Approved(_))) {
        data.app.wake_dashboard();
    }
    let text = match result {
        Ok(ApprovalOutcome::Approved(a)) => format!(
            "✅ Payment #{} approved: client `{}` is on the panel and the link is on its way to <@{}>.",
            a.payment_id, a.email, a.user_id
        ),
        Ok(ApprovalOutcome::Delayed(p)) => format!(
            "⏸ The panel is down: payment #{p} is approved and completes on its own when the \
             panel is back. The customer was told."
        ),
        Ok(ApprovalOutcome::Failed(p, why)) => format!(
            "⚠ Provisioning payment #{p} failed and was rolled back ({why}). The payment is \
             pending again."
        ),
        Err(e) => {
            let shown =
                Failure::from(e).report(&format!("confirm by {}", c.user.id), render::STAFF);
            format!("Not approved: {shown}")
        }
    };
    c.edit_response(ctx, EditInteractionResponse::new().content(text))
        .await?;
    Ok(())
}

/// Cancel on the approval prompt: the prompt loses its buttons; the token just expires.
pub(super) async fn cancel_confirm(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
) -> Result<(), Failure> {
    let msg = CreateInteractionResponseMessage::new()
        .content("Approval cancelled.")
        .components(vec![]);
    c.create_response(ctx, CreateInteractionResponse::UpdateMessage(msg))
        .await?;
    Ok(())
}

/// Reject on a review card: asks for the reason in a modal (the role is checked again on submit).
pub(super) async fn reject(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let who = actor(c.user.id, c.member.as_ref());
    data.app.roles.require(&who, Permission::ReviewPayments)?;
    let reason = CreateInputText::new(
        InputTextStyle::Paragraph,
        "Reason (the customer sees it)",
        "reason",
    )
    .min_length(3)
    .max_length(500);
    let modal = CreateModal::new(
        CustomId::RejectModal(payment).to_string(),
        format!("Reject payment #{payment}"),
    )
    .components(vec![CreateActionRow::InputText(reason)]);
    c.create_response(ctx, CreateInteractionResponse::Modal(modal))
        .await?;
    Ok(())
}

/// The reject modal was submitted.
pub(super) async fn reject_submitted(
    ctx: &serenity::Context,
    m: &ModalInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let reason = m
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            ActionRowComponent::InputText(t) if t.custom_id == "reason" => t.value.clone(),
            _ => None,
        })
        .unwrap_or_default();
    let who = actor(m.user.id, m.member.as_ref());
    let text = match data.app.approval.reject(&who, payment, reason.trim()).await {
        Ok(()) => {
            format!("Payment #{payment} rejected; the customer was told why.")
        }
        Err(e) => {
            let shown = Failure::from(e).report(&format!("reject by {}", m.user.id), render::STAFF);
            format!("Not rejected: {shown}")
        }
    };
    let msg = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true);
    m.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}
