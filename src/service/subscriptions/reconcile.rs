//! Reconciliation of the database with the panel (after a restart, then periodically): the
//! customers with a client identity are compared with the clients of `panel.inbound_id`.
//!
//! - **missing** (DB `active`, no client with its email): re-created from the stored identity
//!   (uuid, email, subId) and terms (expiry, traffic limit, devices), enabled unless the expiry
//!   has passed; its traffic counters start again at 0 (the panel lost them with the client);
//! - **wrongly enabled** (DB `expired` or `revoked`, client enabled): disabled;
//! - **wrongly disabled** (DB `active`, expiry not passed, client disabled): enabled only when
//!   clearly safe (below), otherwise reported;
//! - **extra** (a client named `u<digits>` that no customer owns): reported, never deleted;
//! - **expiry drift** (DB expiry negative, panel expiry positive: the first use started): the
//!   panel's expiry is copied to the database.
//!
//! "Clearly safe" to enable: the last thing about the customer in the audit log (reconcile
//! reports aside) is the bot's own disabling (`subscription.expire` or
//! `subscription.reconcile.wrongly_enabled`), the panel's expiry equals the database's, and the
//! client has traffic left. So a client a person disabled by hand on the panel is never
//! re-enabled behind their back; it is reported.
//!
//! Every finding is audited (`subscription.reconcile.<finding>`, target the customer, payload
//! with the email and whether it was fixed). A finding that is only reported is audited once
//! until something else about the customer is audited, so a periodic pass does not flood the
//! log. Customers whose client lives in another inbound are left alone.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::domain::status::SubscriptionStatus;
use crate::error::Result;
use crate::panel::{Client, ClientSpec, PanelError};
use crate::service::activation::{Start, StartReason, record_start};
use crate::service::state::{Target, audit};
use crate::store::users::User;
use crate::store::{self};

use super::{SubscriptionService, is_down};

/// What one [`SubscriptionService::reconcile_once`] pass found and fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// True when nothing was compared: the panel is in outage or could not be reached.
    pub skipped: bool,
    /// Missing clients re-created.
    pub recreated: Vec<UserId>,
    /// Missing clients that could not be re-created (no stored uuid/subId or expiry, or the
    /// panel refused; see `errors`).
    pub missing_unfixed: Vec<UserId>,
    /// Wrongly enabled clients disabled.
    pub disabled: Vec<UserId>,
    /// Wrongly disabled clients enabled (clearly safe).
    pub enabled: Vec<UserId>,
    /// Wrongly disabled clients reported only.
    pub wrongly_disabled: Vec<UserId>,
    /// Emails of extra clients (reported, never deleted).
    pub extra: Vec<String>,
    /// Customers whose expiry was copied from the panel (drift).
    pub drift_synced: Vec<UserId>,
    /// Panel errors met while fixing, as `u<id>: <error>`.
    pub errors: Vec<String>,
}

impl ReconcileReport {
    /// Adds another panel's report to this one (start from `skipped: true`: the total is
    /// skipped only if every panel was).
    pub fn absorb(&mut self, other: Self) {
        self.skipped &= other.skipped;
        self.recreated.extend(other.recreated);
        self.missing_unfixed.extend(other.missing_unfixed);
        self.disabled.extend(other.disabled);
        self.enabled.extend(other.enabled);
        self.wrongly_disabled.extend(other.wrongly_disabled);
        self.extra.extend(other.extra);
        self.drift_synced.extend(other.drift_synced);
        self.errors.extend(other.errors);
    }

    /// How many fixes were applied.
    #[must_use]
    pub fn fixes(&self) -> usize {
        self.recreated.len() + self.disabled.len() + self.enabled.len() + self.drift_synced.len()
    }
}

