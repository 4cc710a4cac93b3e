//! The customer's side of an order: the plan pick (opens the private ticket channel, or says the
//! server is at capacity), the payment method, cancel, the receipt upload and "show my link".
//! A refused receipt's notice is transient: registered with the core's TTL ([`REFUSAL_TTL`]) so
//! the `message_ttl` job deletes it.

use poise::serenity_prelude as serenity;
use serenity::Builder as _;
use serenity::{
    ChannelType, ComponentInteraction, ComponentInteractionDataKind, CreateAttachment,
    CreateChannel, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse, Http, Message,
    PermissionOverwrite, PermissionOverwriteType, Permissions, RoleId,
};

use super::deliver::InteractionTokens;
use super::interact::codes::GUILD_CHANNELS_FULL;
use super::interact::ephemeral;
use super::{Data, Downloads, Failure, lang, render};
use crate::app::App;
use crate::domain::{ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId};
use crate::i18n::{Lang, s, t};
use crate::service::growth::CodeOrder;
use crate::service::intake::{Attachment, Intake, TicketMessage};
use crate::store;

/// What the customer may do in their own ticket (SEND is taken away while a receipt is reviewed).
pub(super) fn customer_allow(locked: bool) -> Permissions {
    let base = Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY;
    if locked {
        base
    } else {
        base | Permissions::SEND_MESSAGES | Permissions::ATTACH_FILES
    }
}

/// How a plan select was opened: `/order` (`None`), `/order promo:<code>`, or `/gift`.
pub(super) enum PlanIntent {
    /// A plain order or renewal.
    Plain,
    /// With a promo code.
    Code(String),
    /// A gift for someone else.
    Gift,
}

/// A plan was picked in `/order`: open the order, create the ticket, post the method select. A
/// code that pays everything needs no ticket: the access is provisioned at once.
pub(super) async fn plan_selected(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    intent: PlanIntent,
) -> Result<(), Failure> {
    let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind else {
        return Ok(());
    };
    let Some(plan) = values.first() else {
        return Ok(());
    };
    let app = &data.app;
    let user = UserId(c.user.id.get());
    let order = match intent {
        PlanIntent::Plain => app.orders.open(user, plan).await?,
        PlanIntent::Gift => app.orders.open_gift(user, plan).await?,
        PlanIntent::Code(code) => match app.growth.order_with_code(user, plan, &code).await? {
            CodeOrder::Ticket(order) => order,
            CodeOrder::Granted(order, outcome) => {
                let lang = lang::of_interaction(app, c.user.id, &c.locale).await;
                let text =
                    render::provisioned_text(lang, render::Free::Code(order), outcome.as_ref());
                return ephemeral(ctx, c, &text).await;
            }
        },
    };
    c.defer_ephemeral(ctx).await?;
    let lang = lang::of_interaction(app, c.user.id, &c.locale).await;
    let text = match open_ticket(ctx, data, (c.user.id, lang), &order).await {
        Ok(channel) => t(
            lang,
            "ticket-opened",
            &[s("channel", format!("<#{channel}>"))],
        ),
        Err(e) => ticket_failed(ctx, data, (user, lang), order.id, &e).await,
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
    (user, lang): (UserId, Lang),
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
        t(lang, "ticket-capacity", &[])
    } else {
        e.shown(lang)
    }
}

/// Tells staff in the admin channel that tickets cannot be opened until channels are freed.
async fn warn_staff_guild_full(ctx: &serenity::Context, data: &Data) {
    let admin = data.app.config.discord.admin_channel_id;
    if admin == 0 {
        return;
    }
    let text = t(data.app.config.staff_language(), "staff-guild-full", &[]);
    let posted = serenity::ChannelId::new(admin)
        .send_message(ctx, CreateMessage::new().content(text))
        .await;
    if let Err(e) = posted {
        tracing::error!(error = %e, "could not warn staff that the server is full");
    }
}

