//! The customer's side of an order: the plan pick (opens the private ticket channel, or says the
//! server is at capacity), the payment method, cancel, the receipt upload and "show my link".
//! A refused receipt's notice is transient: registered with the core's TTL ([`REFUSAL_TTL`]) so
//! the `message_ttl` job deletes it.

use poise::serenity_prelude as serenity;
use serenity::{
    ChannelType, ComponentInteraction, ComponentInteractionDataKind, CreateAttachment,
    CreateChannel, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, Message, PermissionOverwrite, PermissionOverwriteType, Permissions,
    RoleId,
};

use super::events::ephemeral;
use super::{Data, Failure, render};
use crate::domain::delivery::Delivery;
use crate::domain::{ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId};
use crate::error::UserError;
use crate::store;

/// What the customer may do in their own ticket (SEND is taken away while a receipt is reviewed).
pub fn customer_allow(locked: bool) -> Permissions {
    let base = Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY;
    if locked {
        base
    } else {
        base | Permissions::SEND_MESSAGES | Permissions::ATTACH_FILES
    }
}

/// A plan was picked in `/order`: open the order, create the ticket, post the method select.
pub async fn plan_selected(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
) -> Result<(), Failure> {
    let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
        return Ok(());
    };
    let Some(plan) = values.first() else {
        return Ok(());
    };
    let app = &data.app;
    let user = UserId(c.user.id.get());
    let order = app.orders.open(user, plan).await?;
    c.defer_ephemeral(ctx).await?;
    let text = match open_ticket(ctx, data, c.user.id, &order).await {
        Ok(channel) => format!("Your ticket is open: <#{channel}>. Continue there."),
        Err(e) => ticket_failed(ctx, data, user, order.id, &e).await,
    };
    c.edit_response(
        ctx,
        EditInteractionResponse::new()
            .content(text)
            .components(vec![]),
    )
    .await?;
    Ok(())
}

/// The ticket channel of a just-opened order could not be created: the order is cancelled (no
/// half-open order stays behind), the error logged, and the customer's answer returned. When the
/// guild is at Discord's channel cap, the customer is told the shop is at capacity and staff are
/// warned in the admin channel (once until a ticket opens again).
async fn ticket_failed(
    ctx: &serenity::Context,
    data: &Data,
    user: UserId,
    order: OrderId,
    e: &Failure,
) -> String {
    let full = e.discord_code() == Some(GUILD_CHANNELS_FULL);
    let reason = if full {
        "no ticket channel: the server has reached Discord's channel limit"
    } else {
        "no ticket channel: it could not be created"
    };
    tracing::error!(%order, error = %e, guild_full = full, "could not open the ticket channel");
    match data
        .app
        .orders
        .ticket_not_opened(user, order, reason, full)
        .await
    {
        Ok(true) => warn_staff_guild_full(ctx, data).await,
        Ok(false) => {}
        Err(e) => tracing::error!(%order, error = %e, "could not cancel the order"),
    }
    if full {
        "We are at capacity right now: the server cannot hold another ticket channel, so your \
         order was not opened. Please try again later, or contact staff."
            .to_owned()
    } else {
        e.shown()
    }
}

/// Tells staff in the admin channel that tickets cannot be opened until channels are freed.
async fn warn_staff_guild_full(ctx: &serenity::Context, data: &Data) {
    let admin = data.app.config.discord.admin_channel_id;
    if admin == 0 {
        return;
    }
    let text = "⚠ New tickets cannot be opened: the server has reached Discord's limit of 500 \
                channels. Customers are told to try again later. Delete unused channels (old \
                tickets, empty categories) to make room. This warning is not repeated until a \
                ticket opens again.";
    let posted = serenity::ChannelId::new(admin)
        .send_message(ctx, CreateMessage::new().content(text))
        .await;
    if let Err(e) = posted {
        tracing::error!(error = %e, "could not warn staff that the server is full");
    }
}

/// Discord's "Maximum number of guild channels reached (500)".
const GUILD_CHANNELS_FULL: isize = 30013;

