//! The revenue dashboard: one message in the admin channel, edited in place with the totals of
//! today, this month, this quarter and this year (shop time zone, per currency). Its message id
//! is kept in `bot_config` (`dashboard_message_id`) so a restart edits the same message; if it
//! was deleted by hand, a new one is posted. A [`Job`] every 5 minutes, woken after approvals,
//! at most one edit per [`MIN_GAP`].
//!
//! The message carries the revenue chart of the last [`CHART_DAYS`] days as one attachment
//! (`revenue.png`, shown as the embed's image); each edit replaces it (an edit that uploads a
//! file and lists no existing attachment drops the old ones). When the chart cannot be drawn the
//! totals are still updated, without an image.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use poise::serenity_prelude as serenity;
use serenity::{CreateAttachment, CreateMessage, EditMessage, Http};
use tokio::sync::Notify;

use super::render;
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::{s, t};
use crate::service::revenue::RevenueChart;
use crate::store::bot_config::{self, DASHBOARD_MESSAGE};
use crate::tasks::Job;

/// Days shown on the chart (today included).
pub(super) const CHART_DAYS: u16 = 30;
/// The least time between two edits; the sales of a burst share one (see [`Job::min_gap`]).
const MIN_GAP: Duration = Duration::from_secs(3);
/// The chart's file name on the message.
const CHART_FILE: &str = "revenue.png";

/// Keeps the dashboard message up to date.
pub(super) struct DashboardJob {
    http: Arc<Http>,
    app: Arc<App>,
}

impl DashboardJob {
    /// The job for `app`'s admin channel.
    #[must_use]
    pub(super) fn new(http: Arc<Http>, app: Arc<App>) -> Self {
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

impl DashboardJob {
    /// The chart, or `None` (logged) when it cannot be drawn: the totals matter more.
    async fn chart(&self, now: i64) -> Option<RevenueChart> {
        let fallback = self
            .app
            .config
            .plans
            .first()
            .map_or("USD", |p| p.currency.as_str());
        match self.app.revenue.chart(now, CHART_DAYS, fallback).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "dashboard without its chart");
                None
            }
        }
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

    /// Sales in a burst share one edit: each edit is a rate-limited call and a chart upload.
    fn min_gap(&self) -> Duration {
        MIN_GAP
    }

    async fn run_once(&self) -> Result<()> {
        let channel = self.app.config.discord.admin_channel_id;
        if channel == 0 {
            return Ok(());
        }
        let channel = serenity::ChannelId::new(channel);
        let now = self.app.clock.now_ms();
        let totals = self.app.revenue.totals(now).await?;
        let chart = self.chart(now).await;
        let staff = self.app.config.staff_language();
        let mut embed = render::revenue_embed(staff, &totals, &self.app.config.shop.name);
        if let Some(c) = &chart {
            let args = [
                s("currency", c.currency.clone()),
                s("from", c.first_day.clone()),
                s("to", c.last_day.clone()),
            ];
            let footer = serenity::CreateEmbedFooter::new(t(staff, "staff-revenue-chart", &args));
            embed = embed
                .image(format!("attachment://{CHART_FILE}"))
                .footer(footer);
        }
        let file = chart.map(|c| CreateAttachment::bytes(c.png, CHART_FILE));
        let discord = |e: serenity::Error| Error::Discord(format!("dashboard: {e}"));
        if let Some(message) = self.stored_message().await? {
            let mut edit = EditMessage::new().embed(embed.clone());
            // A new file and no kept ids: the previous chart is replaced, not added to.
            edit = match file.clone() {
                Some(f) => edit.new_attachment(f),
                None => edit.remove_all_attachments(),
            };
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
        let mut create = CreateMessage::new().embed(embed);
        if let Some(f) = file {
            create = create.add_file(f);
        }
        let posted = channel
            .send_message(&*self.http, create)
            .await
            .map_err(discord)?;
        let id = posted.id.get().to_string();
        self.app
            .store
            .call(move |c| bot_config::set(c, DASHBOARD_MESSAGE, &id, now))
            .await
    }
}
