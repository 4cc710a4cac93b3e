//! One-time admin confirmation tokens: 128 random bits from the OS (`getrandom`), hex, bound to
//! one admin, one action and one payment, valid for 5 minutes ([`TOKEN_TTL_MS`]). Issuing needs
//! the role; consuming is one guarded UPDATE ([`consume_in`]) that the caller runs inside the same
//! transaction as the state change it authorises, so of any number of concurrent confirms exactly
//! one wins. Every refusal has its reason ([`TokenRefusal`]) and is audited.

use rusqlite::Connection;

use crate::clock::Clock;
use crate::domain::audit::AuditAction;
use crate::domain::ids::AdminSessionId;
use crate::domain::role::Permission;
use crate::domain::status::{AdminAction, PaymentStatus};
use crate::domain::{PaymentId, UserId};
use crate::error::{Error, Result, TokenRefusal, UserError};
use crate::service::roles::{Actor, Roles};
use crate::service::state::{Target, audit};
use crate::store::{self, Store, admin_sessions::AdminSession};

/// How long a token is valid: 5 minutes, in ms. Refused from `issued + TOKEN_TTL_MS` on.
pub const TOKEN_TTL_MS: i64 = 5 * 60 * 1000;

/// A token handed to the admin (put it in the Confirm button). The token is a secret: redacted in
/// `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// Row id (safe to log).
    pub session_id: AdminSessionId,
    /// 32 lowercase hex characters.
    pub token: String,
    /// Unix ms from which it is refused.
    pub expires_at: i64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("session_id", &self.session_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Issues admin session tokens.
#[derive(Debug, Clone)]
pub struct AdminSessions {
    store: Store,
    roles: Roles,
    clock: Clock,
}

impl AdminSessions {
    /// A token issuer on `store`, checking `roles`, reading time from `clock`.
    #[must_use]
    pub fn new(store: Store, roles: Roles, clock: Clock) -> Self {
        Self {
            store,
            roles,
            clock,
        }
    }

    /// Issues a token for `actor` to confirm `action` on `payment` (which must be `pending`).
    /// Audited as `session.issue`.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without the admin role (audited), [`UserError::NotFound`] /
    /// [`UserError::InvalidState`] when the payment does not exist or is not pending; store errors.
    pub async fn issue(
        &self,
        actor: &Actor,
        action: AdminAction,
        payment: PaymentId,
    ) -> Result<IssuedToken> {
        let allowed = self.roles.require(actor, Permission::ReviewPayments);
        let now = self.clock.now_ms();
        let admin = actor.user;
        let token = new_token()?;
        self.store
            .transaction(move |tx| {
                if let Err(refusal) = allowed {
                    refuse_audit(tx, admin, payment, None, "forbidden", now)?;
                    return Ok(Err(refusal));
                }
                let Some(p) = store::payments::get(tx, payment)? else {
                    return Ok(Err(UserError::NotFound {
                        what: format!("payment #{payment}"),
                    }));
                };
                if p.status != PaymentStatus::Pending {
                    return Ok(Err(UserError::InvalidState {
                        reason: format!("payment #{payment} is {}, not pending", p.status),
                    }));
                }
                let expires_at = now + TOKEN_TTL_MS;
                let id = store::admin_sessions::insert(
                    tx, &token, admin, action, payment, now, expires_at,
                )?;
                let payload =
                    serde_json::json!({ "action": action.as_str(), "expires_at": expires_at });
                audit(
                    tx,
                    Some(admin),
                    AuditAction::SessionIssue,
                    Target::Payment(payment),
                    Some(id),
                    payload,
                    now,
                )?;
                Ok(Ok(IssuedToken {
                    session_id: id,
                    token,
                    expires_at,
                }))
            })
            .await?
            .map_err(Error::from)
    }

    /// Deletes sessions that expired before now (housekeeping); their ids stay in the audit log.
    /// Returns how many were deleted.
    ///
    /// # Errors
    /// Store errors.
    pub async fn purge_expired(&self) -> Result<usize> {
        let now = self.clock.now_ms();
        self.store
            .call(move |c| store::admin_sessions::purge_expired(c, now))
            .await
    }
}

/// Consumes `token` for `admin` and `action` at `now` inside the caller's transaction: the
/// session on success, or why not. The refusal is audited (`confirm.refused`) in the same
/// transaction, so the caller must commit it (return `Ok`) for the audit to stay.
///
/// # Errors
/// SQLite errors.
pub fn consume_in(
    conn: &Connection,
    token: &str,
    admin: UserId,
    action: AdminAction,
    now: i64,
) -> Result<Result<AdminSession, TokenRefusal>> {
    let consumed = store::admin_sessions::consume(conn, token, admin, action, now)?;
    let session = store::admin_sessions::find_by_token(conn, token)?;
    let refusal = match &session {
        Some(s) if consumed => return Ok(Ok(s.clone())),
        None => TokenRefusal::Unknown,
        Some(s) if s.admin_id != admin => TokenRefusal::OtherAdmin,
        Some(s) if s.action != action => TokenRefusal::Unknown,
        Some(s) if s.consumed_at.is_some() => TokenRefusal::Used,
        Some(_) => TokenRefusal::Expired,
    };
    let payment = session.as_ref().map(|s| s.payment_id);
    let session_id = session.as_ref().map(|s| s.id);
    let reason = format!("{refusal:?}").to_lowercase();
    if let Some(payment) = payment {
        refuse_audit(conn, admin, payment, session_id, &reason, now)?;
    } else {
        store::audit::append(
            conn,
            &store::audit::NewEntry {
                actor: Some(admin),
                action: AuditAction::ConfirmRefused.as_str(),
                target_type: None,
                target_id: None,
                session_id: None,
                payload: serde_json::json!({ "reason": reason }),
            },
            now,
        )?;
    }
    Ok(Err(refusal))
}

/// Audits a refused admin action on `payment`.
///
/// # Errors
/// SQLite errors.
pub fn refuse_audit(
    conn: &Connection,
    admin: UserId,
    payment: PaymentId,
    session: Option<AdminSessionId>,
    reason: &str,
    now: i64,
) -> Result<()> {
    let payload = serde_json::json!({ "reason": reason });
    audit(
        conn,
        Some(admin),
        AuditAction::ConfirmRefused,
        Target::Payment(payment),
        session,
        payload,
        now,
    )
}

/// 128 bits from the OS RNG as 32 lowercase hex characters.
///
/// # Errors
/// [`Error::Rng`] when the OS has no randomness to give (never on Linux once booted).
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_32_hex_and_distinct() {
        let a = super::new_token().unwrap();
        let b = super::new_token().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
