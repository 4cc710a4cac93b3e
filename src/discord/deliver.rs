//! Delivers what the core queued: every [`Delivery`] of the outbox, every [`ScheduledTask`]
//! (ticket channel deletion) and TTL'd message deletion, over serenity's REST client.
//!
//! Views are rendered from the database as it is when they are delivered: the review card is
//! posted if the payment has none (or its card was deleted: Discord 10008) and edited otherwise;
//! the ticket gets the customer's permissions its order's state implies (a ticket found deleted,
//! 10003, is handled as a deletion). Discord's answers are sorted by class ([`classify`]):
//! network, 429 and 5xx retry; 403 Missing Access / Missing Permissions retry for hours and tell
//! the owners what to grant; 50007 (DMs closed) falls back to the ticket; the rest is permanent.
//! `upkeep.rs` holds the rest of what the deliverer does for the core (the sweep's look, deletions).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::Builder as _;
use serenity::{
    CreateActionRow, CreateAttachment, CreateButton, CreateMessage, EditInteractionResponse,
    EditMessage, Http, PermissionOverwrite, PermissionOverwriteType,
};

use super::custom_id::CustomId;
use super::interact::code;
use super::interact::codes::{CANNOT_DM, MISSING_ACCESS, UNKNOWN_CHANNEL, UNKNOWN_MESSAGE};
use super::{lang, owner_alerts, render, tickets};
use crate::app::App;
use crate::domain::delivery::{Delivery, OwnerAlert};
use crate::domain::status::PaymentStatus;
use crate::domain::{ChannelId, MessageId, OrderId, PaymentId, UserId};
use crate::i18n::{Lang, t};
use crate::service::orders::OrderService;
use crate::service::outbox::{Deliverer, DeliveryError};
use crate::store::{self, orders::Order, outbox::OutboxItem};

/// Where a REST call acts, for [`classify`]: the channel, the permission it needs there and what
/// the bot was doing, in the owners' words.
pub(super) struct Place {
    pub(super) channel: ChannelId,
    pub(super) permission: &'static str,
    pub(super) action: String,
}

/// What the bot needs in the admin channel to post and edit review cards.
const CARD_PERMISSIONS: &str = "View Channel, Send Messages, Embed Links and Attach Files";

/// The outbox deliverer, channel deleter, message deleter and view inspector of the bot.
pub struct DiscordDeliverer {
    pub(super) http: Arc<Http>,
    pub(super) app: Arc<App>,
    card_tokens: InteractionTokens,
}

/// How long an interaction token may edit its message (Discord: 15 minutes), less a margin.
const TOKEN_FRESH: Duration = Duration::from_secs(14 * 60);

/// Tokens of recent interactions, keyed by what they can write to, used while fresh
/// ([`TOKEN_FRESH`]): calls through an interaction webhook do not count against the bot's global
/// rate limit (channel message posts and edits do).
///
/// - Review cards, by card message id: an Approve is acknowledged with DEFERRED_UPDATE_MESSAGE,
///   which makes the card the click's `@original`, so the card's next projection is an edit of
///   `@original`.
/// - Tickets, by channel id: the customer's payment-method choice, whose token posts the receipt
///   acknowledgement as a follow-up in the ticket.
///
/// Kept in memory only (tokens are short-lived secrets; `Debug` shows none); stale ones are
/// dropped as new ones come, and a used ticket token is forgotten. Cheap to clone.
#[derive(Clone, Default)]
pub struct InteractionTokens(Arc<Mutex<HashMap<u64, (String, Instant)>>>);

impl std::fmt::Debug for InteractionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InteractionTokens(..)")
    }
}

