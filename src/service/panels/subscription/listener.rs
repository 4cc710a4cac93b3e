//! The HTTP side of the subscription endpoint: `GET /sub/{token}` on
//! `backends.subscription_listen` (axum); every other path is 404. Errors are logged and
//! answered 503 without detail.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::SubscriptionFeeds;

/// Hours a client app waits between refreshes (`Profile-Update-Interval`).
const UPDATE_HOURS: &str = "12";

/// A running endpoint. [`Self::shutdown`] stops it gracefully; dropping it aborts it.
#[derive(Debug)]
pub struct SubscriptionListener {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SubscriptionListener {
    /// Listens on `addr` (port 0 picks a free one).
    ///
    /// # Errors
    /// Binding the address fails.
    pub async fn start(addr: SocketAddr, feeds: SubscriptionFeeds) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/sub/{token}", get(serve))
            .with_state(Arc::new(feeds));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the subscription endpoint stopped");
            }
        });
        tracing::info!(%addr, "subscription endpoint started");
        Ok(Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address actually bound.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking connections and waits for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SubscriptionListener {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn serve(State(feeds): State<Arc<SubscriptionFeeds>>, Path(token): Path<String>) -> Response {
    let feed = match feeds.feed(&token).await {
        Ok(Some(feed)) => feed,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "subscription endpoint: cannot build a feed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut resp = feed.body().into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        "profile-update-interval",
        HeaderValue::from_static(UPDATE_HOURS),
    );
    if let Ok(v) = HeaderValue::from_str(&feed.userinfo()) {
        headers.insert("subscription-userinfo", v);
    }
    resp
}
