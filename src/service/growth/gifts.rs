//! Gift subscriptions: `/gift` buys a plan for someone else (an order of kind `gift`, paid and
//! approved like any order); its approval issues a single-use token (160 random bits, base32)
//! DM'd to the buyer, of which only the SHA-256 is stored. `/redeem <token>` by someone else
//! (never the buyer) provisions the plan; a redemption is a guarded `issued → redeemed`, so two
//! at once redeem once. Tokens expire after `gifts.expire_after_days`; staff can revoke them.

use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::role::Permission;
use crate::domain::status::{OrderKind, PaymentSource, PaymentStatus};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::approval::{ApprovalOutcome, start_settled};
use crate::service::roles::Actor;
use crate::service::state::{Target, audit, enqueue};
use crate::store::{self, gifts::Gift, orders::Order, payments::NewUnattendedPayment};

use super::bans::banned;
use super::refusals::{
    GIFT_ACCOUNT_TOO_NEW, GIFT_EXPIRED, GIFT_INVALID, GIFT_OWN, GIFT_PLAN_GONE, GIFT_REDEEMED,
    GIFT_REVOKED, GIFTS_OFF,
};
use super::{GrowthService, account_old_enough, refused};

/// A gift issued by an approval: its id and token (the token is only in the buyer's DM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftIssue {
    /// The gift's row id.
    pub gift_id: i64,
    /// The token.
    pub token: String,
}

/// In the transaction approving the gift `order`: issues its token (stored hashed) and queues
/// the buyer's DM. Idempotent per order (a second call returns `None`).
///
/// # Errors
/// Store errors; [`Error::Rng`] when the OS has no randomness.
pub fn issue_gift_in(
    tx: &Connection,
    order: &Order,
    expire_after_days: u32,
    now: i64,
) -> Result<Option<GiftIssue>> {
    if store::gifts::of_order(tx, order.id)?.is_some() {
        return Ok(None);
    }
    let token = new_token()?;
    let expires_at = now + i64::from(expire_after_days) * 86_400_000;
    let owner = (order.user_id, order.id, order.plan.id.as_str());
    let gift_id = store::gifts::insert(tx, &token_hash(&token), owner, expires_at, now)?;
    let payload =
        serde_json::json!({ "order": order.id, "plan": order.plan.id, "expires_at": expires_at });
    audit(
        tx,
        None,
        AuditAction::GiftIssue,
        Target::Gift(gift_id),
        None,
        payload,
        now,
    )?;
    let dm = Delivery::GiftIssued {
        user_id: order.user_id,
        order_id: order.id,
        gift_id,
        token: token.clone(),
        expires_at,
    };
    enqueue(tx, &dm, now)?;
    Ok(Some(GiftIssue { gift_id, token }))
}

impl GrowthService {
    /// `user` redeems `token`: a free order of the gift's plan, provisioned at once (`None` when
    /// the reconciler drives it).
    ///
    /// # Errors
    /// [`UserError::InvalidState`] (audited) when gifts are off, the token is unknown, expired,
    /// revoked, redeemed or the redeemer's own, the account is too young or banned, or has an
    /// open order; [`UserError::PanelUnavailable`] during an outage; store errors.
    pub async fn redeem(&self, user: UserId, token: &str) -> Result<Option<ApprovalOutcome>> {
        let cfg = self.deps.config.clone();
        let now = self.deps.clock.now_ms();
        let hash = token_hash(token.trim());
        let early = if !cfg.gifts.enabled {
            Some(invalid(GIFTS_OFF.into()))
        } else if self.deps.breaker.is_outage() {
            Some(UserError::PanelUnavailable)
        } else if !account_old_enough(user, cfg.gifts.min_account_age_days, now) {
            Some(invalid(GIFT_ACCOUNT_TOO_NEW.into()))
        } else {
            None
        };
        let payment = self
            .deps
            .store
            .transaction(move |tx| {
                let outcome = match early {
                    Some(refusal) => Err(refusal),
                    None => redeem_in(tx, &cfg, user, &hash, now)?,
                };
                if let Err(refusal) = &outcome {
                    refused(
                        tx,
                        user,
                        AuditAction::GiftRefused,
                        &refusal.to_string(),
                        now,
                    )?;
                }
                Ok(outcome)
            })
            .await??;
        self.approval.provision_settled(payment).await
    }

