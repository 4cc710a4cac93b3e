//! Id newtypes. Discord ids are `u64` snowflakes; SQLite stores them as `i64` with the same bit
//! pattern (the conversion lives in `store::convert`, nowhere else). Row ids are SQLite's `i64`.

use std::fmt;

macro_rules! discord_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}

macro_rules! row_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}

discord_id! {
    /// A Discord user (snowflake).
    UserId,
    /// A Discord channel, DM channel or category (snowflake).
    ChannelId,
    /// A Discord message (snowflake).
    MessageId,
    /// A Discord guild (snowflake).
    GuildId,
}

row_id! {
    /// `orders.id`
    OrderId,
    /// `payments.id`
    PaymentId,
    /// `admin_sessions.id` (the row, not the secret token)
    AdminSessionId,
}
