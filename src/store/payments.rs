//! `payments`: what pays for an order (a receipt, or since schema 3 a paid Crypto Pay invoice),
//! its review, and the provisioning state machine's progress. A receipt's SHA-256 is unique across
//! all payments (any user, any status), so an exact duplicate can never be stored twice; rejected
//! payments keep their hashes.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::status::{PaymentSource, PaymentStatus};
use crate::domain::{ChannelId, MessageId, OrderId, PaymentId, UserId};
use crate::error::Result;

/// What is known about a stored receipt image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub sha256: String,
    /// Perceptual hash of the decoded image, hex.
    pub phash: String,
    /// Stored file, relative to the data directory; `None` once retention deleted it.
    pub path: Option<String>,
    /// Sniffed content type (`image/png`...).
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// A payment to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// The order paid for.
    pub order_id: OrderId,
    /// The customer.
    pub user_id: UserId,
    /// Payment method id.
    pub method: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The receipt.
    pub receipt: Receipt,
    /// An earlier payment whose receipt looks alike, and the Hamming distance.
    pub near_duplicate: Option<(PaymentId, u32)>,
}

/// A payment not backed by a receipt (a paid invoice, a free order), to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnattendedPayment {
    /// The order paid for.
    pub order_id: OrderId,
    /// The customer.
    pub user_id: UserId,
    /// Payment method id (`[[payment_methods]]`), or the source's name for free orders.
    pub method: String,
    /// What backs it; never [`PaymentSource::Receipt`].
    pub source: PaymentSource,
    /// Amount in minor units (> 0 for a paid source, ≥ 0 otherwise).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// A payment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Row id.
    pub id: PaymentId,
    /// The order.
    pub order_id: OrderId,
    /// The customer.
    pub user_id: UserId,
    /// Payment method id.
    pub method: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What backs the payment.
    pub source: PaymentSource,
    /// The receipt: `Some` exactly when `source` is [`PaymentSource::Receipt`].
    pub receipt: Option<Receipt>,
    /// Near duplicate of (payment, distance).
    pub near_duplicate: Option<(PaymentId, u32)>,
    /// Where the review card was posted (channel, message).
    pub review_message: Option<(ChannelId, MessageId)>,
    /// Review / provisioning state.
    pub status: PaymentStatus,
    /// The admin who decided.
    pub reviewer_id: Option<UserId>,
    /// Reject reason or the last failure's reason.
    pub reason: Option<String>,
    /// Client identity chosen before the panel call: (uuid, email, subId).
    pub client: Option<(String, String, String)>,
    /// This attempt created the panel client (so compensation may delete it).
    pub client_created: bool,
    /// Last provisioning step reached (service-defined name).
    pub provision_step: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// When approved or rejected (Unix ms).
    pub decided_at: Option<i64>,
    /// When temporary access was granted on this receipt (Unix ms).
    pub provisional_at: Option<i64>,
}

const COLUMNS: &str = "id, order_id, user_id, method, amount_minor, currency, receipt_sha256, \
    receipt_phash, receipt_path, receipt_content_type, receipt_size, near_duplicate_of, \
    near_duplicate_distance, review_channel_id, review_message_id, status, reviewer_id, reason, \
    client_uuid, client_email, client_sub_id, client_created, provision_step, created_at, \
    updated_at, decided_at, source, provisional_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Payment> {
    let client = match (r.get(18)?, r.get(19)?, r.get(20)?) {
        (Some(u), Some(e), Some(s)) => Some((u, e, s)),
        _ => None,
    };
    Ok(Payment {
        id: r.get(0)?,
        order_id: r.get(1)?,
        user_id: r.get(2)?,
        method: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        source: r.get(26)?,
        provisional_at: r.get(27)?,
        receipt: match (r.get(6)?, r.get(7)?, r.get(9)?, r.get(10)?) {
            (Some(sha256), Some(phash), Some(content_type), Some(size)) => Some(Receipt {
                sha256,
                phash,
                path: r.get(8)?,
                content_type,
                size,
            }),
            _ => None,
        },
        near_duplicate: r.get::<_, Option<PaymentId>>(11)?.zip(r.get(12)?),
        review_message: r.get::<_, Option<ChannelId>>(13)?.zip(r.get(14)?),
        status: r.get(15)?,
        reviewer_id: r.get(16)?,
        reason: r.get(17)?,
        client,
        client_created: r.get(21)?,
        provision_step: r.get(22)?,
        created_at: r.get(23)?,
        updated_at: r.get(24)?,
        decided_at: r.get(25)?,
    })
}

