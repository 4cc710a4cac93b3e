//! Forward-only migrations from `migrations/NNNN_*.sql`, tracked by SQLite's `user_version`
//! (rusqlite_migration). Never edit or reorder a released file; append a new one.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result};

/// `PRAGMA application_id` of our databases: the ASCII bytes `VTB1`.
pub const APPLICATION_ID: i32 = 0x5654_4231;

const LIST: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_init.sql")),
    M::up(include_str!("../../migrations/0002_converge.sql")),
    M::up(include_str!("../../migrations/0003_payment_sources.sql")).foreign_key_check(),
    M::up(include_str!("../../migrations/0004_world.sql")),
    M::up(include_str!("../../migrations/0005_backends.sql")),
    M::up(include_str!("../../migrations/0006_growth.sql")),
    M::up(include_str!("../../migrations/0007_dm_channels.sql")),
    M::up(include_str!(
        "../../migrations/0008_deleted_ticket_channels.sql"
    )),
];

/// Every migration, in order. The schema version is the number applied.
pub static MIGRATIONS: Migrations<'static> = Migrations::from_slice(LIST);

/// The schema version this binary writes (the number of migrations it knows).
#[must_use]
pub fn schema_version() -> i64 {
    i64::try_from(LIST.len()).unwrap_or(i64::MAX)
}

/// Application id and schema version read from a database file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// `PRAGMA application_id`
    pub application_id: i32,
    /// `PRAGMA user_version`
    pub user_version: i64,
    /// Number of tables in `sqlite_schema`.
    pub tables: i64,
}

/// Reads the identity of the database behind `conn`.
///
/// # Errors
/// [`Error::Db`] when the file is not a database SQLite can read.
pub fn identity(conn: &Connection) -> Result<Identity> {
    Ok(Identity {
        application_id: conn.pragma_query_value(None, "application_id", |r| r.get(0))?,
        user_version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
        tables: conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?,
    })
}

/// Refuses a database that is not ours (another application id, or a non-empty database without
/// ours) or whose schema is newer than this binary. An empty new file passes.
///
/// # Errors
/// [`Error::BadBackup`] with the reason, [`Error::Db`] when SQLite cannot read it.
pub fn check_ownership(conn: &Connection, path: &Path) -> Result<Identity> {
    let id = identity(conn)?;
    let bad = |reason: String| Error::BadBackup {
        path: path.to_owned(),
        reason,
    };
    if id.application_id != APPLICATION_ID && (id.application_id != 0 || id.tables > 0) {
        return Err(bad(format!(
            "not a vpn-ticket-bot database (application_id {:#x}, expected {APPLICATION_ID:#x})",
            id.application_id
        )));
    }
    if id.user_version > schema_version() {
        return Err(bad(format!(
            "schema version {} is newer than this binary's {}; use a newer vpn-ticket-bot",
            id.user_version,
            schema_version()
        )));
    }
    Ok(id)
}

/// Applies every pending migration in one transaction. Returns (version before, version after).
///
/// `foreign_keys` is off while migrations run (SQLite ignores the PRAGMA inside a transaction,
/// and a table rebuild such as 0003's must not cascade or trip on the dropped parent); migrations
/// that rebuild tables run `PRAGMA foreign_key_check` before their commit instead. The
/// connection's previous `foreign_keys` setting is restored afterwards, whatever happened.
///
/// # Errors
/// [`Error::Migration`] when a migration fails or leaves a dangling reference (nothing is applied
/// then).
pub fn migrate(conn: &mut Connection) -> Result<(i64, i64)> {
    let before: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let applied = MIGRATIONS.to_latest(conn);
    conn.pragma_update(None, "foreign_keys", foreign_keys)?;
    applied?;
    let after: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((before, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn migration_count_matches_the_slice() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (_, after) = migrate(&mut conn).unwrap();
        assert_eq!(after, schema_version());
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), (0, schema_version()));
        assert_eq!(
            migrate(&mut conn).unwrap(),
            (schema_version(), schema_version())
        );
        let id = identity(&conn).unwrap();
        assert_eq!(id.application_id, APPLICATION_ID);
        assert!(id.tables >= 11, "only {} tables", id.tables);
    }

    #[test]
    fn foreign_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE notes (x); PRAGMA application_id = 42;")
            .unwrap();
        let err = check_ownership(&conn, Path::new("x.db")).unwrap_err();
        assert!(
            err.to_string().contains("not a vpn-ticket-bot database"),
            "{err}"
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", schema_version() + 1)
            .unwrap();
        let err = check_ownership(&conn, Path::new("x.db")).unwrap_err();
        assert!(err.to_string().contains("newer than this binary"), "{err}");
    }
}
