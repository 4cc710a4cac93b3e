//! The admin operations on a subscription: extend by N days and revoke. Both check
//! `Permission::ManageSubscriptions` server side (a refusal is audited as
//! `subscription.<action>.refused` and returned as [`UserError::Forbidden`]), change the panel
//! first and the database after it succeeded, audit with the admin as actor and queue a
//! [`Delivery::AccessChanged`] notice for the customer. Both refuse during a panel outage
//! ([`UserError::PanelUnavailable`]) rather than leave the panel and the database apart.
//!
//! Extend reads the client's current expiry and limit from the panel (the panel is what the
//! customer experiences, and a started first-use plan is only positive there) and extends from
//! `max(now, expiry)`; a not-yet-started expiry (negative) grows by the days. The traffic limit is
//! kept. The client is enabled and the customer becomes `active` (an `expired` customer is
//! reactivated). A `revoked` customer cannot be extended: revocation is an explicit decision.
//! Revoke disables the client (a client already missing from the panel counts as disabled) and
//! marks the customer `revoked`, keeping the expiry for the record; the row is re-read in that
//! transaction, so a renewal that landed between the two is revoked too (its client is disabled).

use serde_json::json;

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::{AccessChange, Delivery};
use crate::domain::role::Permission;
use crate::domain::status::SubscriptionStatus;
use crate::error::{Result, UserError};
use crate::panel::PanelError;
use crate::service::approval::terms::{DAY_MS, extended_expiry};
use crate::service::roles::Actor;
use crate::service::state::{Target, audit, enqueue};
use crate::store::users::{Subscription, User};
use crate::store::{self};

use super::SubscriptionService;

/// The result of [`SubscriptionService::extend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extended {
    /// The customer.
    pub user_id: UserId,
    /// The panel's expiry before (Unix ms; negative = from first connection).
    pub previous_expiry: i64,
    /// The new expiry (same units).
    pub expiry_at: i64,
}

impl SubscriptionService {
    /// Extends `user`'s subscription by `days` (1 or more) as `actor`.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without the role; [`UserError::NotFound`] for an unknown
    /// customer or a client missing on the panel; [`UserError::InvalidState`] for 0 days, a
    /// customer without a subscription, a revoked one, or a client that never expires;
    /// [`UserError::PanelUnavailable`] during an outage; other panel and store errors.
    pub async fn extend(&self, actor: &Actor, user: UserId, days: u32) -> Result<Extended> {
        self.for_user(user)
            .await?
            .extend_here(actor, user, days)
            .await
    }

    /// [`SubscriptionService::extend`] on this service's panel.
    async fn extend_here(&self, actor: &Actor, user: UserId, days: u32) -> Result<Extended> {
        self.require(actor, user, AuditAction::SubscriptionExtendRefused)
            .await?;
        if days == 0 {
            return Err(invalid("extend by at least one day"))?;
        }
        let u = self.subject(user, "extend").await?;
        let email = u.panel_email.clone().unwrap_or_default();
        self.panel_call()?;
        let current = match self.deps.panel.client_traffic(&email).await {
            Err(PanelError::NotFound { .. }) => Err(UserError::NotFound {
                what: format!("the panel client {email}"),
            })?,
            // No counters on this backend: extend from the stored expiry.
            Err(PanelError::Unsupported(_)) => crate::panel::ClientTraffic {
                expiry_time: u.expiry_at.unwrap_or(0),
                ..crate::panel::ClientTraffic::default()
            },
            other => other?,
        };
        let (previous, now) = (current.expiry_time, self.now());
        if previous == 0 {
            return Err(invalid("this subscription never expires"))?;
        }
        let span = i64::from(days) * DAY_MS;
        let expiry_at = extended_expiry(previous, now, span);
        let total = u64::try_from(current.total).unwrap_or(0);
        self.deps
            .panel
            .extend_client(&email, expiry_at, total)
            .await?;
        self.deps.panel.set_client_enabled(&email, true).await?;
        let sub = Subscription {
            expiry_at: Some(expiry_at),
            traffic_limit_bytes: current.total,
            device_limit: u.device_limit,
            status: SubscriptionStatus::Active,
        };
        let admin = actor.user;
        let change = AccessChange::Extended { days, expiry_at };
        let payload = json!({ "days": days, "previous_expiry": previous, "expiry_at": expiry_at });
        self.record(
            user,
            admin,
            AuditAction::SubscriptionExtend,
            change,
            payload,
            move |tx, now| store::users::set_subscription(tx, user, &sub, now).map(drop),
        )
        .await?;
        Ok(Extended {
            user_id: user,
            previous_expiry: previous,
            expiry_at,
        })
    }