/// Creates the private ticket channel of `order`, records it and posts the method select.
async fn open_ticket(
    ctx: &serenity::Context,
    data: &Data,
    customer: serenity::UserId,
    order: &store::orders::Order,
) -> Result<serenity::ChannelId, Failure> {
    let cfg = &data.app.config;
    let guild = serenity::GuildId::new(cfg.discord.guild_id);
    let staff = Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::ATTACH_FILES
        | Permissions::READ_MESSAGE_HISTORY;
    let mut overwrites = vec![
        PermissionOverwrite {
            allow: Permissions::empty(),
            deny: Permissions::VIEW_CHANNEL,
            kind: PermissionOverwriteType::Role(RoleId::new(guild.get())),
        },
        PermissionOverwrite {
            allow: customer_allow(false),
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Member(customer),
        },
        PermissionOverwrite {
            allow: staff | Permissions::EMBED_LINKS,
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Member(ctx.cache.current_user().id),
        },
    ];
    let r = &cfg.roles;
    for role in r
        .owner_role_ids
        .iter()
        .chain(&r.admin_role_ids)
        .chain(&r.support_role_ids)
    {
        overwrites.push(PermissionOverwrite {
            allow: staff,
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Role(RoleId::new(*role)),
        });
    }
    let mut builder = CreateChannel::new(format!("order-{}", order.id))
        .kind(ChannelType::Text)
        .topic(format!("Order #{} of {}", order.id, customer))
        .permissions(overwrites);
    // Choosing the category and creating the channel is one step for this process: two
    // tickets opened at once would otherwise both pick the category with one place left (and
    // the second fail with "maximum number of channels in category"), or both create the same
    // overflow category.
    let channel = {
        let _one_at_a_time = TICKET_CHANNEL_CREATION.lock().await;
        if cfg.discord.tickets_category_id != 0 {
            let base = serenity::ChannelId::new(cfg.discord.tickets_category_id);
            builder = builder.category(ticket_category(ctx, guild, base).await?);
        }
        guild.create_channel(ctx, builder).await?
    };
    data.app
        .orders
        .attach_ticket(order.id, GuildId(guild.get()), ChannelId(channel.id.get()))
        .await?;
    let welcome = CreateMessage::new()
        .content(format!("<@{customer}>, welcome to your ticket."))
        .embed(render::ticket_embed(order))
        .components(render::ticket_components(order.id, &cfg.payment_methods));
    channel.id.send_message(ctx, welcome).await?;
    Ok(channel.id)
}

/// Held while a ticket channel's category is chosen and the channel created.
static TICKET_CHANNEL_CREATION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Discord's limit of channels in one category.
const CATEGORY_LIMIT: usize = 50;

/// The category for a new ticket: the configured one while it has room, else the first overflow
/// category (`<name> 2`, `<name> 3`...) with room, created when all are full. Found by name in
/// the guild's channel list, so nothing needs storing and a restart changes nothing.
async fn ticket_category(
    ctx: &serenity::Context,
    guild: serenity::GuildId,
    base: serenity::ChannelId,
) -> Result<serenity::ChannelId, Failure> {
    let channels = guild.channels(ctx).await?;
    let children = |cat: serenity::ChannelId| {
        channels
            .values()
            .filter(|c| c.parent_id == Some(cat))
            .count()
    };
    if children(base) < CATEGORY_LIMIT {
        return Ok(base);
    }
    let base_name = channels
        .get(&base)
        .map_or_else(|| "Tickets".to_owned(), |c| c.name.clone());
    let mut n = 2;
    loop {
        let name = format!("{base_name} {n}");
        let existing = channels
            .values()
            .find(|c| c.kind == ChannelType::Category && c.name == name);
        match existing {
            Some(c) if children(c.id) < CATEGORY_LIMIT => return Ok(c.id),
            Some(_) => n += 1,
            None => {
                let hidden = PermissionOverwrite {
                    allow: Permissions::empty(),
                    deny: Permissions::VIEW_CHANNEL,
                    kind: PermissionOverwriteType::Role(RoleId::new(guild.get())),
                };
                let created = guild
                    .create_channel(
                        ctx,
                        CreateChannel::new(name)
                            .kind(ChannelType::Category)
                            .permissions(vec![hidden]),
                    )
                    .await?;
                tracing::info!(category = %created.id, "tickets category full: overflow category created");
                return Ok(created.id);
            }
        }
    }
}

/// The customer picked a payment method: record it and post its instructions in the ticket.
pub async fn method_selected(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
) -> Result<(), Failure> {
    let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
        return Ok(());
    };
    let Some(method_id) = values.first() else {
        return Ok(());
    };
    let app = &data.app;
    let user = UserId(c.user.id.get());
    app.orders
        .choose_payment_method(user, order, method_id)
        .await?;
    let Some(method) = app.config.payment_method(method_id) else {
        return Ok(());
    };
    let text = format!(
        "**{}**\n{}\n\nWhen you have paid, upload a screenshot of the payment in this channel.",
        method.name, method.instructions
    );
    let msg = CreateInteractionResponseMessage::new().content(text);
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}

