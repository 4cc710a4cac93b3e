//! Orders: open (with typed refusals), plan snapshot, ticket channel, payment method, receipt
//! submission, cancel, abandoned-ticket closing and ticket-channel deletion. Every status move
//! goes through `service::state` (the domain's state machine + guarded updates) inside one
//! transaction together with its audit entry and outbox deliveries.

mod close;
mod receipt;

pub(crate) use close::{
    ABANDONED_PREFIX, CANCELLED_BY_CUSTOMER, CUSTOMER_LEFT, TICKET_DELETED, close_order,
};
pub use close::{CLOSED_TICKET_GRACE_MS, schedule_channel_deletion};

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, Plan};
use crate::domain::audit::AuditAction;
use crate::domain::status::{OrderKind, OrderStatus, SubscriptionStatus};
use crate::domain::{ChannelId, GuildId, OrderId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::Deps;
use crate::service::growth;
use crate::service::health::CircuitBreaker;
use crate::service::rate_limit::{Command, RateLimits};
use crate::service::state::{Target, audit, move_order};
use crate::store::{self, Store, orders::Order};

/// Why `/renew` refuses someone who never had a subscription.
pub const NOTHING_TO_RENEW: &str =
    "you have no VPN access to renew yet; use `/order` to buy a plan";

/// The refusal of a receipt sent before a payment method was picked.
pub const CHOOSE_METHOD_FIRST: &str = "choose a payment method first";

/// A subscription that can be renewed, as [`OrderService::renewable`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewable {
    /// `active`, `expired` or `revoked`.
    pub status: SubscriptionStatus,
    /// Its expiry: Unix ms; negative = that many ms after the first connection; `None` unknown.
    pub expiry_at: Option<i64>,
}

/// The order service. Cheap to clone.
#[derive(Clone)]
pub struct OrderService {
    store: Store,
    config: Arc<Config>,
    breaker: CircuitBreaker,
    limits: Arc<RateLimits>,
    clock: Clock,
    metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for OrderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderService").finish_non_exhaustive()
    }
}

impl OrderService {
    /// An order service on `deps` (refusing new orders while its breaker is open), counting
    /// `/order` attempts in `limits`.
    #[must_use]
    pub fn new(deps: &Deps, limits: Arc<RateLimits>) -> Self {
        Self {
            store: deps.store.clone(),
            config: deps.config.clone(),
            breaker: deps.breaker.clone(),
            limits,
            clock: deps.clock,
            metrics: deps.metrics.clone(),
        }
    }

    /// The metrics this service (and the receipt intake built on it) counts into.
    pub(crate) const fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// Opens an order for `user` with a snapshot of plan `plan_id` (`renewal` when the user
    /// already has a panel client). The ticket channel is attached afterwards. Every attempt
    /// counts against the `/order` rate limit, refused ones included; the other checks run in
    /// this order: banned, open order, panel outage.
    ///
    /// # Errors
    /// [`UserError::RateLimited`], [`UserError::Banned`], [`UserError::OpenOrderExists`],
    /// [`UserError::PanelUnavailable`] (outage), [`UserError::NotFound`] for an unknown plan;
    /// store errors.
    pub async fn open(&self, user: UserId, plan_id: &str) -> Result<Order> {
        Ok(self.open_inner(user, plan_id, None, false).await?.order)
    }

    /// Opens a gift order of `plan_id` for `user` (paid like any order; its approval issues a
    /// gift token instead of a client).
    ///
    /// # Errors
    /// As [`OrderService::open`]; [`UserError::InvalidState`] when gifts are off.
    pub async fn open_gift(&self, user: UserId, plan_id: &str) -> Result<Order> {
        if !self.config.gifts.enabled {
            return Err(UserError::InvalidState {
                reason: "this shop sells no gifts".into(),
            }
            .into());
        }
        Ok(self.open_inner(user, plan_id, None, true).await?.order)
    }

    /// [`OrderService::open`] with a promo code, reserved in the same transaction
    /// ([`crate::service::growth::apply_code_in`]); a code that pays everything also starts the
    /// order's free payment (`Opened::granted`), which the caller provisions.
    ///
    /// # Errors
    /// As [`OrderService::open`]; [`UserError::InvalidState`] (audited) for a code that does not
    /// apply.
    pub async fn open_with_code(&self, user: UserId, plan_id: &str, code: &str) -> Result<Opened> {
        self.open_inner(user, plan_id, Some(code.to_owned()), false)
            .await
    }

