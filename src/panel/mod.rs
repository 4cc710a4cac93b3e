//! The 3x-ui panel: the [`PanelApi`] trait services use, its HTTP implementation [`XuiClient`]
//! for both API generations, the panel's data types, and the customer's share link ([`link`])
//! and its QR code ([`qr`]).
//!
//! This is the only module that speaks HTTP to the panel. Services hold an `Arc<dyn PanelApi>`
//! and are tested against the in-process emulator in [`crate::sim::panel`]. The panel's API is
//! described in `shared/design/xui-api.md`: Gen A (v2.x – v3.0.x, clients inside an inbound's
//! `settings` string) and Gen B (v3.1+, `/panel/api/clients/*` keyed by email). Emails are the
//! stable key for every client operation here, as they are on the panel.

#![warn(missing_docs)]

mod client;
pub mod error;
mod gen_a;
mod gen_b;
pub mod lenient;
pub mod link;
pub mod qr;
mod transport;
pub mod types;
pub mod vpn_api;

use async_trait::async_trait;

pub use client::XuiClient;
pub use error::{ErrorContext, PanelError, PanelResult};
pub(crate) use transport::read_answer;
pub use transport::{LOGIN_COOLDOWN, unix_now_secs};
pub use types::{
    Client, ClientDetail, ClientRecord, ClientTraffic, Envelope, Inbound, InboundSettings,
    LastOnline, ServerStatus, SettingsSeed, XrayStatus,
};
pub use vpn_api::VpnApiClient;

/// The backend `[panel]` describes: a [`XuiClient`] for `kind = "xui"`, a [`VpnApiClient`] for
/// `kind = "vpn_api"`. No request is sent.
///
/// # Errors
/// [`PanelError::Config`]: bad URL, certificate, empty vpn-api key.
pub fn connect(config: &crate::config::PanelConfig) -> PanelResult<std::sync::Arc<dyn PanelApi>> {
    Ok(match config.kind {
        crate::config::PanelKind::Xui => std::sync::Arc::new(XuiClient::new(config)?),
        crate::config::PanelKind::VpnApi => std::sync::Arc::new(VpnApiClient::new(
            &config.base_url,
            config.vpn_api_key.clone(),
            config.timeout(),
        )?),
    })
}

/// The detected (or pinned) API generation of a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Inbound-scoped clients, settings as JSON strings (v2.x – v3.0.x).
    A,
    /// First-class clients under `/panel/api/clients/*`, nested JSON (v3.1+).
    B,
    /// Not a 3x-ui panel: the small vpn-api service in front of Xray ([`vpn_api`]).
    VpnApi,
}

impl std::fmt::Display for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::A => "Gen A (inbound-scoped clients, v2.x-v3.0.x)",
            Self::B => "Gen B (/panel/api/clients, v3.1+)",
            Self::VpnApi => "vpn-api (Xray behind /add-user, /update-user, /remove-user)",
        })
    }
}

/// What the caller wants a client to look like. The caller chooses every identifier so that a
/// retried call cannot create a second client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// VLESS UUID (`id` in settings, `uuid` in Gen B records).
    pub uuid: String,
    /// Panel-wide unique email: no `/`, `\`, whitespace or control characters.
    pub email: String,
    /// Subscription id.
    pub sub_id: String,
    /// `""` or `xtls-rprx-vision` (only meaningful on TCP + TLS/Reality).
    pub flow: String,
    /// Traffic limit in bytes (`totalGB`); 0 = unlimited.
    pub total_bytes: u64,
    /// Expiry in Unix ms (`expiryTime`); 0 = never; negative = ms counted from first connection.
    pub expiry_time_ms: i64,
    /// Concurrent IP limit (`limitIp`); 0 = unlimited.
    pub limit_ip: u32,
    /// Telegram user id (`tgId`); 0 = none.
    pub tg_id: i64,
    /// Free text (`comment`), e.g. the Discord user.
    pub comment: String,
    /// Whether the client may connect.
    pub enable: bool,
}

