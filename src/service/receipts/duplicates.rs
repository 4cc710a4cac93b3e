//! Duplicate receipts: the closest earlier perceptual hash, the `receipt.duplicate` audit entry,
//! and the mapping of the UNIQUE violation on `payments.receipt_sha256` (two identical uploads
//! racing to the insert) to [`UserError::DuplicateReceipt`]. Plain functions over a
//! `&Connection`, so the order service can call them inside its own transaction.

use rusqlite::Connection;
use serde_json::json;

use super::{NearDuplicate, analyze, truncate};
use crate::domain::audit::AuditAction;
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::Result;
use crate::store::audit;
use crate::store::payments::Payment;

/// The closest stored hash strictly below `threshold` (ties: the oldest payment); hashes of
/// another length or not hex are skipped. `threshold = 0` disables the search.
pub(super) fn nearest(
    phash: &str,
    stored: &[(PaymentId, OrderId, String)],
    threshold: u32,
) -> Option<NearDuplicate> {
    stored
        .iter()
        .filter_map(|(payment, order, other)| {
            let distance = analyze::hamming_hex(phash, other)?;
            (distance < threshold).then_some(NearDuplicate {
                payment: *payment,
                order: *order,
                distance,
            })
        })
        .min_by_key(|d| (d.distance, d.payment))
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

    #[test]
    fn nearest_takes_the_closest_under_the_threshold() {
        let stored = vec![
            (PaymentId(1), OrderId(10), "ff00000000000000".to_owned()),
            (PaymentId(2), OrderId(20), "0f00000000000000".to_owned()),
            (PaymentId(3), OrderId(30), "0f00".to_owned()),
            (PaymentId(4), OrderId(40), "0300000000000000".to_owned()),
        ];
        let got = nearest("0000000000000000", &stored, 10).unwrap();
        assert_eq!(
            (got.payment, got.order, got.distance),
            (PaymentId(4), OrderId(40), 2)
        );
        assert_eq!(
            nearest("0000000000000000", &stored, 2),
            None,
            "strictly below"
        );
        assert_eq!(nearest("0000000000000000", &stored, 0), None, "0 disables");
        let tie = vec![
            (PaymentId(7), OrderId(1), "01".to_owned()),
            (PaymentId(5), OrderId(2), "02".to_owned()),
        ];
        assert_eq!(nearest("00", &tie, 10).unwrap().payment, PaymentId(5));
    }
}
