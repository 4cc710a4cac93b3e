//! The admin's side: Approve (issues the one-time token and shows Confirm / Cancel), Confirm
//! (provisions through the approval service), Reject (reason modal → reject). Roles are checked
//! by the core on every click, server side. Confirm and Cancel close the prompt (its buttons are
//! removed) so it cannot be clicked again.

use poise::serenity_prelude as serenity;
use serenity::{
    ActionRowComponent, ComponentInteraction, ComponentInteractionDataKind, CreateActionRow,
    CreateInputText, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateModal, EditInteractionResponse, InputTextStyle,
    ModalInteraction,
};

use super::custom_id::{CustomId, RejectChoice};
use super::interact::actor_of_member as actor;
use super::{Data, Failure, render};
use crate::domain::PaymentId;
use crate::domain::role::Permission;
use crate::domain::status::{AdminAction, RejectCode};
use crate::i18n::{Lang, s, t};
use crate::service::approval::ApprovalOutcome;

/// Approve on a review card: a one-time token bound to this admin and payment, answered with an
/// ephemeral Confirm / Cancel prompt (a follow-up; the click itself is acknowledged without
/// changing the card).
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
    let staff = data.app.config.staff_language();
    let args = [
        s("payment", payment.to_string()),
        s("expires", format!("<t:{}:R>", issued.expires_at / 1000)),
    ];
    // DEFERRED_UPDATE_MESSAGE makes the card this click's `@original`, so the card's next
    // update goes through the interaction webhook (no global rate limit; see `InteractionTokens`);
    // the prompt is an ephemeral follow-up.
    c.create_response(ctx, CreateInteractionResponse::Acknowledge)
        .await?;
    data.card_tokens.insert(c.message.id.get(), &c.token);
    let prompt = CreateInteractionResponseFollowup::new()
        .content(t(staff, "staff-approve-prompt", &args))
        .components(render::confirm_buttons(staff, &issued.token))
        .ephemeral(true);
    c.create_followup(ctx, prompt).await?;
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
    let staff = data.app.config.staff_language();
    if c.message.components.is_empty() {
        c.defer_ephemeral(ctx).await?;
    } else {
        let working = CreateInteractionResponseMessage::new()
            .content(t(staff, "staff-confirming", &[]))
            .components(vec![]);
        c.create_response(ctx, CreateInteractionResponse::UpdateMessage(working))
            .await?;
    }
    let result = data.app.approval.confirm(&who, token).await;
    if matches!(result, Ok(ApprovalOutcome::Approved(_))) {
        data.app.wake_dashboard();
    }
    let text = outcome_text(staff, result, c.user.id);
    c.edit_response(ctx, EditInteractionResponse::new().content(text))
        .await?;
    Ok(())
}

/// The admin's answer to a Confirm by `clicker`, in `lang`.
fn outcome_text(
    lang: Lang,
    result: crate::Result<ApprovalOutcome>,
    clicker: serenity::UserId,
) -> String {
    let payment = |p: crate::domain::PaymentId| s("payment", p.to_string());
    match result {
        Ok(ApprovalOutcome::Approved(a)) => t(
            lang,
            "staff-approved",
            &[
                payment(a.payment_id),
                s("email", a.email),
                s("mention", format!("<@{}>", a.user_id)),
            ],
        ),
        Ok(ApprovalOutcome::Delayed(p)) => t(lang, "staff-approve-delayed", &[payment(p)]),
        Ok(ApprovalOutcome::Failed(p, why)) => t(
            lang,
            "staff-approve-failed",
            &[payment(p), s("why", why.to_string())],
        ),
        Err(e) => {
            let shown = Failure::from(e).report(&format!("confirm by {clicker}"), lang);
            t(lang, "staff-not-approved", &[s("why", shown)])
        }
    }
}

/// Cancel on the approval prompt: the prompt loses its buttons; the token just expires.
pub(super) async fn cancel_confirm(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
) -> Result<(), Failure> {
    let staff = data.app.config.staff_language();
    let msg = CreateInteractionResponseMessage::new()
        .content(t(staff, "staff-approval-cancelled", &[]))
        .components(vec![]);
    c.create_response(ctx, CreateInteractionResponse::UpdateMessage(msg))
        .await?;
    Ok(())
}

/// Reject on a review card: asks for a standard reason (each also "… and ban") in an ephemeral
/// select; the role is checked again on every step.
pub(super) async fn reject(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let who = actor(c.user.id, c.member.as_ref());
    data.app.roles.require(&who, Permission::ReviewPayments)?;
    let staff = data.app.config.staff_language();
    let msg = CreateInteractionResponseMessage::new()
        .content(t(
            staff,
            "staff-reject-why",
            &[s("payment", payment.to_string())],
        ))
        .components(vec![render::reject_reasons(staff, payment)])
        .ephemeral(true);
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}

/// A reject reason was picked: the modal for the customer-facing details.
pub(super) async fn reason_picked(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
        return Ok(());
    };
    let Some(choice) = values.first().and_then(|v| RejectChoice::parse(v)) else {
        return Ok(());
    };
    let who = actor(c.user.id, c.member.as_ref());
    data.app.roles.require(&who, Permission::ReviewPayments)?;
    let staff = data.app.config.staff_language();
    let required = choice.code == RejectCode::Other;
    let reason = CreateInputText::new(
        InputTextStyle::Paragraph,
        t(staff, "staff-reject-reason", &[]),
        "reason",
    )
    .min_length(if required { 3 } else { 0 })
    .max_length(500)
    .required(required);
    let title_id = if choice.ban {
        "staff-reject-title-ban"
    } else {
        "staff-reject-title"
    };
    let title = t(staff, title_id, &[s("payment", payment.to_string())]);
    let modal = CreateModal::new(CustomId::RejectModal(payment, choice).to_string(), title)
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
    choice: RejectChoice,
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
    let staff = data.app.config.staff_language();
    let rejected = data
        .app
        .approval
        .reject_with(&who, payment, (choice.code, reason.trim()), choice.ban)
        .await;
    let done_id = if choice.ban {
        "staff-rejected-banned"
    } else {
        "staff-rejected"
    };
    let text = match rejected {
        Ok(()) => t(staff, done_id, &[s("payment", payment.to_string())]),
        Err(e) => {
            let shown = Failure::from(e).report(&format!("reject by {}", m.user.id), staff);
            t(staff, "staff-not-rejected", &[s("why", shown)])
        }
    };
    let msg = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true);
    m.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}