/// Inserts a `pending` payment.
///
/// # Errors
/// SQLite errors; a unique violation on `receipt_sha256` for an exact duplicate receipt, or on
/// `payments_one_open_per_order` when the order already has a payment in flight.
pub fn insert(conn: &Connection, p: &NewPayment, now: i64) -> Result<PaymentId> {
    conn.prepare_cached(
        "INSERT INTO payments (order_id, user_id, method, amount_minor, currency, receipt_sha256,
            receipt_phash, receipt_path, receipt_content_type, receipt_size, near_duplicate_of,
            near_duplicate_distance, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )?
    .execute(params![
        p.order_id,
        p.user_id,
        p.method,
        p.amount_minor,
        p.currency,
        p.receipt.sha256,
        p.receipt.phash,
        p.receipt.path,
        p.receipt.content_type,
        p.receipt.size,
        p.near_duplicate.map(|d| d.0),
        p.near_duplicate.map(|d| d.1),
        now
    ])?;
    Ok(PaymentId(conn.last_insert_rowid()))
}

/// Inserts a payment that no receipt backs, in `status` (a paid invoice starts `approving`: the
/// provider's answer is its confirmation).
///
/// # Errors
/// SQLite errors; a unique violation on `payments_one_open_per_order` when the order already has
/// a payment in flight; a CHECK violation for a receipt source or a paid source without amount.
pub fn insert_unattended(
    conn: &Connection,
    p: &NewUnattendedPayment,
    status: PaymentStatus,
    now: i64,
) -> Result<PaymentId> {
    conn.prepare_cached(
        "INSERT INTO payments (order_id, user_id, method, source, amount_minor, currency, status,
            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        p.order_id,
        p.user_id,
        p.method,
        p.source,
        p.amount_minor,
        p.currency,
        status,
        now
    ])?;
    Ok(PaymentId(conn.last_insert_rowid()))
}

/// The payment with this id.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, id: PaymentId) -> Result<Option<Payment>> {
    query_one(conn, "id = ?1", params![id])
}

/// The payment whose receipt has this SHA-256 (hex), whatever its status.
///
/// # Errors
/// SQLite errors.
pub fn find_by_sha256(conn: &Connection, sha256: &str) -> Result<Option<Payment>> {
    query_one(conn, "receipt_sha256 = ?1", params![sha256])
}

fn query_one(conn: &Connection, filter: &str, p: impl rusqlite::Params) -> Result<Option<Payment>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM payments WHERE {filter}"))?
        .query_row(p, from_row)
        .optional()?)
}

/// The perceptual hashes of payments with an id above `after`, as (payment, order, phash hex)
/// in id order, for the near-duplicate index.
///
/// # Errors
/// SQLite errors.
pub fn phashes_after(conn: &Connection, after: i64) -> Result<Vec<(PaymentId, OrderId, String)>> {
    super::query_all(
        conn,
        "SELECT id, order_id, receipt_phash FROM payments \
         WHERE id > ?1 AND receipt_phash IS NOT NULL ORDER BY id",
        [after],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Payments in `status`, oldest first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn list_by_status(
    conn: &Connection,
    status: PaymentStatus,
    limit: u32,
) -> Result<Vec<Payment>> {
    super::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM payments WHERE status = ?1 ORDER BY created_at LIMIT ?2"),
        params![status, limit],
        from_row,
    )
}

/// Every payment of an order, oldest first.
///
/// # Errors
/// SQLite errors.
pub fn list_for_order(conn: &Connection, order: OrderId) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([order], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records where the review card was posted.
///
/// # Errors
/// SQLite errors.
pub fn set_review_message(
    conn: &Connection,
    id: PaymentId,
    channel: ChannelId,
    message: MessageId,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE payments SET review_channel_id = ?2, review_message_id = ?3, updated_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![id, channel, message, now])?;
    Ok(n == 1)
}

/// Forgets the review card `message` of payment `id` (it was deleted in Discord), so the next
/// delivery posts a new one. Guarded: a card posted since then is kept. Returns whether the row
/// changed.
///
/// # Errors
/// SQLite errors.
pub fn clear_review_message(
    conn: &Connection,
    id: PaymentId,
    message: MessageId,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE payments SET review_channel_id = NULL, review_message_id = NULL,
             updated_at = ?3 WHERE id = ?1 AND review_message_id = ?2",
        )?
        .execute(params![id, message, now])?;
    Ok(n == 1)
}

