//! The one bundle of handles the core services are built from: the database, the panel, the
//! panel's circuit breaker, the role table, the configuration and the clock. Cheap to clone
//! (every field is a handle). One bag rather than "pass each service only what it needs": the
//! services need nearly all of it, and one type means adding a dependency edits one place
//! (the trade-off realworld-axum-sqlx's `ApiContext` documents). `App::new` builds it once.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::panel::PanelApi;
use crate::service::health::CircuitBreaker;
use crate::service::panels::Panels;
use crate::service::roles::Roles;
use crate::store::Store;

/// What a core service is built from.
#[derive(Clone)]
pub struct Deps {
    /// The database.
    pub store: Store,
    /// The panel (3x-ui client, or a test double).
    pub panel: Arc<dyn PanelApi>,
    /// The panel's circuit breaker, driven by the health monitor (panel work waits in an outage).
    pub breaker: CircuitBreaker,
    /// The role table from `[roles]`.
    pub roles: Roles,
    /// The configuration.
    pub config: Arc<Config>,
    /// Time (follows tokio's clock).
    pub clock: Clock,
    /// The application's metrics (counted by the services, read by `/metrics`).
    pub metrics: Metrics,
    /// Every configured panel (one, `main`, with `[panel]`); `panel`, `breaker` and
    /// `config.panel` above are the first panel's, or, scoped with [`Deps::on`], one panel's.
    /// With several panels `breaker` is the fleet's (an outage only when every panel is down).
    pub panels: Panels,
}

impl Deps {
    /// The same handles with another panel (e.g. a wrapper that injects failures).
    #[must_use]
    pub fn with_panel(&self, panel: Arc<dyn PanelApi>) -> Self {
        Self {
            panel,
            ..self.clone()
        }
    }

    /// The same handles on panel `id`: its client, breaker and `config.panel`. Unknown ids
    /// (a panel removed from the config) keep these handles.
    #[must_use]
    pub fn on(&self, id: &str) -> Self {
        match self.panels.get(id) {
            Some(h) => Self {
                panel: h.api.clone(),
                breaker: h.breaker.clone(),
                config: h.config.clone(),
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// The same handles reading time from `clock`.
    #[must_use]
    pub fn with_clock(&self, clock: Clock) -> Self {
        Self {
            clock,
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}
