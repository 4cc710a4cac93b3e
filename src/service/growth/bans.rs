//! Bans: `/admin ban` and `/admin unban`. A ban refuses `/order`, `/renew`, `/trial`, `/redeem`
//! and referral binding with the reason; the customer is told by DM; optionally their access is
//! revoked at once (the `/admin revoke` path).

use crate::domain::UserId;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::{AccessChange, Delivery};
use crate::domain::role::Permission;
use crate::error::{Result, UserError};
use crate::service::roles::Actor;
use crate::service::state::{Target, audit, enqueue};
use crate::store;

use super::GrowthService;
use super::refusals::BANNED_PREFIX;

impl GrowthService {
    /// Bans `user` with `reason` (1–200 characters); with `revoke`, also disables their access.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; [`UserError::InvalidState`] for an
    /// empty reason or a customer already banned; the revoke's errors (the ban stands then);
    /// store errors.
    pub async fn ban(&self, actor: &Actor, user: UserId, reason: &str, revoke: bool) -> Result<()> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        let reason = reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(UserError::InvalidState {
                reason: "give a reason of 1 to 200 characters".into(),
            }
            .into());
        }
        let (admin, now) = (actor.user, self.deps.clock.now_ms());
        let text = reason.clone();
        self.deps
            .store
            .transaction(move |tx| {
                let u = store::users::ensure(tx, user, now)?;
                if u.banned {
                    return Err(UserError::InvalidState {
                        reason: format!("<@{user}> is already banned"),
                    }
                    .into());
                }
                ban_in(tx, admin, user, &text, now, revoke)
            })
            .await?;
        let has_access = self
            .deps
            .store
            .call(move |c| {
                Ok(store::users::get(c, user)?
                    .and_then(|u| u.panel_email)
                    .is_some())
            })
            .await?;
        if revoke && has_access {
            self.subscriptions.revoke(actor, user, &reason).await?;
        }
        Ok(())
    }

    /// Lifts `user`'s ban.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; [`UserError::InvalidState`] when
    /// the customer is not banned; store errors.
    pub async fn unban(&self, actor: &Actor, user: UserId) -> Result<()> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        let (admin, now) = (actor.user, self.deps.clock.now_ms());
        self.deps
            .store
            .transaction(move |tx| {
                if !store::users::get(tx, user)?.is_some_and(|u| u.banned) {
                    return Err(UserError::InvalidState {
                        reason: format!("<@{user}> is not banned"),
                    }
                    .into());
                }
                store::users::set_ban(tx, user, None, now)?;
                let payload = serde_json::json!({});
                audit(
                    tx,
                    Some(admin),
                    AuditAction::UserUnban,
                    Target::User(user),
                    None,
                    payload,
                    now,
                )?;
                let change = AccessChange::Unbanned;
                enqueue(
                    tx,
                    &Delivery::AccessChanged {
                        user_id: user,
                        admin_id: admin,
                        change,
                        at: now,
                    },
                    now,
                )
            })
            .await
    }
}

/// The refusal for a banned customer (`UserError::Banned` names no reason; this one does).
pub(super) fn banned(reason: Option<&str>) -> UserError {
    UserError::InvalidState {
        reason: format!(
            "{BANNED_PREFIX}{}",
            reason.map(|r| format!(": {r}")).unwrap_or_default()
        ),
    }
}

/// Bans `user` (by `admin`, for `reason`) inside the caller's transaction: the flag, the audit
/// entry (`revoke`: whether access is revoked too) and the customer's DM. A customer already
/// banned keeps their first reason.
///
/// # Errors
/// Store errors.
pub(crate) fn ban_in(
    tx: &rusqlite::Connection,
    admin: UserId,
    user: UserId,
    reason: &str,
    now: i64,
    revoke: bool,
) -> Result<()> {
    let u = store::users::ensure(tx, user, now)?;
    if u.banned {
        return Ok(());
    }
    store::users::set_ban(tx, user, Some(reason), now)?;
    let payload = serde_json::json!({ "reason": reason, "revoke": revoke });
    audit(
        tx,
        Some(admin),
        AuditAction::UserBan,
        Target::User(user),
        None,
        payload,
        now,
    )?;
    let change = AccessChange::Banned {
        reason: reason.to_owned(),
    };
    let dm = Delivery::AccessChanged {
        user_id: user,
        admin_id: admin,
        change,
        at: now,
    };
    enqueue(tx, &dm, now)
}
