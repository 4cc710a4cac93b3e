//! [`VpnApiClient`]: the [`PanelApi`] over the small "vpn-api" HTTP service in front of Xray
//! (seed 000; the one public implementation is `xray_api/main.py` of novikovLDN/ATCbot, read at
//! `6c14e21b`, described in `shared/design/next-features.md` §1).
//!
//! The contract: `GET /health` (no key), `POST /add-user {uuid, telegram_id,
//! expiry_timestamp_ms}` → `{uuid, vless_link, link}`, `POST /update-user {uuid,
//! expiry_timestamp_ms}`, `POST /remove-user/{uuid}`, and the extension `GET /list-users` →
//! `{uuids}`; header `X-API-Key` on all but `/health`. Clients are keyed by uuid, so the
//! client key ([`PanelApi::client_key`]) is the uuid itself; the service builds the `vless://`
//! link, which the bot stores (it cannot rebuild it).
//!
//! Idempotent by construction: the bot chooses and stores the uuid before `add-user` (an
//! upsert on the server, so a retry after a timeout is still one client); `update-user` always
//! carries the absolute expiry; removing an unknown uuid is success. The server re-creates an
//! unknown uuid on `update-user`, so this client never sends one except as a renewal's extend;
//! "enable" is a no-op (the service has no disabled state: a client exists or it does not, and
//! disable = remove). There is no usage, no first-use expiry, no limits ([`Capabilities::MINIMAL`]).

mod answer;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Capabilities, ClientSpec, ClientTraffic, DeleteOutcome, EnsureOutcome, ErrorContext,
    Generation, Inbound, LastOnline, PanelApi, PanelError, PanelResult, PanelStatus, Provisioned,
    XrayState,
};
use crate::config::Secret;

/// The header carrying the API key.
pub const KEY_HEADER: &str = "X-API-Key";

/// The real client. Cheap to share behind an `Arc`; `Debug` never shows the key.
pub struct VpnApiClient {
    http: reqwest::Client,
    base: Url,
    key: Secret,
    timeout: Duration,
}

impl std::fmt::Debug for VpnApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VpnApiClient")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct AddAnswer {
    #[serde(default)]
    uuid: String,
    #[serde(default)]
    vless_link: String,
    #[serde(default)]
    link: String,
}

#[derive(Deserialize)]
struct ListAnswer {
    #[serde(default)]
    uuids: Vec<String>,
}

impl VpnApiClient {
    /// A client for the service at `base_url` with this API key; `timeout` bounds each request.
    /// No request is sent.
    ///
    /// # Errors
    /// [`PanelError::Config`] for a URL that is not http(s), an empty key, or a TLS set-up
    /// failure.
    pub fn new(base_url: &str, key: Secret, timeout: Duration) -> PanelResult<Self> {
        if key.is_empty() {
            return Err(PanelError::Config("the vpn-api key is empty".into()));
        }
        let (http, base) = crate::net::api_client("the vpn-api URL", base_url, timeout)
            .map_err(PanelError::Config)?;
        Ok(Self {
            http,
            base,
            key,
            timeout,
        })
    }

    /// Sends one request to `route` (relative to the base URL) and sorts the answer.
    async fn call(
        &self,
        op: &'static str,
        method: Method,
        route: &str,
        body: Option<Value>,
    ) -> PanelResult<Value> {
        let ctx = ErrorContext::new(op, route);
        let url = self
            .base
            .join(route)
            .map_err(|e| PanelError::Config(format!("bad vpn-api route {route}: {e}")))?;
        let mut req = self
            .http
            .request(method, url)
            .header(KEY_HEADER, self.key.expose());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| self.no_answer(&ctx, &e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.no_answer(&ctx, &e))?;
        answer::interpret(&ctx, status, &bytes)
    }