/// Discord id in a client email of our naming (`u<digits>`).
fn our_email(email: &str) -> Option<u64> {
    let digits = email.strip_prefix('u')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl SubscriptionService {
    /// One reconciliation pass (see the module doc).
    ///
    /// # Errors
    /// Store errors, and panel errors other than "unreachable" when reading the inbound.
    pub async fn reconcile_once(&self) -> Result<ReconcileReport> {
        let on = self.placements().await?;
        if on.is_empty() {
            return self.reconcile_panel(None).await;
        }
        let mut total = ReconcileReport {
            skipped: true,
            ..ReconcileReport::default()
        };
        for h in self.deps.panels.iter() {
            let one = Self::new(self.deps.on(&h.id));
            total.absorb(one.reconcile_panel(Some((&h.id, &on))).await?);
        }
        Ok(total)
    }

    /// Reconciles this service's panel; `only`: (panel id, every customer's panel) with several
    /// panels, so that only that panel's customers are checked there.
    async fn reconcile_panel(
        &self,
        only: Option<(&str, &HashMap<UserId, String>)>,
    ) -> Result<ReconcileReport> {
        let mut report = ReconcileReport::default();
        if self.deps.breaker.is_outage() {
            report.skipped = true;
            return Ok(report);
        }
        let inbound_id = self.deps.config.panel.inbound_id;
        let inbound = match self.deps.panel.inbound(inbound_id).await {
            Ok(i) => i,
            // A backend that cannot list its clients (vpn-api) has nothing to reconcile.
            Err(e) if is_down(&e) || matches!(e, PanelError::Unsupported(_)) => {
                report.skipped = true;
                return Ok(report);
            }
            Err(e) => return Err(e.into()),
        };
        let users = self
            .deps
            .store
            .call_blocking(|c| store::users::list_with_client(c))
            .await?;
        let mut owned = HashSet::new();
        for user in &users {
            let Some(email) = &user.panel_email else {
                continue;
            };
            owned.insert(email.to_ascii_lowercase());
            let elsewhere =
                only.is_some_and(|(p, on)| on.get(&user.discord_id).map(String::as_str) != Some(p));
            if elsewhere || user.inbound_id.is_some_and(|i| i != i64::from(inbound_id)) {
                continue;
            }
            self.check_user(user, inbound.client(email), &mut report)
                .await?;
        }
        for client in inbound.clients() {
            let Some(id) = our_email(&client.email) else {
                continue;
            };
            if !owned.contains(&client.email.to_ascii_lowercase()) {
                report.extra.push(client.email.clone());
                let payload = json!({ "email": client.email, "enable": client.enable });
                self.finding(UserId(id), AuditAction::ReconcileExtra, payload, true)
                    .await?;
            }
        }
        Ok(report)
    }

    async fn check_user(
        &self,
        user: &User,
        client: Option<&Client>,
        report: &mut ReconcileReport,
    ) -> Result<()> {
        let mut expiry = user.expiry_at;
        if let (Some(db), Some(c)) = (expiry, client)
            && db < 0
            && c.expiry_time > 0
        {
            self.sync_drift(user, db, c.expiry_time, report).await?;
            expiry = Some(c.expiry_time);
        }
        let now = self.now();
        let passed = expiry.is_some_and(|e| e > 0 && e <= now);
        match (user.status, client) {
            (SubscriptionStatus::Active, None) => self.recreate(user, expiry, passed, report).await,
            (SubscriptionStatus::Expired | SubscriptionStatus::Revoked, Some(c)) if c.enable => {
                self.disable(user, report).await
            }
            (SubscriptionStatus::Active, Some(c)) if !c.enable && !passed => {
                self.wrongly_disabled(user, expiry, c, report).await
            }
            _ => Ok(()),
        }
    }

    async fn sync_drift(
        &self,
        user: &User,
        from: i64,
        to: i64,
        report: &mut ReconcileReport,
    ) -> Result<()> {
        let (id, now) = (user.discord_id, self.now());
        let email = user.panel_email.clone();
        let synced = self
            .deps
            .store
            .transaction(move |tx| {
                // The clock started: recorded (and the customer told) as the activation job
                // does, whichever gets there first.
                let start = Start {
                    reason: StartReason::Panel,
                    started: to + from,
                    expiry_at: to,
                };
                if !record_start(tx, id, from, start, now)? {
                    return Ok(false);
                }
                let payload = json!({ "email": email, "from": from, "to": to, "fixed": true });
                let action = AuditAction::ReconcileExpiryDrift;
                audit(tx, None, action, Target::User(id), None, payload, now)?;
                Ok(true)
            })
            .await?;
        if synced {
            report.drift_synced.push(id);
        }
        Ok(())
    }

    /// Re-creates the client of an active customer from the stored identity and terms.
    async fn recreate(
        &self,
        user: &User,
        expiry: Option<i64>,
        passed: bool,
        report: &mut ReconcileReport,
    ) -> Result<()> {
        let id = user.discord_id;
        let (Some(uuid), Some(email), Some(sub_id), Some(expiry)) = (
            &user.panel_client_uuid,
            &user.panel_email,
            &user.panel_sub_id,
            expiry,
        ) else {
            report.missing_unfixed.push(id);
            let payload = json!({ "email": user.panel_email, "fixed": false,
                "why": "no stored identity or expiry" });
            return self
                .finding(id, AuditAction::ReconcileMissing, payload, true)
                .await;
        };
        let mut spec = ClientSpec::new(uuid, email, sub_id);
        spec.total_bytes = u64::try_from(user.traffic_limit_bytes).unwrap_or(0);
        spec.expiry_time_ms = expiry;
        spec.limit_ip = u32::try_from(user.device_limit).unwrap_or(0);
        spec.comment = format!("discord user {id}");
        spec.enable = !passed;
        let inbound_id = self.deps.config.panel.inbound_id;
        match self.deps.panel.ensure_client(inbound_id, &spec).await {
            Ok(_) => {
                report.recreated.push(id);
                let payload = json!({ "email": email, "fixed": true, "expiry_at": expiry,
                    "enable": spec.enable });
                self.finding(id, AuditAction::ReconcileMissing, payload, false)
                    .await
            }
            Err(e) => {
                report.missing_unfixed.push(id);
                report.errors.push(format!("{email}: {e}"));
                let payload = json!({ "email": email, "fixed": false, "error": e.to_string() });
                self.finding(id, AuditAction::ReconcileMissing, payload, true)
                    .await
            }
        }
    }

    /// Disables the enabled client of an expired or revoked customer.
    async fn disable(&self, user: &User, report: &mut ReconcileReport) -> Result<()> {
        let id = user.discord_id;
        let email = user.panel_email.clone().unwrap_or_default();
        let result = self.deps.panel.set_client_enabled(&email, false).await;
        let fixed = result.is_ok();
        let mut payload = json!({ "email": email, "status": user.status.to_string(),
            "fixed": fixed });
        if let Err(e) = result {
            report.errors.push(format!("{email}: {e}"));
            payload["error"] = e.to_string().into();
        } else {
            report.disabled.push(id);
        }
        self.finding(id, AuditAction::ReconcileWronglyEnabled, payload, !fixed)
            .await
    }

    /// A disabled client of an active, unexpired customer: enabled when clearly safe.
    async fn wrongly_disabled(
        &self,
        user: &User,
        expiry: Option<i64>,
        client: &Client,
        report: &mut ReconcileReport,
    ) -> Result<()> {
        let id = user.discord_id;
        let email = client.email.clone();
        let why = self.unsafe_to_enable(id, expiry, client).await?;
        let mut fixed = false;
        let mut payload = json!({ "email": email });
        if why.is_none() {
            match self.deps.panel.set_client_enabled(&email, true).await {
                Ok(()) => fixed = true,
                Err(e) => {
                    report.errors.push(format!("{email}: {e}"));
                    payload["error"] = e.to_string().into();
                }
            }
        }
        payload["fixed"] = fixed.into();
        if let Some(why) = why {
            payload["why_not_enabled"] = why.into();
        }
        if fixed {
            report.enabled.push(id);
        } else {
            report.wrongly_disabled.push(id);
        }
        self.finding(id, AuditAction::ReconcileWronglyDisabled, payload, !fixed)
            .await
    }

    /// Why enabling the client is not clearly safe (`None` = safe).
    async fn unsafe_to_enable(
        &self,
        user: UserId,
        expiry: Option<i64>,
        client: &Client,
    ) -> Result<Option<&'static str>> {
        if expiry != Some(client.expiry_time) {
            return Ok(Some("the panel's expiry differs from the database's"));
        }
        let id = user.to_string();
        let entries = self
            .deps
            .store
            .call(move |c| store::audit::for_target(c, "user", &id))
            .await?;
        let last = entries.iter().rev().find(|e| may_change_enable(e));
        let ours = last.is_some_and(|e| {
            e.actor.is_none()
                && matches!(
                    e.action.parse(),
                    Ok(AuditAction::SubscriptionExpire | AuditAction::ReconcileWronglyEnabled)
                )
        });
        if !ours {
            return Ok(Some("not disabled by the bot"));
        }
        match self.deps.panel.client_traffic(&client.email).await {
            Ok(t) if t.total > 0 && t.up.saturating_add(t.down) >= t.total => {
                Ok(Some("no traffic left"))
            }
            Ok(_) => Ok(None),
            Err(_) => Ok(Some("traffic unknown")),
        }
    }

    /// Audits a finding. With `once`, nothing is written when the customer's latest audit entry
    /// is already this finding with the same payload.
    async fn finding(
        &self,
        user: UserId,
        finding: AuditAction,
        payload: serde_json::Value,
        once: bool,
    ) -> Result<()> {
        let now = self.now();
        self.deps
            .store
            .transaction(move |tx| {
                if once {
                    let entries = store::audit::for_target(tx, "user", &user.to_string())?;
                    if entries
                        .last()
                        .is_some_and(|e| e.action == finding.as_str() && e.payload == payload)
                    {
                        return Ok(());
                    }
                }
                audit(tx, None, finding, Target::User(user), None, payload, now)
            })
            .await
    }
}

/// Whether audit entry `e` may have changed whether the customer's client is enabled: anything
/// but this reconciler's reports and expiry syncs, or one of its fixes of the enable state.
fn may_change_enable(e: &store::audit::Entry) -> bool {
    match e.action.parse::<AuditAction>() {
        Ok(
            AuditAction::ReconcileMissing
            | AuditAction::ReconcileWronglyEnabled
            | AuditAction::ReconcileWronglyDisabled,
        ) => e.payload["fixed"] == true,
        Ok(other) => !other.is_reconcile_finding(),
        Err(_) => true,
    }
}
