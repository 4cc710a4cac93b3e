//! The core services: the shop's business logic. They never import serenity or poise.

pub mod health;
pub mod receipts;
