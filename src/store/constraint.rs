//! Maps SQLite constraint failures to what they mean, in one place (practice 4: unique violations
//! become domain refusals through one helper, not string matching scattered over services).

use crate::error::Error;

/// True when `err` is a UNIQUE (or PRIMARY KEY) violation naming `table.column` (SQLite's
/// message: `UNIQUE constraint failed: payments.receipt_sha256`) or the named unique index.
#[must_use]
pub fn is_unique_violation(err: &Error, target: &str) -> bool {
    let Error::Db(rusqlite::Error::SqliteFailure(e, Some(msg))) = err else {
        return false;
    };
    matches!(
        e.extended_code,
        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    ) && msg.contains(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_column_named_in_the_message() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (a TEXT UNIQUE, b TEXT UNIQUE); INSERT INTO t VALUES ('x', 'y');",
        )
        .unwrap();
        let err: Error = conn
            .execute("INSERT INTO t VALUES ('x', 'z')", [])
            .unwrap_err()
            .into();
        assert!(is_unique_violation(&err, "t.a"));
        assert!(!is_unique_violation(&err, "t.b"));
    }
}