impl InteractionTokens {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers `token` of an interaction that can write to `key` (a card message id, a ticket
    /// channel id).
    pub(super) fn insert(&self, key: u64, token: &str) {
        let mut map = self.map();
        map.retain(|_, (_, at)| at.elapsed() < TOKEN_FRESH);
        map.insert(key, (token.to_owned(), Instant::now()));
    }

    /// A fresh token for `key`.
    pub(super) fn fresh(&self, key: u64) -> Option<String> {
        self.map()
            .get(&key)
            .filter(|(_, at)| at.elapsed() < TOKEN_FRESH)
            .map(|(token, _)| token.clone())
    }

    /// A fresh token for `key`, forgotten as it is handed out (for single use).
    pub(super) fn take(&self, key: u64) -> Option<String> {
        self.map()
            .remove(&key)
            .filter(|(_, at)| at.elapsed() < TOKEN_FRESH)
            .map(|(token, _)| token)
    }

    /// Forgets the token for `key` (used up, or refused by Discord).
    pub(super) fn forget(&self, key: u64) {
        self.map().remove(&key);
    }
}

impl DiscordDeliverer {
    /// Delivers with `http`, reading what it needs through `app`.
    #[must_use]
    pub fn new(http: Arc<Http>, app: Arc<App>) -> Self {
        Self {
            http,
            app,
            card_tokens: InteractionTokens::default(),
        }
    }

    /// Edits review cards through the Approve clicks' tokens in `tokens` while they are fresh.
    #[must_use]
    pub fn with_card_tokens(mut self, tokens: InteractionTokens) -> Self {
        self.card_tokens = tokens;
        self
    }

    /// The review card of `payment` as the database says now: posted, or edited in place.
    async fn review_card(&self, payment: PaymentId) -> Result<(), DeliveryError> {
        let Some((p, o)) = self.app.approval.card_of(payment).await.map_err(retry)? else {
            return Err(DeliveryError::Permanent(format!(
                "payment #{payment} is gone"
            )));
        };
        let staff = self.app.config.staff_language();
        let (text, buttons) = render::review_card_view(staff, &p, &o);
        if let Some((channel, message)) = p.review_message {
            if let Some(token) = self.card_tokens.fresh(message.0) {
                let edit = EditInteractionResponse::new()
                    .content(text.clone())
                    .components(buttons.clone());
                match edit.execute(&*self.http, &token).await {
                    Ok(_) => {
                        if matches!(p.status, PaymentStatus::Approved | PaymentStatus::Rejected) {
                            // Final: no later projection needs the token.
                            self.card_tokens.forget(message.0);
                        }
                        return Ok(());
                    }
                    Err(e) => {
                        tracing::debug!(%payment, error = %e, "card edit by token refused; editing the message");
                        self.card_tokens.forget(message.0);
                    }
                }
            }
            let edit = EditMessage::new()
                .content(text.clone())
                .components(buttons.clone());
            let place = Place {
                channel,
                permission: CARD_PERMISSIONS,
                action: format!("update the review card of payment #{payment}"),
            };
            match serenity::ChannelId::new(channel.0)
                .edit_message(&*self.http, serenity::MessageId::new(message.0), edit)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if is_gone(&e) => {
                    tracing::info!(%payment, "review card deleted in Discord: posting it again");
                    self.app
                        .approval
                        .card_gone(payment, o.id, message)
                        .await
                        .map_err(retry)?;
                }
                Err(e) => return Err(classify(&e, &place)),
            }
        }
        self.post_card(&p, &o, text, buttons).await
    }

