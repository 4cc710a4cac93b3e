//! The one place where domain ids meet SQLite: Discord `u64` ↔ SQLite `i64` (same bit pattern),
//! status enums ↔ TEXT, and the clock in Unix milliseconds.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::ids::{
    AdminSessionId, ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId,
};
use crate::domain::status::{
    AdminAction, InvoiceState, JobStatus, LedgerKind, OrderKind, OrderStatus, OutboxStatus,
    PaymentSource, PaymentStatus, RejectCode, SubscriptionStatus,
};

/// Current time in Unix milliseconds.
#[must_use]
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

macro_rules! discord_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0.cast_signed()))
            }
        }
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map(|v| Self(v.cast_unsigned()))
            }
        }
    )*};
}

macro_rules! row_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0))
            }
        }
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map(Self)
            }
        }
    )*};
}

macro_rules! text_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    )*};
}

discord_sql!(UserId, ChannelId, MessageId, GuildId);
row_sql!(OrderId, PaymentId, AdminSessionId);
text_sql!(
    SubscriptionStatus,
    OrderKind,
    OrderStatus,
    PaymentStatus,
    PaymentSource,
    InvoiceState,
    RejectCode,
    AdminAction,
    OutboxStatus,
    JobStatus,
    LedgerKind
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_ids_above_i64_max_round_trip() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for raw in [0, 1, 1_234_567_890_123_456_789, u64::MAX] {
            let back: UserId = conn
                .query_row("SELECT ?1", [UserId(raw)], |r| r.get(0))
                .unwrap();
            assert_eq!(back, UserId(raw));
        }
    }

    #[test]
    fn unknown_status_text_is_a_conversion_error() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let got: rusqlite::Result<PaymentStatus> =
            conn.query_row("SELECT 'paid'", [], |r| r.get(0));
        assert!(got.is_err());
    }
}
