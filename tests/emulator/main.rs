//! The Discord emulator's fidelity, through serenity's `Http` and raw gateway websockets:
//! `protocol` (interactions, limits, permissions, faults, intents and resume), `history`
//! (message paging), `fidelity` (attachments, replies, users and members, error-code faults),
//! `downtime` (sessions, frames and what a bot that was away must read back). `support` holds
//! the shared set-up. `tests/discord_emulator.rs` stays a binary of its own: it captures every
//! serenity parse warning of its process, which these tests must not feed.

mod support;

mod cryptopay;
mod downtime;
mod fidelity;
mod history;
mod protocol;
