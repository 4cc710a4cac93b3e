//! `crypto_invoices`: Crypto Pay invoices of orders. A row is written (`creating`, with its unique
//! payload) before `createInvoice` is called and completed (`active`, with Crypto Pay's
//! `invoice_id`, pay URL and expiry) when it answers; every later move is a guarded update from
//! an expected state, so a paid invoice is settled at most once however many checks race.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::status::InvoiceState;
use crate::domain::{OrderId, PaymentId};
use crate::error::Result;

/// An invoice to record before asking Crypto Pay for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// The order it pays for.
    pub order_id: OrderId,
    /// `crypto` or `fiat` (`createInvoice` `currency_type`).
    pub currency_type: String,
    /// Asset of a crypto invoice (`USDT`).
    pub asset: Option<String>,
    /// Fiat of a fiat invoice (`USD`).
    pub fiat: Option<String>,
    /// The decimal amount sent (`"12.50"`).
    pub amount: String,
    /// The order's price in minor units.
    pub amount_minor: i64,
    /// The order's currency (ISO 4217).
    pub currency: String,
    /// The unique `payload` sent (`vtb:<order>:<nonce>`).
    pub payload: String,
}

/// A stored invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    /// Our row id.
    pub id: i64,
    /// The order.
    pub order_id: OrderId,
    /// Crypto Pay's `invoice_id` (`None` while creating or after a failed creation).
    pub invoice_id: Option<i64>,
    /// Where it stands.
    pub state: InvoiceState,
    /// `crypto` or `fiat`.
    pub currency_type: String,
    /// Asset of a crypto invoice.
    pub asset: Option<String>,
    /// Fiat of a fiat invoice.
    pub fiat: Option<String>,
    /// The decimal amount asked.
    pub amount: String,
    /// The order's price in minor units.
    pub amount_minor: i64,
    /// The order's currency.
    pub currency: String,
    /// The payload sent.
    pub payload: String,
    /// `bot_invoice_url`: where the customer pays.
    pub pay_url: Option<String>,
    /// The payment created when it was paid and matched.
    pub payment_id: Option<PaymentId>,
    /// What the customer paid with, and how much (Crypto Pay's `paid_asset`, `paid_amount`).
    pub paid: Option<(String, String)>,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// When Crypto Pay expires it (Unix ms).
    pub expires_at: Option<i64>,
    /// When the bot saw it paid (Unix ms).
    pub paid_at: Option<i64>,
    /// Why creation failed, or what did not match.
    pub last_error: Option<String>,
}

const COLUMNS: &str = "id, order_id, invoice_id, status, currency_type, asset, fiat, amount, \
    amount_minor, currency, payload, pay_url, payment_id, paid_asset, paid_amount, created_at, \
    updated_at, expires_at, paid_at, last_error";

fn from_row(r: &Row<'_>) -> rusqlite::Result<StoredInvoice> {
    Ok(StoredInvoice {
        id: r.get(0)?,
        order_id: r.get(1)?,
        invoice_id: r.get(2)?,
        state: r.get(3)?,
        currency_type: r.get(4)?,
        asset: r.get(5)?,
        fiat: r.get(6)?,
        amount: r.get(7)?,
        amount_minor: r.get(8)?,
        currency: r.get(9)?,
        payload: r.get(10)?,
        pay_url: r.get(11)?,
        payment_id: r.get(12)?,
        paid: r.get::<_, Option<String>>(13)?.zip(r.get(14)?),
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        expires_at: r.get(17)?,
        paid_at: r.get(18)?,
        last_error: r.get(19)?,
    })
}

fn query(conn: &Connection, filter: &str, p: impl rusqlite::Params) -> Result<Vec<StoredInvoice>> {
    super::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM crypto_invoices WHERE {filter}"),
        p,
        from_row,
    )
}