    async fn post_card(
        &self,
        p: &store::payments::Payment,
        o: &Order,
        text: String,
        buttons: Vec<CreateActionRow>,
    ) -> Result<(), DeliveryError> {
        let admin = self
            .app
            .config
            .admin_channel_id()
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let admin = ChannelId(admin.get());
        let mut msg = CreateMessage::new().content(text).components(buttons);
        let image = self.receipt_bytes(p).await;
        let name = image
            .as_ref()
            .zip(p.receipt.as_ref())
            .map(|(_, r)| render::receipt_name(&r.content_type));
        let staff = self.app.config.staff_language();
        msg = msg.embed(render::review_embed(staff, p, o, name.as_deref()));
        if let (Some(bytes), Some(name)) = (image, &name) {
            msg = msg.add_file(CreateAttachment::bytes(bytes, name.clone()));
        }
        let place = Place {
            channel: admin,
            permission: CARD_PERMISSIONS,
            action: format!("post the review card of payment #{}", p.id),
        };
        let posted = serenity::ChannelId::new(admin.0)
            .send_message(&*self.http, msg)
            .await
            .map_err(|e| classify(&e, &place))?;
        self.app
            .approval
            .card_posted(p.id, admin, MessageId(posted.id.get()))
            .await
            .map_err(retry)
    }