    async fn open_inner(
        &self,
        user: UserId,
        plan_id: &str,
        code: Option<String>,
        gift: bool,
    ) -> Result<Opened> {
        self.limits.check(user, Command::Order)?;
        let plan = self.plan(plan_id)?;
        let outage = self.breaker.is_outage();
        let now = self.clock.now_ms();
        let cfg = self.config.clone();
        let result = self
            .store
            .transaction(move |tx| {
                let u = store::users::ensure(tx, user, now)?;
                if u.banned {
                    return Ok(Err(UserError::Banned));
                }
                if let Some(open) = store::orders::find_open_for_user(tx, user)? {
                    return Ok(Err(UserError::OpenOrderExists { order: open.id }));
                }
                if outage {
                    return Ok(Err(UserError::PanelUnavailable));
                }
                let kind = if gift {
                    OrderKind::Gift
                } else if u.panel_email.is_some() {
                    OrderKind::Renewal
                } else {
                    OrderKind::New
                };
                insert_order(tx, &cfg, (user, kind), &plan, code.as_deref(), now)
            })
            .await;
        match result {
            Ok(inner) => inner.map_err(Error::from).inspect(|o| {
                self.metrics
                    .order_opened(o.order.kind == OrderKind::Renewal);
            }),
            // A concurrent open by the same user lost the unique index race.
            Err(e) if store::constraint::is_unique_violation(&e, "orders.user_id") => {
                let open = self
                    .store
                    .call(move |c| store::orders::find_open_for_user(c, user))
                    .await?;
                Err(open.map_or(e, |o| UserError::OpenOrderExists { order: o.id }.into()))
            }
            Err(e) if store::constraint::is_unique_violation(&e, "promo_redemptions.code") => {
                Err(UserError::InvalidState {
                    reason: "you already used this code".into(),
                }
                .into())
            }
            Err(e) => Err(e),
        }
    }

    /// The subscription `user` would renew (`/renew`): active, expired or revoked, with a panel
    /// client. Only a check for the prompt: the order itself is opened by [`OrderService::open`],
    /// which makes it a `renewal` (extending the same client) because the client exists.
    ///
    /// # Errors
    /// [`UserError::InvalidState`] ("you have no VPN access to renew yet; use /order") for a
    /// customer who never had a subscription; store errors.
    pub async fn renewable(&self, user: UserId) -> Result<Renewable> {
        let found = self.store.call(move |c| store::users::get(c, user)).await?;
        match found {
            Some(u) if u.panel_email.is_some() && u.status != SubscriptionStatus::None => {
                Ok(Renewable {
                    status: u.status,
                    expiry_at: u.expiry_at,
                })
            }
            _ => Err(UserError::InvalidState {
                reason: NOTHING_TO_RENEW.to_owned(),
            }
            .into()),
        }
    }

    /// The order as it is now (for rendering its ticket), `None` when unknown.
    ///
    /// # Errors
    /// Store errors.
    pub async fn get(&self, order: OrderId) -> Result<Option<Order>> {
        self.store.call(move |c| store::orders::get(c, order)).await
    }

    /// Open orders that have a ticket channel, oldest first: what catch-up reads after downtime.
    ///
    /// # Errors
    /// Store errors.
    pub async fn open_tickets(&self) -> Result<Vec<Order>> {
        self.store
            .call_blocking(|c| store::orders::list_open_with_ticket(c))
            .await
    }

    /// Whether the customer may post in the ticket of an order in `status`: only while it waits
    /// for a receipt (locked under review, while provisioning and once closed).
    #[must_use]
    pub fn ticket_open_for_customer(status: OrderStatus) -> bool {
        status == OrderStatus::PendingPayment
    }

    /// Records the ticket channel the Discord layer created for `order`.
    ///
    /// # Errors
    /// [`UserError::NotFound`] for an unknown order; store errors.
    pub async fn attach_ticket(
        &self,
        order: OrderId,
        guild: GuildId,
        channel: ChannelId,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let found = self
            .store
            .call(move |c| {
                // There is room for channels again: a later full guild is warned about anew.
                store::bot_config::remove(c, store::bot_config::GUILD_FULL_WARNED)?;
                store::orders::set_ticket_channel(c, order, guild, channel, now)
            })
            .await?;
        found.then_some(()).ok_or_else(|| not_found(order))
    }

