//! An in-process 3x-ui panel: an axum server on 127.0.0.1 (port 0) that behaves like a real
//! panel of a chosen [`Profile`] (version-specific auth signals, CSRF, 2FA, API tokens, Gen A or
//! Gen B routes, `webBasePath`), holds inbounds and clients in memory with the panel's validation,
//! and takes faults from the test ([`Fault`]).
//!
//! ```no_run
//! # async fn demo() {
//! use vpn_ticket_bot::sim::panel::{Fault, PanelSim, Profile};
//! let sim = PanelSim::start(Profile::v3_6_0()).await;
//! let base = sim.base_url(); // http://127.0.0.1:PORT/sim-base/
//! sim.set_fault(Fault::Status500).await;
//! sim.advance_traffic("alice", 1024, 4096);
//! # }
//! ```

mod gin;
mod http;
mod routes;
pub mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;

use crate::panel::{Client, Generation};
pub use state::Data;

/// How a version answers an unauthenticated `panel/api/*` request (`xui-api.md` §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthStyle {
    /// v2.0 – 2.2.1: AJAX ⇒ HTTP 200 `success:false` "session expired" text; else 307 to `{B}`.
    SessionMsg,
    /// v2.2.5 – 2.8.3: `X-Requested-With: XMLHttpRequest` ⇒ 401 JSON; else 307 to `{B}`.
    RedirectOr401,
    /// v2.8.4 – 3.0.1: bare 404.
    Bare404,
    /// v3.0.2+: XHR ⇒ 401 empty; else 404 empty.
    Xhr401Else404,
}

/// The behaviour of one panel version. Presets are named after the version they copy; fields
/// are public so a test can vary one thing.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // each flag is one version-dependent behaviour
pub struct Profile {
    /// Version string (reported as `panelVersion` from v3.1).
    pub version: String,
    /// Which client routes exist.
    pub generation: Generation,
    /// v3.0+: CSRF on every POST (login included) and `GET {B}csrf-token`.
    pub csrf: bool,
    /// Unauthenticated answer.
    pub unauth: UnauthStyle,
    /// False emulates a reverse proxy that strips `X-Requested-With`, so the non-AJAX answer
    /// (307 redirect or 404) is sent even to the bot.
    pub sees_xhr_header: bool,
    /// Emails compared case-insensitively (v2).
    pub email_case_insensitive: bool,
    /// `obj.panelVersion` in `server/status` (v3.1+).
    pub reports_version: bool,
    /// Login refused after this many failures (v3: 5); `None` = no limiter.
    pub login_limit: Option<u32>,
    /// `webBasePath`, starting and ending with `/`.
    pub web_base_path: String,
    /// Admin user name.
    pub username: String,
    /// Admin password.
    pub password: String,
    /// Base32 TOTP secret when 2FA is on.
    pub totp_secret: Option<String>,
    /// Accepted Bearer token (v3 only).
    pub api_token: Option<String>,
}

impl Profile {
    fn base(version: &str, generation: Generation, unauth: UnauthStyle) -> Self {
        let v3 = version.starts_with('3');
        Self {
            version: version.into(),
            generation,
            csrf: v3,
            unauth,
            sees_xhr_header: true,
            email_case_insensitive: !v3,
            reports_version: generation == Generation::B,
            login_limit: v3.then_some(5),
            web_base_path: "/sim-base/".into(),
            username: "admin".into(),
            password: "admin-pass".into(),
            totp_secret: None,
            api_token: None,
        }
    }

    /// v2.8.3, Gen A: 307 to the login page, or 401 JSON for XHR requests; no CSRF.
    pub fn v2_8_3() -> Self {
        Self::base("2.8.3", Generation::A, UnauthStyle::RedirectOr401)
    }

    /// v2.9.4, Gen A: bare 404 when not logged in; no CSRF.
    pub fn v2_9_4() -> Self {
        Self::base("2.9.4", Generation::A, UnauthStyle::Bare404)
    }