/// Moves the payment from `from` to `to` if still in `from` (guarded update). `Approved` and
/// `Rejected` also record the reviewer and `decided_at`. Returns whether the row changed.
///
/// # Errors
/// SQLite errors.
pub fn transition(
    conn: &Connection,
    id: PaymentId,
    from: PaymentStatus,
    to: PaymentStatus,
    reviewer: Option<UserId>,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let decides = matches!(to, PaymentStatus::Approved | PaymentStatus::Rejected);
    let n = conn
        .prepare_cached(
            "UPDATE payments SET status = ?3, updated_at = ?4,
                reviewer_id = coalesce(?5, reviewer_id), reason = ?6,
                decided_at = CASE WHEN ?7 THEN ?4 ELSE decided_at END
             WHERE id = ?1 AND status = ?2",
        )?
        .execute(params![id, from, to, now, reviewer, reason, decides])?;
    Ok(n == 1)
}

/// Records the client identity of temporary access granted on `id`'s receipt, once. Returns
/// whether this call recorded it.
///
/// # Errors
/// SQLite errors.
pub fn set_provisional(
    conn: &Connection,
    id: PaymentId,
    (uuid, email, sub_id): (&str, &str, &str),
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE payments SET provisional_at = ?2, client_uuid = ?3, client_email = ?4,
                 client_sub_id = ?5, updated_at = ?2
             WHERE id = ?1 AND provisional_at IS NULL AND status = 'pending'",
        )?
        .execute(params![id, now, uuid, email, sub_id])?;
    Ok(n == 1)
}

/// Whether any payment of `user` ever had temporary access.
///
/// # Errors
/// SQLite errors.
pub fn had_provisional(conn: &Connection, user: UserId) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE user_id = ?1 AND provisional_at IS NOT NULL)",
        [user],
        |r| r.get(0),
    )?)
}

/// Records why a payment was rejected, as a code.
///
/// # Errors
/// SQLite errors.
pub fn set_reason_code(
    conn: &Connection,
    id: PaymentId,
    code: crate::domain::status::RejectCode,
) -> Result<()> {
    conn.prepare_cached("UPDATE payments SET reason_code = ?2 WHERE id = ?1")?
        .execute(params![id, code])?;
    Ok(())
}

/// Stores the client identity chosen for provisioning (before any panel call).
///
/// # Errors
/// SQLite errors.
pub fn set_client_identity(
    conn: &Connection,
    id: PaymentId,
    uuid: &str,
    email: &str,
    sub_id: &str,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE payments SET client_uuid = ?2, client_email = ?3, client_sub_id = ?4,
             updated_at = ?5 WHERE id = ?1",
        )?
        .execute(params![id, uuid, email, sub_id, now])?;
    Ok(n == 1)
}

/// Records the provisioning step reached and whether this attempt created the panel client.
///
/// # Errors
/// SQLite errors.
pub fn set_provision_step(
    conn: &Connection,
    id: PaymentId,
    step: &str,
    client_created: bool,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE payments SET provision_step = ?2, client_created = ?3, updated_at = ?4
             WHERE id = ?1",
        )?
        .execute(params![id, step, client_created, now])?;
    Ok(n == 1)
}

/// Stored receipt files of payments created before `before` (Unix ms): (payment, path).
///
/// # Errors
/// SQLite errors.
pub fn receipts_stored_before(conn: &Connection, before: i64) -> Result<Vec<(PaymentId, String)>> {
    super::query_all(
        conn,
        "SELECT id, receipt_path FROM payments WHERE receipt_path IS NOT NULL AND created_at < ?1",
        [before],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Forgets the stored file of a receipt (hashes stay for duplicate detection).
///
/// # Errors
/// SQLite errors.
pub fn clear_receipt_path(conn: &Connection, id: PaymentId, now: i64) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE payments SET receipt_path = NULL, updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(n == 1)
}
