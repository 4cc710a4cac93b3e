//! Orders: open (with typed refusals), plan snapshot, ticket channel, payment method, receipt
//! submission, cancel, abandoned-ticket closing and ticket-channel deletion. Every status move
//! goes through `service::state` (the domain's state machine + guarded updates) inside one
//! transaction together with its audit entry and outbox deliveries.

mod receipt;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{Config, Plan};
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::scheduled::ScheduledTask;
use crate::domain::status::{OrderKind, OrderStatus, PaymentStatus, SubscriptionStatus};
use crate::domain::{ChannelId, GuildId, OrderId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::Deps;
use crate::service::health::CircuitBreaker;
use crate::service::rate_limit::{Command, RateLimits};
use crate::service::state::{Target, audit, enqueue, move_order, move_payment};
use crate::store::{self, Store, orders::Order};

/// Why an order whose ticket channel was deleted is closed.
pub(crate) const TICKET_DELETED: &str = "ticket channel deleted";

/// Why an unpaid order of a customer who left the guild is closed.
pub(crate) const CUSTOMER_LEFT: &str = "the customer left the server";

/// How many abandoned orders one [`OrderService::close_abandoned_once`] pass closes at most.
const ABANDON_BATCH: u32 = 100;

/// Why `/renew` refuses someone who never had a subscription.
pub const NOTHING_TO_RENEW: &str =
    "you have no VPN access to renew yet; use `/order` to buy a plan";

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
        }
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
        self.limits.check(user, Command::Order)?;
        let plan = self.plan(plan_id)?;
        let outage = self.breaker.is_outage();
        let now = self.clock.now_ms();
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
                let kind = if u.panel_email.is_some() {
                    OrderKind::Renewal
                } else {
                    OrderKind::New
                };
                let id = store::orders::insert(tx, user, kind, &plan, None, now)?;
                Ok(Ok(store::orders::get(tx, id)?.ok_or(Error::Internal(
                    "an order vanished inside its own transaction",
                ))?))
            })
            .await;
        match result {
            Ok(inner) => inner.map_err(Error::from),
            // A concurrent open by the same user lost the unique index race.
            Err(e) if store::constraint::is_unique_violation(&e, "orders.user_id") => {
                let open = self
                    .store
                    .call(move |c| store::orders::find_open_for_user(c, user))
                    .await?;
                Err(open.map_or(e, |o| UserError::OpenOrderExists { order: o.id }.into()))
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
            .call(|c| store::orders::list_open_with_ticket(c))
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

    /// The customer cancels their open order (before provisioning). A payment waiting for review
    /// is rejected (`order cancelled`) so nothing is left in flight.
    ///
    /// # Errors
    /// [`UserError::NotFound`] when it is not the user's order, [`UserError::InvalidState`] when
    /// it is provisioning or closed; store errors.
    pub async fn cancel(&self, user: UserId, order: OrderId) -> Result<()> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let o = owned_order(tx, user, order)?;
                close_order(tx, &o, Some(user), "cancelled by customer", now)
            })
            .await
    }

    /// The ticket channel `channel` was deleted (by hand, live or while the bot was away, or
    /// found gone when the bot tried to use it). An order waiting for a receipt or under review
    /// is cancelled (a payment in review is cancelled on its card). An order provisioning keeps
    /// going without its ticket: it completes and is delivered by DM, or, if provisioning fails,
    /// is closed then. Returns the order affected, `None` when there was nothing to do (unknown
    /// channel, closed order, or already handled).
    ///
    /// # Errors
    /// Store errors.
    pub async fn ticket_channel_deleted(&self, channel: ChannelId) -> Result<Option<OrderId>> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let Some(mut o) = store::orders::find_by_ticket_channel(tx, channel)? else {
                    return Ok(None);
                };
                match o.status {
                    OrderStatus::PendingPayment | OrderStatus::UnderReview => {
                        store::orders::detach_ticket(tx, o.id, now)?;
                        o.ticket_channel_id = None; // gone: nothing to post there
                        close_order(tx, &o, None, TICKET_DELETED, now)?;
                    }
                    OrderStatus::Provisioning => {
                        store::orders::detach_ticket(tx, o.id, now)?;
                        let payload = serde_json::json!({ "channel": channel });
                        audit(
                            tx,
                            None,
                            AuditAction::OrderTicketDeleted,
                            Target::Order(o.id),
                            None,
                            payload,
                            now,
                        )?;
                    }
                    _ => return Ok(None),
                }
                Ok(Some(o.id))
            })
            .await
    }

    /// Member `user` left the guild (seen live, or found gone when the bot came back). An order
    /// still waiting for a receipt is closed (nobody will pay it); a payment under review stays
    /// for the admins (it was paid) and provisioning goes on (the link is sent by DM). Returns the
    /// order closed, if any.
    ///
    /// # Errors
    /// Store errors.
    pub async fn member_left(&self, user: UserId) -> Result<Option<OrderId>> {
        let now = self.clock.now_ms();
        self.store
            .transaction(move |tx| {
                let Some(o) = store::orders::find_open_for_user(tx, user)? else {
                    return Ok(None);
                };
                if o.status != OrderStatus::PendingPayment {
                    return Ok(None);
                }
                close_order(tx, &o, None, CUSTOMER_LEFT, now)?;
                Ok(Some(o.id))
            })
            .await
    }

    /// Closes (`abandoned`) orders still waiting for a receipt `orders.abandon_after_hours` after
    /// they last started waiting (opened, or reopened by a rejected receipt: see
    /// `Order::waiting_since`), telling the customer and scheduling the ticket's deletion now.
    /// Returns how many were closed. Run periodically by the jobs framework.
    ///
    /// # Errors
    /// Store errors.
    pub async fn close_abandoned_once(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        let hours = i64::from(self.config.orders.abandon_after_hours);
        let before = now - hours * 3_600_000;
        self.store
            .transaction(move |tx| {
                let stale = store::orders::list_waiting_since(tx, before, ABANDON_BATCH)?;
                let reason = format!("abandoned: no receipt within {hours} h");
                for o in &stale {
                    move_order(
                        tx,
                        o.id,
                        (o.status, OrderStatus::Abandoned),
                        Some(&reason),
                        now,
                    )?;
                    after_close(tx, o, None, &reason, now)?;
                }
                Ok(stale.len())
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
fn owned_order(conn: &rusqlite::Connection, user: UserId, order: OrderId) -> Result<Order> {
    match store::orders::get(conn, order)? {
        Some(o) if o.user_id == user => Ok(o),
        _ => Err(not_found(order)),
    }
}

/// Cancels `o` (pending payment or under review), rejecting a payment in review (its card then
/// shows the cancellation).
pub(crate) fn close_order(
    tx: &rusqlite::Connection,
    o: &Order,
    actor: Option<UserId>,
    reason: &str,
    now: i64,
) -> Result<()> {
    if o.status == OrderStatus::UnderReview {
        let in_review = store::payments::list_for_order(tx, o.id)?
            .into_iter()
            .find(|p| p.status == PaymentStatus::Pending);
        if let Some(p) = in_review {
            move_payment(
                tx,
                p.id,
                (p.status, PaymentStatus::Rejected),
                None,
                Some(reason),
                now,
            )?;
            enqueue(tx, &Delivery::ReviewCard { payment_id: p.id }, now)?;
        }
    }
    move_order(
        tx,
        o.id,
        (o.status, OrderStatus::Cancelled),
        Some(reason),
        now,
    )?;
    after_close(tx, o, actor, reason, now)
}

/// Audit, customer notice and the ticket's deletion for a closed order.
fn after_close(
    tx: &rusqlite::Connection,
    o: &Order,
    actor: Option<UserId>,
    reason: &str,
    now: i64,
) -> Result<()> {
    let payload = serde_json::json!({ "reason": reason, "from": o.status.as_str() });
    audit(
        tx,
        actor,
        AuditAction::OrderClose,
        Target::Order(o.id),
        None,
        payload,
        now,
    )?;
    let notice = Delivery::OrderClosed {
        user_id: o.user_id,
        order_id: o.id,
        ticket_channel_id: o.ticket_channel_id,
        reason: reason.to_owned(),
    };
    enqueue(tx, &notice, now)?;
    if let Some(channel) = o.ticket_channel_id {
        schedule_channel_deletion(tx, channel, now, now)?;
    }
    Ok(())
}

/// Schedules the [`ScheduledTask::DeleteChannel`] job of a ticket at `run_at` (Unix ms), once
/// per channel.
///
/// # Errors
/// Store errors.
pub fn schedule_channel_deletion(
    tx: &rusqlite::Connection,
    channel: ChannelId,
    run_at: i64,
    now: i64,
) -> Result<()> {
    let task = ScheduledTask::DeleteChannel {
        channel_id: channel,
    };
    store::scheduled_jobs::schedule(
        tx,
        &task.dedupe_key(),
        task.kind(),
        &task.payload(),
        run_at,
        now,
    )?;
    Ok(())
}

fn not_found(order: OrderId) -> Error {
    UserError::NotFound {
        what: format!("order #{order}"),
    }
    .into()
}
