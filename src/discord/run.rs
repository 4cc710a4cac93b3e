//! `run`: the production wiring around [`super::start`]: store, panel client, health monitor,
//! `App`, jobs, the metrics listener (when configured), the gateway connection, and a graceful stop on SIGTERM/SIGINT (stop taking work,
//! stop the jobs with a timeout, shut the shards down).

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};

/// How long jobs may take to finish their pass at shutdown.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves until SIGTERM or SIGINT. The caller holds the data-directory lock.
///
/// # Errors
/// A missing required key ([`Config::require_for_run`]), store, panel-client or Discord client
/// errors.
pub async fn serve(config: Config) -> Result<()> {
    config.require_for_run()?;
    let (app, monitor) = App::assemble(Arc::new(config), Clock::system(), None)?;
    let shutdown = CancellationToken::new();
    let metrics = crate::metrics::http::start(app.clone(), shutdown.clone()).await?;
    let mut http = serenity::HttpBuilder::new(app.config.discord.token.expose())
        .client(discord_rest_client(&app.config.discord)?);
    let proxy = &app.config.discord.rest_proxy_url;
    if !proxy.is_empty() {
        // serenity 0.12.5 applies the proxy only to requests that bypass its rate limiter, so
        // the limiter is off: rate limiting is the proxy's job (twilight-http-proxy does it).
        http = http
            .proxy(proxy.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let http = http.build();
    // A refused token is the commonest set-up mistake; serenity would retry it forever.
    match http.get_current_user().await {
        Ok(me) => tracing::info!(bot = %me.name, id = %me.id, "logged in to Discord"),
        Err(e) if super::is_unauthorized(&e) => {
            return Err(Error::Discord(super::why_stopped(&e)));
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot reach Discord yet; retrying in the background");
        }
    }
    let webhook = match &app.crypto {
        Some(crypto) => crypto.start_webhook().await.map_err(|e| {
            Error::Config(crate::config::ConfigError::Invalid {
                key: "cryptobot.webhook_listen".into(),
                reason: format!("cannot listen there: {e}"),
            })
        })?,
        None => None,
    };
    let subscriptions = app.start_subscription_endpoint().await.map_err(|e| {
        Error::Config(crate::config::ConfigError::Invalid {
            key: "backends.subscription_listen".into(),
            reason: format!("cannot listen there: {e}"),
        })
    })?;
    let mut running = super::start(app, http, &shutdown)
        .await
        .map_err(|e| Error::Discord(format!("cannot start the Discord client: {e}")))?;
    // After `start` subscribed the owner alerts, so an outage found at startup is reported.
    let monitor_task = monitor.spawn(shutdown.clone());
    tracing::info!("bot started; waiting for SIGTERM or SIGINT");
    let client_died = tokio::select! {
        () = wait_for_signal() => None,
        reason = running.client_stopped() => Some(reason),
    };
    tracing::info!(client_died = client_died.is_some(), "shutting down");
    shutdown.cancel();
    let aborted = running.stop(STOP_TIMEOUT).await;
    if !aborted.is_empty() {
        tracing::warn!(?aborted, "jobs aborted at shutdown");
    }
    let _ = tokio::time::timeout(STOP_TIMEOUT, monitor_task).await;
    if let Some(listener) = subscriptions {
        listener.shutdown().await;
    }
    if let Some(listener) = webhook {
        listener.shutdown().await;
    }
    if let Some((_, listener)) = metrics {
        let _ = tokio::time::timeout(STOP_TIMEOUT, listener).await;
    }
    tracing::info!("stopped");
    if let Some(reason) = client_died {
        return Err(Error::Discord(format!(
            "the Discord connection stopped: {reason}"
        )));
    }
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler; waiting for SIGINT only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How long one Discord REST request may take, from sending it to the end of the answer's body
/// (rate-limit waits in serenity's limiter come before and are not counted). serenity's own client
/// has no timeout, so an unanswered request would hold an event handler forever.
const REST_TIMEOUT: Duration = Duration::from_secs(30);

/// The REST client serenity uses: rustls (as serenity's own), [`REST_TIMEOUT`] per request, and
/// for a local stand-in of Discord (`discord.api_address`, `discord.ca_cert`) `discord.com`
/// resolved to that address and the extra CA trusted.
///
/// # Errors
/// `Error::Config` naming `discord.ca_cert` when the file cannot be read or is not PEM.
fn discord_rest_client(config: &crate::config::DiscordConfig) -> Result<reqwest::Client> {
    let bad_cert = |reason: String| {
        Error::Config(crate::config::ConfigError::Invalid {
            key: "discord.ca_cert".into(),
            reason,
        })
    };
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(REST_TIMEOUT);
    if let Some(addr) = config.api_address {
        builder = builder.resolve("discord.com", addr);
    }
    if let Some(path) = &config.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| bad_cert(format!("cannot read {}: {e}", path.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| bad_cert(format!("not a PEM certificate: {e}")))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| Error::Discord(format!("cannot build the Discord REST client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use poise::serenity_prelude as serenity;

    /// A Discord that accepts the connection and never answers: the request ends with an error
    /// after `REST_TIMEOUT` instead of holding its caller forever.
    #[tokio::test(start_paused = true)]
    async fn an_unanswered_discord_request_ends_with_an_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                held.push(socket);
            }
        });
        let client = discord_rest_client(&crate::config::DiscordConfig::default()).unwrap();
        let http = serenity::HttpBuilder::new("Bot.token.x")
            .client(client)
            .proxy(format!("http://{addr}"))
            .ratelimiter_disabled(true)
            .build();
        let started = tokio::time::Instant::now();
        let answer = tokio::time::timeout(REST_TIMEOUT * 4, http.get_current_user()).await;
        let Ok(Err(serenity::Error::Http(serenity::HttpError::Request(e)))) = answer else {
            panic!(
                "expected a request error before {:?}, got {answer:?}",
                REST_TIMEOUT * 4
            );
        };
        assert!(e.is_timeout(), "{e}");
        assert!(started.elapsed() >= REST_TIMEOUT);
        silent.abort();
    }
}
