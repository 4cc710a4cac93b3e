//! `check`: logs in to the configured panel, lists inbounds and reads the server status, asks
//! Crypto Pay who the configured app is (when a `cryptobot` method is configured), and prints a
//! short summary, so an operator can verify `[panel]` and `[cryptobot]` before starting the bot.

use std::fmt;

use crate::config::Config;
use crate::cryptopay::{CryptoPayApi, CryptoPayClient, CryptoPayError};
use crate::panel::{PanelError, PanelStatus};

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
    /// True when `panel.inbound_id` exists on the panel (always for vpn-api, which has none).
    pub fn configured_inbound_found(&self) -> bool {
        self.status.generation == crate::panel::Generation::VpnApi
            || self.inbounds.iter().any(|i| i.configured)
    }
}

impl fmt::Display for CheckSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.status;
        if s.generation == crate::panel::Generation::VpnApi {
            writeln!(f, "backend: {}", s.generation)?;
            return write!(
                f,
                "API key accepted; links come from the service (no inbounds)"
            );
        }
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
    check_panel(&config.panel).await
}

/// [`check`] for every configured panel (`[[panels]]`, or `[panel]` alone), in config order,
/// with each panel's id.
pub async fn check_all(config: &Config) -> Vec<(String, Result<CheckSummary, PanelError>)> {
    let mut out = Vec::new();
    for p in config.panel_list() {
        out.push((p.id.clone(), check_panel(&p).await));
    }
    out
}

/// Logs in to one panel, reads the status and lists the inbounds.
///
/// # Errors
/// As [`check`].
pub async fn check_panel(panel: &crate::config::PanelConfig) -> Result<CheckSummary, PanelError> {
    let client = crate::panel::connect(panel)?;
    let status = client.status().await?;
    if !client.capabilities().list {
        return Ok(CheckSummary {
            status,
            inbounds: Vec::new(),
            configured_inbound: 0,
        });
    }
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
            configured: ib.id == panel.inbound_id,
        })
        .collect();
    Ok(CheckSummary {
        status,
        inbounds,
        configured_inbound: panel.inbound_id,
    })
}

/// Asks Crypto Pay (`getMe`) which app the configured token belongs to; `None` when no payment
/// method of kind `cryptobot` is configured.
///
/// # Errors
/// (Inside the option) any [`CryptoPayError`]: token refused, service unreachable, bad answer.
pub async fn check_crypto_pay(config: &Config) -> Option<Result<String, CryptoPayError>> {
    if !config.cryptobot_enabled() {
        return None;
    }
    let c = &config.cryptobot;
    let result = async {
        let client = CryptoPayClient::from_config(c)?;
        let app = client.get_me().await?;
        Ok(format!(
            "crypto pay: app {:?} (#{}) at {}, paid through @{}",
            app.name,
            app.app_id,
            c.api_base(),
            app.payment_processing_bot_username
                .as_deref()
                .unwrap_or(if c.testnet {
                    "CryptoTestnetBot"
                } else {
                    "CryptoBot"
                })
        ))
    }
    .await;
    Some(result)
}
