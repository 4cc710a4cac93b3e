//! Promo codes: staff create, disable and list them (`/admin promo`); a customer applies one at
//! `/order` or `/renew`. The use is **reserved** in the transaction that creates the order (a
//! guarded `uses + 1`, one live use per customer and code), **consumed** by the order's approval
//! and **released** when it closes unpaid. A code that pays everything (100 %, or a whole plan)
//! skips the receipt: the order goes straight to provisioning (actor: the code), no ledger sale.

use rusqlite::Connection;

use crate::config::{Config, Plan};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::status::{PaymentSource, PaymentStatus};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::approval::{ApprovalOutcome, start_settled};
use crate::service::rate_limit::Command;
use crate::service::roles::Actor;
use crate::service::state::{Target, audit};
use crate::store::promo::{PromoCode, PromoKind};
use crate::store::{self, orders::Order, payments::NewUnattendedPayment};

use super::{GrowthService, refused};

/// A code staff create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromo {
    /// 4–32 of A-Z a-z 0-9 `_` `-` (case-insensitive).
    pub code: String,
    /// What it gives.
    pub kind: PromoKind,
    /// Percent (1–100), minor units, or days; ignored for `plan`.
    pub value: i64,
    /// `plan` codes: the plan granted; other kinds: the only plan it applies to.
    pub plan_id: Option<String>,
    /// Most uses (`None` = unlimited).
    pub max_uses: Option<i64>,
    /// Only for a customer's first order.
    pub first_order_only: bool,
    /// Valid for this many days from now (`None` = forever).
    pub valid_days: Option<u32>,
}

/// What `/order` with a code became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOrder {
    /// An order to pay (discounted or with extra days): continue in its ticket.
    Ticket(Order),
    /// The code paid everything: provisioning ran (its outcome; `None` when the reconciler
    /// drives it).
    Granted(OrderId, Option<ApprovalOutcome>),
}

impl GrowthService {
    /// Creates a code.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; [`UserError::InvalidState`] for a
    /// malformed code, a value out of range, an unknown plan, or a code that exists; store errors.
    pub async fn create_promo(&self, actor: &Actor, new: NewPromo) -> Result<PromoCode> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        let promo = self.promo_of(actor.user, new)?;
        let row = promo.clone();
        let result = self
            .deps
            .store
            .transaction(move |tx| {
                store::promo::insert(tx, &row)?;
                let payload = serde_json::json!({
                    "code": row.code, "kind": row.kind.as_str(), "value": row.value,
                    "plan": row.plan_id, "max_uses": row.max_uses,
                    "first_order_only": row.first_order_only, "valid_until": row.valid_until,
                });
                let target = Target::User(row.created_by);
                audit(
                    tx,
                    Some(row.created_by),
                    AuditAction::PromoCreate,
                    target,
                    None,
                    payload,
                    row.created_at,
                )
            })
            .await;
        match result {
            Err(e) if store::constraint::is_unique_violation(&e, "promo_codes.code") => {
                Err(invalid(format!("the code {} exists already", promo.code)).into())
            }
            other => other.map(|()| promo),
        }
    }

    /// Checks a new code against the configuration and builds its row.
    fn promo_of(&self, admin: UserId, new: NewPromo) -> Result<PromoCode> {
        let cfg = &self.deps.config;
        let code = new.code.trim().to_owned();
        let well_formed = (4..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !well_formed {
            return Err(invalid("a code is 4 to 32 of A-Z, 0-9, '_' and '-'".into()).into());
        }
        let plan = new.plan_id.as_deref().map(|id| {
            cfg.plan(id)
                .ok_or_else(|| Error::from(invalid(format!("there is no plan {id:?}"))))
        });
        let plan = plan.transpose()?;
        let (value, currency) = match new.kind {
            PromoKind::Percent if !(1..=100).contains(&new.value) => {
                return Err(invalid("a percentage is 1 to 100".into()).into());
            }
            PromoKind::Plan if plan.is_none() => {
                return Err(invalid("a plan code names the plan it grants".into()).into());
            }
            PromoKind::Amount => {
                let currency = plan.or(cfg.plans.first()).map(|p| p.currency.clone());
                (new.value, currency)
            }
            PromoKind::Plan => (1, None),
            _ => (new.value, None),
        };
        if value <= 0 || new.max_uses.is_some_and(|m| m <= 0) {
            return Err(invalid("the value and the maximum uses are at least 1".into()).into());
        }
        let now = self.deps.clock.now_ms();
        Ok(PromoCode {
            code,
            kind: new.kind,
            value,
            currency,
            plan_id: new.plan_id,
            max_uses: new.max_uses,
            uses: 0,
            first_order_only: new.first_order_only,
            valid_from: None,
            valid_until: new.valid_days.map(|d| now + i64::from(d) * 86_400_000),
            created_by: admin,
            created_at: now,
            disabled_at: None,
        })
    }

    /// Disables `code`.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; [`UserError::NotFound`] for an
    /// unknown or already disabled code; store errors.
    pub async fn disable_promo(&self, actor: &Actor, code: &str) -> Result<()> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        let (admin, now, code) = (actor.user, self.deps.clock.now_ms(), code.trim().to_owned());
        self.deps
            .store
            .transaction(move |tx| {
                if !store::promo::disable(tx, &code, now)? {
                    return Err(UserError::NotFound {
                        what: format!("an enabled code {code}"),
                    }
                    .into());
                }
                let payload = serde_json::json!({ "code": code });
                audit(
                    tx,
                    Some(admin),
                    AuditAction::PromoDisable,
                    Target::User(admin),
                    None,
                    payload,
                    now,
                )
            })
            .await
    }

    /// The newest codes (at most 50).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ManageSubscriptions`; store errors.
    pub async fn list_promos(&self, actor: &Actor) -> Result<Vec<PromoCode>> {
        self.deps
            .roles
            .require(actor, Permission::ManageSubscriptions)?;
        self.deps.store.call(|c| store::promo::list(c, 50)).await
    }

    /// `/order` (or `/renew`) of `plan_id` with `code`: the order is created with the code
    /// reserved; a code that pays everything provisions at once.
    ///
    /// # Errors
    /// [`UserError::RateLimited`] after too many attempts; [`UserError::InvalidState`] (audited)
    /// for a code that does not apply; the order's own refusals (banned, open order, outage);
    /// store errors.
    pub async fn order_with_code(
        &self,
        user: UserId,
        plan_id: &str,
        code: &str,
    ) -> Result<CodeOrder> {
        self.limits.check(user, Command::PromoAttempt)?;
        let opened = self.orders.open_with_code(user, plan_id, code).await?;
        match opened.granted {
            None => Ok(CodeOrder::Ticket(opened.order)),
            Some(payment) => {
                let outcome = self.approval.provision_settled(payment).await?;
                Ok(CodeOrder::Granted(opened.order.id, outcome))
            }
        }
    }
}

