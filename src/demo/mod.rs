//! `vpn-ticket-bot demo`: the offline showcase. [`world`] stages a shop (both emulators, a
//! generated config, a temporary data directory, the real bot); [`story`] plays the scripted
//! story against it and prints what each person sees.

pub mod story;
pub mod world;

pub use story::run;