/// "Cancel order" in a ticket.
pub async fn cancel(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
) -> Result<(), Failure> {
    data.app
        .orders
        .cancel(UserId(c.user.id.get()), order)
        .await?;
    data.app.wake_outbox();
    ephemeral(ctx, c, &format!("Order #{order} is cancelled.")).await
}

/// A message with attachments in a guild channel: if it is the customer's ticket, the first
/// attachment is the receipt: size-checked (declared size) before the download, run through the
/// receipt pipeline, and submitted. The customer is answered in the ticket.
pub async fn receipt_uploaded(
    ctx: &serenity::Context,
    msg: &Message,
    data: &Data,
) -> Result<(), Failure> {
    let app = &data.app;
    let channel = ChannelId(msg.channel_id.get());
    let Some(order) = app
        .store
        .call(move |c| store::orders::find_by_ticket_channel(c, channel))
        .await?
    else {
        return Ok(());
    };
    let user = UserId(msg.author.id.get());
    if order.user_id != user {
        return Ok(()); // staff posting in the ticket
    }
    let (reply, refused) = match submit(data, order.id, user, &msg.attachments[0]).await {
        Ok(payment) => {
            tracing::info!(order = %order.id, %payment, "receipt accepted");
            app.wake_outbox();
            let text = "Thanks! Your receipt was received and is waiting for an admin's review. \
                        You will get your link by DM once it is approved.";
            (text.to_owned(), false)
        }
        Err(e) => {
            if e.user_message().is_none() {
                tracing::error!(order = %order.id, error = %e, "receipt upload failed");
            }
            let text = format!(
                "Your receipt was not accepted: {} (this notice disappears in {} minutes)",
                e.shown(),
                REFUSAL_TTL.as_secs() / 60
            );
            (text, true)
        }
    };
    let posted = msg.reply(ctx, reply).await?;
    if refused {
        let (c, m) = (
            ChannelId(posted.channel_id.get()),
            MessageId(posted.id.get()),
        );
        app.transient
            .expire_after(c, m, "receipt refusal", REFUSAL_TTL)
            .await?;
    }
    Ok(())
}

/// How long a receipt refusal stays in the ticket: long enough to read, then it is clutter (the
/// refusal is in the audit log, and the customer can simply upload again).
pub const REFUSAL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

async fn submit(
    data: &Data,
    order: OrderId,
    user: UserId,
    file: &serenity::Attachment,
) -> Result<PaymentId, Failure> {
    let app = &data.app;
    app.receipts.check_declared_size(u64::from(file.size))?;
    let bytes =
        data.downloads.get(&file.url).await.map_err(|e| {
            crate::Error::Command(format!("downloading the receipt attachment: {e}"))
        })?;
    let accepted = app
        .receipts
        .process(
            user,
            order,
            &file.filename,
            file.content_type.as_deref(),
            bytes,
        )
        .await?;
    let near = accepted.near_duplicate.map(|d| (d.payment, d.distance));
    match app
        .orders
        .submit_receipt(user, order, accepted.receipt.clone(), near)
        .await
    {
        Ok(p) => Ok(p),
        Err(e) => {
            if let Err(d) = app.receipts.discard(&accepted.receipt).await {
                tracing::warn!(error = %d, "could not discard an unused receipt file");
            }
            Err(e.into())
        }
    }
}

/// "Show my link" (DMs closed): only the customer of that payment gets the link, ephemerally.
pub async fn reveal_link(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let key = format!("deliver_link:payment:{payment}");
    let item = data
        .app
        .store
        .call(move |conn| store::outbox::find_by_key(conn, &key))
        .await?;
    let delivery = item.and_then(|i| Delivery::from_payload(&i.payload).ok());
    let Some(Delivery::DeliverLink {
        user_id,
        order_id,
        link,
        subscription_url,
        renewal,
        ..
    }) = delivery
    else {
        return Err(UserError::NotFound {
            what: format!("the link of payment #{payment}"),
        }
        .into());
    };
    if user_id.0 != c.user.id.get() {
        return Err(UserError::Forbidden {
            action: "see another customer's link".into(),
        }
        .into());
    }
    let mut msg = CreateInteractionResponseMessage::new()
        .content(render::link_text(
            order_id,
            &link,
            subscription_url.as_deref(),
            renewal,
        ))
        .ephemeral(true);
    if let Ok(png) = crate::panel::qr::qr_png(&link) {
        msg = msg.add_file(CreateAttachment::bytes(png, "vpn-qr.png"));
    }
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}