impl ClientSpec {
    /// A client that may connect, with no limits, no flow and no comment.
    pub fn new(
        uuid: impl Into<String>,
        email: impl Into<String>,
        sub_id: impl Into<String>,
    ) -> Self {
        Self {
            uuid: uuid.into(),
            email: email.into(),
            sub_id: sub_id.into(),
            flow: String::new(),
            total_bytes: 0,
            expiry_time_ms: 0,
            limit_ip: 0,
            tg_id: 0,
            comment: String::new(),
            enable: true,
        }
    }

    /// Writes this spec over `client`, keeping the fields the spec does not manage.
    pub fn apply_to(&self, client: &mut Client) {
        client.id.clone_from(&self.uuid);
        client.email.clone_from(&self.email);
        client.sub_id.clone_from(&self.sub_id);
        client.flow.clone_from(&self.flow);
        client.total_gb = i64::try_from(self.total_bytes).unwrap_or(i64::MAX);
        client.expiry_time = self.expiry_time_ms;
        client.limit_ip = i64::from(self.limit_ip);
        client.tg_id = self.tg_id;
        client.comment.clone_from(&self.comment);
        client.enable = self.enable;
    }

    /// A fresh settings client for this spec.
    pub fn to_client(&self) -> Client {
        let mut c = Client::default();
        self.apply_to(&mut c);
        c
    }

    /// Checks the email the way Gen B does (`xui-api.md` §6.4); Gen A is laxer but the same
    /// email must work on both.
    ///
    /// # Errors
    /// [`PanelError::Rejected`] naming the problem.
    pub fn validate(&self) -> PanelResult<()> {
        let bad = |msg: &str| {
            Err(PanelError::Rejected {
                ctx: ErrorContext::new("ensure_client", "(local check)"),
                msg: msg.to_owned(),
            })
        };
        if self.email.is_empty() {
            return bad("client email is required");
        }
        if self
            .email
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_whitespace() || c.is_control())
        {
            return bad("email must not contain '/', '\\', whitespace or control characters");
        }
        if self.uuid.is_empty() {
            return bad("client uuid is required");
        }
        Ok(())
    }
}

/// What [`PanelApi::ensure_client`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsureOutcome {
    /// The client did not exist and was created.
    Created,
    /// The client existed and was rewritten to match the spec.
    Updated,
    /// The client already matched the spec; nothing was written.
    Unchanged,
}

/// What [`PanelApi::delete_client`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The client is gone.
    Deleted,
    /// It was the last client of its inbound, which the panel refuses to delete, so it was
    /// disabled instead.
    Disabled,
}

/// Xray's state as the panel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XrayState {
    /// `running`.
    Running,
    /// `stop`.
    Stopped,
    /// `error`, with the panel's error text.
    Error(String),
    /// `obj` was `null`: the panel restarted less than ~2 s ago.
    Starting,
    /// Any other value.
    Other(String),
}

impl std::fmt::Display for XrayState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Running => f.write_str("running"),
            Self::Stopped => f.write_str("stopped"),
            Self::Error(m) if m.is_empty() => f.write_str("error"),
            Self::Error(m) => write!(f, "error: {m}"),
            Self::Starting => f.write_str("starting (panel just restarted)"),
            Self::Other(s) => write!(f, "unknown state {s:?}"),
        }
    }
}

/// Health of the panel (`GET panel/api/server/status`, v2.7+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelStatus {
    /// API generation in use.
    pub generation: Generation,
    /// Panel version (`obj.panelVersion`, v3.1+ only).
    pub panel_version: Option<String>,
    /// Xray state.
    pub xray: XrayState,
    /// Xray version, empty when unknown.
    pub xray_version: String,
    /// Host uptime in seconds (0 when unknown).
    pub uptime_secs: u64,
}