/// Applies `code` to a new order of `user` for `plan`, inside the transaction that creates it:
/// checks the code, takes a use, and returns the plan snapshot to store (discounted price or
/// extra days; a plan code's plan at price 0) and what to reserve. `Ok(Err)` for a refusal
/// (audited by the caller).
///
/// # Errors
/// Store errors.
pub fn apply_code_in(
    tx: &Connection,
    cfg: &Config,
    user: UserId,
    plan: &Plan,
    code: &str,
    now: i64,
) -> Result<Result<(Plan, Reserve), UserError>> {
    let Some(promo) = store::promo::get(tx, code.trim())? else {
        return Ok(Err(invalid(format!("there is no code {:?}", code.trim()))));
    };
    if store::promo::held_by(tx, &promo.code, user)? {
        return Ok(Err(invalid(format!("you already used {}", promo.code))));
    }
    if let Some(why) = unusable(&promo, plan, now) {
        return Ok(Err(invalid(why)));
    }
    if promo.first_order_only && store::orders::count_completed_for_user(tx, user)? > 0 {
        return Ok(Err(invalid(format!(
            "{} is for a first order only",
            promo.code
        ))));
    }
    let (snapshot, reserve) = match effect(cfg, &promo, plan) {
        Ok(applied) => applied,
        Err(why) => return Ok(Err(invalid(why))),
    };
    if !store::promo::take_use(tx, &promo.code)? {
        return Ok(Err(invalid(format!("{} has been used up", promo.code))));
    }
    Ok(Ok((snapshot, reserve)))
}

/// What a reservation holds: the code (as stored), the discount and the extra days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserve {
    /// The code, as stored.
    pub code: String,
    /// Minor units taken off the list price.
    pub discount_minor: i64,
    /// Days added to the plan.
    pub extra_days: i64,
    /// The list price before the code.
    pub list_price_minor: i64,
}

/// Why `promo` cannot be used for `plan` now, if it cannot.
fn unusable(promo: &PromoCode, plan: &Plan, now: i64) -> Option<String> {
    let code = &promo.code;
    if promo.disabled_at.is_some() {
        return Some(format!("{code} is no longer valid"));
    }
    if promo.valid_from.is_some_and(|t| now < t) || promo.valid_until.is_some_and(|t| now >= t) {
        return Some(format!("{code} is not valid now"));
    }
    let restricted =
        promo.kind != PromoKind::Plan && promo.plan_id.as_deref().is_some_and(|p| p != plan.id);
    if restricted {
        return Some(format!("{code} does not apply to the plan {}", plan.name));
    }
    if promo.kind == PromoKind::Amount && promo.currency.as_deref() != Some(plan.currency.as_str())
    {
        return Some(format!(
            "{code} does not apply to prices in {}",
            plan.currency
        ));
    }
    None
}