    fn no_answer(&self, ctx: &ErrorContext, e: &reqwest::Error) -> PanelError {
        PanelError::Unavailable {
            ctx: ctx.clone(),
            reason: crate::net::transport_failure(e, self.timeout),
            http_status: None,
        }
    }

    /// The uuids the service holds (`GET /list-users`, an extension of the seed's contract).
    ///
    /// # Errors
    /// As every call; [`PanelError::Protocol`] when the service has no such route.
    pub async fn list_users(&self) -> PanelResult<Vec<String>> {
        let v = self
            .call("list_users", Method::GET, "list-users", None)
            .await?;
        listed(v)
    }

    /// `POST /update-user` with the absolute expiry.
    async fn update(&self, op: &'static str, uuid: &str, expiry_ms: i64) -> PanelResult<()> {
        let body = json!({ "uuid": uuid, "expiry_timestamp_ms": expiry_ms });
        self.call(op, Method::POST, "update-user", Some(body))
            .await
            .map(drop)
    }

    /// `POST /remove-user/{uuid}` (an unknown uuid is success).
    async fn remove(&self, op: &'static str, uuid: &str) -> PanelResult<()> {
        check_uuid(op, uuid)?;
        let route = format!("remove-user/{uuid}");
        self.call(op, Method::POST, &route, None).await.map(drop)
    }
}

/// Refuses what the service would refuse (400) before sending: a key that is not a uuid.
fn check_uuid(op: &'static str, uuid: &str) -> PanelResult<()> {
    uuid::Uuid::parse_str(uuid)
        .map(drop)
        .map_err(|_| PanelError::Rejected {
            ctx: ErrorContext::new(op, "(local check)"),
            msg: format!("{uuid:?} is not a uuid (vpn-api clients are keyed by uuid)"),
        })
}

/// A negative (first-use) expiry cannot be served: Xray has no such notion.
fn absolute(expiry_ms: i64) -> PanelResult<i64> {
    if expiry_ms < 0 {
        return Err(PanelError::Unsupported(
            "an expiry counted from the first connection",
        ));
    }
    Ok(expiry_ms)
}

/// The uuids of a `list-users` answer.
fn listed(v: Value) -> PanelResult<Vec<String>> {
    let list: ListAnswer = serde_json::from_value(v).map_err(|e| PanelError::Protocol {
        ctx: ErrorContext::new("list_users", "list-users"),
        detail: e.to_string(),
    })?;
    Ok(list.uuids)
}

/// The share link of an `add-user` answer for `uuid` (see [`link_of`]).
fn added(v: Value, uuid: &str) -> PanelResult<String> {
    let answer: AddAnswer = serde_json::from_value(v).map_err(|e| PanelError::Protocol {
        ctx: ErrorContext::new("ensure_client", "add-user"),
        detail: e.to_string(),
    })?;
    link_of(answer, uuid)
}

/// Reads one answer (HTTP `status` and body) as the client does, with nothing sent: as an
/// `add-user` answer for `uuid` (the share link) and as a `list-users` answer (the uuids). For
/// the fuzz targets (`crate::fuzzing`).
///
/// # Errors
/// Each half: the [`PanelError`] the answer means ([`answer`]'s sorting, then the shape).
pub(crate) fn read_answers(
    status: u16,
    body: &[u8],
    uuid: &str,
) -> (PanelResult<String>, PanelResult<Vec<String>>) {
    let ctx = ErrorContext::new("fuzz", "(answer)");
    let sorted = reqwest::StatusCode::from_u16(status)
        .map_err(|e| PanelError::Protocol {
            ctx: ctx.clone(),
            detail: format!("HTTP status {status}: {e}"),
        })
        .and_then(|status| answer::interpret(&ctx, status, body));
    match sorted {
        Ok(v) => (added(v.clone(), uuid), listed(v)),
        Err(e) => (Err(e.clone()), Err(e)),
    }
}