    /// Revokes `user`'s access as `actor`, for `reason` (shown to the customer).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without the role; [`UserError::NotFound`] for an unknown
    /// customer; [`UserError::InvalidState`] for a customer without a subscription or already
    /// revoked; [`UserError::PanelUnavailable`] during an outage; other panel and store errors.
    pub async fn revoke(&self, actor: &Actor, user: UserId, reason: &str) -> Result<()> {
        self.for_user(user)
            .await?
            .revoke_here(actor, user, reason)
            .await
    }

    /// [`SubscriptionService::revoke`] on this service's panel.
    async fn revoke_here(&self, actor: &Actor, user: UserId, reason: &str) -> Result<()> {
        self.require(actor, user, AuditAction::SubscriptionRevokeRefused)
            .await?;
        let u = self.subject(user, "revoke").await?;
        let email = u.panel_email.clone().unwrap_or_default();
        self.panel_call()?;
        match self.deps.panel.set_client_enabled(&email, false).await {
            Ok(()) | Err(PanelError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let change = AccessChange::Revoked {
            reason: reason.to_owned(),
        };
        let payload = json!({ "reason": reason, "previous_status": u.status.to_string() });
        self.record(
            user,
            actor.user,
            AuditAction::SubscriptionRevoke,
            change,
            payload,
            move |tx, now| {
                // Re-read in the transaction: a renewal that landed meanwhile is revoked too.
                let fresh = store::users::get(tx, user)?.ok_or_else(|| UserError::NotFound {
                    what: format!("customer {user}"),
                })?;
                if fresh.status == SubscriptionStatus::Revoked {
                    return Err(invalid("the access is already revoked"))?;
                }
                let sub = Subscription {
                    expiry_at: fresh.expiry_at,
                    traffic_limit_bytes: fresh.traffic_limit_bytes,
                    device_limit: fresh.device_limit,
                    status: SubscriptionStatus::Revoked,
                };
                store::users::set_subscription(tx, user, &sub, now).map(drop)
            },
        )
        .await
    }

    /// The role check; a refusal is audited as `refused`.
    async fn require(&self, actor: &Actor, user: UserId, refused: AuditAction) -> Result<()> {
        let Err(refusal) = self
            .deps
            .roles
            .require(actor, Permission::ManageSubscriptions)
        else {
            return Ok(());
        };
        let (admin, now) = (actor.user, self.now());
        self.deps
            .store
            .call(move |c| {
                let payload = json!({ "reason": "forbidden" });
                audit(
                    c,
                    Some(admin),
                    refused,
                    Target::User(user),
                    None,
                    payload,
                    now,
                )
            })
            .await?;
        Err(refusal.into())
    }

    /// The customer an admin action applies to: must have a client and be active or expired
    /// (a revoked or never-subscribed customer is refused with [`UserError::InvalidState`]).
    async fn subject(&self, user: UserId, action: &str) -> Result<User> {
        let u = self
            .deps
            .store
            .call(move |c| store::users::get(c, user))
            .await?
            .ok_or_else(|| UserError::NotFound {
                what: format!("customer {user}"),
            })?;
        match u.status {
            SubscriptionStatus::Active | SubscriptionStatus::Expired if u.panel_email.is_some() => {
                Ok(u)
            }
            SubscriptionStatus::Revoked => Err(invalid(&format!(
                "cannot {action}: access of {user} is revoked"
            )))?,
            _ => Err(invalid(&format!(
                "cannot {action}: {user} has no subscription"
            )))?,
        }
    }

    /// `Ok` when panel calls may go ahead.
    fn panel_call(&self) -> Result<(), UserError> {
        if self.deps.breaker.is_outage() {
            Err(UserError::PanelUnavailable)
        } else {
            Ok(())
        }
    }

    /// One transaction: `write`, the audit entry (admin as actor) and the customer's notice.
    async fn record<F>(
        &self,
        user: UserId,
        admin: UserId,
        action: AuditAction,
        change: AccessChange,
        payload: serde_json::Value,
        write: F,
    ) -> Result<()>
    where
        F: FnOnce(&rusqlite::Connection, i64) -> Result<()> + Send + 'static,
    {
        let now = self.now();
        self.deps
            .store
            .transaction(move |tx| {
                write(tx, now)?;
                audit(
                    tx,
                    Some(admin),
                    action,
                    Target::User(user),
                    None,
                    payload,
                    now,
                )?;
                let notice = Delivery::AccessChanged {
                    user_id: user,
                    admin_id: admin,
                    change,
                    at: now,
                };
                enqueue(tx, &notice, now)
            })
            .await
    }
}

fn invalid(reason: &str) -> UserError {
    UserError::InvalidState {
        reason: reason.to_owned(),
    }
}
