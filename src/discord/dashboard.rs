//! The revenue dashboard: one message in the admin channel, edited in place with the totals of
//! today, this month, this quarter and this year (shop time zone, per currency). Its message id
//! is kept in `bot_config` (`dashboard_message_id`) so a restart edits the same message; if it
//! was deleted by hand, a new one is posted. A [`Job`] every 5 minutes, woken after approvals.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{CreateMessage, EditMessage, Http};
use tokio::sync::Notify;

use super::render;
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::bot_config::{self, DASHBOARD_MESSAGE};
use crate::tasks::Job;

/// Keeps the dashboard message up to date.
pub struct DashboardJob {
    http: Arc<Http>,
    app: Arc<App>,
}

impl DashboardJob {
    /// The job for `app`'s admin channel.
    #[must_use]
    pub fn new(http: Arc<Http>, app: Arc<App>) -> Self {
        Self { http, app }
    }

    async fn stored_message(&self) -> Result<Option<serenity::MessageId>> {
        let value = self
            .app
            .store
            .call(|c| bot_config::get(c, DASHBOARD_MESSAGE))
            .await?;
        Ok(value
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|&id| id != 0)
            .map(serenity::MessageId::new))
    }
}

#[async_trait]
impl Job for DashboardJob {
    fn name(&self) -> &'static str {
        "dashboard"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(300)
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        Some(self.app.dashboard_waker())
    }

    async fn run_once(&self) -> Result<()> {
        let channel = self.app.config.discord.admin_channel_id;
        if channel == 0 {
            return Ok(());
        }
        let channel = serenity::ChannelId::new(channel);
        let now = self.app.clock.now_ms();
        let totals = self.app.revenue.totals(now).await?;
        let embed = render::revenue_embed(&totals, &self.app.config.shop.name);
        let discord = |e: serenity::Error| Error::Command(format!("dashboard: {e}"));
        if let Some(message) = self.stored_message().await? {
            let edit = EditMessage::new().embed(embed.clone());
            match channel.edit_message(&*self.http, message, edit).await {
                Ok(_) => return Ok(()),
                Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)))
                    if r.error.code == 10008 =>
                {
                    tracing::info!("dashboard message was deleted; posting a new one");
                }
                Err(e) => return Err(discord(e)),
            }
        }
        let posted = channel
            .send_message(&*self.http, CreateMessage::new().embed(embed))
            .await
            .map_err(discord)?;
        let id = posted.id.get().to_string();
        self.app
            .store
            .call(move |c| bot_config::set(c, DASHBOARD_MESSAGE, &id, now))
            .await
    }
}
