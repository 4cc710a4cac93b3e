//! Duplicate receipts: the closest earlier perceptual hash, the `receipt.duplicate` audit entry,
//! and the mapping of the UNIQUE violation on `payments.receipt_sha256` (two identical uploads
//! racing to the insert) to [`UserError::DuplicateReceipt`]. Plain functions over a
//! `&Connection`, so the order service can call them inside its own transaction.

use rusqlite::Connection;
use serde_json::json;

use super::{NearDuplicate, truncate};
use crate::domain::audit::AuditAction;
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::Result;
use crate::store::payments::Payment;
use crate::store::{audit, payments};

/// The perceptual hashes of stored receipts, kept in memory so a near-duplicate search reads
/// only the payments added since the last one (`id > after`) instead of every row: 24 bytes per
/// receipt, and a scan of XORs rather than of decoded hex strings. Payments are never deleted
/// and SQLite hands out rowids in commit order to its single writer, so the committed rows
/// above `after` are exactly the ones not seen yet.
#[derive(Debug, Default)]
pub(super) struct PhashIndex {
    /// The largest payment id read so far.
    after: i64,
    /// (hash, payment, order) of every receipt whose hash is 16 hex digits (64 bits, what
    /// [`analyze`] makes); hashes of another length or not hex are never compared.
    rows: Vec<(u64, PaymentId, OrderId)>,
}

impl PhashIndex {
    /// Reads the receipts added since the last call.
    ///
    /// # Errors
    /// SQLite errors.
    pub(super) fn catch_up(&mut self, conn: &Connection) -> Result<()> {
        for (payment, order, phash) in payments::phashes_after(conn, self.after)? {
            self.after = self.after.max(payment.0);
            if let Some(hash) = parse(&phash) {
                self.rows.push((hash, payment, order));
            }
        }
        Ok(())
    }

    /// The closest stored hash strictly below `threshold` (ties: the oldest payment).
    /// `threshold = 0` disables the search; a `phash` that is not 16 hex digits matches nothing.
    pub(super) fn nearest(&self, phash: &str, threshold: u32) -> Option<NearDuplicate> {
        let hash = parse(phash)?;
        self.rows
            .iter()
            .filter_map(|&(other, payment, order)| {
                let distance = (hash ^ other).count_ones();
                (distance < threshold).then_some(NearDuplicate {
                    payment,
                    order,
                    distance,
                })
            })
            .min_by_key(|d| (d.distance, d.payment))
    }
}

/// A 64-bit hash from its 16 hex digits.
fn parse(phash: &str) -> Option<u64> {
    if phash.len() != 16 {
        return None;
    }
    u64::from_str_radix(phash, 16).ok()
}

/// Appends the `receipt.duplicate` audit entry: actor `user`, target the `order` being paid,
/// payload with the earlier payment, its order and customer, the SHA-256, the declared name and
/// the size (never the bytes). [`super::ReceiptService::process`] calls it; the order service calls it
/// too after `OrderService::submit_receipt` reported a duplicate (outside the rolled-back transaction).
///
/// # Errors
/// SQLite errors.
pub fn record_duplicate(
    conn: &Connection,
    user: UserId,
    order: OrderId,
    earlier: &Payment,
    declared_name: &str,
    size: u64,
    now: i64,
) -> Result<()> {
    let payload = json!({
        "order": order.0,
        "earlier_payment": earlier.id.0,
        "earlier_order": earlier.order_id.0,
        "earlier_user": earlier.user_id.to_string(),
        "sha256": earlier.receipt.as_ref().map(|r| r.sha256.as_str()),
        "declared_name": truncate(declared_name, 100),
        "size": size,
    });
    let entry = audit::NewEntry {
        actor: Some(user),
        action: AuditAction::ReceiptDuplicate.as_str(),
        target_type: Some("order"),
        target_id: Some(order.to_string()),
        session_id: None,
        payload,
    };
    audit::append(conn, &entry, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[(i64, i64, &str)]) -> PhashIndex {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER, receipt_phash TEXT)",
        )
        .unwrap();
        for (id, order, phash) in rows {
            conn.execute(
                "INSERT INTO payments VALUES (?1, ?2, ?3)",
                rusqlite::params![id, order, phash],
            )
            .unwrap();
        }
        let mut index = PhashIndex::default();
        index.catch_up(&conn).unwrap();
        index
    }

    #[test]
    fn nearest_takes_the_closest_under_the_threshold() {
        let stored = index(&[
            (1, 10, "ff00000000000000"),
            (2, 20, "0f00000000000000"),
            (3, 30, "0f00"),
            (4, 40, "0300000000000000"),
            (5, 50, "zz00000000000000"),
        ]);
        let got = stored.nearest("0000000000000000", 10).unwrap();
        assert_eq!(
            (got.payment, got.order, got.distance),
            (PaymentId(4), OrderId(40), 2)
        );
        assert_eq!(
            stored.nearest("0000000000000000", 2),
            None,
            "strictly below"
        );
        assert_eq!(stored.nearest("0000000000000000", 0), None, "0 disables");
        assert_eq!(stored.nearest("0f00", 64), None, "not 64 bits");
        let tie = index(&[(7, 1, "0000000000000001"), (5, 2, "0000000000000002")]);
        assert_eq!(
            tie.nearest("0000000000000000", 10).unwrap().payment,
            PaymentId(5)
        );
    }

    #[test]
    fn catching_up_reads_only_the_rows_added_since() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER, receipt_phash TEXT);
             INSERT INTO payments VALUES (1, 1, 'ff00000000000000'), (2, 2, NULL);",
        )
        .unwrap();
        let mut index = PhashIndex::default();
        index.catch_up(&conn).unwrap();
        assert_eq!(
            index.nearest("0000000000000000", 64).unwrap().payment,
            PaymentId(1)
        );
        conn.execute_batch("INSERT INTO payments VALUES (3, 3, '0000000000000000')")
            .unwrap();
        index.catch_up(&conn).unwrap();
        index.catch_up(&conn).unwrap();
        assert_eq!(index.rows.len(), 2, "each row once");
        let got = index.nearest("0000000000000001", 64).unwrap();
        assert_eq!((got.payment, got.distance), (PaymentId(3), 1));
    }
}
