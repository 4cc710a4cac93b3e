//! [`XuiClient`]: the [`PanelApi`] over HTTP, for both API generations.
//!
//! The generation is pinned by `panel.api` or detected once, as `xui-api.md` prescribes:
//! `GET {B}csrf-token` (200 ⇒ v3, 404 ⇒ v2) during login, then, authenticated,
//! `GET {B}panel/api/clients/list` (200 ⇒ Gen B, 404 ⇒ Gen A). The result is remembered for the
//! life of the client. Inbound reads and `server/status` are the same in both generations.

use async_trait::async_trait;
use reqwest::Method;
use tokio::sync::OnceCell;

use super::error::{ErrorContext, PanelError, PanelResult};
use super::transport::{Body, Transport};
use super::types::{ClientTraffic, Inbound, LastOnline, ServerStatus};
use super::{
    ClientSpec, DeleteOutcome, EnsureOutcome, Generation, PanelApi, PanelStatus, gen_a, gen_b,
};
use crate::config::{PanelApiGeneration, PanelConfig};

/// The real panel client. Cheap to share behind an `Arc`; holds one cookie session.
pub struct XuiClient {
    transport: Transport,
    pinned: PanelApiGeneration,
    generation: OnceCell<Generation>,
}

impl std::fmt::Debug for XuiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XuiClient")
            .field("pinned", &self.pinned)
            .field("generation", &self.generation.get())
            .finish_non_exhaustive()
    }
}

impl XuiClient {
    /// Builds a client from `[panel]` (no request is sent yet).
    ///
    /// # Errors
    /// [`PanelError::Config`] for a bad base URL, CA file or TOTP secret, or no credentials.
    pub fn new(cfg: &PanelConfig) -> PanelResult<Self> {
        Ok(Self {
            transport: Transport::new(cfg)?,
            pinned: cfg.api,
            generation: OnceCell::new(),
        })
    }

    /// The API generation, detected on first use (then remembered) unless pinned.
    ///
    /// # Errors
    /// The login or probe failures.
    pub async fn generation(&self) -> PanelResult<Generation> {
        self.generation
            .get_or_try_init(|| self.detect())
            .await
            .copied()
    }

    async fn detect(&self) -> PanelResult<Generation> {
        const OP: &str = "detect_generation";
        match self.pinned {
            PanelApiGeneration::GenA => return Ok(Generation::A),
            PanelApiGeneration::GenB => return Ok(Generation::B),
            PanelApiGeneration::Auto => {}
        }
        let t = &self.transport;
        if t.is_bearer() {
            if t.probe_csrf(OP).await?.is_none() {
                return Err(PanelError::Auth {
                    ctx: ErrorContext::new(OP, "csrf-token"),
                    reason: "API tokens need panel v3.0+, and this panel has no csrf-token route \
                             (v2); use username and password"
                        .into(),
                });
            }
            // Validates the token: 401/403 ⇒ Auth; the route exists on every supported version.
            t.call::<serde_json::Value>(OP, Method::GET, STATUS, Body::Empty)
                .await?;
        }
        let generation = if t.route_exists(OP, "panel/api/clients/list").await? {
            Generation::B
        } else {
            Generation::A
        };
        tracing::info!(%generation, "detected the panel's API generation");
        Ok(generation)
    }
}

const STATUS: &str = "panel/api/server/status";

impl XuiClient {
    /// Where `onlines` and `lastOnline` live: `inbounds` (Gen A) or `clients` (Gen B). (This
    /// client only ever detects A or B; `VpnApi` belongs to [`super::VpnApiClient`] and is
    /// handled as B to keep the matches total.)
    async fn clients_scope(&self) -> PanelResult<&'static str> {
        Ok(match self.generation().await? {
            Generation::A => "panel/api/inbounds",
            Generation::B | Generation::VpnApi => "panel/api/clients",
        })
    }
}

