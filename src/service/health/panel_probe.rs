//! The real health probe: the panel's `server/status` through [`PanelApi`]. The panel counts as
//! healthy when it answers and Xray is not stopped or in error (customers could not connect);
//! a panel that restarted a moment ago (`obj: null`, Xray "starting") counts as healthy.

use std::sync::Arc;

use super::{HealthProbe, ProbeFuture};
use crate::panel::{PanelApi, XrayState};

/// Probes a panel with `status()`.
#[derive(Clone)]
pub struct PanelProbe(pub Arc<dyn PanelApi>);

impl HealthProbe for PanelProbe {
    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let status = self.0.status().await.map_err(|e| e.to_string())?;
            match status.xray {
                XrayState::Stopped => Err("the panel answers but Xray is stopped".to_owned()),
                XrayState::Error(e) => Err(format!("the panel answers but Xray failed: {e}")),
                XrayState::Running | XrayState::Starting | XrayState::Other(_) => Ok(()),
            }
        })
    }
}
