//! Schema 3 (`0003_payment_sources.sql`) rebuilds `orders` and `payments`: applied on copies of a
//! schema-1 and a schema-2 database holding data, every row and reference survives, the relaxed
//! and the new constraints hold, foreign keys are enforced again afterwards, applying it twice is
//! a no-op, and a dangling reference stops the migration with nothing applied.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use vpn_ticket_bot::store::{self, MIGRATIONS, Store};

/// A database at schema `version` with a customer, a completed order with an approved receipt
/// payment (sold, with an admin session), and a second order whose payment is a near duplicate
/// of the first and still pending.
fn old_database(path: &Path, version: usize) {
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "application_id", store::APPLICATION_ID)
        .unwrap();
    MIGRATIONS.to_version(&mut conn, version).unwrap();
    conn.execute_batch(&format!(
        "INSERT INTO users (discord_id, panel_email, status, created_at, updated_at)
             VALUES (42, 'u42', 'active', 1, 1);
         INSERT INTO orders (id, user_id, kind, status, plan_id, plan_name, plan_days,
             plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency,
             plan_start_on_first_use, payment_method, ticket_channel_id, created_at, updated_at,
             closed_at)
             VALUES (1, 42, 'new', 'completed', 'm1', 'Month', 30, 100, 2, 500, 'USD', 0, 'bank',
                     900, 10, 20, 20),
                    (2, 42, 'renewal', 'under_review', 'm1', 'Month', 30, 100, 2, 500, 'USD', 0,
                     'bank', 901, 30, 30, NULL);
         INSERT INTO payments (id, order_id, user_id, method, amount_minor, currency,
             receipt_sha256, receipt_phash, receipt_path, receipt_content_type, receipt_size,
             status, reviewer_id, client_uuid, client_email, client_sub_id, provision_step,
             created_at, updated_at, decided_at)
             VALUES (7, 1, 42, 'bank', 500, 'USD', '{a}', 'ff00', 'receipts/aa/a.png',
                     'image/png', 1234, 'approved', 99, 'uuid-1', 'u42', 'sub-1', 'finalized',
                     11, 20, 20);
         INSERT INTO payments (id, order_id, user_id, method, amount_minor, currency,
             receipt_sha256, receipt_phash, receipt_content_type, receipt_size,
             near_duplicate_of, near_duplicate_distance, created_at, updated_at)
             VALUES (8, 2, 42, 'bank', 500, 'USD', '{b}', 'ff01', 'image/jpeg', 99, 7, 1, 31, 31);
         INSERT INTO admin_sessions (token, admin_id, action, payment_id, created_at, expires_at,
             consumed_at) VALUES ('t1', 99, 'approve', 7, 15, 315, 16);
         INSERT INTO revenue_ledger (payment_id, kind, amount_minor, currency, at)
             VALUES (7, 'sale', 500, 'USD', 20);",
        a = "a".repeat(64),
        b = "b".repeat(64),
    ))
    .unwrap();
}

fn open(path: &Path) -> Store {
    Store::open_path(path, Duration::from_secs(5), 2).unwrap()
}

/// Every row the old database held, as text, in a stable order.
fn payments_dump(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT id, order_id, user_id, method, source, amount_minor, currency, receipt_sha256,
                    receipt_phash, receipt_path, receipt_content_type, receipt_size,
                    near_duplicate_of, near_duplicate_distance, status, reviewer_id,
                    client_email, provision_step, decided_at
               FROM payments ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let cols: Vec<String> = (0..19)
            .map(|i| {
                r.get::<_, rusqlite::types::Value>(i)
                    .map(|v| format!("{v:?}"))
            })
            .collect::<rusqlite::Result<_>>()?;
        Ok(cols.join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn check_migrated(path: &Path) {
    let store = open(path);
    assert_eq!(store.migrated().1, store::schema_version());
    let conn = store.conn().unwrap();
    let dump = payments_dump(&conn);
    assert_eq!(dump.len(), 2);
    assert!(
        dump[0].starts_with(
            "Integer(7)|Integer(1)|Integer(42)|Text(\"bank\")|Text(\"receipt\")|Integer(500)"
        ),
        "{}",
        dump[0]
    );
    assert!(
        dump[0].contains("Text(\"receipts/aa/a.png\")"),
        "{}",
        dump[0]
    );
    assert!(
        dump[1].contains("|Integer(7)|Integer(1)|Text(\"pending\")|"),
        "near duplicate kept: {}",
        dump[1]
    );
    for (table, n) in [
        ("users", 1),
        ("orders", 2),
        ("admin_sessions", 1),
        ("revenue_ledger", 1),
        ("crypto_invoices", 0),
    ] {
        assert_eq!(count(&conn, table), n, "{table}");
    }
    let kinds: Vec<(i64, String, Option<i64>)> = conn
        .prepare("SELECT id, kind, closed_at FROM orders ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        kinds,
        vec![(1, "new".into(), Some(20)), (2, "renewal".into(), None)]
    );
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0);
    let fk: bool = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert!(fk, "pooled connections enforce foreign keys again");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    // The indexes the rebuild dropped are back.
    for index in [
        "orders_one_open_per_user",
        "payments_one_open_per_order",
        "payments_phash",
        "orders_status_waiting",
    ] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                [index],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "{index}");
    }
}

