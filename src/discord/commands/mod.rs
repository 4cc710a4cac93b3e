//! Slash commands, one file per group. The `///` doc on each command is what users read in
//! Discord's command picker.

mod admin;
mod growth;
mod help;
mod order;
mod shop;
mod status;

use super::{Data, Failure};

/// Every command the bot registers.
#[must_use]
pub fn all() -> Vec<poise::Command<Data, Failure>> {
    vec![
        order::order(),
        order::renew(),
        order::gift(),
        growth::trial(),
        growth::referral(),
        growth::redeem(),
        help::help(),
        status::status(),
        admin::admin_command(),
    ]
}
