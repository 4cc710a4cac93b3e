//! Several panels (seed 003): the registry of every configured backend ([`Panels`]), each with
//! its own client, health monitor and circuit breaker; the scoping of the core's handles to one
//! panel ([`crate::service::Deps::on`]); placement of a new customer on the least-loaded healthy
//! panel with room (by our own counts, inside one write transaction: `store::placement`); the
//! fleet's health ([`FleetProbe`]: the shop is down only when every panel is, and each panel's
//! own outage and recovery reach the owners through the outbox); and failover ([`failover`]).
//!
//! With `[panel]` alone the registry holds that one panel under the id `main`, sharing the
//! application's client and breaker, and nothing else changes.

pub mod failover;
mod fleet;
pub mod report;
pub mod subscription;

pub use fleet::FleetProbe;

use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::panel::PanelApi;
use crate::service::health::{CircuitBreaker, HealthConfig, HealthMonitor, PanelProbe};
use crate::store::placement::Candidate;

/// One configured panel.
pub struct PanelHandle {
    /// `[[panels]]` id (`main` for `[panel]`).
    pub id: String,
    /// Free text from the config.
    pub region: String,
    /// Active customers it takes at most; 0 = no limit.
    pub capacity: u32,
    /// Its client.
    pub api: Arc<dyn PanelApi>,
    /// Its breaker.
    pub breaker: CircuitBreaker,
    /// The configuration with `panel` = this panel's section (what services read as
    /// `config.panel`).
    pub config: Arc<Config>,
    /// Its own monitor, driven by the [`FleetProbe`]; `None` for the only panel, whose monitor
    /// is the application's.
    monitor: Option<Arc<HealthMonitor>>,
}

/// Every configured panel, in config order. Cheap to clone.
#[derive(Clone)]
pub struct Panels(Arc<Vec<PanelHandle>>);

impl std::fmt::Debug for Panels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|h| &h.id))
            .finish()
    }
}

impl Panels {
    /// The only panel (`[panel]`): `api` and `breaker` are the application's.
    #[must_use]
    pub fn single(config: &Arc<Config>, api: Arc<dyn PanelApi>, breaker: CircuitBreaker) -> Self {
        Self(Arc::new(vec![PanelHandle {
            id: config.panel.id.clone(),
            region: config.panel.region.clone(),
            capacity: config.panel.capacity,
            api,
            breaker,
            config: config.clone(),
            monitor: None,
        }]))
    }

    /// Every `[[panels]]` entry with its own client (passed through `wrap`, e.g. the metrics'
    /// meter) and monitor (probing `status()`).
    ///
    /// # Errors
    /// A panel client that cannot be built (bad URL, certificate, empty key).
    pub fn several(
        config: &Arc<Config>,
        wrap: impl Fn(Arc<dyn PanelApi>) -> Arc<dyn PanelApi>,
    ) -> Result<Self> {
        let mut handles = Vec::new();
        for p in config.panel_list() {
            let api = wrap(crate::panel::connect(&p)?);
            let monitor = HealthMonitor::new(
                Arc::new(PanelProbe(api.clone())),
                HealthConfig::from_panel(&p),
            );
            let mut scoped = (**config).clone();
            scoped.panel = p.clone();
            handles.push(PanelHandle {
                id: p.id.clone(),
                region: p.region.clone(),
                capacity: p.capacity,
                api,
                breaker: monitor.breaker(),
                config: Arc::new(scoped),
                monitor: Some(Arc::new(monitor)),
            });
        }
        Ok(Self(Arc::new(handles)))
    }

    /// Every panel, in config order.
    pub fn iter(&self) -> impl Iterator<Item = &PanelHandle> {
        self.0.iter()
    }

    /// The panel with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&PanelHandle> {
        self.0.iter().find(|h| h.id == id)
    }

    /// The first panel's id: where customers from before several panels live.
    #[must_use]
    pub fn first_id(&self) -> &str {
        self.0.first().map_or("main", |h| h.id.as_str())
    }

    /// More than one panel is configured.
    #[must_use]
    pub fn is_several(&self) -> bool {
        self.0.len() > 1
    }

    /// True when no panel can take work (every breaker in outage).
    #[must_use]
    pub fn all_down(&self) -> bool {
        self.0.iter().all(|h| h.breaker.is_outage())
    }

    /// The panels a new customer may be placed on: healthy ones, with their capacity.
    #[must_use]
    pub fn candidates(&self) -> Vec<Candidate> {
        self.0
            .iter()
            .filter(|h| !h.breaker.is_outage())
            .map(|h| Candidate {
                id: h.id.clone(),
                capacity: h.capacity,
            })
            .collect()
    }
}
