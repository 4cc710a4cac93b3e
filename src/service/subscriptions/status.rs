//! The customer's own view of their subscription (`/status`): the database row, refreshed from
//! the panel (expiry, traffic) and with the `vless://` link rebuilt from the inbound the way the
//! approval built it. When the panel cannot be asked (outage, error) the database view is
//! returned with [`StatusView::live`] false instead of failing, with the link last sent to the
//! customer. [`SubscriptionService::payment_link`] is "Show my link" (DMs closed): the link of an
//! approved payment, for its customer only.

use crate::domain::status::{OrderKind, PaymentStatus, SubscriptionStatus};
use crate::domain::{OrderId, PaymentId, UserId};
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
    /// The `vless://` link: rebuilt from the panel's inbound when live, else the one last sent
    /// to the customer; `None` when neither is known.
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
        let mut view = self.stored_view(&u);
        let here = self.for_user(user).await?;
        if !here.deps.breaker.is_outage() {
            here.refresh_from_panel(&u, &mut view).await;
        }
        Ok(view)
    }

    /// What the database knows of `u`'s subscription (`live` false).
    fn stored_view(&self, u: &store::users::User) -> StatusView {
        let sub_id = u.panel_sub_id.clone().unwrap_or_default();
        let subscription_url = self
            .deps
            .config
            .panel
            .subscription_base_url
            .as_deref()
            .filter(|b| !b.trim().is_empty() && !sub_id.is_empty())
            .map(|b| subscription_url(b, &sub_id));
        StatusView {
            status: u.status,
            expiry_at: u.expiry_at.unwrap_or(0),
            used_bytes: None,
            limit_bytes: u.traffic_limit_bytes,
            enabled: None,
            link: u.access_link.clone(),
            subscription_url: subscription_url.or_else(|| u.access_subscription_url.clone()),
            live: false,
        }
    }

    /// Fills `view` from the panel (traffic, expiry, the link rebuilt from the inbound); leaves
    /// it as it is when the panel cannot be asked.
    async fn refresh_from_panel(&self, u: &store::users::User, view: &mut StatusView) {
        if !self.deps.panel.capabilities().usage {
            // Nothing more to ask this backend (vpn-api): the stored expiry and link are
            // current; usage stays unknown.
            view.live = true;
            return;
        }
        let user = u.discord_id;
        let email = u.panel_email.clone().unwrap_or_default();
        let uuid = u.panel_client_uuid.clone().unwrap_or_default();
        let sub_id = u.panel_sub_id.clone().unwrap_or_default();
        let panel = &self.deps.config.panel;
        let traffic = match self.deps.panel.client_traffic(&email).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "status: no traffic from the panel");
                return;
            }
        };
        let inbound_id = u
            .inbound_id
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(panel.inbound_id);
        let inbound = match self
            .deps
            .panel
            .inbound_with_client(inbound_id, &email)
            .await
        {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(user = %user, error = %e, "status: no inbound from the panel");
                return;
            }
        };
        if let Ok(link) = customer_link(&inbound, &uuid, &email, &sub_id, &panel.public_host)
            .inspect_err(|e| tracing::warn!(user = %user, error = %e, "status: link not built"))
        {
            view.link = Some(link);
        }
        view.used_bytes = Some(traffic.up.saturating_add(traffic.down));
        view.limit_bytes = traffic.total;
        view.expiry_at = traffic.expiry_time;
        view.enabled = Some(traffic.enable);
        view.live = true;
    }

    /// "Show my link": the connection delivered for `payment`, for its customer `clicker` only
    /// (the link last sent to them, so it works during a panel outage too).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] for anyone but the payment's customer; [`UserError::NotFound`]
    /// for an unknown or not yet approved payment; store errors.
    pub async fn payment_link(&self, clicker: UserId, payment: PaymentId) -> Result<PaymentLink> {
        let found = self
            .deps
            .store
            .call(move |c| {
                let Some(p) = store::payments::get(c, payment)? else {
                    return Ok(None);
                };
                let order = store::orders::get(c, p.order_id)?;
                Ok(Some((p, order, store::users::get(c, clicker)?)))
            })
            .await?;
        let not_found = || UserError::NotFound {
            what: format!("the link of payment #{payment}"),
        };
        let Some((p, order, user)) = found else {
            return Err(not_found().into());
        };
        if p.user_id != clicker {
            return Err(UserError::Forbidden {
                action: "see another customer's link".into(),
            }
            .into());
        }
        let link = user.and_then(|u| u.access_link.map(|l| (l, u.access_subscription_url)));
        match (p.status, link, order) {
            (PaymentStatus::Approved, Some((link, subscription_url)), Some(o)) => Ok(PaymentLink {
                order: o.id,
                link,
                subscription_url,
                renewal: o.kind == OrderKind::Renewal,
            }),
            _ => Err(not_found().into()),
        }
    }
}

/// The connection of an approved payment ([`SubscriptionService::payment_link`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLink {
    /// The order it completed.
    pub order: OrderId,
    /// The `vless://` link.
    pub link: String,
    /// The subscription URL, if one was sent.
    pub subscription_url: Option<String>,
    /// Whether the order extended an existing subscription.
    pub renewal: bool,
}