/// Creates the private ticket channel of `order`, records it and posts the method select.
async fn open_ticket(
    ctx: &serenity::Context,
    data: &Data,
    (customer, lang): (serenity::UserId, Lang),
    order: &store::orders::Order,
) -> Result<serenity::ChannelId, Failure> {
    let cfg = &data.app.config;
    let guild = serenity::GuildId::new(cfg.discord.guild_id);
    let overwrites = ticket_overwrites(&cfg.roles, guild, customer, ctx.cache.current_user().id);
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
        .content(t(
            lang,
            "ticket-welcome",
            &[s("mention", format!("<@{customer}>"))],
        ))
        .embed(render::ticket_embed(lang, order))
        .components(render::ticket_components(
            lang,
            order.id,
            &cfg.payment_methods,
        ));
    channel.id.send_message(ctx, welcome).await?;
    Ok(channel.id)
}

/// Who may see a new ticket: not @everyone; the customer (may post until a receipt is under
/// review); the bot; owners, admins and support by role.
fn ticket_overwrites(
    roles: &crate::config::RolesConfig,
    guild: serenity::GuildId,
    customer: serenity::UserId,
    bot: serenity::UserId,
) -> Vec<PermissionOverwrite> {
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
            kind: PermissionOverwriteType::Member(bot),
        },
    ];
    for role in roles
        .owner_role_ids
        .iter()
        .chain(&roles.admin_role_ids)
        .chain(&roles.support_role_ids)
    {
        overwrites.push(PermissionOverwrite {
            allow: staff,
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Role(RoleId::new(*role)),
        });
    }
    overwrites
}

/// Held while a ticket channel's category is chosen and the channel created.
static TICKET_CHANNEL_CREATION: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Discord's limit of channels in one category.
const CATEGORY_LIMIT: usize = 50;

/// Below this many children in the cache, the configured category is used without asking
/// Discord: the cache learns of a new channel from the gateway a moment after it is created, so
/// near the limit the REST list is the exact count.
const CACHE_TRUSTED_BELOW: usize = CATEGORY_LIMIT - 10;

