//! Subscriptions over time: expiry reminders, expiry, reconciliation of the database with the
//! panel, and the admin operations extend and revoke. Like every service it never talks to
//! Discord: customers hear about it through typed outbox deliveries
//! ([`Delivery::ExpiryReminder`], [`Delivery::SubscriptionExpired`], [`Delivery::AccessChanged`]).
//!
//! - [`SubscriptionService::reminders_once`] queues, for each active customer whose positive
//!   expiry lies within the tightest configured offset (`orders.reminder_days`, e.g. 3 and 1
//!   days), one reminder keyed by (user, expiry, offset): repeated passes queue nothing new, a
//!   renewal's new expiry gets fresh reminders, and a customer first seen inside the 1-day window
//!   (the bot was down) gets only the 1-day reminder, not a stale 3-day one.
//! - [`SubscriptionService::expire_once`] disables, on the panel, the client of each active
//!   customer whose positive expiry has passed, then marks them `expired` (audit
//!   `subscription.expire`, notice queued) in one transaction. **Panel first**: a customer is
//!   marked expired only after the panel call succeeded (or the client no longer exists), so a
//!   panel outage leaves them `active` for the next pass and nothing is half done. The mark is a
//!   compare-and-set on (status, expiry): if a renewal changed the expiry meanwhile the mark is
//!   skipped and the client is enabled again. A negative expiry (start on first use, not started)
//!   never expires here; once the panel has turned it positive, the reconciler copies it to the
//!   database and a later pass expires it.
//! - [`SubscriptionService::reconcile_once`] compares the database with the panel's inbound
//!   (`panel.inbound_id`); see [`ReconcileReport`] for each category and what is fixed.
//! - [`SubscriptionService::extend`] and [`SubscriptionService::revoke`] are the admin actions
//!   (`Permission::ManageSubscriptions`, checked server side and audited when refused).
//!
//! Every "now" comes from the [`Clock`]. Panel work is skipped while the circuit breaker reports
//! an outage. The jobs wrapping the passes are in [`jobs`].

mod admin;
pub mod jobs;
mod lookup;
mod reconcile;
mod status;

pub use admin::Extended;
pub use jobs::{ExpiryJob, ReconcileJob, RemindersJob};
pub use lookup::{ORDERS_SHOWN, UserLookup};
pub use reconcile::ReconcileReport;
pub use status::{PaymentLink, StatusView};

use std::collections::HashMap;

use serde_json::json;

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::status::SubscriptionStatus;
use crate::error::Result;
use crate::panel::PanelError;
use crate::service::Deps;
use crate::service::approval::terms::DAY_MS;
use crate::service::state::{Target, audit, enqueue};
use crate::store::users::User;
use crate::store::{self};

/// The subscription service. Cheap to clone.
#[derive(Clone)]
pub struct SubscriptionService {
    deps: Deps,
}

impl std::fmt::Debug for SubscriptionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionService")
            .finish_non_exhaustive()
    }
}

/// What one [`SubscriptionService::expire_once`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryPass {
    /// Customers disabled on the panel and marked `expired`.
    pub expired: Vec<UserId>,
    /// Customers left `active` for the next pass (the panel failed or was unreachable).
    pub deferred: Vec<UserId>,
    /// Customers renewed (or changed) between the read and the mark: left active, client enabled.
    pub raced: Vec<UserId>,
    /// True when the pass did nothing because the breaker reports an outage.
    pub skipped: bool,
}

/// How expiring one customer ended.
enum Expiry {
    Expired,
    Deferred,
    /// The panel cannot be reached: stop the pass.
    Down,
    Raced,
}

/// True for "the panel cannot be reached / did not answer" (as opposed to a refusal or a 5xx).
fn is_down(e: &PanelError) -> bool {
    matches!(
        e,
        PanelError::Unavailable {
            http_status: None,
            ..
        }
    )
}

impl SubscriptionService {
    /// A service on `deps`.
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    fn now(&self) -> i64 {
        self.deps.clock.now_ms()
    }

    /// Each placed customer's panel with several panels; empty with one.
    pub(crate) async fn placements(&self) -> Result<HashMap<UserId, String>> {
        if !self.deps.panels.is_several() {
            return Ok(HashMap::new());
        }
        let first = self.deps.panels.first_id().to_owned();
        self.deps
            .store
            .call_blocking(move |c| store::placement::panels_of_all(c, &first))
            .await
    }

    /// This service on `user`'s panel (itself with one panel).
    pub(crate) fn on_user(&self, on: &HashMap<UserId, String>, user: UserId) -> Self {
        on.get(&user)
            .map_or_else(|| self.clone(), |p| Self::new(self.deps.on(p)))
    }

    /// This service on `user`'s panel, read from the store.
    pub(crate) async fn for_user(&self, user: UserId) -> Result<Self> {
        Ok(self.on_user(&self.placements().await?, user))
    }

