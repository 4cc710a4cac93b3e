//! Ticket transcripts on the Discord side: every message seen in a guild channel is handed to
//! the core (which keeps those of tickets), a ticket channel is read back in full just before
//! the bot deletes it, a channel deleted by hand is archived from what was seen, and
//! `/admin transcript` answers with a text file.

use poise::serenity_prelude as serenity;
use serenity::{CreateAttachment, GetMessages, Http, Message};

use super::interact::actor_of_command;
use super::{Ctx, Failure};
use crate::app::App;
use crate::domain::{ChannelId, MessageId, OrderId, UserId};
use crate::i18n::{n, s, t as tr};
use crate::store::transcripts::{Source, TicketLine};

/// Messages per history page (Discord's maximum).
const PAGE: u8 = 100;

/// Discord's epoch (2015-01-01T00:00:00Z) in Unix ms.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// When `msg` was posted, Unix ms: its `timestamp` (RFC 3339), else the time in its snowflake
/// id (the top 42 bits).
fn posted_ms(msg: &Message) -> i64 {
    msg.timestamp
        .to_string()
        .parse::<jiff::Timestamp>()
        .map_or_else(
            |_| i64::try_from((msg.id.get() >> 22) + DISCORD_EPOCH_MS).unwrap_or(i64::MAX),
            jiff::Timestamp::as_millisecond,
        )
}

/// The core's view of a Discord message.
pub(super) fn line_of(msg: &Message) -> TicketLine {
    TicketLine {
        message_id: MessageId(msg.id.get()),
        author_id: UserId(msg.author.id.get()),
        author_name: msg.author.name.clone(),
        author_bot: msg.author.bot,
        content: msg.content.clone(),
        attachments: msg.attachments.iter().map(|a| a.filename.clone()).collect(),
        created_at: posted_ms(msg),
    }
}

/// Records `messages` of `channel` when it is a ticket (a failure is logged: a transcript line
/// is never worth failing the message's own handling).
pub(super) async fn seen(app: &App, channel: serenity::ChannelId, messages: &[Message]) {
    let lines = messages.iter().map(line_of).collect();
    if let Err(e) = app.transcripts.seen(ChannelId(channel.get()), lines).await {
        tracing::warn!(%channel, error = %e, "could not record ticket messages");
    }
}

/// Reads the whole history of a ticket channel about to be deleted (newest first, 100 a page)
/// into its transcript, then marks it archived.
///
/// # Errors
/// A failed read (the deletion waits and retries) or database errors.
pub(super) async fn read_back(http: &Http, app: &App, channel: ChannelId) -> Result<(), Failure> {
    let id = serenity::ChannelId::new(channel.0);
    let mut before: Option<serenity::MessageId> = None;
    loop {
        let mut page = GetMessages::new().limit(PAGE);
        if let Some(b) = before {
            page = page.before(b);
        }
        let messages = id.messages(http, page).await?;
        let lines: Vec<TicketLine> = messages.iter().map(line_of).collect();
        before = messages.iter().map(|m| m.id).min();
        let full = messages.len() == usize::from(PAGE);
        app.transcripts.seen(channel, lines).await?;
        if !full {
            break;
        }
    }
    app.transcripts.archive(channel, Source::History).await?;
    Ok(())
}

/// Admins: a ticket's messages (text, authors, times, file names) as a text file.
#[poise::command(slash_command, guild_only)]
pub(crate) async fn transcript(
    ctx: Ctx<'_>,
    #[description = "The order number"] order: u32,
) -> Result<(), Failure> {
    let who = actor_of_command(ctx).await;
    ctx.defer_ephemeral().await?;
    let order = OrderId(i64::from(order));
    let t = ctx.data().app.transcripts.get(&who, order).await?;
    let staff = ctx.data().app.config.staff_language();
    let text = super::render::transcript_text(staff, &t);
    let file = CreateAttachment::bytes(text.into_bytes(), format!("transcript-order-{order}.txt"));
    let count = i64::try_from(t.lines.len()).unwrap_or(i64::MAX);
    let args = [s("order", order.to_string()), n("count", count)];
    let summary = tr(staff, "staff-transcript-summary", &args);
    let reply = poise::CreateReply::default()
        .content(summary)
        .attachment(file)
        .ephemeral(true);
    ctx.send(reply).await?;
    Ok(())
}
