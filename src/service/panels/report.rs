//! `/admin panels`: each panel's state (breaker), outage start and last error, and its load by
//! our own counts against its capacity.

use super::Panels;
use crate::domain::role::Permission;
use crate::error::Result;
use crate::service::health::BreakerState;
use crate::service::roles::{Actor, Roles};
use crate::store::{self, Store};

/// One panel in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelLine {
    /// `[[panels]]` id.
    pub id: String,
    /// Free text from the config.
    pub region: String,
    /// Breaker position.
    pub state: BreakerState,
    /// When the outage began, Unix ms (`None` when up).
    pub outage_since: Option<i64>,
    /// The last failed check's reason while failing.
    pub last_error: Option<String>,
    /// Customers counted against the panel (active, or being approved).
    pub load: u32,
    /// Its capacity; 0 = no limit.
    pub capacity: u32,
}

impl Panels {
    /// Every panel's line, for `actor`.
    ///
    /// # Errors
    /// [`crate::error::UserError::Forbidden`] without `ViewShop`; store errors.
    pub async fn report(
        &self,
        store: &Store,
        roles: &Roles,
        actor: &Actor,
    ) -> Result<Vec<PanelLine>> {
        roles.require(actor, Permission::ViewShop)?;
        let (ids, first): (Vec<String>, String) = (
            self.iter().map(|h| h.id.clone()).collect(),
            self.first_id().to_owned(),
        );
        let loads = store
            .call(move |c| {
                ids.iter()
                    .map(|id| store::placement::load(c, id, &first))
                    .collect::<Result<Vec<u32>>>()
            })
            .await?;
        Ok(self
            .iter()
            .zip(loads)
            .map(|(h, load)| {
                let snap = h.breaker.snapshot();
                PanelLine {
                    id: h.id.clone(),
                    region: h.region.clone(),
                    state: snap.state,
                    outage_since: snap.outage_since.map(jiff::Timestamp::as_millisecond),
                    last_error: snap.last_error,
                    load,
                    capacity: h.capacity,
                }
            })
            .collect())
    }
}
