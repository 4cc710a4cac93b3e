//! `promo_codes` and `promo_redemptions`: codes staff create, and their uses. A use is reserved
//! with a guarded `uses = uses + 1` (never past `max_uses`, a CHECK as well) in the transaction
//! that creates the order, consumed on approval, released (`uses - 1`) when the order closes
//! unpaid.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{OrderId, UserId};
use crate::error::Result;

/// A promo code's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoKind {
    /// `value` % off the price (100 = free).
    Percent,
    /// `value` minor units of `currency` off the price.
    Amount,
    /// `value` extra days on the plan.
    Days,
    /// The whole plan `plan_id` for free.
    Plan,
}

impl PromoKind {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::Amount => "amount",
            Self::Days => "days",
            Self::Plan => "plan",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Percent, Self::Amount, Self::Days, Self::Plan]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A promo code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoCode {
    /// The code (case-insensitive).
    pub code: String,
    /// Its kind.
    pub kind: PromoKind,
    /// Percent, minor units, days (by kind); unused for `plan`.
    pub value: i64,
    /// Currency of an `amount` code.
    pub currency: Option<String>,
    /// `plan` codes: the plan granted; other kinds: the only plan it applies to.
    pub plan_id: Option<String>,
    /// Most uses (`None` = unlimited).
    pub max_uses: Option<i64>,
    /// Reserved and consumed uses.
    pub uses: i64,
    /// Only for a customer's first order.
    pub first_order_only: bool,
    /// Valid from (Unix ms).
    pub valid_from: Option<i64>,
    /// Valid until (Unix ms).
    pub valid_until: Option<i64>,
    /// Who created it (Discord id).
    pub created_by: UserId,
    /// Unix ms.
    pub created_at: i64,
    /// When disabled (Unix ms).
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "code, kind, value, currency, plan_id, max_uses, uses, first_order_only, \
    valid_from, valid_until, created_by, created_at, disabled_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PromoCode> {
    let kind: String = r.get(1)?;
    Ok(PromoCode {
        code: r.get(0)?,
        kind: PromoKind::parse(&kind).unwrap_or(PromoKind::Percent),
        value: r.get(2)?,
        currency: r.get(3)?,
        plan_id: r.get(4)?,
        max_uses: r.get(5)?,
        uses: r.get(6)?,
        first_order_only: r.get(7)?,
        valid_from: r.get(8)?,
        valid_until: r.get(9)?,
        created_by: r.get(10)?,
        created_at: r.get(11)?,
        disabled_at: r.get(12)?,
    })
}

/// Inserts a new code.
///
/// # Errors
/// SQLite errors; a unique violation on `promo_codes.code` when it exists; CHECK violations for
/// a malformed code or values.
pub fn insert(conn: &Connection, c: &PromoCode) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO promo_codes ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11, NULL)"
    ))?
    .execute(params![
        c.code,
        c.kind.as_str(),
        c.value,
        c.currency,
        c.plan_id,
        c.max_uses,
        c.first_order_only,
        c.valid_from,
        c.valid_until,
        c.created_by,
        c.created_at
    ])?;
    Ok(())
}

/// The code (case-insensitive).
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, code: &str) -> Result<Option<PromoCode>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM promo_codes WHERE code = ?1"
        ))?
        .query_row([code], from_row)
        .optional()?)
}

/// Every code, newest first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<PromoCode>> {
    super::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM promo_codes ORDER BY created_at DESC LIMIT ?1"),
        [limit],
        from_row,
    )
}

/// Disables a code (it can no longer be applied; reservations already made stand). Returns
/// whether it was enabled.
///
/// # Errors
/// SQLite errors.
pub fn disable(conn: &Connection, code: &str, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE promo_codes SET disabled_at = ?2 WHERE code = ?1 AND disabled_at IS NULL",
        )?
        .execute(params![code, now])?;
    Ok(n == 1)
}

/// Takes one use of `code` if one is left (guarded). Returns whether it was taken.
///
/// # Errors
/// SQLite errors.
pub fn take_use(conn: &Connection, code: &str) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE promo_codes SET uses = uses + 1
             WHERE code = ?1 AND (max_uses IS NULL OR uses < max_uses)",
        )?
        .execute([code])?;
    Ok(n == 1)
}

/// Records a reservation of `code` by `user` for `order`.
///
/// # Errors
/// SQLite errors; a unique violation on `promo_redemptions.code, promo_redemptions.user_id`
/// when the customer already holds or used this code.
pub fn reserve(
    conn: &Connection,
    code: &str,
    user: UserId,
    order: OrderId,
    (discount_minor, extra_days): (i64, i64),
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO promo_redemptions (code, user_id, order_id, discount_minor, extra_days,
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![code, user, order, discount_minor, extra_days, now])?;
    Ok(())
}

/// `reserved → consumed` for `order` (its approval). Returns the code when one was consumed.
///
/// # Errors
/// SQLite errors.
pub fn consume(conn: &Connection, order: OrderId, now: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "UPDATE promo_redemptions SET status = 'consumed', settled_at = ?2
             WHERE order_id = ?1 AND status = 'reserved' RETURNING code",
        )?
        .query_row(params![order, now], |r| r.get(0))
        .optional()?)
}

/// `reserved → released` for `order` (it closed unpaid) and gives the use back. Returns the code
/// when one was released.
///
/// # Errors
/// SQLite errors.
pub fn release(conn: &Connection, order: OrderId, now: i64) -> Result<Option<String>> {
    let code: Option<String> = conn
        .prepare_cached(
            "UPDATE promo_redemptions SET status = 'released', settled_at = ?2
             WHERE order_id = ?1 AND status = 'reserved' RETURNING code",
        )?
        .query_row(params![order, now], |r| r.get(0))
        .optional()?;
    if let Some(code) = &code {
        conn.prepare_cached("UPDATE promo_codes SET uses = uses - 1 WHERE code = ?1 AND uses > 0")?
            .execute([code])?;
    }
    Ok(code)
}

/// The status of `order`'s redemption (`reserved`, `consumed`, `released`), if it used a code.
///
/// # Errors
/// SQLite errors.
pub fn redemption_status(conn: &Connection, order: OrderId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT status FROM promo_redemptions WHERE order_id = ?1")?
        .query_row([order], |r| r.get(0))
        .optional()?)
}

/// Whether `user` holds a live (reserved or consumed) use of `code`.
///
/// # Errors
/// SQLite errors.
pub fn held_by(conn: &Connection, code: &str, user: UserId) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM promo_redemptions WHERE code = ?1 AND user_id = ?2
             AND status IN ('reserved', 'consumed'))",
        params![code, user],
        |r| r.get(0),
    )?)
}
