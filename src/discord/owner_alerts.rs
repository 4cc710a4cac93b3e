//! Owner alerts: a DM to every owner when the panel goes down and when it comes back (with the
//! outage's duration), from the health monitor's events. Owners are `roles.owner_user_ids` plus
//! the guild members holding one of `roles.owner_role_ids`, listed when the alert is sent (so a
//! role given yesterday counts). Subscribed in [`super::start`] before the monitor's first check,
//! so an outage at startup is reported too.

use std::collections::BTreeSet;

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{CreateMessage, Http};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::RolesConfig;
use crate::i18n::{Lang, s, t};
use crate::service::health::HealthEvent;

/// Discord's page size for listing guild members.
const MEMBERS_PAGE: u64 = 1000;

/// Forwards health events to the owners of `guild` until `stop`.
pub(super) fn spawn(
    http: Arc<Http>,
    roles: RolesConfig,
    guild: serenity::GuildId,
    (mut events, lang): (broadcast::Receiver<HealthEvent>, Lang),
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => break,
                e = events.recv() => e,
            };
            match event {
                Ok(e) => {
                    let owners = recipients(&http, &roles, guild).await;
                    notify(&http, &owners, &text(lang, &e)).await;
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "owner alerts lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    })
}

/// The owners by id, plus the members holding an owner role (all pages of the member list; a
/// failed listing is logged and the owners by id are still told).
pub(super) async fn recipients(
    http: &Http,
    roles: &RolesConfig,
    guild: serenity::GuildId,
) -> BTreeSet<u64> {
    let mut out: BTreeSet<u64> = roles
        .owner_user_ids
        .iter()
        .copied()
        .filter(|&o| o != 0)
        .collect();
    if roles.owner_role_ids.is_empty() {
        return out;
    }
    let mut after = None;
    loop {
        let page = match guild.members(http, Some(MEMBERS_PAGE), after).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "could not list the guild's members to find owners by role");
                break;
            }
        };
        out.extend(
            page.iter()
                .filter(|m| {
                    m.roles
                        .iter()
                        .any(|r| roles.owner_role_ids.contains(&r.get()))
                })
                .map(|m| m.user.id.get()),
        );
        match page.last() {
            Some(last) if page.len() as u64 == MEMBERS_PAGE => after = Some(last.user.id),
            _ => break,
        }
    }
    out
}

async fn notify(http: &Http, owners: &BTreeSet<u64>, text: &str) {
    for &owner in owners {
        let msg = CreateMessage::new().content(text);
        if let Err(e) = serenity::UserId::new(owner).direct_message(http, msg).await {
            tracing::warn!(owner, error = %e, "could not DM an owner about panel health");
        }
    }
}

/// The owner's DM for an event, in `lang` (`shop.staff_language`).
#[must_use]
pub(super) fn text(lang: Lang, event: &HealthEvent) -> String {
    match event {
        HealthEvent::Outage { since, last_error } => {
            let args = [
                s("since", format!("<t:{}:f>", since.as_second())),
                s("error", last_error.clone()),
            ];
            t(lang, "staff-panel-down", &args)
        }
        HealthEvent::Recovered { down_for } => {
            t(lang, "staff-panel-back", &[s("after", human(*down_for))])
        }
    }
}

/// `3725 s` → `1 h 2 min`; under a minute → seconds.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(human(Duration::from_secs(42)), "42 s");
        assert_eq!(human(Duration::from_secs(125)), "2 min");
        assert_eq!(human(Duration::from_secs(3725)), "1 h 2 min");
    }
}
