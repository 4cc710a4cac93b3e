//! The Discord layer: the only module that may import serenity and poise. Handlers stay short:
//! parse (typed custom_ids, options) → call a service → render.
//!
//! [`start`] is the one way to bring the bot up, used by `run` and by the tests against the
//! Discord emulator: it builds the poise framework (commands registered in the shop's guild),
//! starts the background jobs once (never on `Ready`, which fires on every reconnect), then
//! connects. Component clicks, modal submits, receipt uploads and channel deletions are handled
//! in the global event handler (`events`), so buttons keep working after a restart.
//!
//! Files: `commands/` (one per group: `/order` + `/renew`, `/help`, `/status`, `/admin
//! extend|revoke|user|orders` and `/admin health|revenue|backup`), `events` (the
//! router), `tickets` (customer side), `review` (admin side), `deliver` (outbox deliveries,
//! views rendered from the database, Discord errors by class, channel and message deletion, the
//! sweep's look at tickets and cards), `catch_up` (what was missed while the bot was away),
//! `dashboard` (revenue message), `owner_alerts` (panel health DMs), `render` (what things look
//! like), `run` (`serve`: the process around `start`).

mod catch_up;
pub mod commands;
mod crypto;
pub mod custom_id;
mod dashboard;
mod deliver;
mod events;
mod interact;
pub mod lang;
mod members;
mod owner_alerts;
mod ratelimits;
mod render;
mod review;
mod run;
mod tickets;
mod transcript;
mod upkeep;

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::{App, DiscordPorts};
use crate::tasks::Jobs;

pub use catch_up::{CatchUp, run as catch_up};
pub use deliver::DiscordDeliverer;
pub use interact::{Failure, generic};
pub use run::serve;

/// serenity instruments its gateway, shard runner, dispatch and HTTP client with INFO spans whose
/// fields Debug-format their arguments: every gateway event and every request body (uploaded
/// images included). Formatting them was 8 % of the bot's CPU per order in the process benchmark
/// and is never useful in a log. Unless `filter` (an `EnvFilter` directive list) says otherwise
/// about serenity, serenity logs warnings and errors only.
#[must_use]
pub fn quiet_serenity_spans(filter: &str) -> String {
    if filter.contains("serenity") {
        filter.to_owned()
    } else {
        format!("{filter},serenity=warn")
    }
}

/// The poise user data: the application and the HTTP client for attachments.
pub struct Data {
    /// Every service.
    pub app: Arc<App>,
    /// Downloads receipt attachments.
    pub downloads: Downloads,
    /// Held while a catch-up runs (one at a time).
    pub catch_up: catch_up::Guard,
    /// Fresh Approve clicks' tokens, through which review cards are edited.
    pub card_tokens: deliver::InteractionTokens,
    /// Fresh payment-method choices' tokens by ticket channel, through which receipts are
    /// acknowledged.
    pub ticket_tokens: deliver::InteractionTokens,
}

/// The HTTP clients that fetch attachments (receipts) from the URL Discord gives: through the
/// environment's proxy settings, except for loopback hosts (see [`crate::net::is_loopback`]).
/// Cheap to clone.
#[derive(Clone)]
pub struct Downloads {
    proxied: reqwest::Client,
    direct: reqwest::Client,
}

impl Downloads {
    /// How long one download may take.
    const TIMEOUT: Duration = Duration::from_secs(60);

    /// Builds both clients.
    ///
    /// # Errors
    /// When reqwest cannot build a client (no TLS backend).
    pub fn new() -> Result<Self, reqwest::Error> {
        let build = |direct: bool| {
            let b = reqwest::Client::builder().timeout(Self::TIMEOUT);
            if direct { b.no_proxy() } else { b }.build()
        };
        Ok(Self {
            proxied: build(false)?,
            direct: build(true)?,
        })
    }