/// The order's plan snapshot with `promo` applied, and the reservation.
fn effect(cfg: &Config, promo: &PromoCode, plan: &Plan) -> Result<(Plan, Reserve), String> {
    let mut snapshot = plan.clone();
    let mut reserve = Reserve {
        code: promo.code.clone(),
        discount_minor: 0,
        extra_days: 0,
        list_price_minor: plan.price_minor,
    };
    match promo.kind {
        PromoKind::Percent => reserve.discount_minor = plan.price_minor * promo.value / 100,
        PromoKind::Amount => reserve.discount_minor = promo.value.min(plan.price_minor),
        PromoKind::Days => {
            reserve.extra_days = promo.value;
            snapshot.days = plan
                .days
                .saturating_add(u32::try_from(promo.value).unwrap_or(u32::MAX));
        }
        PromoKind::Plan => {
            let granted = promo.plan_id.as_deref().and_then(|id| cfg.plan(id));
            snapshot = granted
                .cloned()
                .ok_or("the plan of this code no longer exists")?;
            reserve.list_price_minor = snapshot.price_minor;
            reserve.discount_minor = snapshot.price_minor;
        }
    }
    snapshot.price_minor = reserve.list_price_minor - reserve.discount_minor;
    Ok((snapshot, reserve))
}

/// Records the reservation for `order` and, when the code pays everything, the free payment
/// started like a confirmed approval. Returns that payment.
///
/// # Errors
/// Store errors (a unique violation on `promo_redemptions.code, promo_redemptions.user_id` when
/// the customer already holds or used the code).
pub(crate) fn reserve_in(
    tx: &Connection,
    order: &Order,
    reserve: &Reserve,
    now: i64,
) -> Result<Option<PaymentId>> {
    let amounts = (reserve.discount_minor, reserve.extra_days);
    store::promo::reserve(tx, &reserve.code, order.user_id, order.id, amounts, now)?;
    store::orders::set_promo(tx, order.id, reserve.list_price_minor, &reserve.code)?;
    let payload = serde_json::json!({
        "code": reserve.code, "order": order.id, "discount_minor": reserve.discount_minor,
        "extra_days": reserve.extra_days,
    });
    let user = order.user_id;
    audit(
        tx,
        Some(user),
        AuditAction::PromoReserve,
        Target::Order(order.id),
        None,
        payload.clone(),
        now,
    )?;
    if order.plan.price_minor > 0 {
        return Ok(None);
    }
    let payment = store::payments::insert_unattended(
        tx,
        &NewUnattendedPayment {
            order_id: order.id,
            user_id: user,
            method: format!("promo:{}", reserve.code),
            source: PaymentSource::Promo,
            amount_minor: 0,
            currency: order.plan.currency.clone(),
        },
        PaymentStatus::Approving,
        now,
    )?;
    start_settled(tx, payment, order.id, PaymentSource::Promo.as_str(), now)?;
    audit(
        tx,
        None,
        AuditAction::PromoGrant,
        Target::Payment(payment),
        None,
        payload,
        now,
    )?;
    Ok(Some(payment))
}

/// Consumes `order`'s reservation (its approval's transaction), audited.
///
/// # Errors
/// Store errors.
pub fn consume_in(tx: &Connection, order: OrderId, now: i64) -> Result<()> {
    let code = store::promo::consume(tx, order, now)?;
    audit_settled(tx, order, code, AuditAction::PromoConsume, now)
}

/// Releases `order`'s reservation (it closed unpaid), audited.
///
/// # Errors
/// Store errors.
pub fn release_in(tx: &Connection, order: OrderId, now: i64) -> Result<()> {
    let code = store::promo::release(tx, order, now)?;
    audit_settled(tx, order, code, AuditAction::PromoRelease, now)
}

/// Audits `action` on `order`'s reservation of `code`, when there was one.
fn audit_settled(
    tx: &Connection,
    order: OrderId,
    code: Option<String>,
    action: AuditAction,
    now: i64,
) -> Result<()> {
    let Some(code) = code else { return Ok(()) };
    let payload = serde_json::json!({ "code": code });
    audit(tx, None, action, Target::Order(order), None, payload, now)
}

/// Audits a refused code.
pub(crate) fn refuse_code_in(
    tx: &Connection,
    user: UserId,
    code: &str,
    why: &UserError,
    now: i64,
) -> Result<()> {
    refused(
        tx,
        user,
        AuditAction::PromoRefused,
        &format!("{code}: {why}"),
        now,
    )
}

fn invalid(reason: String) -> UserError {
    UserError::InvalidState { reason }
}