    /// The Discord layer could not create the ticket channel of `order` (just opened, no ticket
    /// yet): the order is cancelled with `reason` in its history and the audit log, without a
    /// customer notice (the customer was answered on the spot) and without a ticket to delete.
    /// `guild_full`: the failure was the guild's channel cap. Returns whether staff should be
    /// warned now: true for the first guild-full failure since a ticket channel was last created
    /// (so a full guild is reported once, not once per customer).
    ///
    /// # Errors
    /// [`UserError::NotFound`] when it is not the user's order, [`UserError::InvalidState`] when
    /// it is no longer cancellable; store errors.
    pub async fn ticket_not_opened(
        &self,
        user: UserId,
        order: OrderId,
        reason: &str,
        guild_full: bool,
    ) -> Result<bool> {
        let now = self.clock.now_ms();
        let reason = reason.to_owned();
        self.store
            .transaction(move |tx| {
                let o = owned_order(tx, user, order)?;
                if o.status != OrderStatus::PendingPayment || o.ticket_channel_id.is_some() {
                    return Err(UserError::InvalidState {
                        reason: format!("order #{order} already has its ticket"),
                    }
                    .into());
                }
                move_order(
                    tx,
                    o.id,
                    (o.status, OrderStatus::Cancelled),
                    Some(&reason),
                    now,
                )?;
                let payload = serde_json::json!({ "reason": reason, "from": o.status.as_str() });
                audit(
                    tx,
                    None,
                    AuditAction::OrderClose,
                    Target::Order(o.id),
                    None,
                    payload,
                    now,
                )?;
                let key = store::bot_config::GUILD_FULL_WARNED;
                if !guild_full || store::bot_config::get(tx, key)?.is_some() {
                    return Ok(false);
                }
                store::bot_config::set(tx, key, &now.to_string(), now)?;
                Ok(true)
            })
            .await
    }

    /// The customer picks payment method `method` (an id from `[[payment_methods]]`).
    ///
    /// # Errors
    /// [`UserError::NotFound`] for an unknown method or an order that is not the user's;
    /// [`UserError::InvalidState`] once a receipt was submitted; store errors.
    pub async fn choose_payment_method(
        &self,
        user: UserId,
        order: OrderId,
        method: &str,
    ) -> Result<()> {
        if !self.config.payment_methods.iter().any(|m| m.id == method) {
            return Err(UserError::NotFound {
                what: format!("payment method {method:?}"),
            }
            .into());
        }
        let method = method.to_owned();
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                owned_order(tx, user, order)?;
                if store::orders::set_payment_method(tx, order, &method, now)? {
                    Ok(())
                } else {
                    Err(UserError::InvalidState {
                        reason: format!("order #{order} is no longer waiting for a payment"),
                    }
                    .into())
                }
            })
            .await
    }

    fn plan(&self, plan_id: &str) -> Result<Plan> {
        self.config
            .plans
            .iter()
            .find(|p| p.id == plan_id)
            .cloned()
            .ok_or_else(|| {
                UserError::NotFound {
                    what: format!("plan {plan_id:?}"),
                }
                .into()
            })
    }
}

/// The order if it exists and belongs to `user`.
pub(crate) fn owned_order(
    conn: &rusqlite::Connection,
    user: UserId,
    order: OrderId,
) -> Result<Order> {
    match store::orders::get(conn, order)? {
        Some(o) if o.user_id == user => Ok(o),
        _ => Err(not_found(order)),
    }
}

fn not_found(order: OrderId) -> Error {
    UserError::NotFound {
        what: format!("order #{order}"),
    }
    .into()
}

/// An order just opened, and the free payment a code that pays everything started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The order.
    pub order: Order,
    /// The payment to provision (`approving`), when a code paid everything.
    pub granted: Option<crate::domain::PaymentId>,
}

/// Inserts the order (with `code` applied and reserved, if any); `Ok(Err)` for a refused code
/// (audited).
fn insert_order(
    tx: &rusqlite::Connection,
    cfg: &Config,
    (user, kind): (UserId, OrderKind),
    plan: &Plan,
    code: Option<&str>,
    now: i64,
) -> Result<Result<Opened, UserError>> {
    let (snapshot, reserve) = match code {
        None => (plan.clone(), None),
        Some(code) => match growth::apply_code_in(tx, cfg, user, plan, code, now)? {
            Ok((snapshot, reserve)) => (snapshot, Some(reserve)),
            Err(refusal) => {
                growth::refuse_code_in(tx, user, code, &refusal, now)?;
                return Ok(Err(refusal));
            }
        },
    };
    let id = store::orders::insert(tx, user, kind, &snapshot, None, now)?;
    let order = store::orders::get(tx, id)?.ok_or(Error::Internal(
        "an order vanished inside its own transaction",
    ))?;
    let granted = match &reserve {
        Some(r) => growth::reserve_in(tx, &order, r, now)?,
        None => None,
    };
    let order = store::orders::get(tx, id)?.ok_or(Error::Internal(
        "an order vanished inside its own transaction",
    ))?;
    Ok(Ok(Opened { order, granted }))
}