    /// The receipt image of `p`; `None` for a payment no receipt backs, or an unreadable file.
    async fn receipt_bytes(&self, p: &store::payments::Payment) -> Option<Vec<u8>> {
        match self.app.receipts.read(p.receipt.as_ref()?).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "review card without the receipt image");
                None
            }
        }
    }

    /// The ticket of `order` as its state implies: the customer may post only while it waits
    /// for a receipt. A ticket found deleted is handled as a deletion.
    async fn ticket_view(&self, order: OrderId) -> Result<(), DeliveryError> {
        let Some(o) = self.app.orders.get(order).await.map_err(retry)? else {
            return Err(DeliveryError::Permanent(format!("order #{order} is gone")));
        };
        let Some(channel) = o.ticket_channel_id else {
            return Ok(()); // no ticket (any more): nothing to show
        };
        let ow = customer_overwrite(&o);
        let place = Place {
            channel,
            permission: "Manage Roles (permission overwrites)",
            action: format!("set the customer's permissions in the ticket of order #{order}"),
        };
        match serenity::ChannelId::new(channel.0)
            .create_permission(&*self.http, ow)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if code(&e) == Some(UNKNOWN_CHANNEL) => self.ticket_gone(channel).await,
            Err(e) => Err(classify(&e, &place)),
        }
    }

    async fn ticket_gone(&self, channel: ChannelId) -> Result<(), DeliveryError> {
        tracing::info!(%channel, "ticket channel found deleted");
        self.app
            .orders
            .ticket_channel_deleted(channel)
            .await
            .map(drop)
            .map_err(retry)
    }

    /// The link DM; with DMs closed, a "Show my link" button in the ticket.
    async fn link(
        &self,
        user: UserId,
        payment: PaymentId,
        ticket: Option<ChannelId>,
        (text, link): (String, &str),
        lang: Lang,
    ) -> Result<(), DeliveryError> {
        let mut dm = CreateMessage::new().content(text);
        match crate::panel::qr::qr_png(link) {
            Ok(png) => dm = dm.add_file(CreateAttachment::bytes(png, "vpn-qr.png")),
            Err(e) => tracing::warn!(%payment, error = %e, "no QR code for the link"),
        }
        let e = match self.dm(user, dm).await {
            Ok(_) => return Ok(()),
            Err(e) if code(&e) == Some(CANNOT_DM) => e,
            Err(e) => return Err(classify_dm(&e)),
        };
        let closed = || {
            DeliveryError::Permanent(format!(
                "DMs of {user} are closed ({e}) and there is no ticket to offer the link in"
            ))
        };
        let Some(ticket) = ticket else {
            return Err(closed());
        };
        let button = CreateButton::new(CustomId::RevealLink(payment).to_string()).label(t(
            lang,
            "button-show-link",
            &[],
        ));
        let msg = CreateMessage::new()
            .content(render::reveal_offer(lang, user))
            .components(vec![CreateActionRow::Buttons(vec![button])]);
        match self.say(ticket, msg, "offer the customer's link").await {
            Err(_) if self.ticket_deleted(ticket).await => Err(closed()),
            other => other,
        }
    }

    /// Whether `channel` was found deleted by the last call (then handled as a deletion).
    async fn ticket_deleted(&self, channel: ChannelId) -> bool {
        match serenity::ChannelId::new(channel.0)
            .to_channel(&*self.http)
            .await
        {
            Err(e) if code(&e) == Some(UNKNOWN_CHANNEL) => {
                let _ = self.ticket_gone(channel).await;
                true
            }
            _ => false,
        }
    }

    /// Posts in the ticket if there is one (or DMs when the ticket is gone), else DMs the
    /// customer; a notice to closed DMs is dropped.
    async fn tell(
        &self,
        user: UserId,
        ticket: Option<ChannelId>,
        text: String,
        buttons: Vec<CreateActionRow>,
    ) -> Result<(), DeliveryError> {
        if let Some(t) = ticket {
            let msg = CreateMessage::new()
                .content(text.clone())
                .components(buttons.clone());
            match self.say(t, msg, "tell the customer in the ticket").await {
                Err(_) if self.ticket_deleted(t).await => {}
                other => return other,
            }
        }
        let msg = CreateMessage::new().content(text).components(buttons);
        match self.dm(user, msg).await {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some(CANNOT_DM) => {
                tracing::info!(%user, "DMs closed; notice dropped");
                Ok(())
            }
            Err(e) => Err(classify_dm(&e)),
        }
    }

    /// DMs customer `user` through the DM channel stored for them (one rate-limited call instead
    /// of two), else through a new one, stored for next time. A stored channel Discord no longer
    /// knows (10003) is replaced; failing to store only costs the call next time.
    async fn dm(&self, user: UserId, msg: CreateMessage) -> serenity::Result<serenity::Message> {
        let store = &self.app.store;
        let stored = store
            .call(move |c| store::users::dm_channel(c, user))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(%user, error = %e, "stored DM channel unreadable");
                None
            });
        if let Some(channel) = stored {
            match serenity::ChannelId::new(channel.0)
                .send_message(&*self.http, msg.clone())
                .await
            {
                Err(e) if code(&e) == Some(UNKNOWN_CHANNEL) => {
                    tracing::info!(%user, %channel, "stored DM channel unknown to Discord; opening another");
                }
                other => return other,
            }
        }
        let channel = serenity::UserId::new(user.0)
            .create_dm_channel(&*self.http)
            .await?;
        let id = ChannelId(channel.id.get());
        if let Err(e) = store
            .call(move |c| store::users::set_dm_channel(c, user, Some(id)))
            .await
        {
            tracing::warn!(%user, error = %e, "DM channel not stored");
        }
        channel.id.send_message(&*self.http, msg).await
    }

    async fn say(
        &self,
        channel: ChannelId,
        msg: CreateMessage,
        action: &str,
    ) -> Result<(), DeliveryError> {
        let place = Place {
            channel,
            permission: "View Channel and Send Messages",
            action: action.to_owned(),
        };
        serenity::ChannelId::new(channel.0)
            .send_message(&*self.http, msg)
            .await
            .map(drop)
            .map_err(|e| classify(&e, &place))
    }

    /// DMs every owner; owners with closed DMs are skipped (logged).
    async fn alert_owners(&self, alert: &OwnerAlert) -> Result<(), DeliveryError> {
        let guild = self
            .app
            .config
            .guild_id()
            .map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let guild = serenity::GuildId::from(guild);
        let owners = owner_alerts::recipients(&self.http, &self.app.config.roles, guild).await;
        let text = render::owner_alert(self.app.config.staff_language(), alert);
        for owner in owners {
            let msg = CreateMessage::new().content(text.clone());
            match serenity::UserId::new(owner)
                .direct_message(&*self.http, msg)
                .await
            {
                Ok(_) => {}
                Err(e) if code(&e) == Some(CANNOT_DM) => {
                    tracing::warn!(
                        owner,
                        "an owner's DMs are closed: alert not delivered to them"
                    );
                }
                Err(e) => return Err(classify_dm(&e)),
            }
        }
        Ok(())
    }
}