/// Records an invoice about to be created (`creating`). Returns its row id.
///
/// # Errors
/// SQLite errors; a unique violation on `crypto_invoices_one_live_per_order` when the order
/// already has a live (creating or active) invoice.
pub fn insert_creating(conn: &Connection, n: &NewInvoice, now: i64) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO crypto_invoices (order_id, currency_type, asset, fiat, amount, amount_minor,
             currency, payload, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        n.order_id,
        n.currency_type,
        n.asset,
        n.fiat,
        n.amount,
        n.amount_minor,
        n.currency,
        n.payload,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// `creating → active` with what Crypto Pay answered. Returns whether the row changed.
///
/// # Errors
/// SQLite errors (a unique violation if `invoice_id` is already recorded on another row).
pub fn activate(
    conn: &Connection,
    id: i64,
    invoice_id: i64,
    pay_url: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE crypto_invoices SET status = 'active', invoice_id = ?2, pay_url = ?3,
                 expires_at = ?4, updated_at = ?5
             WHERE id = ?1 AND status = 'creating'",
        )?
        .execute(params![id, invoice_id, pay_url, expires_at, now])?;
    Ok(n == 1)
}

/// Moves the invoice from `from` to `to` (not to `paid`: see [`settle_paid`]), recording `note`
/// as `last_error`. Returns whether the row changed.
///
/// # Errors
/// SQLite errors.
pub fn transition(
    conn: &Connection,
    id: i64,
    from: InvoiceState,
    to: InvoiceState,
    note: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE crypto_invoices SET status = ?3, last_error = coalesce(?4, last_error),
                 updated_at = ?5
             WHERE id = ?1 AND status = ?2",
        )?
        .execute(params![id, from, to, note, now])?;
    Ok(n == 1)
}

/// `active → paid`, linking the payment created for it. Returns whether the row changed (false:
/// someone settled it first).
///
/// # Errors
/// SQLite errors.
pub fn settle_paid(
    conn: &Connection,
    id: i64,
    payment: PaymentId,
    paid: Option<(&str, &str)>,
    now: i64,
) -> Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE crypto_invoices SET status = 'paid', payment_id = ?2, paid_asset = ?3,
                 paid_amount = ?4, paid_at = ?5, updated_at = ?5
             WHERE id = ?1 AND status = 'active'",
        )?
        .execute(params![
            id,
            payment,
            paid.map(|p| p.0),
            paid.map(|p| p.1),
            now
        ])?;
    Ok(n == 1)
}

/// Records what a paid invoice was paid with when it is not settled (a mismatch).
///
/// # Errors
/// SQLite errors.
pub fn record_paid_with(
    conn: &Connection,
    id: i64,
    asset: &str,
    amount: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE crypto_invoices SET paid_asset = ?2, paid_amount = ?3, paid_at = ?4, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, asset, amount, now])?;
    Ok(())
}

/// The invoice with this row id.
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, id: i64) -> Result<Option<StoredInvoice>> {
    Ok(query(conn, "id = ?1", [id])?.pop())
}

/// The invoice Crypto Pay calls `invoice_id`.
///
/// # Errors
/// SQLite errors.
pub fn by_invoice_id(conn: &Connection, invoice_id: i64) -> Result<Option<StoredInvoice>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM crypto_invoices WHERE invoice_id = ?1"
        ))?
        .query_row([invoice_id], from_row)
        .optional()?)
}

/// The order's newest invoice, whatever its state.
///
/// # Errors
/// SQLite errors.
pub fn latest_for_order(conn: &Connection, order: OrderId) -> Result<Option<StoredInvoice>> {
    Ok(query(conn, "order_id = ?1 ORDER BY id DESC LIMIT 1", [order])?.pop())
}

/// Invoices in `state`, oldest first.
///
/// # Errors
/// SQLite errors.
pub fn list_in(conn: &Connection, state: InvoiceState) -> Result<Vec<StoredInvoice>> {
    query(conn, "status = ?1 ORDER BY id", [state])
}
