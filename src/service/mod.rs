//! The core services: the shop's business logic. They never import serenity or poise.

pub mod health;
pub mod housekeeping;
pub mod outbox;
pub mod revenue;
pub mod scheduled;