/// The customer's permission overwrite in the ticket of `o`, from its state.
pub(super) fn customer_overwrite(o: &Order) -> PermissionOverwrite {
    let allow = tickets::customer_allow(!OrderService::ticket_open_for_customer(o.status));
    PermissionOverwrite {
        allow,
        deny: tickets::customer_allow(false) - allow,
        kind: PermissionOverwriteType::Member(serenity::UserId::new(o.user_id.0)),
    }
}

#[async_trait]
impl Deliverer for DiscordDeliverer {
    #[tracing::instrument(skip_all, fields(outbox = item.id, kind = %item.kind))]
    async fn deliver(&self, item: &OutboxItem) -> Result<(), DeliveryError> {
        let delivery = Delivery::from_payload(&item.payload)
            .map_err(|e| DeliveryError::Permanent(format!("unknown delivery: {e}")))?;
        match delivery {
            Delivery::ReviewCard { payment_id } => self.review_card(payment_id).await,
            Delivery::TicketView { order_id } => self.ticket_view(order_id).await,
            Delivery::DeliverLink {
                user_id,
                order_id,
                payment_id,
                ticket_channel_id,
                ref link,
                ref subscription_url,
                renewal,
                provisional,
                ..
            } => {
                let lang = lang::of_user(&self.app, user_id).await;
                let sub = subscription_url.as_deref();
                let head = render::link_head(renewal, provisional);
                let text = render::link_text(lang, order_id, link, sub, head);
                self.link(user_id, payment_id, ticket_channel_id, (text, link), lang)
                    .await
            }
            Delivery::OwnerAlert { ref alert } => self.alert_owners(alert).await,
            ref notice => {
                let Some((user, ticket)) = render::notice_target(notice) else {
                    return Err(DeliveryError::Permanent(format!(
                        "no rendering for {}",
                        notice.kind()
                    )));
                };
                let lang = lang::of_user(&self.app, user).await;
                let text = render::notice(notice, lang).unwrap_or_default();
                let buttons = render::notice_buttons(notice, lang);
                self.tell(user, ticket, text, buttons).await
            }
        }
    }
}

/// Unknown channel or unknown message: the object is gone.
pub(super) fn is_gone(e: &serenity::Error) -> bool {
    code(e).is_some_and(|c| c == UNKNOWN_CHANNEL || c == UNKNOWN_MESSAGE)
}

/// Sorts a failed call in `place`: network, 429 and 5xx retry; 403 Missing Access / Missing
/// Permissions is [`DeliveryError::MissingAccess`]; any other refusal is permanent.
pub(super) fn classify(e: &serenity::Error, place: &Place) -> DeliveryError {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r))
            if r.status_code.as_u16() == 403 && MISSING_ACCESS.contains(&r.error.code) =>
        {
            DeliveryError::MissingAccess {
                channel: place.channel,
                permission: place.permission.to_owned(),
                action: place.action.clone(),
                detail: e.to_string(),
            }
        }
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r))
            if r.status_code.as_u16() != 429 && !r.status_code.is_server_error() =>
        {
            DeliveryError::Permanent(e.to_string())
        }
        _ => DeliveryError::Retry(e.to_string()),
    }
}

/// A failed DM (other than closed DMs): retry for network, 429 and 5xx, else permanent.
fn classify_dm(e: &serenity::Error) -> DeliveryError {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r))
            if r.status_code.as_u16() != 429 && !r.status_code.is_server_error() =>
        {
            DeliveryError::Permanent(e.to_string())
        }
        _ => DeliveryError::Retry(e.to_string()),
    }
}

#[allow(clippy::needless_pass_by_value)]
pub(super) fn retry(e: crate::Error) -> DeliveryError {
    DeliveryError::Retry(e.to_string())
}
