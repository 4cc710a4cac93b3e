//! Plain types shared by every layer: ids and statuses. No I/O, no Discord, no SQL.

pub mod ids;
pub mod status;

pub use ids::{AdminSessionId, ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId};
