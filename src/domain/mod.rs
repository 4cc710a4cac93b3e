//! Plain types shared by every layer: ids, statuses, the allowed status moves, roles, the typed
//! outbox deliveries, scheduled jobs and audit actions. No I/O, no Discord, no SQL.

pub mod audit;
pub mod delivery;
pub mod ids;
pub mod role;
pub mod scheduled;
pub mod status;
pub mod transitions;

pub use ids::{AdminSessionId, ChannelId, GuildId, MessageId, OrderId, PaymentId, UserId};
