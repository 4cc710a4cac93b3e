//! Delivers what the core queued: every [`Delivery`] of the outbox, the `delete_channel`
//! scheduled job and TTL'd message deletion, over serenity's REST client. Discord answers are
//! sorted into retry (network, 429, 5xx) or permanent (unknown channel, missing access...).

use std::sync::Arc;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{
    CreateActionRow, CreateAttachment, CreateButton, CreateMessage, EditMessage, Http,
    PermissionOverwrite, PermissionOverwriteType,
};

use super::custom_id::CustomId;
use super::{render, tickets};
use crate::app::App;
use crate::domain::delivery::{AccessChange, Delivery, ReviewState};
use crate::domain::{ChannelId, MessageId, OrderId, PaymentId, UserId};
use crate::service::housekeeping::{Deleted, MessageDeleter};
use crate::service::outbox::{Deliverer, DeliveryError};
use crate::service::scheduled::{HandlerError, ScheduledHandler};
use crate::store::{self, outbox::OutboxItem, scheduled_jobs::ScheduledJob};

/// Discord's "Cannot send messages to this user" (DMs closed).
const CANNOT_DM: isize = 50007;
/// Unknown channel / unknown message.
const UNKNOWN: [isize; 2] = [10003, 10008];

/// The outbox deliverer, channel deleter and message deleter of the bot.
pub struct DiscordDeliverer {
    http: Arc<Http>,
    app: Arc<App>,
}

impl DiscordDeliverer {
    /// Delivers with `http`, reading what it needs through `app`.
    #[must_use]
    pub fn new(http: Arc<Http>, app: Arc<App>) -> Self {
        Self { http, app }
    }

    async fn review_card(&self, payment: PaymentId, order: OrderId) -> Result<(), DeliveryError> {
        let (p, o) = self.load(payment, order).await?;
        if let Some((channel, message)) = p.review_message {
            tracing::debug!(%payment, %channel, %message, "review card already posted");
            return Ok(());
        }
        let admin = serenity::ChannelId::new(self.app.config.discord.admin_channel_id.max(1));
        let mut msg = CreateMessage::new()
            .content(render::review_status(ReviewState::Pending, None, None))
            .components(render::review_buttons(payment));
        let image = self.receipt_bytes(&p).await;
        let name = image
            .as_ref()
            .map(|_| receipt_name(&p.receipt.content_type));
        msg = msg.embed(render::review_embed(&p, &o, name.as_deref()));
        if let (Some(bytes), Some(name)) = (image, &name) {
            msg = msg.add_file(CreateAttachment::bytes(bytes, name.clone()));
        }
        let posted = admin
            .send_message(&*self.http, msg)
            .await
            .map_err(classify)?;
        let now = self.app.clock.now_ms();
        let (channel, message) = (ChannelId(admin.get()), MessageId(posted.id.get()));
        self.app
            .store
            .call(move |c| store::payments::set_review_message(c, payment, channel, message, now))
            .await
            .map_err(retry)?;
        Ok(())
    }

