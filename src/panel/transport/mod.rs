//! HTTP transport to one panel: base URL, TLS options, authentication and the session.
//!
//! Cookie mode logs in with `POST {B}login` (after `GET {B}csrf-token` on v3, whose token is
//! then sent as `X-CSRF-Token` on every POST), adding the current TOTP code when a secret is
//! configured. Bearer mode sends `Authorization: Bearer` on `panel/api/*` and never logs in.
//! Every "not logged in" signal of `xui-api.md` §2.1 (3xx to the login page, 401, 403, bare 404,
//! `success:false` with the session text of v2.0–2.2.1) triggers **one** re-login and one retry
//! per call; a failed login is not retried for [`LOGIN_COOLDOWN`] (v3 blocks an IP after 5
//! failures). Redirects are never followed. Secrets only go into bodies and headers.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::{ErrorContext, PanelError, PanelResult};
use super::types::Envelope;
use crate::config::PanelConfig;

mod answer;
mod session;

use answer::{Step, bearer_refused, interpret};
use answer::{parse_envelope, snippet};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use session::{Auth, LoginGate, Session};
pub use session::{LOGIN_COOLDOWN, unix_now_secs};

/// A request body.
#[derive(Clone)]
pub(super) enum Body {
    /// No body.
    Empty,
    /// A JSON body.
    Json(Value),
}

/// The raw answer to one request.
pub(super) struct Raw {
    /// HTTP status.
    pub status: StatusCode,
    content_type: String,
    location: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// The HTTP side of [`super::XuiClient`].
pub(super) struct Transport {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    timeout: Duration,
    session: Mutex<Session>,
    gate: tokio::sync::Mutex<LoginGate>,
}

impl Transport {
    /// Builds the transport from the panel config (no request is sent). A panel on a loopback
    /// address (`127.0.0.0/8`, `::1`, `localhost`: the bot on the panel's host) is always
    /// reached directly, whatever `HTTP(S)_PROXY` says; other hosts follow the environment's
    /// proxy settings.
    ///
    /// # Errors
    /// [`PanelError::Config`] for a bad base URL, CA file or TOTP secret, or missing credentials.
    pub(super) fn new(cfg: &PanelConfig) -> PanelResult<Self> {
        let mut base = Url::parse(cfg.base_url.trim())
            .map_err(|e| PanelError::Config(format!("panel.base_url is not a URL ({e})")))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let auth = Auth::from_config(cfg)?;
        let timeout = cfg.timeout();
        let mut builder = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("vpn-ticket-bot/", env!("CARGO_PKG_VERSION")));
        if crate::net::is_loopback(&base) {
            builder = builder.no_proxy();
        }
        if cfg.accept_invalid_certs {
            tracing::warn!(
                "panel.accept_invalid_certs is on: the panel's TLS certificate is not verified"
            );
            builder = builder.danger_accept_invalid_certs(true);
        }
        if let Some(path) = &cfg.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                PanelError::Config(format!("cannot read panel.ca_cert {}: {e}", path.display()))
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                PanelError::Config(format!(
                    "panel.ca_cert {} is not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| PanelError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            auth,
            timeout,
            session: Mutex::new(Session::default()),
            gate: tokio::sync::Mutex::new(LoginGate::default()),
        })
    }

    /// True when an API token is used.
    pub(super) fn is_bearer(&self) -> bool {
        matches!(self.auth, Auth::Bearer(_))
    }

    /// Sends one request without any session handling; `Err` only for transport failures.
    pub(super) async fn send_raw(
        &self,
        ctx: &ErrorContext,
        method: Method,
        route: &str,
        body: &Body,
    ) -> PanelResult<Raw> {
        let url = self
            .base
            .join(route)
            .map_err(|e| PanelError::Config(format!("bad route {route}: {e}")))?;
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(ACCEPT, "application/json")
            .header("X-Requested-With", "XMLHttpRequest");
        match &self.auth {
            Auth::Bearer(token) if route.starts_with("panel/api/") => {
                req = req.bearer_auth(token.expose());
            }
            _ => {}
        }
        if method != Method::GET {
            let csrf = self.session.lock().expect("session lock").csrf.clone();
            if let Some(token) = csrf.and_then(|t| HeaderValue::from_str(&t).ok()) {
                req = req.header("X-CSRF-Token", token);
            }
        }
        if let Body::Json(v) = body {
            req = req.json(v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(ctx, &e))?;
        let status = resp.status();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let location = header(LOCATION);
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(ctx, &e))?
            .to_vec();
        Ok(Raw {
            status,
            content_type,
            location,
            body,
        })
    }

    fn transport_error(&self, ctx: &ErrorContext, e: &reqwest::Error) -> PanelError {
        let reason = crate::net::transport_failure(e, self.timeout);
        PanelError::Unavailable {
            ctx: ctx.clone(),
            reason,
            http_status: None,
        }
    }

