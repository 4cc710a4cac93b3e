//! Catch-up after downtime: on every new gateway session (`Ready`: at start, and after a resume
//! that failed) the bot reads what it missed, in a task of its own so interactions are answered
//! meanwhile. For every open ticket, oldest order first:
//! - the customer is still a member (`GET /guilds/{guild}/members/{user}`); one who left is
//!   handled as a live leave would be (`OrderService::member_left`: an unpaid order is closed, a
//!   payment under review stays for the admins);
//! - the messages posted after the last one the bot handled (`GET /channels/{id}/messages` with
//!   `after`, 100 a page) are handled in order exactly as live ones (receipt intake, which skips
//!   anything handled before); a ticket whose channel is gone is handled as a deletion.
//!
//! One catch-up runs at a time; a `Ready` during one waits for it and then runs again.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use serenity::{GetMessages, Http, Message};
use tokio::sync::Mutex;

use super::interact::code;
use super::interact::codes::{UNKNOWN_CHANNEL, UNKNOWN_MEMBER};
use super::{Data, Downloads, tickets};
use crate::app::App;
use crate::domain::UserId;
use crate::store::orders::Order;

/// Messages per page (Discord's maximum).
const PAGE: u8 = 100;

/// What one catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Open tickets read.
    pub tickets: usize,
    /// Messages read (all authors).
    pub messages: usize,
    /// Tickets found deleted.
    pub deleted: usize,
    /// Customers found gone from the guild.
    pub left: usize,
}

/// Starts a catch-up in the background (see the module docs).
pub(super) fn spawn(http: Arc<Http>, data: &Data) {
    let (app, downloads, guard) = (
        data.app.clone(),
        data.downloads.clone(),
        data.catch_up.clone(),
    );
    tokio::spawn(async move {
        let _one_at_a_time = guard.lock().await;
        match run(&http, &app, &downloads).await {
            Ok(done) => tracing::info!(?done, "caught up"),
            Err(e) => tracing::error!(error = %e, "catch-up failed; the sweep repairs views later"),
        }
    });
}

/// Held while a catch-up runs.
pub(super) type Guard = Arc<Mutex<()>>;

/// One catch-up over every open ticket.
///
/// # Errors
/// Store errors listing the open tickets; a failure on one ticket is logged and the next one
/// is read.
pub async fn run(http: &Http, app: &App, downloads: &Downloads) -> crate::Result<CatchUp> {
    let mut done = CatchUp::default();
    let guild = serenity::GuildId::from(app.config.guild_id()?);
    for order in app.orders.open_tickets().await? {
        done.tickets += 1;
        if let Err(e) = ticket(http, app, downloads, guild, &order, &mut done).await {
            tracing::warn!(order = %order.id, error = %e, "catch-up: ticket not read");
        }
    }
    Ok(done)
}

async fn ticket(
    http: &Http,
    app: &App,
    downloads: &Downloads,
    guild: serenity::GuildId,
    order: &Order,
    done: &mut CatchUp,
) -> Result<(), super::Failure> {
    let Some(channel) = order.ticket_channel_id else {
        return Ok(());
    };
    let customer = serenity::UserId::new(order.user_id.0);
    match guild.member(http, customer).await {
        Err(e) if code(&e) == Some(UNKNOWN_MEMBER) => {
            done.left += 1;
            app.orders.member_left(UserId(customer.get())).await?;
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    let ch = serenity::ChannelId::new(channel.0);
    let mut after = serenity::MessageId::new(order.last_message_id.unwrap_or(0).max(1));
    loop {
        let page = match ch
            .messages(http, GetMessages::new().after(after).limit(PAGE))
            .await
        {
            Ok(page) => page,
            Err(e) if code(&e) == Some(UNKNOWN_CHANNEL) => {
                done.deleted += 1;
                app.orders.ticket_channel_deleted(channel).await?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let full = page.len() >= usize::from(PAGE);
        let Some(newest) = handle_page(http, app, downloads, page, done).await? else {
            return Ok(());
        };
        app.intake.seen_up_to(order.id, newest.get()).await?;
        if !full {
            return Ok(());
        }
        after = newest;
    }
}

/// Handles a page oldest first, as live messages; returns its newest message id.
///
/// # Errors
/// The first message that could not be handled (nothing after it is marked seen, so the next
/// catch-up reads it again).
async fn handle_page(
    http: &Http,
    app: &App,
    downloads: &Downloads,
    mut page: Vec<Message>,
    done: &mut CatchUp,
) -> Result<Option<serenity::MessageId>, super::Failure> {
    page.sort_by_key(|m| m.id);
    done.messages += page.len();
    if let Some(first) = page.first() {
        super::transcript::seen(app, first.channel_id, &page).await;
    }
    for msg in &page {
        if !msg.author.bot && !msg.attachments.is_empty() {
            tickets::receipt_message(http, app, downloads, None, msg).await?;
        }
    }
    Ok(page.last().map(|m| m.id))
}