#[async_trait]
impl PanelApi for XuiClient {
    async fn status(&self) -> PanelResult<PanelStatus> {
        let generation = self.generation().await?;
        let obj = self
            .transport
            .call::<ServerStatus>("status", Method::GET, STATUS, Body::Empty)
            .await?;
        Ok(PanelStatus::from_server(generation, obj))
    }

    // Inbound reads are the same in both generations: no detection needed.
    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>> {
        gen_a::list_inbounds(&self.transport, "list_inbounds").await
    }

    async fn inbound(&self, id: u32) -> PanelResult<Inbound> {
        gen_a::inbound(&self.transport, "inbound", id, None).await
    }

    async fn inbound_with_client(&self, id: u32, email: &str) -> PanelResult<Inbound> {
        gen_a::inbound(&self.transport, "inbound", id, Some(email)).await
    }

    async fn ensure_client(
        &self,
        inbound_id: u32,
        spec: &ClientSpec,
    ) -> PanelResult<EnsureOutcome> {
        spec.validate()?;
        match self.generation().await? {
            Generation::A => gen_a::ensure_client(&self.transport, inbound_id, spec).await,
            Generation::B | Generation::VpnApi => {
                gen_b::ensure_client(&self.transport, inbound_id, spec).await
            }
        }
    }

    async fn create_client(&self, inbound_id: u32, spec: &ClientSpec) -> PanelResult<()> {
        spec.validate()?;
        match self.generation().await? {
            Generation::A => {
                gen_a::add_client(&self.transport, "create_client", inbound_id, spec).await
            }
            Generation::B | Generation::VpnApi => {
                gen_b::create_client(&self.transport, inbound_id, spec).await
            }
        }
    }

    async fn extend_client(
        &self,
        email: &str,
        expiry_time_ms: i64,
        total_bytes: u64,
    ) -> PanelResult<()> {
        const OP: &str = "extend_client";
        let total = i64::try_from(total_bytes).unwrap_or(i64::MAX);
        let change = |c: &mut super::Client| {
            c.expiry_time = expiry_time_ms;
            c.total_gb = total;
        };
        match self.generation().await? {
            Generation::A => gen_a::modify_client(&self.transport, OP, email, change).await,
            Generation::B | Generation::VpnApi => {
                gen_b::modify_client(&self.transport, OP, email, change).await
            }
        }
    }

    async fn set_client_enabled(&self, email: &str, enable: bool) -> PanelResult<()> {
        const OP: &str = "set_client_enabled";
        let change = |c: &mut super::Client| c.enable = enable;
        match self.generation().await? {
            Generation::A => gen_a::modify_client(&self.transport, OP, email, change).await,
            Generation::B | Generation::VpnApi => {
                gen_b::modify_client(&self.transport, OP, email, change).await
            }
        }
    }

    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome> {
        match self.generation().await? {
            Generation::A => gen_a::delete_client(&self.transport, email).await,
            Generation::B | Generation::VpnApi => {
                gen_b::delete_client(&self.transport, email).await
            }
        }
    }

    async fn client_traffic(&self, email: &str) -> PanelResult<ClientTraffic> {
        match self.generation().await? {
            Generation::A => gen_a::client_traffic(&self.transport, "client_traffic", email).await,
            Generation::B | Generation::VpnApi => {
                gen_b::client_traffic(&self.transport, email).await
            }
        }
    }

    async fn online_emails(&self) -> PanelResult<Vec<String>> {
        let route = format!("{}/onlines", self.clients_scope().await?);
        Ok(self
            .transport
            .call::<Vec<String>>("online_emails", Method::POST, &route, Body::Empty)
            .await?
            .unwrap_or_default())
    }

    async fn last_online(&self) -> PanelResult<LastOnline> {
        let route = format!("{}/lastOnline", self.clients_scope().await?);
        let map = self
            .transport
            .call::<LastOnline>("last_online", Method::POST, &route, Body::Empty)
            .await?
            .unwrap_or_default();
        Ok(map
            .into_iter()
            .map(|(email, t)| (email, super::lenient::normalise_unix_ms(t)))
            .collect())
    }
}