    /// v3.0.4, Gen A with CSRF, API token support and 401/404 signals.
    pub fn v3_0_4() -> Self {
        Self::base("3.0.4", Generation::A, UnauthStyle::Xhr401Else404)
    }

    /// v3.6.0, Gen B (`/panel/api/clients/*`, nested JSON), CSRF, 401/404 signals.
    pub fn v3_6_0() -> Self {
        Self::base("3.6.0", Generation::B, UnauthStyle::Xhr401Else404)
    }

    /// Turns 2FA on with this base32 secret.
    #[must_use]
    pub fn with_totp(mut self, secret: &str) -> Self {
        self.totp_secret = Some(secret.into());
        self
    }

    /// Accepts this Bearer token on `panel/api/*`.
    #[must_use]
    pub fn with_api_token(mut self, token: &str) -> Self {
        self.api_token = Some(token.into());
        self
    }

    /// Uses another `webBasePath`.
    #[must_use]
    pub fn with_base_path(mut self, path: &str) -> Self {
        self.web_base_path = format!("/{}/", path.trim_matches('/')).replace("//", "/");
        self
    }
}

/// A fault the panel shows until the next [`PanelSim::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Normal service.
    None,
    /// The listener is closed: connections are refused.
    Down,
    /// Every answer is delayed this long.
    Slow(Duration),
    /// Every request gets HTTP 500 with an empty body (a panic in a handler).
    Status500,
    /// Every request gets HTTP 200 with an HTML page.
    Html,
    /// Requests alternate: the first gets HTTP 500, the next is served, and so on.
    Flapping,
    /// Every `panel/api/*` request is refused with HTTP 200 `success:false` and
    /// `"Something went wrong (database is locked)"` (SQLite busy on the panel).
    Refusing,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SessionData {
    pub csrf: String,
    pub logged_in: bool,
}

/// State shared by the handle and the server.
pub(crate) struct Shared {
    pub profile: Profile,
    pub data: Mutex<Data>,
    pub sessions: Mutex<HashMap<String, SessionData>>,
    pub fault: Mutex<Fault>,
    pub flap: AtomicBool,
    pub login_attempts: AtomicU32,
    pub logins: AtomicU32,
    pub login_failures: AtomicU32,
    pub status_pending: AtomicBool,
    pub xray_state: Mutex<String>,
    /// Requests answered, by `METHOD path` (the path as sent, webBasePath included).
    pub requests: Mutex<HashMap<String, u64>>,
    /// TCP connections accepted.
    pub connections: AtomicU32,
}

/// A running emulated panel. Dropping it stops the server.
pub struct PanelSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Mutex<Option<http::Server>>,
}

