//! `/trial`: once per Discord account, ever (the `trials` primary key), for new customers only,
//! not for banned or too-young accounts, not during a panel outage. Provisioned by the approval
//! state machine as a free order (no ledger sale); a later purchase extends the same client.

use crate::config::Plan;
use crate::domain::audit::AuditAction;
use crate::domain::status::{OrderKind, PaymentSource, PaymentStatus};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Result, UserError};
use crate::service::approval::{ApprovalOutcome, start_settled};
use crate::service::state::{Target, audit};
use crate::store::{self, payments::NewUnattendedPayment};

use super::bans::banned;
use super::refusals::{TRIAL_ALREADY, TRIAL_NOT_NEW, TRIAL_OFF};
use super::{GrowthService, account_old_enough, refused};

impl GrowthService {
    /// Grants `user` the trial and provisions it; `None` when the reconciler drives it.
    ///
    /// # Errors
    /// [`UserError::InvalidState`] (audited) when trials are off, the account is too young,
    /// banned, already a customer or already had its trial, or has an open order;
    /// [`UserError::PanelUnavailable`] during an outage; store errors.
    pub async fn trial(&self, user: UserId) -> Result<Option<ApprovalOutcome>> {
        let cfg = self.deps.config.trial.clone();
        let now = self.deps.clock.now_ms();
        let early = if !cfg.enabled {
            Some(UserError::InvalidState {
                reason: TRIAL_OFF.into(),
            })
        } else if self.deps.breaker.is_outage() {
            Some(UserError::PanelUnavailable)
        } else if !account_old_enough(user, cfg.min_account_age_days, now) {
            Some(UserError::InvalidState {
                reason: format!(
                    "trials are for Discord accounts at least {} days old",
                    cfg.min_account_age_days
                ),
            })
        } else {
            None
        };
        let plan = self.trial_plan();
        let granted = self
            .deps
            .store
            .transaction(move |tx| {
                let outcome = match early {
                    Some(refusal) => Err(refusal),
                    None => grant(tx, user, &plan, now)?,
                };
                if let Err(refusal) = &outcome {
                    refused(
                        tx,
                        user,
                        AuditAction::TrialRefused,
                        &refusal.to_string(),
                        now,
                    )?;
                }
                Ok(outcome)
            })
            .await??;
        self.approval.provision_settled(granted.1).await
    }

    /// The trial as a plan snapshot (price 0, the shop's first plan's currency).
    fn trial_plan(&self) -> Plan {
        let t = &self.deps.config.trial;
        Plan {
            id: "trial".into(),
            name: "Trial".into(),
            days: t.days,
            traffic_gib: t.traffic_gib,
            device_limit: t.device_limit,
            price_minor: 0,
            currency: self
                .deps
                .config
                .plans
                .first()
                .map_or_else(|| "USD".to_owned(), |p| p.currency.clone()),
            start_on_first_use: false,
        }
    }
}

/// The trial's transaction: checks, the `trials` row (once per account), a free order and its
/// payment, started like a confirmed approval.
fn grant(
    tx: &rusqlite::Connection,
    user: UserId,
    plan: &Plan,
    now: i64,
) -> Result<Result<(OrderId, PaymentId), UserError>> {
    let u = store::users::ensure(tx, user, now)?;
    if u.banned {
        return Ok(Err(banned(u.ban_reason.as_deref())));
    }
    if store::trials::granted_at(tx, user)?.is_some() {
        return Ok(Err(UserError::InvalidState {
            reason: TRIAL_ALREADY.into(),
        }));
    }
    if u.panel_email.is_some() {
        return Ok(Err(UserError::InvalidState {
            reason: TRIAL_NOT_NEW.into(),
        }));
    }
    if let Some(open) = store::orders::find_open_for_user(tx, user)? {
        return Ok(Err(UserError::OpenOrderExists { order: open.id }));
    }
    let order = store::orders::insert(tx, user, OrderKind::Trial, plan, None, now)?;
    store::trials::insert(tx, user, order, now)?;
    let payment = store::payments::insert_unattended(
        tx,
        &NewUnattendedPayment {
            order_id: order,
            user_id: user,
            method: "trial".into(),
            source: PaymentSource::Trial,
            amount_minor: 0,
            currency: plan.currency.clone(),
        },
        PaymentStatus::Approving,
        now,
    )?;
    start_settled(tx, payment, order, PaymentSource::Trial.as_str(), now)?;
    let payload = serde_json::json!({ "order": order, "days": plan.days });
    audit(
        tx,
        Some(user),
        AuditAction::TrialGrant,
        Target::User(user),
        None,
        payload,
        now,
    )?;
    Ok(Ok((order, payment)))
}