    /// Sends a call with session handling and decodes `obj` as `T` (`None` when absent/null).
    ///
    /// # Errors
    /// Every [`PanelError`] kind; `success:false` is sorted by [`PanelError::from_refusal`].
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        method: Method,
        route: &str,
        body: Body,
    ) -> PanelResult<Option<T>> {
        let env = self.call_envelope(op, method, route, body).await?;
        obj_of(ErrorContext::new(op, route), env)
    }

    /// Sends a call with session handling and returns the envelope (success or not).
    ///
    /// # Errors
    /// Transport, auth and protocol failures; `success:false` is returned, not an error.
    pub(super) async fn call_envelope(
        &self,
        op: &'static str,
        method: Method,
        route: &str,
        body: Body,
    ) -> PanelResult<Envelope<Box<RawValue>>> {
        let ctx = ErrorContext::new(op, route);
        let mut relogged = false;
        loop {
            let (epoch, fresh) = self.ensure_login(op).await?;
            let raw = self.send_raw(&ctx, method.clone(), route, &body).await?;
            match interpret(&ctx, &raw, self.is_bearer()) {
                Step::Done(env) => return Ok(env),
                Step::Fail(e) => return Err(e),
                Step::AuthLost(signal) => {
                    if self.is_bearer() {
                        return Err(bearer_refused(ctx, raw.status, &signal));
                    }
                    if fresh || relogged {
                        return Err(if raw.status == StatusCode::NOT_FOUND {
                            PanelError::Protocol {
                                ctx,
                                detail:
                                    "HTTP 404 with a fresh session: the route does not exist on \
                                         this panel (wrong API generation or panel too old?)"
                                        .into(),
                            }
                        } else {
                            PanelError::Auth {
                                ctx,
                                reason: format!("{signal} even with a fresh session"),
                            }
                        });
                    }
                    tracing::info!(op, route, signal, "panel session lost; logging in again");
                    self.invalidate(epoch);
                    relogged = true;
                }
            }
        }
    }

    /// Whether an authenticated `GET route` exists: 2xx JSON ⇒ true, 404 with a fresh session
    /// (re-logging in once if the session was not fresh) ⇒ false.
    ///
    /// # Errors
    /// Transport and auth failures, and any other answer.
    pub(super) async fn route_exists(&self, op: &'static str, route: &str) -> PanelResult<bool> {
        let ctx = ErrorContext::new(op, route);
        let mut relogged = false;
        loop {
            let (epoch, fresh) = self.ensure_login(op).await?;
            let raw = self
                .send_raw(&ctx, Method::GET, route, &Body::Empty)
                .await?;
            if raw.status != StatusCode::NOT_FOUND {
                return match interpret(&ctx, &raw, self.is_bearer()) {
                    Step::Done(_) => Ok(true),
                    Step::Fail(e) => Err(e),
                    Step::AuthLost(signal) => Err(PanelError::Auth {
                        ctx,
                        reason: signal,
                    }),
                };
            }
            if fresh || relogged || self.is_bearer() {
                return Ok(false);
            }
            self.invalidate(epoch);
            relogged = true;
        }
    }
}

/// The envelope's `obj` as `T` (`None` when absent/null); `success:false` is sorted by
/// [`PanelError::from_refusal`].
fn obj_of<T: DeserializeOwned>(
    ctx: ErrorContext,
    env: Envelope<Box<RawValue>>,
) -> PanelResult<Option<T>> {
    if !env.success {
        return Err(PanelError::from_refusal(ctx, &env.msg));
    }
    // `null` reads as a missing `obj` (`None`).
    env.obj
        .map(|raw| serde_json::from_str(raw.get()))
        .transpose()
        .map_err(|e| obj_shape_error(ctx, &e))
}

/// [`PanelError::Protocol`]: the answer's `obj` is not what the route returns.
pub(super) fn obj_shape_error(ctx: ErrorContext, e: &serde_json::Error) -> PanelError {
    PanelError::Protocol {
        ctx,
        detail: format!("`obj` does not have the expected shape: {e}"),
    }
}

/// Reads one answer (HTTP `status`, `Content-Type`, body) the way [`Transport::call`] does, with
/// nothing sent: `obj` as `T`, or the [`PanelError`] it means. A "not logged in" signal, on which
/// `call` logs in again once, comes back as [`PanelError::Auth`] naming it. For the fuzz targets
/// (`crate::fuzzing`).
///
/// # Errors
/// As [`Transport::call`]; [`PanelError::Protocol`] for a status outside 100..=999.
pub(crate) fn read_answer<T: DeserializeOwned>(
    op: &'static str,
    status: u16,
    content_type: &str,
    body: Vec<u8>,
    bearer: bool,
) -> PanelResult<Option<T>> {
    let ctx = ErrorContext::new(op, "(answer)");
    let status = StatusCode::from_u16(status).map_err(|e| PanelError::Protocol {
        ctx: ctx.clone(),
        detail: format!("HTTP status {status}: {e}"),
    })?;
    let raw = Raw {
        status,
        content_type: content_type.to_owned(),
        location: None,
        body,
    };
    match interpret(&ctx, &raw, bearer) {
        Step::Done(env) => obj_of(ctx, env),
        Step::Fail(e) => Err(e),
        Step::AuthLost(reason) => Err(PanelError::Auth { ctx, reason }),
    }
}

/// What a path segment may hold unencoded: RFC 3986's unreserved characters and `@`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Percent-encodes one path segment (emails may hold `@`, `+`...): `a+b@x` → `a%2Bb@x`.
pub(super) fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}
