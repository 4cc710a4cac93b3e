//! Owner alerts: a DM to every owner (`roles.owner_user_ids`) when the panel goes down and when
//! it comes back (with the outage's duration), from the health monitor's events. Subscribed in
//! [`super::start`] before the monitor's first check, so an outage at startup is reported too.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{CreateMessage, Http};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::service::health::HealthEvent;

/// Forwards health events to the owners until `stop`.
pub fn spawn(
    http: Arc<Http>,
    owners: Vec<u64>,
    mut events: broadcast::Receiver<HealthEvent>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                () = stop.cancelled() => break,
                e = events.recv() => e,
            };
            match event {
                Ok(e) => notify(&http, &owners, &text(&e)).await,
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "owner alerts lagged"),
                Err(RecvError::Closed) => break,
            }
        }
    })
}

async fn notify(http: &Http, owners: &[u64], text: &str) {
    for &owner in owners.iter().filter(|&&o| o != 0) {
        let msg = CreateMessage::new().content(text);
        if let Err(e) = serenity::UserId::new(owner).direct_message(http, msg).await {
            tracing::warn!(owner, error = %e, "could not DM an owner about panel health");
        }
    }
}

/// The owner's DM for an event.
#[must_use]
pub fn text(event: &HealthEvent) -> String {
    match event {
        HealthEvent::Outage { since, last_error } => format!(
            "⚠ The VPN panel is down (failing since <t:{}:f>: {last_error}). New orders are \
             refused; approvals wait and complete on their own when it is back.",
            since.as_second()
        ),
        HealthEvent::Recovered { down_for } => format!(
            "✅ The VPN panel is back after {}. Waiting approvals are being completed.",
            human(*down_for)
        ),
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
