//! The core services: the shop's business logic. They never import serenity or poise: they
//! return plain results and queue typed outbox deliveries (`domain::delivery`) for the Discord
//! layer, which plugs in through the traits defined here (`outbox::Deliverer`,
//! `scheduled::ScheduledHandler`, `housekeeping::MessageDeleter`).

pub mod admin_sessions;
pub mod approval;
pub mod health;
pub mod housekeeping;
pub mod intake;
pub mod jobs;
pub mod orders;
pub mod outbox;
pub mod rate_limit;
pub mod receipts;
pub mod revenue;
pub mod roles;
pub mod scheduled;
pub mod staff;
pub mod state;
pub mod subscriptions;
pub mod sweep;