    async fn receipt_bytes(&self, p: &store::payments::Payment) -> Option<Vec<u8>> {
        match self.app.receipts.read(&p.receipt).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "review card without the receipt image");
                None
            }
        }
    }

    async fn load(
        &self,
        payment: PaymentId,
        order: OrderId,
    ) -> Result<(store::payments::Payment, store::orders::Order), DeliveryError> {
        let found = self
            .app
            .store
            .call(move |c| Ok(store::payments::get(c, payment)?.zip(store::orders::get(c, order)?)))
            .await
            .map_err(retry)?;
        found.ok_or_else(|| DeliveryError::Permanent(format!("payment #{payment} is gone")))
    }

    async fn card_update(
        &self,
        payment: PaymentId,
        state: ReviewState,
        admin: Option<UserId>,
        note: Option<&str>,
    ) -> Result<(), DeliveryError> {
        let p = self
            .app
            .store
            .call(move |c| store::payments::get(c, payment))
            .await
            .map_err(retry)?
            .ok_or_else(|| DeliveryError::Permanent(format!("payment #{payment} is gone")))?;
        let Some((channel, message)) = p.review_message else {
            // The card was never posted (it is queued before this update): try again later.
            return Err(DeliveryError::Retry(format!(
                "payment #{payment} has no review card yet"
            )));
        };
        let components = if state == ReviewState::Pending {
            render::review_buttons(payment)
        } else {
            Vec::new()
        };
        let edit = EditMessage::new()
            .content(render::review_status(state, admin, note))
            .components(components);
        serenity::ChannelId::new(channel.0)
            .edit_message(&*self.http, serenity::MessageId::new(message.0), edit)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn lock(
        &self,
        channel: ChannelId,
        user: UserId,
        locked: bool,
    ) -> Result<(), DeliveryError> {
        let allow = tickets::customer_allow(locked);
        let deny = tickets::customer_allow(false) - allow;
        let ow = PermissionOverwrite {
            allow,
            deny,
            kind: PermissionOverwriteType::Member(serenity::UserId::new(user.0)),
        };
        serenity::ChannelId::new(channel.0)
            .create_permission(&*self.http, ow)
            .await
            .map_err(classify)
    }

    #[allow(clippy::too_many_arguments)]
    async fn link(
        &self,
        user: UserId,
        order: OrderId,
        payment: PaymentId,
        ticket: Option<ChannelId>,
        link: &str,
        subscription_url: Option<&str>,
        renewal: bool,
    ) -> Result<(), DeliveryError> {
        let text = render::link_text(order, link, subscription_url, renewal);
        let mut dm = CreateMessage::new().content(text);
        match crate::panel::qr::qr_png(link) {
            Ok(png) => dm = dm.add_file(CreateAttachment::bytes(png, "vpn-qr.png")),
            Err(e) => tracing::warn!(%payment, error = %e, "no QR code for the link"),
        }
        let to = serenity::UserId::new(user.0);
        match to.direct_message(&*self.http, dm).await {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some(CANNOT_DM) => {
                let Some(ticket) = ticket else {
                    return Err(DeliveryError::Permanent(format!(
                        "DMs of {user} are closed and there is no ticket"
                    )));
                };
                let button = CreateButton::new(CustomId::RevealLink(payment).to_string())
                    .label("Show my link");
                let msg = CreateMessage::new()
                    .content(format!(
                        "<@{user}>, your access is ready, but your DMs are closed. Click the \
                         button: only you will see the link."
                    ))
                    .components(vec![CreateActionRow::Buttons(vec![button])]);
                self.say(ticket, msg).await
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// Posts in the ticket if there is one, else DMs the customer.
    async fn tell(
        &self,
        user: UserId,
        ticket: Option<ChannelId>,
        text: String,
    ) -> Result<(), DeliveryError> {
        let msg = CreateMessage::new().content(text);
        match ticket {
            Some(t) => self.say(t, msg).await,
            None => match serenity::UserId::new(user.0)
                .direct_message(&*self.http, msg)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if code(&e) == Some(CANNOT_DM) => {
                    tracing::info!(%user, "DMs closed; notice dropped");
                    Ok(())
                }
                Err(e) => Err(classify(e)),
            },
        }
    }

    async fn say(&self, channel: ChannelId, msg: CreateMessage) -> Result<(), DeliveryError> {
        serenity::ChannelId::new(channel.0)
            .send_message(&*self.http, msg)
            .await
            .map(drop)
            .map_err(classify)
    }
}

#[async_trait]
impl Deliverer for DiscordDeliverer {
    #[tracing::instrument(skip_all, fields(outbox = item.id, kind = %item.kind))]
    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let delivery = Delivery::from_payload(&item.payload)
            .map_err(|e| DeliveryError::Permanent(format!("unknown delivery: {e}")))?;
        match delivery {
            Delivery::ReviewCard {
                payment_id,
                order_id,
                ..
            } => self.review_card(payment_id, order_id).await,
            Delivery::ReviewCardUpdate {
                payment_id,
                state,
                admin_id,
                note,
            } => {
                self.card_update(payment_id, state, admin_id, note.as_deref())
                    .await
            }
            Delivery::TicketLock {
                channel_id,
                user_id,
                locked,
            } => self.lock(channel_id, user_id, locked).await,
            Delivery::DeliverLink {
                user_id,
                order_id,
                payment_id,
                ticket_channel_id,
                link,
                subscription_url,
                renewal,
                ..
            } => {
                self.link(
                    user_id,
                    order_id,
                    payment_id,
                    ticket_channel_id,
                    &link,
                    subscription_url.as_deref(),
                    renewal,
                )
                .await
            }
            Delivery::ProvisioningDelayed {
                user_id,
                order_id,
                ticket_channel_id,
                ..
            } => {
                let text = format!(
                    "<@{user_id}>, your payment for order #{order_id} is approved. The VPN panel \
                     is briefly unavailable; your access is created automatically as soon as it \
                     is back, and you will get your link by DM."
                );
                self.tell(user_id, ticket_channel_id, text).await
            }
            Delivery::ReceiptRejected {
                user_id,
                order_id,
                ticket_channel_id,
                reason,
                ..
            } => {
                let text = format!(
                    "<@{user_id}>, your receipt for order #{order_id} was rejected: {reason}\n\
                     You can upload a new screenshot in this channel."
                );
                self.tell(user_id, ticket_channel_id, text).await
            }
            Delivery::OrderClosed {
                user_id,
                order_id,
                ticket_channel_id,
                reason,
            } => {
                let text = format!("<@{user_id}>, order #{order_id} is closed: {reason}.");
                self.tell(user_id, ticket_channel_id, text).await
            }
            Delivery::ExpiryReminder {
                user_id, expiry_at, ..
            } => {
                let text = format!(
                    "Your VPN access ends {}. Run `/order` to renew: the days and traffic you \
                     have left are kept.",
                    render::when(expiry_at)
                );
                self.tell(user_id, None, text).await
            }
            Delivery::SubscriptionExpired { user_id, expiry_at } => {
                let text = format!(
                    "Your VPN access expired {} and was disabled. Run `/order` to renew.",
                    render::when(expiry_at)
                );
                self.tell(user_id, None, text).await
            }
            Delivery::AccessChanged {
                user_id, change, ..
            } => {
                let text = match change {
                    AccessChange::Extended { days, expiry_at } => format!(
                        "An admin extended your VPN access by {days} days; it now ends {}.",
                        render::when(expiry_at)
                    ),
                    AccessChange::Revoked { reason } => {
                        format!("An admin revoked your VPN access: {reason}")
                    }
                };
                self.tell(user_id, None, text).await
            }
        }
    }
}

#[async_trait]
impl ScheduledHandler for DiscordDeliverer {
    async fn run(&self, job: &ScheduledJob) -> Result<(), HandlerError> {
        let Some(id) = job.payload["channel_id"].as_u64().filter(|&c| c != 0) else {
            return Err(HandlerError::GiveUp(format!("bad payload {}", job.payload)));
        };
        match serenity::ChannelId::new(id).delete(&*self.http).await {
            Ok(_) => Ok(()),
            Err(e) if code(&e).is_some_and(|c| UNKNOWN.contains(&c)) => Ok(()),
            Err(e) => match classify(e) {
                DeliveryError::Retry(r) => Err(HandlerError::Retry(r)),
                DeliveryError::Permanent(r) => Err(HandlerError::GiveUp(r)),
            },
        }
    }
}

#[async_trait]
impl MessageDeleter for DiscordDeliverer {
    async fn delete(&self, channel: ChannelId, message: MessageId) -> Result<Deleted, String> {
        match serenity::ChannelId::new(channel.0)
            .delete_message(&*self.http, serenity::MessageId::new(message.0))
            .await
        {
            Ok(()) => Ok(Deleted::Now),
            Err(e) if code(&e).is_some_and(|c| UNKNOWN.contains(&c)) => Ok(Deleted::AlreadyGone),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The file name of a receipt on the review card, by its sniffed type.
fn receipt_name(content_type: &str) -> String {
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };
    format!("receipt.{ext}")
}

/// Discord's JSON error code of a failed REST call.
fn code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

/// Retry for network errors, rate limits and 5xx; permanent for other refusals.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(classify)`
fn classify(e: serenity::Error) -> DeliveryError {
    match &e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r))
            if r.status_code.as_u16() != 429 && !r.status_code.is_server_error() =>
        {
            DeliveryError::Permanent(e.to_string())
        }
        _ => DeliveryError::Retry(e.to_string()),
    }
}

#[allow(clippy::needless_pass_by_value)]
fn retry(e: crate::Error) -> DeliveryError {
    DeliveryError::Retry(e.to_string())
}
