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

use super::SubscriptionFeeds;
use crate::net::Served;

/// Hours a client app waits between refreshes (`Profile-Update-Interval`).
const UPDATE_HOURS: &str = "12";

/// Starts the endpoint on `addr` (port 0 picks a free one).
///
/// # Errors
/// Binding the address fails.
pub async fn start(addr: SocketAddr, feeds: SubscriptionFeeds) -> io::Result<Served> {
    let app = Router::new()
        .route("/sub/{token}", get(serve))
        .with_state(Arc::new(feeds));
    Served::start(addr, app, "the subscription endpoint").await
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
