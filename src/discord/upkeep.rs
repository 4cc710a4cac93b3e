//! The rest of what [`DiscordDeliverer`] does for the core besides deliveries: it looks at
//! tickets and review cards for the sweep ([`ViewInspector`]), deletes ticket channels (the
//! scheduled [`ScheduledTask`]s) and deletes bot messages whose TTL passed.

use async_trait::async_trait;
use poise::serenity_prelude as serenity;

use super::deliver::{DiscordDeliverer, Place, classify, customer_overwrite, is_gone};
use super::interact::code;
use super::interact::codes::UNKNOWN_CHANNEL;
use super::{render, transcript};
use crate::domain::scheduled::ScheduledTask;
use crate::domain::{ChannelId, MessageId};
use crate::service::housekeeping::{Deleted, MessageDeleter};
use crate::service::outbox::DeliveryError;
use crate::service::scheduled::{HandlerError, ScheduledHandler};
use crate::service::sweep::{Observed, ViewInspector};
use crate::store::{self, orders::Order, scheduled_jobs::ScheduledJob};

#[async_trait]
impl ViewInspector for DiscordDeliverer {
    async fn ticket(&self, order: &Order) -> Result<Observed, String> {
        let Some(channel) = order.ticket_channel_id else {
            return Ok(Observed::Matches);
        };
        let found = match serenity::ChannelId::new(channel.0)
            .to_channel(&*self.http)
            .await
        {
            Ok(serenity::Channel::Guild(c)) => c,
            Ok(_) => return Ok(Observed::Differs("not a guild channel".into())),
            Err(e) if code(&e) == Some(UNKNOWN_CHANNEL) => return Ok(Observed::Gone),
            Err(e) => return Err(e.to_string()),
        };
        let want = customer_overwrite(order);
        let have = found
            .permission_overwrites
            .iter()
            .find(|o| o.kind == want.kind);
        Ok(match have {
            Some(h) if h.allow == want.allow && h.deny & want.deny == want.deny => {
                Observed::Matches
            }
            Some(h) => Observed::Differs(format!(
                "customer allowed {:?}, denied {:?}; expected allowed {:?}",
                h.allow, h.deny, want.allow
            )),
            None => Observed::Differs("no overwrite for the customer".into()),
        })
    }

    async fn card(&self, payment: &store::payments::Payment) -> Result<Observed, String> {
        let Some((channel, message)) = payment.review_message else {
            return Ok(Observed::Gone);
        };
        let Some((p, o)) = self
            .app
            .approval
            .card_of(payment.id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(Observed::Matches);
        };
        let found = match serenity::ChannelId::new(channel.0)
            .message(&*self.http, serenity::MessageId::new(message.0))
            .await
        {
            Ok(m) => m,
            Err(e) if is_gone(&e) => return Ok(Observed::Gone),
            Err(e) => return Err(e.to_string()),
        };
        let staff = self.app.config.staff_language();
        let (text, buttons) = render::review_card_view(staff, &p, &o);
        let live = found.components.iter().any(|r| !r.components.is_empty());
        Ok(if found.content == text && live != buttons.is_empty() {
            Observed::Matches
        } else {
            Observed::Differs(format!(
                "card shows {:?} (buttons {live}); expected {text:?}",
                found.content
            ))
        })
    }
}

#[async_trait]
impl ScheduledHandler for DiscordDeliverer {
    async fn run(&self, job: &ScheduledJob) -> Result<(), HandlerError> {
        let bad = || HandlerError::GiveUp(format!("bad payload {}", job.payload));
        match ScheduledTask::from_row(&job.kind, &job.payload).map_err(|_| bad())? {
            ScheduledTask::DeleteChannel { channel_id } if channel_id.0 == 0 => Err(bad()),
            ScheduledTask::DeleteChannel { channel_id } => self.delete_ticket(channel_id).await,
        }
    }
}

impl DiscordDeliverer {
    /// Deletes a closed ticket's channel, after reading its history into the transcript unless
    /// the bot saw the whole ticket live; already gone is success.
    async fn delete_ticket(&self, channel: ChannelId) -> Result<(), HandlerError> {
        let seen_whole = self
            .app
            .transcripts
            .archive_if_seen_whole(channel)
            .await
            .unwrap_or(false);
        if !seen_whole
            && let Err(e) = transcript::read_back(&self.http, &self.app, channel).await
            && e.discord_code() != Some(UNKNOWN_CHANNEL)
        {
            return Err(HandlerError::Retry(format!(
                "reading the ticket's history: {e}"
            )));
        }
        let place = Place {
            channel,
            permission: "Manage Channels",
            action: "delete a closed ticket".to_owned(),
        };
        match serenity::ChannelId::new(channel.0)
            .delete(&*self.http)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_gone(&e) => Ok(()),
            Err(e) => match classify(&e, &place) {
                DeliveryError::Permanent(r) => Err(HandlerError::GiveUp(r)),
                other => Err(HandlerError::Retry(other.to_string())),
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
            Err(e) if is_gone(&e) => Ok(Deleted::AlreadyGone),
            Err(e) => Err(e.to_string()),
        }
    }
}
