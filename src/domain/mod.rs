//! Plain types shared by every layer: ids, statuses, the allowed status moves, roles, the typed
//! outbox deliveries and scheduled jobs. No I/O, no Discord, no SQL.

pub mod delivery;
pub mod ids;
pub mod role;
pub mod scheduled;
pub mod status;
pub mod transitions;

pub use ids::{AdminSessionId, ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId};