#[test]
fn schema_1_and_2_databases_with_data_migrate_and_keep_every_row() {
    let dir = tempfile::tempdir().unwrap();
    for version in [1, 2] {
        let path = dir.path().join(format!("v{version}.db"));
        old_database(&path, version);
        check_migrated(&path);
        // Applied twice: the second open migrates nothing and changes nothing.
        let again = open(&path);
        assert_eq!(
            again.migrated(),
            (store::schema_version(), store::schema_version())
        );
        drop(again);
        check_migrated(&path);
    }
}

#[test]
fn relaxed_and_new_constraints_hold_after_the_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    old_database(&path, 2);
    let store = open(&path);
    let conn = store.conn().unwrap();
    conn.execute_batch(
        "INSERT INTO orders (id, user_id, kind, status, plan_id, plan_name, plan_days,
             plan_traffic_gib, plan_device_limit, plan_price_minor, plan_currency,
             plan_start_on_first_use, created_at, updated_at)
             VALUES (3, 42, 'trial', 'completed', 'trial', 'Trial', 3, 5, 1, 0, 'USD', 0, 40, 40);",
    )
    .expect("a free trial order is allowed now");
    conn.execute(
        "INSERT INTO payments (order_id, user_id, method, source, amount_minor, currency, status,
             created_at, updated_at) VALUES (1, 42, 'crypto', 'cryptobot', 500, 'USD', 'approved', 50, 50)",
        [],
    )
    .expect("an invoice payment needs no receipt");
    let refused = [
        // A receipt payment without its receipt.
        "INSERT INTO payments (order_id, user_id, method, amount_minor, currency, created_at, updated_at)
             VALUES (1, 42, 'bank', 500, 'USD', 60, 60)",
        // A paid source with nothing paid.
        "INSERT INTO payments (order_id, user_id, method, source, amount_minor, currency, created_at, updated_at)
             VALUES (1, 42, 'crypto', 'cryptobot', 0, 'USD', 60, 60)",
        // An invoice payment carrying a receipt hash.
        &format!("INSERT INTO payments (order_id, user_id, method, source, amount_minor, currency,
             receipt_sha256, created_at, updated_at)
             VALUES (1, 42, 'crypto', 'cryptobot', 500, 'USD', '{}', 60, 60)", "c".repeat(64)),
        // A payment of an order that does not exist (foreign keys are on again).
        "INSERT INTO payments (order_id, user_id, method, source, amount_minor, currency, created_at, updated_at)
             VALUES (99, 42, 'crypto', 'cryptobot', 500, 'USD', 60, 60)",
        // An unknown order kind.
        "INSERT INTO orders (user_id, kind, plan_id, plan_name, plan_days, plan_traffic_gib,
             plan_device_limit, plan_price_minor, plan_currency, plan_start_on_first_use,
             created_at, updated_at) VALUES (42, 'bonus', 'm1', 'Month', 30, 0, 0, 0, 'USD', 0, 1, 1)",
        // An active invoice without Crypto Pay's id.
        "INSERT INTO crypto_invoices (order_id, status, currency_type, fiat, amount, amount_minor,
             currency, payload, created_at, updated_at)
             VALUES (2, 'active', 'fiat', 'USD', '5.00', 500, 'USD', 'vtb:2:x', 1, 1)",
    ];
    for sql in refused {
        assert!(conn.execute(sql, []).is_err(), "accepted: {sql}");
    }
    conn.execute(
        "INSERT INTO crypto_invoices (order_id, status, currency_type, fiat, amount, amount_minor,
             currency, payload, created_at, updated_at)
             VALUES (2, 'creating', 'fiat', 'USD', '5.00', 500, 'USD', 'vtb:2:x', 1, 1)",
        [],
    )
    .unwrap();
    let second_live = conn.execute(
        "INSERT INTO crypto_invoices (order_id, status, currency_type, fiat, amount, amount_minor,
             currency, payload, created_at, updated_at)
             VALUES (2, 'creating', 'fiat', 'USD', '5.00', 500, 'USD', 'vtb:2:y', 1, 1)",
        [],
    );
    assert!(second_live.is_err(), "one live invoice per order");
}

#[test]
fn a_dangling_reference_stops_the_migration_with_nothing_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    old_database(&path, 2);
    {
        let conn = Connection::open(&path).unwrap();
        // (The bundled SQLite turns foreign keys on by default.) This row points nowhere.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO payments (order_id, user_id, method, amount_minor, currency,
                 receipt_sha256, receipt_phash, receipt_content_type, receipt_size, created_at,
                 updated_at) VALUES (77, 42, 'bank', 500, 'USD', '{}', 'ff', 'image/png', 1, 1, 1)",
            "d".repeat(64)
        ))
        .unwrap();
    }
    let err = Store::open_path(&path, Duration::from_secs(5), 2).unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("foreign key"),
        "{err}"
    );
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2, "nothing applied");
    let has_source: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('payments') WHERE name = 'source'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(has_source, 0, "the old payments table is intact");
}
