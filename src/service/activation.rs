//! First-use activation (seed 001): a plan sold with `start_on_first_use` gets a negative expiry
//! (`-duration` ms, counted by 3x-ui from the first connection). This service notices when the
//! clock started, records `users.activated_at` and the absolute expiry, and tells the customer
//! once: "your N days started, they end on …".
//!
//! One pass ([`ActivationService::activate_once`], job `first_use_activation` every 5 min)
//! reads the waiting customers from the database (no panel call when there are none), then the
//! configured inbound (its clients' `expiryTime`) and `lastOnline`, and starts the clock of each
//! customer for whom one of these holds, in this order:
//! 1. **panel**: the panel turned the expiry absolute → started = panel expiry − duration;
//! 2. **panel_did_not_convert**: the client has had traffic (`lastOnline > 0`) at least
//!    [`CONVERSION_GRACE_MS`] ago and the panel still holds the negative value (3x-ui #5714,
//!    #5849) → the bot sets `lastOnline + duration` on the panel itself;
//! 3. **deadline**: `orders.first_use_deadline_days` > 0 and the deadline passed (set the first
//!    time a pass sees the customer waiting) → `now + duration`, set on the panel.
//!
//! Recording is one transaction: a compare-and-set on the negative expiry (a renewal in between
//! wins, and so does whichever pass — this job or the reconciler — gets there first), the audit
//! `subscription.activated`, and the [`Delivery::ActivationStarted`] DM keyed by user and expiry.
//! So a customer hears exactly once per activation, across passes and restarts. Skipped during
//! an outage and on a backend without first-use expiry. No serenity/poise here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;
use serde_json::json;

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::error::Result;
use crate::panel::{Inbound, LastOnline, PanelError};
use crate::service::Deps;
use crate::service::approval::terms::DAY_MS;
use crate::service::state::{Target, audit, enqueue};
use crate::store::{self, activation::Waiting};
use crate::tasks::Job;

/// How long after the first traffic the panel gets to convert the expiry before the bot does
/// it (3x-ui converts on the next stats tick, 5-10 s).
pub const CONVERSION_GRACE_MS: i64 = 120_000;

/// Why a clock started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartReason {
    /// The panel converted the expiry on the first connection.
    Panel,
    /// The client had traffic but the panel kept the negative expiry; the bot set it.
    PanelDidNotConvert,
    /// Nobody connected before the deadline; the bot started the clock.
    Deadline,
}

impl StartReason {
    /// The audit payload's `reason`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Panel => "panel",
            Self::PanelDidNotConvert => "panel_did_not_convert",
            Self::Deadline => "deadline",
        }
    }
}

/// A clock to start: when it started and the absolute expiry (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Start {
    /// Why.
    pub reason: StartReason,
    /// When the days started (Unix ms).
    pub started: i64,
    /// The new absolute expiry (Unix ms).
    pub expiry_at: i64,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivationPass {
    /// Customers whose clock this pass started.
    pub activated: Vec<(UserId, StartReason)>,
    /// Not run (outage, backend without first-use expiry, panel unreachable).
    pub skipped: bool,
}

/// The activation service.
#[derive(Debug, Clone)]
pub struct ActivationService {
    deps: Deps,
}

impl ActivationService {
    /// A service on `deps`.
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// One pass (see the module doc).
    ///
    /// # Errors
    /// Store errors; panel errors other than "down" or "unsupported" while reading the inbound.
    pub async fn activate_once(&self) -> Result<ActivationPass> {
        if !self.deps.panels.is_several() {
            return self.activate_panel(None).await;
        }
        let first = self.deps.panels.first_id().to_owned();
        let on = self
            .deps
            .store
            .call_blocking(move |c| store::placement::panels_of_all(c, &first))
            .await?;
        let mut total = ActivationPass::default();
        for h in self.deps.panels.iter() {
            let one = Self::new(self.deps.on(&h.id));
            let pass = one.activate_panel(Some((&h.id, &on))).await?;
            total.activated.extend(pass.activated);
            total.skipped |= pass.skipped;
        }
        Ok(total)
    }

    /// One pass on this service's panel; `only`: (panel id, every customer's panel) with
    /// several panels, so that only that panel's customers are looked at there.
    async fn activate_panel(
        &self,
        only: Option<(&str, &HashMap<UserId, String>)>,
    ) -> Result<ActivationPass> {
        let mut pass = ActivationPass::default();
        if self.deps.breaker.is_outage() || !self.deps.panel.capabilities().first_use_expiry {
            pass.skipped = true;
            return Ok(pass);
        }
        let mut waiting = self
            .deps
            .store
            .call_blocking(|c| store::activation::waiting(c))
            .await?;
        if let Some((panel, on)) = only {
            waiting.retain(|w| on.get(&w.user_id).map(String::as_str) == Some(panel));
        }
        if waiting.is_empty() {
            return Ok(pass);
        }
        let Some((inbound, last)) = self.observe().await? else {
            pass.skipped = true;
            return Ok(pass);
        };
        for w in &waiting {
            if let Some(start) = self.decide(w, &inbound, &last).await?
                && self.start_clock(w, start).await?
            {
                pass.activated.push((w.user_id, start.reason));
            }
        }
        Ok(pass)
    }