    /// The bytes at `url` (an attachment's URL).
    ///
    /// # Errors
    /// A bad URL, a failed request or a non-success status.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, reqwest::Error> {
        let parsed = reqwest::Url::parse(url);
        let client = match &parsed {
            Ok(u) if crate::net::is_loopback(u) => &self.direct,
            _ => &self.proxied,
        };
        let bytes = client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        Ok(bytes.to_vec())
    }
}

#[async_trait::async_trait]
impl crate::service::intake::AttachmentSource for Downloads {
    async fn fetch(
        &self,
        attachment: &crate::service::intake::Attachment,
    ) -> Result<Vec<u8>, String> {
        self.get(&attachment.url).await.map_err(|e| e.to_string())
    }
}

/// The poise context of this bot.
pub type Ctx<'a> = poise::Context<'a, Data, Failure>;

/// A running bot: the client task and the jobs.
pub struct Running {
    /// The REST client the bot uses.
    pub http: Arc<serenity::Http>,
    shards: Arc<serenity::ShardManager>,
    client: Option<JoinHandle<Result<(), serenity::Error>>>,
    jobs: Jobs,
    /// Owner alerts and the resume of approvals on panel recovery.
    watchers: (CancellationToken, Vec<JoinHandle<()>>),
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").finish_non_exhaustive()
    }
}

impl Running {
    /// Resolves when the Discord client stopped on its own (invalid token, intents not enabled,
    /// fatal gateway error...) with the reason, for the operator; pending forever after it
    /// was awaited once.
    pub async fn client_stopped(&mut self) -> String {
        match self.client.as_mut() {
            Some(task) => {
                let reason = match task.await {
                    Ok(Ok(())) => "the connection closed".to_owned(),
                    Ok(Err(e)) => why_stopped(&e),
                    Err(e) => format!("the client task failed: {e}"),
                };
                self.client = None;
                reason
            }
            None => std::future::pending().await,
        }
    }

    /// Graceful stop: jobs first (each may finish its pass, up to `timeout` in total), then the
    /// shards. Returns the names of the jobs that had to be aborted.
    pub async fn stop(self, timeout: Duration) -> Vec<&'static str> {
        let aborted = self.jobs.shutdown(timeout).await;
        self.watchers.0.cancel();
        for task in self.watchers.1 {
            let _ = task.await;
        }
        self.shards.shutdown_all().await;
        if let Some(task) = self.client
            && tokio::time::timeout(timeout, task).await.is_err()
        {
            tracing::warn!("the Discord client did not stop in time");
        }
        aborted
    }
}

/// Builds the framework and the client on `http`, starts the jobs, the owner alerts and the
/// resume of waiting approvals on panel recovery once (subscribed before the health monitor's
/// first check: spawn the monitor after this), then connects (in a task). Commands are
/// registered in `discord.guild_id` when the bot is ready.
///
/// # Errors
/// A missing required key ([`Config::require_for_run`](crate::config::Config::require_for_run)),
/// or when the client cannot be built.
pub async fn start(
    app: Arc<App>,
    http: serenity::Http,
    shutdown: &CancellationToken,
) -> Result<Running, Failure> {
    app.config.require_for_run().map_err(crate::Error::from)?;
    let guild = serenity::GuildId::from(app.config.guild_id().map_err(crate::Error::from)?);
    let card_tokens = deliver::InteractionTokens::default();
    let framework = framework(app.clone(), guild, card_tokens.clone());
    // Only the events handled (`events::handle`) and the cache's guild and channels: the
    // guild's channels (GUILDS), ticket messages and their content (GUILD_MESSAGES,
    // MESSAGE_CONTENT) and customers leaving (GUILD_MEMBERS). Not DMs, typing, reactions, voice
    // states or invites: in a busy guild those are most of the traffic, each one parsed for
    // nothing.
    let intents = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT
        | serenity::GatewayIntents::GUILD_MEMBERS;
    // The bot reads only its own user and the guild's channels from the cache; a map of every
    // user ever seen would grow with the customer base.
    let mut cache = serenity::cache::Settings::default();
    cache.cache_users = false;
    cache.max_messages = 0;
    // serenity's limiter reports holds to event handlers only; without the limiter (behind a
    // rate-limiting proxy) there is nothing to count, and an event handler would cost a copy of
    // every gateway event and a task for it.
    let limited = http.ratelimiter.is_some();
    let mut builder = serenity::ClientBuilder::new_with_http(http, intents)
        .cache_settings(cache)
        .framework(framework);
    if limited {
        builder = builder.event_handler(RateLimitCounter(app.metrics.clone()));
    }
    let mut client = builder.await?;
    let http = client.http.clone();
    let jobs = start_jobs(&app, &http, card_tokens, shutdown);
    // Subscribed before the health monitor's first check (the caller spawns it after `start`).
    let watchers = spawn_watchers(&app, &http, guild, shutdown);
    let shards = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        let result = client.start().await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "the Discord client stopped");
        }
        result
    });
    Ok(Running {
        http,
        shards,
        client: Some(task),
        jobs,
        watchers,
    })
}

