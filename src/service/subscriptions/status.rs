//! The customer's own view of their subscription (`/status`): the database row, refreshed from
//! the panel (expiry, traffic) and with the `vless://` link rebuilt from the inbound the way the
//! approval built it. When the panel cannot be asked (outage, error) the database view is
//! returned with [`StatusView::live`] false instead of failing.

use crate::domain::UserId;
use crate::domain::status::SubscriptionStatus;
use crate::error::{Result, UserError};
use crate::panel::link::{customer_link, subscription_url};
use crate::store;

use super::SubscriptionService;

/// What `/status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    /// Subscription state (database).
    pub status: SubscriptionStatus,
    /// expiryTime in Unix ms; negative = from the first connection; 0 = never (panel when live).
    pub expiry_at: i64,
    /// Bytes used (up + down), `None` when the panel could not be asked.
    pub used_bytes: Option<i64>,
    /// Limit in bytes; 0 = unlimited (panel when live).
    pub limit_bytes: i64,
    /// Whether the panel reports the client enabled (`None` when not asked).
    pub enabled: Option<bool>,
    /// The `vless://` link, `None` when the panel could not be asked for the inbound.
    pub link: Option<String>,
    /// The subscription URL, when `panel.subscription_base_url` is set.
    pub subscription_url: Option<String>,
    /// False when the panel was unreachable: the rest is the last known (database) data.
    pub live: bool,
}

impl SubscriptionService {
    /// `user`'s subscription as they see it.
    ///
    /// # Errors
    /// [`UserError::NotFound`] when the user has no panel client (never subscribed); store
    /// errors. Panel problems are not errors (see [`StatusView::live`]).
    pub async fn status(&self, user: UserId) -> Result<StatusView> {
        let u = self
            .deps
            .store
            .call(move |c| store::users::get(c, user))
            .await?;
        let Some(u) = u.filter(|u| u.panel_email.is_some() && u.panel_client_uuid.is_some()) else {
            return Err(UserError::NotFound {
                what: "your subscription".to_owned(),
            })?;
        };
        let email = u.panel_email.clone().unwrap_or_default();
        let uuid = u.panel_client_uuid.clone().unwrap_or_default();
        let sub_id = u.panel_sub_id.clone().unwrap_or_default();
        let panel = &self.deps.config.panel;
        let subscription_url = panel
            .subscription_base_url
            .as_deref()
            .filter(|b| !b.trim().is_empty() && !sub_id.is_empty())
            .map(|b| subscription_url(b, &sub_id));
        let mut view = StatusView {
            status: u.status,
            expiry_at: u.expiry_at.unwrap_or(0),
            used_bytes: None,
            limit_bytes: u.traffic_limit_bytes,
            enabled: None,
            link: None,
            subscription_url,
            live: false,
        };
        if self.deps.breaker.is_outage() {
            return Ok(view);
        }
        let traffic = match self.deps.panel.client_traffic(&email).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "status: no traffic from the panel");
                return Ok(view);
            }
        };
        let inbound_id = u
            .inbound_id
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(panel.inbound_id);
        let inbound = match self.deps.panel.inbound(inbound_id).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "status: no inbound from the panel");
                return Ok(view);
            }
        };
        view.link = customer_link(&inbound, &uuid, &email, &sub_id, &panel.public_host)
            .inspect_err(|e| tracing::warn!(user = %user, error = %e, "status: link not built"))
            .ok();
        view.used_bytes = Some(traffic.up.saturating_add(traffic.down));
        view.limit_bytes = traffic.total;
        view.expiry_at = traffic.expiry_time;
        view.enabled = Some(traffic.enable);
        view.live = true;
        Ok(view)
    }
}