    /// The inbound and `lastOnline` (empty when the panel cannot say); `None` when the panel is
    /// down.
    async fn observe(&self) -> Result<Option<(Inbound, LastOnline)>> {
        let panel = &self.deps.panel;
        let inbound = match panel.inbound(self.deps.config.panel.inbound_id).await {
            Ok(i) => i,
            Err(PanelError::Unavailable { .. } | PanelError::Unsupported(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let last = panel.last_online().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "activation: no lastOnline from the panel");
            LastOnline::new()
        });
        Ok(Some((inbound, last)))
    }

    /// Whether `w`'s clock started, and how; sets a missing deadline.
    async fn decide(
        &self,
        w: &Waiting,
        inbound: &Inbound,
        last: &LastOnline,
    ) -> Result<Option<Start>> {
        let (now, duration) = (self.deps.clock.now_ms(), -w.expiry_at);
        let panel_expiry = inbound.client(&w.email).map_or(0, |c| c.expiry_time);
        if panel_expiry > 0 {
            let started = panel_expiry - duration;
            return Ok(Some(Start {
                reason: StartReason::Panel,
                started,
                expiry_at: panel_expiry,
            }));
        }
        let seen = last.get(&w.email).copied().unwrap_or(0);
        if seen > 0 && seen.saturating_add(CONVERSION_GRACE_MS) <= now {
            let reason = StartReason::PanelDidNotConvert;
            return Ok(Some(Start {
                reason,
                started: seen,
                expiry_at: seen + duration,
            }));
        }
        let days = i64::from(self.deps.config.orders.first_use_deadline_days);
        match w.deadline_at {
            _ if days == 0 => Ok(None),
            Some(deadline) if deadline <= now => {
                let reason = StartReason::Deadline;
                Ok(Some(Start {
                    reason,
                    started: now,
                    expiry_at: now + duration,
                }))
            }
            Some(_) => Ok(None),
            None => {
                let (id, deadline) = (w.user_id, now + days * DAY_MS);
                self.deps
                    .store
                    .call(move |c| store::activation::set_deadline_if_unset(c, id, deadline))
                    .await?;
                Ok(None)
            }
        }
    }

    /// Sets the expiry on the panel when the panel did not, then records the start. Returns
    /// whether this pass recorded it.
    async fn start_clock(&self, w: &Waiting, start: Start) -> Result<bool> {
        if start.reason != StartReason::Panel {
            let limit = u64::try_from(w.traffic_limit_bytes).unwrap_or(0);
            if let Err(e) = self
                .deps
                .panel
                .extend_client(&w.email, start.expiry_at, limit)
                .await
            {
                tracing::warn!(user = %w.user_id, error = %e, "activation: cannot set the expiry");
                return Ok(false);
            }
        }
        let (id, from, now) = (w.user_id, w.expiry_at, self.deps.clock.now_ms());
        self.deps
            .store
            .transaction(move |tx| record_start(tx, id, from, start, now))
            .await
    }
}

/// Records that `user`'s clock started (see the module doc): compare-and-set of the expiry
/// `from` (negative) → `start.expiry_at` with `activated_at`, audit, the customer's DM. Returns
/// false (and writes nothing) when the expiry is no longer `from`.
///
/// # Errors
/// SQLite errors.
pub(crate) fn record_start(
    tx: &Connection,
    user: UserId,
    from: i64,
    start: Start,
    now: i64,
) -> Result<bool> {
    let change = (from, start.expiry_at);
    if !store::activation::activate_if(tx, user, change, start.started, now)? {
        return Ok(false);
    }
    let payload = json!({ "reason": start.reason.as_str(), "from": from,
        "expiry_at": start.expiry_at, "activated_at": start.started });
    audit(
        tx,
        None,
        AuditAction::SubscriptionActivated,
        Target::User(user),
        None,
        payload,
        now,
    )?;
    let days = u32::try_from(-from / DAY_MS).unwrap_or(u32::MAX);
    let dm = Delivery::ActivationStarted {
        user_id: user,
        expiry_at: start.expiry_at,
        days,
    };
    enqueue(tx, &dm, now)?;
    Ok(true)
}

/// Runs [`ActivationService::activate_once`] every 5 minutes.
#[derive(Debug, Clone)]
pub struct ActivationJob(pub Arc<ActivationService>);

#[async_trait]
impl Job for ActivationJob {
    fn name(&self) -> &'static str {
        "first_use_activation"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(300)
    }

    async fn run_once(&self) -> Result<()> {
        let pass = self.0.activate_once().await?;
        if !pass.activated.is_empty() {
            tracing::info!(activated = pass.activated.len(), "first-use clocks started");
        }
        Ok(())
    }
}