/// The poise framework: the commands, the one error handler, the event handler, and the setup
/// on the first `Ready` (commands registered in `guild`, the user data built).
fn framework(
    app: Arc<App>,
    guild: serenity::GuildId,
    card_tokens: deliver::InteractionTokens,
) -> poise::Framework<Data, Failure> {
    let data_app = app;
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |error| Box::pin(on_error(error)),
            pre_command: |ctx| {
                Box::pin(async move {
                    tracing::info!(
                        user = %ctx.author().id,
                        guild = ?ctx.guild_id().map(serenity::GuildId::get),
                        command = %ctx.command().qualified_name,
                        "command"
                    );
                })
            },
            event_handler: |fw, event| {
                Box::pin(events::handle(fw.serenity_context, event, fw.user_data))
            },
            // No command has a cooldown; poise would otherwise record every invocation per
            // user, channel and member for good.
            manual_cooldowns: true,
            ..Default::default()
        })
        .setup(move |ctx, _ready, fw| {
            Box::pin(async move {
                poise::builtins::register_in_guild(ctx, &fw.options().commands, guild).await?;
                tracing::info!(guild = %guild, "commands registered");
                let downloads = Downloads::new()
                    .map_err(|e| crate::Error::Http(format!("HTTP client: {e}")))?;
                Ok(Data {
                    app: data_app,
                    downloads,
                    catch_up: catch_up::Guard::default(),
                    card_tokens,
                    ticket_tokens: deliver::InteractionTokens::default(),
                })
            })
        })
        .build()
}

/// Starts the core's jobs (with this bot as their Discord ports) and the dashboard, once.
fn start_jobs(
    app: &Arc<App>,
    http: &Arc<serenity::Http>,
    card_tokens: deliver::InteractionTokens,
    shutdown: &CancellationToken,
) -> Jobs {
    let deliverer =
        Arc::new(DiscordDeliverer::new(http.clone(), app.clone()).with_card_tokens(card_tokens));
    let mut jobs = app.jobs(DiscordPorts {
        deliverer: deliverer.clone(),
        channel_deleter: deliverer.clone(),
        message_deleter: deliverer.clone(),
        inspector: deliverer,
    });
    jobs.push(Arc::new(dashboard::DashboardJob::new(
        http.clone(),
        app.clone(),
    )));
    if let Some(prune) = ratelimits::PruneBuckets::for_http(http) {
        jobs.push(Arc::new(prune));
    }
    Jobs::start(jobs, shutdown)
}