/// The category for a new ticket: the configured one while it has room, else the first overflow
/// category (`<name> 2`, `<name> 3`...) with room, created when all are full. Found by name in
/// the guild's channel list, so nothing needs storing and a restart changes nothing. The cached
/// guild answers while one of these categories is clearly not full; the REST list otherwise.
async fn ticket_category(
    ctx: &serenity::Context,
    guild: serenity::GuildId,
    base: serenity::ChannelId,
) -> Result<serenity::ChannelId, Failure> {
    // The common case costs no REST call: the cache (kept by the gateway) shows room.
    if let Some(category) = cached_room(ctx, guild, base) {
        return Ok(category);
    }
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

/// The configured category, or else an existing overflow category, that the cached guild shows
/// clearly below the limit; `None` when there is no such category or no cached guild.
fn cached_room(
    ctx: &serenity::Context,
    guild: serenity::GuildId,
    base: serenity::ChannelId,
) -> Option<serenity::ChannelId> {
    let g = ctx.cache.guild(guild)?;
    let children = |cat: serenity::ChannelId| {
        g.channels
            .values()
            .filter(|c| c.parent_id == Some(cat))
            .count()
    };
    if children(base) < CACHE_TRUSTED_BELOW {
        return Some(base);
    }
    let base_name = g.channels.get(&base)?.name.clone();
    let mut overflow: Vec<(u32, serenity::ChannelId)> = g
        .channels
        .values()
        .filter(|c| c.kind == ChannelType::Category)
        .filter_map(|c| {
            let n = c.name.strip_prefix(&base_name)?.strip_prefix(' ')?;
            Some((n.parse().ok()?, c.id))
        })
        .collect();
    overflow.sort_unstable();
    overflow
        .into_iter()
        .map(|(_, id)| id)
        .find(|&id| children(id) < CACHE_TRUSTED_BELOW)
}

/// The customer picked a payment method: record it and post its instructions in the ticket.
pub(super) async fn method_selected(
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
    if method.kind == crate::config::PaymentKind::Cryptobot {
        return super::crypto::post_invoice(ctx, c, data, order, method).await;
    }
    let lang = lang::of_interaction(app, c.user.id, &c.locale).await;
    let footer = t(lang, "method-footer", &[]);
    let text = format!("**{}**\n{}\n\n{footer}", method.name, method.instructions);
    let msg = CreateInteractionResponseMessage::new().content(text);
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    // The receipt that follows is acknowledged through this click's webhook.
    data.ticket_tokens.insert(c.channel_id.get(), &c.token);
    Ok(())
}

/// "Cancel order" in a ticket.
pub(super) async fn cancel(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    order: OrderId,
) -> Result<(), Failure> {
    data.app
        .orders
        .cancel(UserId(c.user.id.get()), order)
        .await?;
    let lang = lang::of_interaction(&data.app, c.user.id, &c.locale).await;
    let text = t(lang, "order-cancelled", &[s("order", order.to_string())]);
    ephemeral(ctx, c, &text).await
}

/// A message with attachments in a guild channel (live, or found by catch-up after downtime):
/// handed to the core's receipt intake; the customer is answered in the ticket (a refusal is
/// transient, [`REFUSAL_TTL`]). An accepted receipt is acknowledged through the ticket's fresh
/// interaction token in `tokens` when there is one (a follow-up: no global rate limit), else by
/// a reply.
pub(super) async fn receipt_message(
    http: &Http,
    app: &App,
    downloads: &Downloads,
    tokens: Option<&InteractionTokens>,
    msg: &Message,
) -> Result<(), Failure> {
    let ticket_message = TicketMessage {
        channel: ChannelId(msg.channel_id.get()),
        message: msg.id.get(),
        author: UserId(msg.author.id.get()),
        attachments: msg
            .attachments
            .iter()
            .map(|a| Attachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: u64::from(a.size),
                url: a.url.clone(),
            })
            .collect(),
    };
    let outcome = app.intake.handle(&ticket_message, downloads).await?;
    if matches!(outcome, Intake::Ignored) {
        return Ok(());
    }
    let lang = lang::of_user(app, ticket_message.author).await;
    let (reply, refused) = match outcome {
        Intake::Ignored => return Ok(()),
        Intake::Accepted { order, payment } => {
            tracing::debug!(%order, %payment, "receipt accepted; payment under review");
            (t(lang, "receipt-accepted", &[]), false)
        }
        Intake::Refused { order, error } => {
            let what = format!("the receipt of order #{order}");
            let shown = Failure::from(error).report(&what, lang);
            (render::receipt_refused(lang, &shown, REFUSAL_TTL), true)
        }
    };
    if !refused {
        let channel = msg.channel_id.get();
        // One acknowledgement per choice of method.
        if let Some(token) = tokens.and_then(|t| t.take(channel)) {
            let followup = CreateInteractionResponseFollowup::new().content(reply.clone());
            match followup.execute(http, (None, &token)).await {
                Ok(_) => return Ok(()),
                Err(e) => tracing::debug!(error = %e, "acknowledgement by token refused; replying"),
            }
        }
    }
    let posted = msg.reply(http, reply).await?;
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
pub(super) const REFUSAL_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// "Show my link" (DMs closed): only the customer of that payment gets the link, ephemerally.
pub(super) async fn reveal_link(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    data: &Data,
    payment: PaymentId,
) -> Result<(), Failure> {
    let access = data
        .app
        .subscriptions
        .payment_link(UserId(c.user.id.get()), payment)
        .await?;
    let lang = lang::of_interaction(&data.app, c.user.id, &c.locale).await;
    let mut msg = CreateInteractionResponseMessage::new()
        .content(render::link_text(
            lang,
            access.order,
            &access.link,
            access.subscription_url.as_deref(),
            render::link_head(access.renewal, false),
        ))
        .ephemeral(true);
    if let Ok(png) = crate::panel::qr::qr_png(&access.link) {
        msg = msg.add_file(CreateAttachment::bytes(png, "vpn-qr.png"));
    }
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}