impl PanelStatus {
    /// Builds a status from `server/status`'s `obj` (`None` right after a restart).
    pub fn from_server(generation: Generation, obj: Option<ServerStatus>) -> Self {
        let Some(s) = obj else {
            return Self {
                generation,
                panel_version: None,
                xray: XrayState::Starting,
                xray_version: String::new(),
                uptime_secs: 0,
            };
        };
        let xray = match s.xray.state.as_str() {
            "running" => XrayState::Running,
            "stop" => XrayState::Stopped,
            "error" => XrayState::Error(s.xray.error_msg.clone()),
            other => XrayState::Other(other.to_owned()),
        };
        Self {
            generation,
            panel_version: s.panel_version.filter(|v| !v.is_empty()),
            xray,
            xray_version: s.xray.version,
            uptime_secs: s.uptime,
        }
    }
}

/// What a backend can do beyond creating, extending and removing a client. Services skip what
/// is not supported ([`PanelError::Unsupported`] is never an outage), and config validation
/// refuses a plan a backend cannot serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per optional feature
pub struct Capabilities {
    /// Per-client traffic counters (`client_traffic`, `last_online`): usage and activation.
    pub usage: bool,
    /// A negative `expiryTime` counted from the first connection (`start_on_first_use` plans).
    pub first_use_expiry: bool,
    /// A traffic limit per client (`traffic_gib` plans).
    pub traffic_limit: bool,
    /// A concurrent device (IP) limit per client (`device_limit` plans).
    pub device_limit: bool,
    /// Disabling a client while keeping it (without it, disable = delete).
    pub disable_in_place: bool,
    /// The backend's own subscription server (`subscription_base_url`).
    pub subscription: bool,
    /// Listing inbounds and their clients (`list_inbounds`, `inbound`): links built by the bot,
    /// reconciliation.
    pub list: bool,
}

impl Capabilities {
    /// Everything (a 3x-ui panel).
    pub const ALL: Self = Self {
        usage: true,
        first_use_expiry: true,
        traffic_limit: true,
        device_limit: true,
        disable_in_place: true,
        subscription: true,
        list: true,
    };
    /// Create, update (absolute expiry) and remove only (the vpn-api contract).
    pub const MINIMAL: Self = Self {
        usage: false,
        first_use_expiry: false,
        traffic_limit: false,
        device_limit: false,
        disable_in_place: false,
        subscription: false,
        list: false,
    };
}

/// What [`PanelApi::provision`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    /// Created, rewritten or already right.
    pub outcome: EnsureOutcome,
    /// The customer's link when the backend makes it (vpn-api); `None` when the bot builds it
    /// from the inbound (3x-ui).
    pub share_link: Option<String>,
}

/// The panel operations services need. Implemented by [`XuiClient`]; usable as
/// `Arc<dyn PanelApi>`. Every method authenticates (and re-authenticates once) as needed.
#[async_trait]
pub trait PanelApi: Send + Sync {
    /// What this backend supports (3x-ui: everything).
    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    /// The key a new client of Discord user `discord_id` with VLESS `uuid` gets on this backend
    /// (the `email` every other method takes): `u<discord id>` on 3x-ui, whose clients are
    /// keyed by email; the uuid itself on a backend keyed by uuid.
    fn client_key(&self, uuid: &str, discord_id: u64) -> String {
        let _ = uuid;
        format!("u{discord_id}")
    }

    /// [`PanelApi::ensure_client`], plus the customer's link when the backend makes it.
    ///
    /// # Errors
    /// As [`PanelApi::ensure_client`].
    async fn provision(&self, inbound_id: u32, spec: &ClientSpec) -> PanelResult<Provisioned> {
        Ok(Provisioned {
            outcome: self.ensure_client(inbound_id, spec).await?,
            share_link: None,
        })
    }

    /// Panel health: generation, version (v3.1+), Xray state.
    ///
    /// # Errors
    /// [`PanelError::Unavailable`] when the panel is down, [`PanelError::Auth`] when login fails.
    async fn status(&self) -> PanelResult<PanelStatus>;

