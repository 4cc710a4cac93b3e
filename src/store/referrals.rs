//! `referral_codes` and `referrals`: customers' own codes, who referred whom, and the reward,
//! earned once (the referee's first approved paid payment, `qualifying_payment_id` UNIQUE) and
//! applied once (a guarded `pending → applied`).

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::{PaymentId, UserId};
use crate::error::Result;

/// A referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// The new customer.
    pub referee: UserId,
    /// Whose code they bound.
    pub referrer: UserId,
    /// Unix ms.
    pub bound_at: i64,
    /// The referee's first approved paid payment.
    pub qualifying_payment: Option<PaymentId>,
    /// `none`, `pending`, `applied` or `capped`.
    pub reward_status: String,
    /// Days earned.
    pub reward_days: Option<i64>,
    /// The referrer's absolute expiry chosen before the panel call (Unix ms).
    pub reward_target_expiry: Option<i64>,
    /// When earned (Unix ms).
    pub earned_at: Option<i64>,
    /// When applied (Unix ms).
    pub applied_at: Option<i64>,
}

const COLUMNS: &str = "referee_id, referrer_id, bound_at, qualifying_payment_id, reward_status, \
    reward_days, reward_target_expiry, earned_at, applied_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Referral> {
    Ok(Referral {
        referee: r.get(0)?,
        referrer: r.get(1)?,
        bound_at: r.get(2)?,
        qualifying_payment: r.get(3)?,
        reward_status: r.get(4)?,
        reward_days: r.get(5)?,
        reward_target_expiry: r.get(6)?,
        earned_at: r.get(7)?,
        applied_at: r.get(8)?,
    })
}

/// `user`'s code, if they have one.
///
/// # Errors
/// SQLite errors.
pub fn code_of(conn: &Connection, user: UserId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT code FROM referral_codes WHERE user_id = ?1")?
        .query_row([user], |r| r.get(0))
        .optional()?)
}

/// Gives `user` the code `code`.
///
/// # Errors
/// SQLite errors; a unique violation when the user has one or the code is taken.
pub fn insert_code(conn: &Connection, user: UserId, code: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO referral_codes (user_id, code, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![user, code, now])?;
    Ok(())
}

/// Whose code `code` is (case-insensitive).
///
/// # Errors
/// SQLite errors.
pub fn owner_of(conn: &Connection, code: &str) -> Result<Option<UserId>> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM referral_codes WHERE code = ?1")?
        .query_row([code], |r| r.get(0))
        .optional()?)
}

/// Binds `referee` to `referrer`.
///
/// # Errors
/// SQLite errors; a unique violation on `referrals.referee_id` when already bound.
pub fn bind(conn: &Connection, referee: UserId, referrer: UserId, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO referrals (referee_id, referrer_id, bound_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![referee, referrer, now])?;
    Ok(())
}

/// The referral of `referee`.
///
/// # Errors
/// SQLite errors.
pub fn of_referee(conn: &Connection, referee: UserId) -> Result<Option<Referral>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM referrals WHERE referee_id = ?1"
        ))?
        .query_row([referee], from_row)
        .optional()?)
}

/// Records the reward earned by `referee`'s payment `payment` (guarded: only the first time).
/// `status` is `pending` or `capped`. Returns whether this call earned it.
///
/// # Errors
/// SQLite errors.
pub fn earn(
    conn: &Connection,
    referee: UserId,
    payment: PaymentId,
    (status, days): (&str, i64),
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE referrals SET qualifying_payment_id = ?2, reward_status = ?3, reward_days = ?4,
                 earned_at = ?5
             WHERE referee_id = ?1 AND reward_status = 'none' AND qualifying_payment_id IS NULL",
        )?
        .execute(params![referee, payment, status, days, now])?;
    Ok(n == 1)
}

/// Rewards `referrer` earned since `since` (Unix ms), capped ones excluded.
///
/// # Errors
/// SQLite errors.
pub fn earned_since(conn: &Connection, referrer: UserId, since: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM referrals WHERE referrer_id = ?1 AND earned_at >= ?2
             AND reward_status IN ('pending', 'applied')",
        params![referrer, since],
        |r| r.get(0),
    )?)
}

/// Rewards earned and not applied yet, oldest first.
///
/// # Errors
/// SQLite errors.
pub fn pending(conn: &Connection, limit: u32) -> Result<Vec<Referral>> {
    super::query_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM referrals WHERE reward_status = 'pending' ORDER BY earned_at LIMIT ?1"
        ),
        [limit],
        from_row,
    )
}

/// Stores the referrer's target expiry for `referee`'s pending reward, once.
///
/// # Errors
/// SQLite errors.
pub fn set_target(conn: &Connection, referee: UserId, expiry: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE referrals SET reward_target_expiry = ?2
         WHERE referee_id = ?1 AND reward_status = 'pending' AND reward_target_expiry IS NULL",
    )?
    .execute(params![referee, expiry])?;
    Ok(())
}

/// `pending → applied`. Returns whether this call applied it.
///
/// # Errors
/// SQLite errors.
pub fn mark_applied(conn: &Connection, referee: UserId, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE referrals SET reward_status = 'applied', applied_at = ?2
             WHERE referee_id = ?1 AND reward_status = 'pending'",
        )?
        .execute(params![referee, now])?;
    Ok(n == 1)
}