/// The owner alerts and the resume of waiting approvals on panel recovery, subscribed to the
/// breaker now; stopped by the returned token (a child of `shutdown`).
fn spawn_watchers(
    app: &App,
    http: &Arc<serenity::Http>,
    guild: serenity::GuildId,
    shutdown: &CancellationToken,
) -> (CancellationToken, Vec<JoinHandle<()>>) {
    let watch_stop = shutdown.child_token();
    let alerts = owner_alerts::spawn(
        http.clone(),
        app.config.roles.clone(),
        guild,
        (app.breaker.subscribe(), app.config.staff_language()),
        watch_stop.clone(),
    );
    let approval = app.approval.clone();
    let (events, stop) = (app.breaker.subscribe(), watch_stop.clone());
    let resume = tokio::spawn(async move { approval.resume_on_recovery(events, stop).await });
    (watch_stop, vec![alerts, resume])
}

/// Counts serenity's rate-limit holds (`vtb_discord_rate_limits_total`). serenity hands its
/// limiter's callback to event handlers only (not to the framework), hence this one; registered
/// only when serenity's limiter is on (not behind `discord.rest_proxy_url`).
struct RateLimitCounter(crate::metrics::Metrics);

#[async_trait::async_trait]
impl serenity::EventHandler for RateLimitCounter {
    async fn ratelimit(&self, info: serenity::RatelimitInfo) {
        self.0.discord_rate_limited();
        tracing::debug!(path = %info.path, global = info.global, "Discord rate limit");
    }
}

/// What an operator should read when the client stopped with `e`: the two set-up mistakes
/// Discord reports (a wrong token, privileged intents not enabled) in plain words, else the
/// error itself.
fn why_stopped(e: &serenity::Error) -> String {
    use serenity::GatewayError;
    match e {
        e if is_unauthorized(e) => BAD_TOKEN.to_owned(),
        serenity::Error::Gateway(
            GatewayError::DisallowedGatewayIntents | GatewayError::InvalidGatewayIntents,
        ) => "Discord refused the gateway intents: enable the Server Members and Message \
              Content intents for the bot in the Developer Portal (Bot → Privileged Gateway \
              Intents)"
            .to_owned(),
        other => other.to_string(),
    }
}

/// Discord refused the token: gateway close 4004 or HTTP 401.
fn is_unauthorized(e: &serenity::Error) -> bool {
    match e {
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => true,
        serenity::Error::Http(h) => h.status_code().map(|s| s.as_u16()) == Some(401),
        _ => false,
    }
}

const BAD_TOKEN: &str = "Discord refused the bot token: check `discord.token` (or \
                         VTB_DISCORD_TOKEN) against the Developer Portal (Bot → Reset Token)";

/// The one error handler: a user error becomes an ephemeral reply with its text; anything else
/// is logged with the command and shown as [`generic`], in the invoker's language.
async fn on_error(error: poise::FrameworkError<'_, Data, Failure>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            if error.user_message().is_none() {
                tracing::error!(
                    command = %ctx.command().qualified_name,
                    user = %ctx.author().id,
                    error = %error,
                    "command failed"
                );
            }
            let lang = lang::of_ctx(ctx).await;
            let reply = poise::CreateReply::default()
                .content(error.shown(lang))
                .ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                tracing::warn!(error = %e, "could not tell the user about an error");
            }
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            let lang = lang::of_ctx(ctx).await;
            let text = crate::i18n::t(lang, "error-guild-only", &[]);
            let reply = poise::CreateReply::default().content(text).ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                tracing::warn!(error = %e, "could not answer a command used outside the server");
            }
        }
        poise::FrameworkError::EventHandler { error, event, .. } => {
            tracing::error!(event = event.snake_case_name(), error = %error, "event handler failed");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "error while handling an error");
            }
        }
    }
}

#[cfg(test)]
mod log_filter_tests {
    #[test]
    fn serenity_spans_stay_off_unless_the_filter_names_serenity() {
        assert_eq!(super::quiet_serenity_spans("info"), "info,serenity=warn");
        let own = "debug,serenity=trace";
        assert_eq!(super::quiet_serenity_spans(own), own);
        let f = tracing_subscriber::EnvFilter::new(super::quiet_serenity_spans("info"));
        assert!(f.to_string().contains("serenity=warn"), "{f}");
    }
}
