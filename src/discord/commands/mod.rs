//! Slash commands, one file per group. The `///` doc on each command is what users read in
//! Discord's command picker.

mod admin;
mod growth;
mod help;
mod language;
mod order;
mod shop;
mod status;

use super::{Data, Failure};

/// Every command the bot registers, with their Russian names and descriptions
/// ([`localize`](super::lang::localize)).
#[must_use]
pub fn all() -> Vec<poise::Command<Data, Failure>> {
    let mut commands = vec![
        order::order(),
        order::renew(),
        order::gift(),
        growth::trial(),
        growth::referral(),
        growth::redeem(),
        help::help(),
        status::status(),
        language::language(),
        admin::admin_command(),
    ];
    super::lang::localize(&mut commands);
    commands
}