/// The link from an `add-user` answer, checked to be for the uuid sent.
fn link_of(answer: AddAnswer, uuid: &str) -> PanelResult<String> {
    let ctx = || ErrorContext::new("ensure_client", "add-user");
    let link = if answer.vless_link.is_empty() {
        answer.link
    } else {
        answer.vless_link
    };
    if !answer.uuid.eq_ignore_ascii_case(uuid) || !link.contains(uuid) {
        return Err(PanelError::Protocol {
            ctx: ctx(),
            detail: format!(
                "answered for uuid {:?} with a link not carrying {uuid}",
                answer.uuid
            ),
        });
    }
    Ok(link)
}

#[async_trait]
impl PanelApi for VpnApiClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities::MINIMAL
    }

    fn client_key(&self, uuid: &str, _discord_id: u64) -> String {
        uuid.to_owned()
    }

    /// `GET /health`, then `GET /list-users` with the key so that a wrong key shows as
    /// [`PanelError::Auth`] (`/health` takes no key). Xray's state is not reported.
    async fn status(&self) -> PanelResult<PanelStatus> {
        self.call("status", Method::GET, "health", None).await?;
        match self.list_users().await {
            Ok(_) | Err(PanelError::Protocol { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(PanelStatus {
            generation: Generation::VpnApi,
            panel_version: None,
            xray: XrayState::Other("not reported by vpn-api".into()),
            xray_version: String::new(),
            uptime_secs: 0,
        })
    }

    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>> {
        Err(PanelError::Unsupported("listing inbounds"))
    }

    async fn inbound(&self, _id: u32) -> PanelResult<Inbound> {
        Err(PanelError::Unsupported("reading an inbound"))
    }

    async fn ensure_client(
        &self,
        inbound_id: u32,
        spec: &ClientSpec,
    ) -> PanelResult<EnsureOutcome> {
        self.provision(inbound_id, spec).await.map(|p| p.outcome)
    }

    /// `POST /add-user`, an upsert: the contract cannot tell a new client from a rewritten one,
    /// so the outcome is always [`EnsureOutcome::Created`]. Traffic and device limits, flow,
    /// subId and comment are not part of the contract.
    async fn provision(&self, _inbound_id: u32, spec: &ClientSpec) -> PanelResult<Provisioned> {
        const OP: &str = "ensure_client";
        check_uuid(OP, &spec.uuid)?;
        let expiry = absolute(spec.expiry_time_ms)?;
        let body = json!({
            "uuid": spec.uuid,
            "telegram_id": spec.tg_id,
            "expiry_timestamp_ms": expiry,
        });
        let v = self.call(OP, Method::POST, "add-user", Some(body)).await?;
        Ok(Provisioned {
            outcome: EnsureOutcome::Created,
            share_link: Some(added(v, &spec.uuid)?),
        })
    }

    /// `POST /update-user` with the absolute expiry (`email` is the uuid); the limit is ignored.
    async fn extend_client(
        &self,
        email: &str,
        expiry_time_ms: i64,
        _total_bytes: u64,
    ) -> PanelResult<()> {
        const OP: &str = "extend_client";
        check_uuid(OP, email)?;
        self.update(OP, email, absolute(expiry_time_ms)?).await
    }

    /// Disable = `POST /remove-user`; enable is a no-op (see the module doc).
    async fn set_client_enabled(&self, email: &str, enable: bool) -> PanelResult<()> {
        if enable {
            return Ok(());
        }
        self.remove("set_client_enabled", email).await
    }

    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome> {
        self.remove("delete_client", email).await?;
        Ok(DeleteOutcome::Deleted)
    }

    async fn client_traffic(&self, _email: &str) -> PanelResult<ClientTraffic> {
        Err(PanelError::Unsupported("traffic counters"))
    }

    async fn online_emails(&self) -> PanelResult<Vec<String>> {
        Err(PanelError::Unsupported("online clients"))
    }

    async fn last_online(&self) -> PanelResult<LastOnline> {
        Err(PanelError::Unsupported("last connection times"))
    }
}