    /// All inbounds with their clients and traffic rows.
    ///
    /// # Errors
    /// As [`PanelApi::status`], plus [`PanelError::Protocol`] for an unexpected answer.
    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>>;

    /// One inbound (its `client_stats` are empty on Gen A: the panel does not preload them).
    ///
    /// # Errors
    /// [`PanelError::NotFound`] for an unknown id, otherwise as [`PanelApi::list_inbounds`].
    async fn inbound(&self, id: u32) -> PanelResult<Inbound>;

    /// One inbound holding only the client whose email is `email` (compared case-insensitively,
    /// as the panel does), if it has one, and no `client_stats`: for work on one customer, which
    /// then does not hold every client of a large inbound at once. The default reads the whole
    /// inbound and drops the rest.
    ///
    /// # Errors
    /// As [`PanelApi::inbound`].
    async fn inbound_with_client(&self, id: u32, email: &str) -> PanelResult<Inbound> {
        let mut inbound = self.inbound(id).await?;
        inbound
            .settings
            .clients
            .retain(|c| c.email.eq_ignore_ascii_case(email));
        inbound.client_stats = Vec::new();
        Ok(inbound)
    }

    /// Creates the client in `inbound_id`, or rewrites it to match `spec` when a client with that
    /// email exists (idempotent; fields the spec does not manage are kept).
    ///
    /// # Errors
    /// [`PanelError::Duplicate`] when the email belongs to a client of another inbound (Gen A),
    /// [`PanelError::Rejected`] for an invalid spec, [`PanelError::NotFound`] for an unknown
    /// inbound.
    async fn ensure_client(&self, inbound_id: u32, spec: &ClientSpec)
    -> PanelResult<EnsureOutcome>;

    /// Adds a client that should not exist yet, without reading the inbound first: one request
    /// whatever the number of clients (the approval's fast path for a new customer).
    ///
    /// # Errors
    /// [`PanelError::Duplicate`] when a client with `spec.email` already exists on the panel (the
    /// caller then reads the inbound and uses [`PanelApi::ensure_client`]);
    /// [`PanelError::Unsupported`] on a backend without it (the default); otherwise as
    /// [`PanelApi::ensure_client`].
    async fn create_client(&self, inbound_id: u32, spec: &ClientSpec) -> PanelResult<()> {
        let _ = (inbound_id, spec);
        Err(PanelError::Unsupported("create_client"))
    }

    /// Sets a client's expiry (Unix ms; 0 = never) and traffic limit (bytes; 0 = unlimited).
    /// `enable` is not changed.
    ///
    /// # Errors
    /// [`PanelError::NotFound`] for an unknown email.
    async fn extend_client(
        &self,
        email: &str,
        expiry_time_ms: i64,
        total_bytes: u64,
    ) -> PanelResult<()>;

    /// Enables or disables a client.
    ///
    /// # Errors
    /// [`PanelError::NotFound`] for an unknown email.
    async fn set_client_enabled(&self, email: &str, enable: bool) -> PanelResult<()>;

    /// Deletes a client; the last client of an inbound is disabled instead.
    ///
    /// # Errors
    /// [`PanelError::NotFound`] for an unknown email.
    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome>;

    /// A client's traffic row.
    ///
    /// # Errors
    /// [`PanelError::NotFound`] for an unknown email.
    async fn client_traffic(&self, email: &str) -> PanelResult<ClientTraffic>;

    /// Emails with traffic in the panel's last poll (`null` reads as empty).
    ///
    /// # Errors
    /// As [`PanelApi::status`].
    async fn online_emails(&self) -> PanelResult<Vec<String>>;

    /// Email → last traffic in Unix ms (0 = never), v2.7+; values sent in seconds are scaled.
    ///
    /// # Errors
    /// As [`PanelApi::status`].
    async fn last_online(&self) -> PanelResult<LastOnline>;
}
