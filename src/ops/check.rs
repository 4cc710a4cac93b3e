//! `check`: logs in to the configured panel, lists inbounds and reads the server status, and
//! prints a short summary, so an operator can verify `[panel]` before starting the bot.

use std::fmt;

use crate::config::Config;
use crate::panel::{PanelApi, PanelError, PanelStatus, XuiClient};

/// One inbound line of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundLine {
    /// Inbound id.
    pub id: u32,
    /// Remark.
    pub remark: String,
    /// Protocol (`vless`...).
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// `streamSettings.network`.
    pub network: String,
    /// `streamSettings.security`.
    pub security: String,
    /// Number of clients.
    pub clients: usize,
    /// Whether this is `panel.inbound_id`.
    pub configured: bool,
}

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSummary {
    /// Generation, version and Xray state.
    pub status: PanelStatus,
    /// Every inbound.
    pub inbounds: Vec<InboundLine>,
    /// `panel.inbound_id`.
    pub configured_inbound: u32,
}

impl CheckSummary {
    /// True when `panel.inbound_id` exists on the panel.
    pub fn configured_inbound_found(&self) -> bool {
        self.inbounds.iter().any(|i| i.configured)
    }
}

impl fmt::Display for CheckSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.status;
        writeln!(
            f,
            "panel: version {}, API {}",
            s.panel_version.as_deref().unwrap_or("unknown (< 3.1)"),
            s.generation
        )?;
        let version = if s.xray_version.is_empty() {
            String::new()
        } else {
            format!(" (v{})", s.xray_version.trim_start_matches('v'))
        };
        writeln!(f, "xray: {}{version}", s.xray)?;
        writeln!(f, "inbounds: {}", self.inbounds.len())?;
        for i in &self.inbounds {
            writeln!(
                f,
                "  {}#{} {:?}: {} port {} {}/{}, {} client(s)",
                if i.configured { "* " } else { "  " },
                i.id,
                i.remark,
                i.protocol,
                i.port,
                i.network,
                i.security,
                i.clients
            )?;
        }
        if self.configured_inbound_found() {
            write!(
                f,
                "panel.inbound_id = {} found (marked *)",
                self.configured_inbound
            )
        } else {
            write!(
                f,
                "WARNING: panel.inbound_id = {} does not exist on the panel",
                self.configured_inbound
            )
        }
    }
}

/// Logs in, reads the status and lists the inbounds.
///
/// # Errors
/// Any [`PanelError`]: bad configuration, panel down, login refused, unexpected answer.
pub async fn check(config: &Config) -> Result<CheckSummary, PanelError> {
    let client = XuiClient::new(&config.panel)?;
    let status = client.status().await?;
    let inbounds = client
        .list_inbounds()
        .await?
        .iter()
        .map(|ib| InboundLine {
            id: ib.id,
            remark: ib.remark.clone(),
            protocol: ib.protocol.clone(),
            port: ib.port,
            network: ib.network().to_owned(),
            security: ib.security().to_owned(),
            clients: ib.clients().len(),
            configured: ib.id == config.panel.inbound_id,
        })
        .collect();
    Ok(CheckSummary {
        status,
        inbounds,
        configured_inbound: config.panel.inbound_id,
    })
}
