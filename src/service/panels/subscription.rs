//! Our own subscription endpoint (optional; `backends.subscription_listen`): `GET /sub/<token>`
//! returns the customer's links on every panel that holds their client, in the standard
//! subscription format (the body is base64 of the newline-joined links) with
//! `Subscription-Userinfo: upload=…; download=…; total=…; expire=…` summed across panels
//! (`total=0` when any panel has no limit; `expire` in Unix seconds, 0 before the first-use
//! clock starts). The token is `base64url(HMAC-SHA256(secret, subId))` without padding, so it
//! reveals nothing and cannot be guessed from the subId. A wrong token is 404; an expired or
//! revoked customer gets an empty subscription. Tokens are checked against every customer with
//! a client (constant-time comparison): fine for a shop's size. This module builds the answer;
//! [`listener`] serves it.

pub mod listener;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::{Config, Secret};
use crate::domain::status::SubscriptionStatus;
use crate::error::Result;
use crate::panel::link::customer_link;
use crate::service::Deps;
use crate::store::{self, users::User};

/// What `GET /sub/<token>` answers for a known token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feed {
    /// One `vless://` link per panel holding the customer's client.
    pub links: Vec<String>,
    /// Bytes sent, summed across panels.
    pub upload: i64,
    /// Bytes received, summed across panels.
    pub download: i64,
    /// Traffic limit summed across panels; 0 = unlimited.
    pub total: i64,
    /// Expiry in Unix seconds; 0 = none or not started.
    pub expire_secs: i64,
}

impl Feed {
    /// The response body: base64 of the newline-joined links (empty for no links).
    #[must_use]
    pub fn body(&self) -> String {
        if self.links.is_empty() {
            return String::new();
        }
        STANDARD.encode(self.links.join("\n"))
    }

    /// Adds one panel's traffic row. Saturating: the counters are whatever the panel sent, and
    /// two panels near `i64::MAX` must not overflow.
    fn add_usage(&mut self, t: &crate::panel::ClientTraffic) {
        self.upload = self.upload.saturating_add(t.up);
        self.download = self.download.saturating_add(t.down);
        self.total = self.total.saturating_add(t.total);
    }

    /// The `Subscription-Userinfo` header value.
    #[must_use]
    pub fn userinfo(&self) -> String {
        format!(
            "upload={}; download={}; total={}; expire={}",
            self.upload, self.download, self.total, self.expire_secs
        )
    }
}

/// The token of `sub_id` under `secret`.
#[must_use]
pub fn token(secret: &Secret, sub_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(sub_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Our endpoint's URL for `sub_id` when the endpoint is on and `subscription_public_url` is
/// set (`<public url>/<token>`); `None` otherwise.
#[must_use]
pub fn customer_url(config: &Config, sub_id: &str) -> Option<String> {
    let b = &config.backends;
    let base = b.subscription_public_url.trim().trim_end_matches('/');
    if b.subscription_listen.is_empty() || base.is_empty() || sub_id.is_empty() {
        return None;
    }
    Some(format!("{base}/{}", token(&b.subscription_secret, sub_id)))
}

/// Equal bytes, compared in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Builds feeds from the store and every panel.
#[derive(Debug, Clone)]
pub struct SubscriptionFeeds {
    deps: Deps,
}

impl SubscriptionFeeds {
    /// Feeds on `deps` (its `config.backends.subscription_secret` is the key).
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// The feed of the customer whose token this is; `None` for an unknown token.
    ///
    /// # Errors
    /// Store errors (panel errors only leave that panel's link out).
    pub async fn feed(&self, token_text: &str) -> Result<Option<Feed>> {
        let secret = self.deps.config.backends.subscription_secret.clone();
        let (wanted, first) = (
            token_text.to_owned(),
            self.deps.panels.first_id().to_owned(),
        );
        let found = self
            .deps
            .store
            .call_blocking(move |c| {
                let users = store::users::list_with_client(c)?;
                let user = users.into_iter().find(|u| {
                    u.panel_sub_id
                        .as_deref()
                        .is_some_and(|s| same(&token(&secret, s), &wanted))
                });
                let Some(user) = user else { return Ok(None) };
                let placed = store::placement::panel_of(c, user.discord_id, &first)?;
                Ok(Some((user, placed.unwrap_or(first))))
            })
            .await?;
        let Some((user, placed)) = found else {
            return Ok(None);
        };
        if user.status != SubscriptionStatus::Active {
            return Ok(Some(Feed::default()));
        }
        let mut feed = Feed {
            expire_secs: user.expiry_at.filter(|e| *e > 0).map_or(0, |e| e / 1000),
            ..Feed::default()
        };
        let mut unlimited = false;
        for h in self.deps.panels.iter().filter(|h| !h.breaker.is_outage()) {
            unlimited |= add_panel(h, &user, h.id == placed, &mut feed).await;
        }
        if unlimited {
            feed.total = 0;
        }
        Ok(Some(feed))
    }
}

/// Adds `h`'s link and usage of `u`'s client, when `h` holds it (`placed`: `u` is placed on
/// `h`); returns true when that client has no traffic limit.
async fn add_panel(h: &super::PanelHandle, u: &User, placed: bool, feed: &mut Feed) -> bool {
    let (Some(uuid), Some(email), Some(sub)) =
        (&u.panel_client_uuid, &u.panel_email, &u.panel_sub_id)
    else {
        return false;
    };
    if !h.api.capabilities().list {
        // vpn-api: the link it made is stored; no usage.
        if let (true, Some(link)) = (placed, &u.access_link) {
            feed.links.push(link.clone());
        }
        return placed;
    }
    let cfg = &h.config.panel;
    let Ok(inbound) = h.api.inbound_with_client(cfg.inbound_id, email).await else {
        return false;
    };
    if inbound.client(email).is_none_or(|c| c.id != *uuid) {
        return false;
    }
    if let Ok(link) = customer_link(&inbound, uuid, email, sub, &cfg.public_host) {
        feed.links.push(link);
    }
    let Ok(t) = h.api.client_traffic(email).await else {
        return false;
    };
    feed.add_usage(&t);
    t.total == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_sums_saturate_whatever_the_panels_send() {
        let mut feed = Feed::default();
        let huge = crate::panel::ClientTraffic {
            up: i64::MAX,
            down: i64::MAX - 1,
            total: i64::MAX,
            ..Default::default()
        };
        feed.add_usage(&huge);
        feed.add_usage(&huge);
        assert_eq!(
            (feed.upload, feed.download, feed.total),
            (i64::MAX, i64::MAX, i64::MAX)
        );
        assert!(feed.userinfo().contains(&format!("upload={}", i64::MAX)));
    }
}
