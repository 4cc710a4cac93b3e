//! [`WebhookListener`]: an optional HTTP endpoint (axum) for Crypto Pay webhook deliveries.
//!
//! It answers 200 to a verified update, 401 to a missing or wrong signature, 400 to a signed
//! but malformed or out-of-window one, and only ever calls `wake(invoice_id)`: whoever polls
//! then re-reads the invoice from the API. Deliveries are deduplicated on
//! `(invoice_id, status)` over the last [`RECENT_CAPACITY`] updates (`update_id` is not unique,
//! and the service retries), so a repeated delivery answers 200 without waking twice. Meant to
//! sit behind the operator's HTTPS reverse proxy; it speaks plain HTTP.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

use super::{SIGNATURE_HEADER, verify_update};
use crate::clock::Clock;
use crate::config::Secret;
use crate::cryptopay::{InvoiceId, InvoiceStatus};
use crate::net::Served;

/// What a verified, new delivery calls: the invoice to re-read. Must not block.
pub type Wake = Arc<dyn Fn(InvoiceId) + Send + Sync>;

/// How many recent `(invoice_id, status)` pairs are remembered for deduplication.
pub const RECENT_CAPACITY: usize = 4096;

/// A bounded set remembering the most recent insertions.
struct Recent {
    order: VecDeque<(InvoiceId, InvoiceStatus)>,
    set: HashSet<(InvoiceId, InvoiceStatus)>,
    capacity: usize,
}

impl Recent {
    fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            set: HashSet::new(),
            capacity,
        }
    }

    /// True when `key` was not among the recent ones (it is remembered now).
    fn insert(&mut self, key: (InvoiceId, InvoiceStatus)) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(key.clone());
        self.order.push_back(key);
        true
    }
}

struct Shared {
    token: Secret,
    max_age_ms: i64,
    clock: Clock,
    wake: Wake,
    recent: Mutex<Recent>,
}

/// A running webhook endpoint. [`Self::shutdown`] stops it gracefully; dropping it aborts it.
#[derive(Debug)]
pub struct WebhookListener(Served);

impl WebhookListener {
    /// Listens on `addr` (port 0 picks a free one) for `POST {path}` (a leading `/` is added
    /// when missing); other paths answer 404. `max_age_ms` is the `request_date` window
    /// (each way) read against `clock`; `wake` is called once per new `(invoice_id, status)`.
    ///
    /// # Errors
    /// Binding the address fails.
    pub async fn start(
        addr: SocketAddr,
        path: String,
        token: Secret,
        max_age_ms: i64,
        clock: Clock,
        wake: Wake,
    ) -> io::Result<Self> {
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        let shared = Arc::new(Shared {
            token,
            max_age_ms,
            clock,
            wake,
            recent: Mutex::new(Recent::new(RECENT_CAPACITY)),
        });
        let app = Router::new().route(&path, post(receive)).with_state(shared);
        tracing::info!(%path, "Crypto Pay webhook path");
        Ok(Self(
            Served::start(addr, app, "the Crypto Pay webhook listener").await?,
        ))
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    /// Stops taking connections and waits for requests in flight to finish.
    pub async fn shutdown(self) {
        self.0.shutdown().await;
    }
}

async fn receive(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match verify_update(
        &body,
        signature,
        &sh.token,
        sh.clock.now_ms(),
        sh.max_age_ms,
    ) {
        Ok(update) => {
            let id = update.payload.invoice_id;
            let status = update.payload.status;
            let new = sh
                .recent
                .lock()
                .expect("recent lock")
                .insert((id, status.clone()));
            if new {
                tracing::info!(invoice_id = %id, %status, "Crypto Pay webhook: re-reading the invoice");
                (sh.wake)(id);
            } else {
                tracing::debug!(invoice_id = %id, %status, "Crypto Pay webhook: repeated delivery");
            }
            StatusCode::OK
        }
        Err(rejection) => {
            tracing::warn!(reason = %rejection, "refused a Crypto Pay webhook delivery");
            StatusCode::from_u16(rejection.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recent_set_forgets_the_oldest_beyond_capacity() {
        let mut r = Recent::new(2);
        let k = |id| (InvoiceId(id), InvoiceStatus::Paid);
        assert!(r.insert(k(1)));
        assert!(!r.insert(k(1)), "a repeat is not new");
        assert!(
            r.insert((InvoiceId(1), InvoiceStatus::Expired)),
            "another status is new"
        );
        assert!(r.insert(k(2)));
        assert!(r.insert(k(1)), "forgotten after two newer ones");
        assert_eq!(r.order.len(), 2);
        assert_eq!(r.set.len(), 2);
    }
}
