//! [`MeteredPanel`]: the panel behind `PanelApi`, with each call counted and timed
//! (`vtb_panel_requests_total{panel,op,result}`, `vtb_panel_request_seconds{panel,op}`).

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::time::Instant;

use super::Metrics;
use crate::panel::{
    Capabilities, ClientSpec, ClientTraffic, DeleteOutcome, EnsureOutcome, Inbound, LastOnline,
    PanelApi, PanelResult, PanelStatus, Provisioned,
};

/// A panel whose calls are measured. Operation names are the trait's method names.
pub struct MeteredPanel {
    inner: Arc<dyn PanelApi>,
    metrics: Metrics,
}

impl MeteredPanel {
    /// `inner`, measured into `metrics`.
    #[must_use]
    pub fn wrap(inner: Arc<dyn PanelApi>, metrics: Metrics) -> Arc<dyn PanelApi> {
        Arc::new(Self { inner, metrics })
    }

    async fn timed<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = PanelResult<T>>,
    ) -> PanelResult<T> {
        let start = Instant::now();
        let result = call.await;
        let secs = start.elapsed().as_secs_f64();
        self.metrics.panel_call(op, result.is_ok(), secs);
        result
    }
}

#[async_trait]
impl PanelApi for MeteredPanel {
    async fn status(&self) -> PanelResult<PanelStatus> {
        self.timed("status", self.inner.status()).await
    }

    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>> {
        self.timed("list_inbounds", self.inner.list_inbounds())
            .await
    }

    async fn inbound(&self, id: u32) -> PanelResult<Inbound> {
        self.timed("inbound", self.inner.inbound(id)).await
    }

    async fn inbound_with_client(&self, id: u32, email: &str) -> PanelResult<Inbound> {
        let call = self.inner.inbound_with_client(id, email);
        self.timed("inbound", call).await
    }

    async fn ensure_client(
        &self,
        inbound_id: u32,
        spec: &ClientSpec,
    ) -> PanelResult<EnsureOutcome> {
        let call = self.inner.ensure_client(inbound_id, spec);
        self.timed("ensure_client", call).await
    }

    async fn create_client(&self, inbound_id: u32, spec: &ClientSpec) -> PanelResult<()> {
        let call = self.inner.create_client(inbound_id, spec);
        self.timed("create_client", call).await
    }

    async fn extend_client(
        &self,
        email: &str,
        expiry_time_ms: i64,
        total_bytes: u64,
    ) -> PanelResult<()> {
        let call = self.inner.extend_client(email, expiry_time_ms, total_bytes);
        self.timed("extend_client", call).await
    }

    async fn set_client_enabled(&self, email: &str, enable: bool) -> PanelResult<()> {
        let call = self.inner.set_client_enabled(email, enable);
        self.timed("set_client_enabled", call).await
    }

    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome> {
        self.timed("delete_client", self.inner.delete_client(email))
            .await
    }

    async fn client_traffic(&self, email: &str) -> PanelResult<ClientTraffic> {
        self.timed("client_traffic", self.inner.client_traffic(email))
            .await
    }

    async fn online_emails(&self) -> PanelResult<Vec<String>> {
        self.timed("online_emails", self.inner.online_emails())
            .await
    }

    async fn last_online(&self) -> PanelResult<LastOnline> {
        self.timed("last_online", self.inner.last_online()).await
    }

    // The backend's own answers, not calls: forwarded as they are (a vpn-api backend keys
    // clients by uuid and makes the link itself).
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn client_key(&self, uuid: &str, discord_id: u64) -> String {
        self.inner.client_key(uuid, discord_id)
    }

    async fn provision(&self, inbound_id: u32, spec: &ClientSpec) -> PanelResult<Provisioned> {
        self.timed("provision", self.inner.provision(inbound_id, spec))
            .await
    }
}