    /// Queues the due expiry reminders; returns how many were new (0 on a repeated pass).
    ///
    /// # Errors
    /// Store errors.
    pub async fn reminders_once(&self) -> Result<usize> {
        let now = self.now();
        let mut offsets: Vec<u32> = self.deps.config.orders.reminder_days.clone();
        offsets.retain(|d| *d > 0);
        offsets.sort_unstable();
        offsets.dedup();
        let Some(&widest) = offsets.last() else {
            return Ok(0);
        };
        let until = now.saturating_add(i64::from(widest) * DAY_MS);
        self.deps
            .store
            .transaction(move |tx| {
                let users =
                    store::users::expiring_between(tx, SubscriptionStatus::Active, now, until)?;
                let mut queued = 0;
                for user in users {
                    let Some(expiry_at) = user.expiry_at else {
                        continue;
                    };
                    // The tightest window the expiry is in.
                    let Some(&days_left) = offsets
                        .iter()
                        .find(|&&d| expiry_at - now <= i64::from(d) * DAY_MS)
                    else {
                        continue;
                    };
                    let reminder = Delivery::ExpiryReminder {
                        user_id: user.discord_id,
                        expiry_at,
                        days_left,
                    };
                    let key = reminder.idempotency_key();
                    let payload = reminder.payload();
                    if store::outbox::enqueue(tx, &key, reminder.kind(), &payload, now)?.is_some() {
                        queued += 1;
                    }
                }
                Ok(queued)
            })
            .await
    }

    /// Expires every active customer whose positive expiry has passed (panel first, see the
    /// module doc). Stops at the first "panel unreachable" error, leaving the rest for the next
    /// pass; a customer the panel refuses is skipped (logged) and retried next pass.
    ///
    /// # Errors
    /// Store errors.
    pub async fn expire_once(&self) -> Result<ExpiryPass> {
        let mut pass = ExpiryPass::default();
        if self.deps.breaker.is_outage() {
            pass.skipped = true;
            return Ok(pass);
        }
        let now = self.now();
        let due = self
            .deps
            .store
            .call(move |c| {
                let upto = now.saturating_add(1);
                store::users::expiring_between(c, SubscriptionStatus::Active, 1, upto)
            })
            .await?;
        let mut rest = due.into_iter();
        let on = self.placements().await?;
        for user in rest.by_ref() {
            let id = user.discord_id;
            match self.on_user(&on, id).expire_user(&user).await? {
                Expiry::Expired => pass.expired.push(id),
                Expiry::Raced => pass.raced.push(id),
                // With several panels one panel's outage does not hold the others' customers.
                Expiry::Down if on.is_empty() => {
                    pass.deferred.push(id);
                    break;
                }
                Expiry::Deferred | Expiry::Down => pass.deferred.push(id),
            }
        }
        pass.deferred.extend(rest.map(|u| u.discord_id));
        Ok(pass)
    }

    async fn expire_user(&self, user: &User) -> Result<Expiry> {
        let id = user.discord_id;
        let email = user.panel_email.clone();
        if let Some(email) = &email {
            match self.deps.panel.set_client_enabled(email, false).await {
                Ok(()) | Err(PanelError::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(user = %id, error = %e, "expiry: cannot disable the client");
                    return Ok(if is_down(&e) {
                        Expiry::Down
                    } else {
                        Expiry::Deferred
                    });
                }
            }
        }
        let (expiry, now) = (user.expiry_at, self.now());
        let moved = self
            .deps
            .store
            .transaction(move |tx| {
                let seen = (SubscriptionStatus::Active, expiry);
                if !store::users::set_status_if(tx, id, seen, SubscriptionStatus::Expired, now)? {
                    return Ok(false);
                }
                let payload = json!({ "email": email, "expiry_at": expiry });
                audit(
                    tx,
                    None,
                    AuditAction::SubscriptionExpire,
                    Target::User(id),
                    None,
                    payload,
                    now,
                )?;
                let expiry_at = expiry.unwrap_or_default();
                let notice = Delivery::SubscriptionExpired {
                    user_id: id,
                    expiry_at,
                };
                enqueue(tx, &notice, now)?;
                Ok(true)
            })
            .await?;
        if moved {
            return Ok(Expiry::Expired);
        }
        self.undo_expiry(user).await?;
        Ok(Expiry::Raced)
    }

    /// The customer changed between the read and the mark (a renewal): if they are still active
    /// with a future (or not started) expiry, enable the client again.
    async fn undo_expiry(&self, user: &User) -> Result<()> {
        let id = user.discord_id;
        let fresh = self
            .deps
            .store
            .call(move |c| store::users::get(c, id))
            .await?;
        let now = self.now();
        let (Some(fresh), Some(email)) = (fresh, &user.panel_email) else {
            return Ok(());
        };
        let live = fresh.expiry_at.is_some_and(|e| e < 0 || e > now);
        if fresh.status != SubscriptionStatus::Active || !live {
            return Ok(());
        }
        let result = if self.deps.panel.capabilities().disable_in_place {
            self.deps.panel.set_client_enabled(email, true).await
        } else {
            // Disable removed the client: an absolute update re-creates it (vpn-api).
            let (expiry, limit) = (fresh.expiry_at.unwrap_or(0), fresh.traffic_limit_bytes);
            let limit = u64::try_from(limit).unwrap_or(0);
            self.deps.panel.extend_client(email, expiry, limit).await
        };
        if let Err(e) = result {
            // No `subscription.expire` was audited, so the reconciler reports the client as
            // wrongly disabled (for an admin) rather than enabling it by itself.
            tracing::warn!(user = %id, error = %e, "expiry raced a renewal; enable failed");
        }
        Ok(())
    }
}