    /// Revokes an unredeemed gift.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; [`UserError::NotFound`] for an
    /// unknown gift or one no longer issued; store errors.
    pub async fn revoke_gift(&self, actor: &Actor, gift: i64) -> Result<Gift> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        let (admin, now) = (actor.user, self.deps.clock.now_ms());
        self.deps
            .store
            .transaction(move |tx| {
                if !store::gifts::revoke(tx, gift, admin)? {
                    return Err(UserError::NotFound {
                        what: format!("an unredeemed gift #{gift}"),
                    }
                    .into());
                }
                audit(
                    tx,
                    Some(admin),
                    AuditAction::GiftRevoke,
                    Target::Gift(gift),
                    None,
                    serde_json::json!({}),
                    now,
                )?;
                store::gifts::get(tx, gift)?.ok_or(Error::Internal("a gift vanished"))
            })
            .await
    }
}

/// The redemption's checks, order and free payment; `Ok(Err)` for a refusal.
fn redeem_in(
    tx: &Connection,
    cfg: &crate::config::Config,
    user: UserId,
    hash: &str,
    now: i64,
) -> Result<Result<PaymentId, UserError>> {
    let u = store::users::ensure(tx, user, now)?;
    if u.banned {
        return Ok(Err(banned(u.ban_reason.as_deref())));
    }
    let Some(gift) = store::gifts::by_token_hash(tx, hash)? else {
        return Ok(Err(invalid(GIFT_INVALID.into())));
    };
    if let Some(why) = not_redeemable(&gift, user, now) {
        return Ok(Err(invalid(why)));
    }
    if let Some(open) = store::orders::find_open_for_user(tx, user)? {
        return Ok(Err(UserError::OpenOrderExists { order: open.id }));
    }
    let Some(plan) = cfg.plan(&gift.plan_id) else {
        return Ok(Err(invalid(GIFT_PLAN_GONE.into())));
    };
    let mut plan = plan.clone();
    plan.price_minor = 0;
    let order = store::orders::insert(tx, user, OrderKind::Redemption, &plan, None, now)?;
    if !store::gifts::redeem(tx, gift.id, user, order, now)? {
        return Ok(Err(invalid(GIFT_REDEEMED.into())));
    }
    let payment = free_payment(tx, (user, order), &plan.currency, now)?;
    let payload = serde_json::json!({ "order": order, "buyer": gift.buyer.to_string() });
    audit(
        tx,
        Some(user),
        AuditAction::GiftRedeem,
        Target::Gift(gift.id),
        None,
        payload,
        now,
    )?;
    Ok(Ok(payment))
}

/// Why `gift` cannot be redeemed by `user` now, if it cannot.
fn not_redeemable(gift: &Gift, user: UserId, now: i64) -> Option<String> {
    match gift.status.as_str() {
        "redeemed" => return Some(GIFT_REDEEMED.into()),
        "revoked" => return Some(GIFT_REVOKED.into()),
        _ => {}
    }
    if gift.expires_at <= now {
        return Some(GIFT_EXPIRED.into());
    }
    (gift.buyer == user).then(|| GIFT_OWN.into())
}

/// The free payment of a redemption, started like a confirmed approval.
fn free_payment(
    tx: &Connection,
    (user, order): (UserId, OrderId),
    currency: &str,
    now: i64,
) -> Result<PaymentId> {
    let new = NewUnattendedPayment {
        order_id: order,
        user_id: user,
        method: "gift".into(),
        source: PaymentSource::Gift,
        amount_minor: 0,
        currency: currency.to_owned(),
    };
    let payment = store::payments::insert_unattended(tx, &new, PaymentStatus::Approving, now)?;
    start_settled(tx, payment, order, PaymentSource::Gift.as_str(), now)?;
    Ok(payment)
}

/// SHA-256 of a token, hex (what is stored and looked up).
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.to_ascii_uppercase().as_bytes()))
}

/// 160 random bits from the OS, base32 (32 characters, case-insensitive).
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes))
}

fn invalid(reason: String) -> UserError {
    UserError::InvalidState { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed_case_insensitively() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a.to_ascii_lowercase()));
        assert_eq!(token_hash(&a).len(), 64);
    }
}
