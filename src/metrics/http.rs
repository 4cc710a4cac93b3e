//! The `/metrics` listener: `GET /metrics` answers the OpenMetrics text
//! (`application/openmetrics-text; version=1.0.0; charset=utf-8`); with a bearer token
//! configured, a request without `Authorization: Bearer <token>` gets 401. Anything else is 404.
//! Off unless `metrics.listen` is set ([`start`] returns `None`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::Secret;
use crate::error::{Error, Result};

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

struct Scrape {
    app: Arc<App>,
    token: Secret,
}

/// Starts the listener when `metrics.listen` is set ([`serve`] with the configured address
/// and token); `None` when it is not (the default).
///
/// # Errors
/// A bad `metrics.listen` ([`Error::Config`]), or as [`serve`].
pub async fn start(
    app: Arc<App>,
    shutdown: CancellationToken,
) -> Result<Option<(SocketAddr, JoinHandle<()>)>> {
    let Some(addr) = app.config.metrics_addr()? else {
        return Ok(None);
    };
    let token = app.config.metrics.bearer_token.clone();
    serve(addr, token, app, shutdown).await.map(Some)
}

/// Binds `addr` and serves `GET /metrics` of `app` until `shutdown`, requiring `token` when it
/// is not empty. Returns the bound address (useful with port 0) and the server task.
///
/// # Errors
/// [`Error::Io`] when the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    token: Secret,
    app: Arc<App>,
    shutdown: CancellationToken,
) -> Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(Error::io("cannot listen for metrics on", addr.to_string()))?;
    let bound = listener.local_addr().map_err(Error::io(
        "cannot read the metrics address",
        addr.to_string(),
    ))?;
    let router = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(Arc::new(Scrape { app, token }));
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    tracing::info!(%bound, "metrics listener on");
    Ok((bound, task))
}

async fn metrics(State(s): State<Arc<Scrape>>, headers: HeaderMap) -> Response {
    if !authorized(&s.token, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required\n",
        )
            .into_response();
    }
    match scrape(&s.app).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics scrape failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n").into_response()
        }
    }
}

/// The metrics text of `app` now: its counters plus what the database, the breaker and the
/// backups folder say.
///
/// # Errors
/// Database errors.
pub async fn scrape(app: &App) -> Result<String> {
    let snapshot = app
        .store
        .call_blocking(crate::store::metrics::snapshot)
        .await?;
    let dir = app.config.storage.backups_dir();
    let newest =
        tokio::task::spawn_blocking(move || crate::ops::backup::newest_backup(&dir)).await?;
    #[allow(clippy::cast_precision_loss)]
    let backup = newest.map(|t| t.as_millisecond() as f64 / 1000.0);
    Ok(app
        .metrics
        .render(&snapshot, !app.breaker.is_outage(), backup))
}

/// No token configured, or `Authorization: Bearer <token>` (compared in constant time).
fn authorized(token: &Secret, headers: &HeaderMap) -> bool {
    if token.is_empty() {
        return true;
    }
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (a, b) = (sent.as_bytes(), token.expose().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
