//! The core services: the shop's business logic. They never import serenity or poise: they
//! return plain results and queue typed outbox deliveries (`domain::delivery`) for the Discord
//! layer.

pub mod admin_sessions;
pub mod approval;
pub mod health;
pub mod orders;
pub mod rate_limit;
pub mod roles;
pub mod state;
