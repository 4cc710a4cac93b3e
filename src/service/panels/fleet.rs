//! The fleet's health probe: checks every panel with its own monitor (concurrently), tells the
//! owners of each panel's outage and recovery through the outbox, and reports the fleet healthy
//! while at least one panel is — so the application's breaker (and `/order`) trips only when
//! every panel is down, and one panel's outage never opens another's breaker.

use tokio::task::JoinSet;

use super::Panels;
use crate::domain::delivery::{Delivery, OwnerAlert};
use crate::service::health::{HealthEvent, HealthProbe, ProbeFuture};
use crate::service::state::enqueue;
use crate::store::Store;

/// See the module doc.
pub struct FleetProbe {
    panels: Panels,
    store: Store,
    clock: crate::clock::Clock,
}

impl FleetProbe {
    /// A probe of `panels` that queues per-panel owner alerts into `store`.
    #[must_use]
    pub fn new(panels: Panels, store: Store, clock: crate::clock::Clock) -> Self {
        Self {
            panels,
            store,
            clock,
        }
    }

    /// Checks every panel once; returns each edge seen (panel id, event).
    async fn check_each(&self) -> Vec<(String, HealthEvent)> {
        let mut set = JoinSet::new();
        for h in self.panels.iter() {
            if let Some(m) = h.monitor.clone() {
                let id = h.id.clone();
                set.spawn(async move { (id, m.check_once().await) });
            }
        }
        let mut edges = Vec::new();
        while let Some(done) = set.join_next().await {
            if let Ok((id, Some(event))) = done {
                edges.push((id, event));
            }
        }
        edges
    }

    /// Queues one owner alert per edge.
    async fn alert(&self, edges: Vec<(String, HealthEvent)>) {
        let now = self.clock.now_ms();
        for (panel_id, event) in edges {
            let (down, detail) = match event {
                HealthEvent::Outage { last_error, .. } => (true, last_error),
                HealthEvent::Recovered { down_for } => {
                    (false, format!("down for {} s", down_for.as_secs()))
                }
            };
            let alert = OwnerAlert::PanelHealth {
                panel_id,
                down,
                detail,
                at: now,
            };
            let d = Delivery::OwnerAlert { alert };
            let queued = self.store.transaction(move |tx| enqueue(tx, &d, now)).await;
            if let Err(e) = queued {
                tracing::error!(error = %e, "cannot queue a panel health alert");
            }
        }
    }
}

impl HealthProbe for FleetProbe {
    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let edges = self.check_each().await;
            self.alert(edges).await;
            if self.panels.all_down() {
                let why: Vec<String> = self
                    .panels
                    .iter()
                    .map(|h| {
                        let e = h.breaker.snapshot().last_error.unwrap_or_default();
                        format!("{}: {e}", h.id)
                    })
                    .collect();
                return Err(format!("every panel is down ({})", why.join("; ")));
            }
            Ok(())
        })
    }
}