impl PanelSim {
    /// Starts a panel of this profile on 127.0.0.1 with a free port, seeded by
    /// [`Data::seeded`] (inbound 1: VLESS TCP Reality on 443; inbound 2: VLESS WS TLS on 8443).
    pub async fn start(profile: Profile) -> Self {
        let shared = Arc::new(Shared {
            profile,
            data: Mutex::new(Data::seeded()),
            sessions: Mutex::new(HashMap::new()),
            fault: Mutex::new(Fault::None),
            flap: AtomicBool::new(false),
            login_attempts: AtomicU32::new(0),
            logins: AtomicU32::new(0),
            login_failures: AtomicU32::new(0),
            status_pending: AtomicBool::new(false),
            xray_state: Mutex::new("running".into()),
            requests: Mutex::new(HashMap::new()),
            connections: AtomicU32::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let server = http::serve(listener, shared.clone());
        Self {
            shared,
            addr,
            server: Mutex::new(Some(server)),
        }
    }

    /// `http://127.0.0.1:PORT{webBasePath}`: what goes into `panel.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.shared.profile.web_base_path)
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.shared.profile
    }

    /// Sets the fault. [`Fault::Down`] closes the listener and every connection (idle ones at
    /// once; a request in flight is answered first), so no pooled connection survives; any other
    /// fault reopens it on the same port.
    pub async fn set_fault(&self, fault: Fault) {
        *self.shared.fault.lock().expect("fault lock") = fault;
        let running = self.server.lock().expect("server lock").take();
        match (fault, running) {
            (Fault::Down, Some(mut server)) => server.stop().await,
            (Fault::Down, None) => {}
            (_, Some(handle)) => *self.server.lock().expect("server lock") = Some(handle),
            (_, None) => {
                let listener = TcpListener::bind(self.addr)
                    .await
                    .expect("rebind the same port");
                let handle = http::serve(listener, self.shared.clone());
                *self.server.lock().expect("server lock") = Some(handle);
            }
        }
    }

    /// How many `method` requests whose path ends with `path_suffix` were answered
    /// (`("GET", "/inbounds/get/1")`).
    pub fn request_count(&self, method: &str, path_suffix: &str) -> u64 {
        let requests = self.shared.requests.lock().expect("requests lock");
        requests
            .iter()
            .filter(|(key, _)| {
                key.split_once(' ')
                    .is_some_and(|(m, path)| m == method && path.ends_with(path_suffix))
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Forgets every session now (the next cookie request sees "not logged in").
    pub fn expire_sessions(&self) {
        self.shared.sessions.lock().expect("sessions lock").clear();
    }

    /// Gives every session a new CSRF token, so POSTs with the old one get 403.
    pub fn rotate_csrf(&self) {
        for s in self
            .shared
            .sessions
            .lock()
            .expect("sessions lock")
            .values_mut()
        {
            s.csrf = http::random_token();
        }
    }

    /// `server/status` answers `obj: null` (the first ~2 s after a panel restart) while true.
    pub fn set_status_pending(&self, pending: bool) {
        self.shared.status_pending.store(pending, Ordering::SeqCst);
    }

    /// Sets `xray.state` (`running`, `stop`, `error`).
    pub fn set_xray_state(&self, state: &str) {
        state.clone_into(&mut self.shared.xray_state.lock().expect("xray lock"));
    }

    /// TCP connections accepted so far (a client that keeps its connection alive makes one).
    pub fn connection_count(&self) -> u32 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Successful logins so far.
    pub fn login_count(&self) -> u32 {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// `POST login` requests so far (successful or not, CSRF-refused ones included).
    pub fn login_attempts(&self) -> u32 {
        self.shared.login_attempts.load(Ordering::SeqCst)
    }

    /// Adds traffic to a client (see [`Data::advance_traffic`]); false for an unknown email.
    pub fn advance_traffic(&self, email: &str, up: i64, down: i64) -> bool {
        self.data().advance_traffic(email, up, down)
    }

    /// Whether a first-use (negative) expiry is turned absolute on the first traffic; `false`
    /// models the 3x-ui bug where it never is (#5714, #5849).
    pub fn set_converts_first_use(&self, converts: bool) {
        self.data().converts_first_use = converts;
    }

    /// Empties the online list.
    pub fn clear_onlines(&self) {
        self.data().clear_onlines();
    }

    /// Every client as stored (settings form), in creation order.
    pub fn clients(&self) -> Vec<Client> {
        self.data()
            .clients
            .iter()
            .map(|c| c.client.clone())
            .collect()
    }

    /// The stored client with this email (exact match).
    pub fn client(&self, email: &str) -> Option<Client> {
        let d = self.data();
        d.find(email, false).map(|i| d.clients[i].client.clone())
    }

    /// Inbound ids the client with this email is attached to.
    pub fn client_inbounds(&self, email: &str) -> Vec<u32> {
        let d = self.data();
        d.find(email, false)
            .map(|i| d.clients[i].inbound_ids.clone())
            .unwrap_or_default()
    }

    /// Direct access to the data (for seeding clients in a test).
    pub fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.shared.data.lock().expect("data lock")
    }
}

impl Drop for PanelSim {
    fn drop(&mut self) {
        // Dropping the server closes its listener and connections.
        drop(self.server.get_mut().ok().and_then(Option::take));
    }
}
