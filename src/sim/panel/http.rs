//! The emulated panel's HTTP layer: faults, `webBasePath`, cookie sessions, CSRF, login with
//! 2FA and the rate limiter, Bearer tokens, and the version's "not logged in" answer; API routes
//! are handed to [`super::routes`].
//!
//! Connections are kept alive between requests, as a real 3x-ui (Go's `net/http`) keeps them.
//! [`Server::stop`] ([`super::Fault::Down`]) closes the listener and every connection: idle ones
//! at once, one with a request in flight once it is answered, so the next request finds the
//! panel really gone instead of being served on a pooled connection.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::gin::{bind, envelope, gin_404, html};
use super::{Fault, Shared, UnauthStyle, routes};

const COOKIE_NAME: &str = "3x-ui";
const LOGIN_PAGE: &str =
    "<!DOCTYPE html><html><head><title>Login</title></head><body>3x-ui</body></html>";

/// A serving panel: its accept loop and the signal that closes its listener and connections.
/// Dropping it stops everything at once.
pub(super) struct Server {
    accept: JoinHandle<()>,
    down: CancellationToken,
}

impl Server {
    /// Closes the listener (returns once it is closed: the next connection is refused) and every
    /// connection: idle ones at once, one with a request in flight once it is answered.
    pub(super) async fn stop(&mut self) {
        self.down.cancel();
        let _ = (&mut self.accept).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.down.cancel();
        self.accept.abort();
    }
}

/// Serves `shared` on `listener`, HTTP/1.1 with keep-alive, until [`Server::stop`].
pub(super) fn serve(listener: TcpListener, shared: Arc<Shared>) -> Server {
    let app = Router::new().fallback(handle).with_state(shared.clone());
    let down = CancellationToken::new();
    let signal = down.clone();
    let accept = tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => continue,
                },
                () = signal.cancelled() => return,
            };
            shared.connections.fetch_add(1, Ordering::SeqCst);
            let service = TowerToHyperService::new(app.clone());
            let signal = signal.clone();
            tokio::spawn(async move {
                // No `timer`: hyper's header-read timeout stays off, so tests that pause tokio's
                // clock do not see idle connections closed under them.
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    () = signal.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
    });
    Server { accept, down }
}

/// 32 random bytes, hex.
pub(super) fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("OS randomness");
    hex::encode(b)
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *sh.requests
        .lock()
        .expect("requests lock")
        .entry(format!("{method} {}", uri.path()))
        .or_default() += 1;
    handle_inner(&sh, &method, &uri, &headers, &body).await
}

async fn handle_inner(
    sh: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let fault = *sh.fault.lock().expect("fault lock");
    if let Some(r) = fault_answer(sh, fault).await {
        return r;
    }
    let Some(route) = uri.path().strip_prefix(sh.profile.web_base_path.as_str()) else {
        return gin_404();
    };
    let sid = session_id(headers);
    let bearer_ok = route.starts_with("panel/api/") && bearer_matches(sh, headers);
    if csrf_refused(sh, method, route, sid.as_deref(), headers, bearer_ok) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match (method.as_str(), route) {
        ("GET", "") => html(LOGIN_PAGE),
        ("GET", "csrf-token") if sh.profile.csrf => csrf_token(sh, sid),
        ("POST", "login") => login(sh, sid, headers, body),
        ("GET" | "POST", "logout") => {
            if let Some(sid) = sid {
                sh.sessions.lock().expect("sessions lock").remove(&sid);
            }
            envelope(true, "", Value::Null)
        }
        _ => {
            let Some(api_route) = route.strip_prefix("panel/api/") else {
                return gin_404();
            };
            let logged_in = sid.is_some_and(|sid| {
                sh.sessions
                    .lock()
                    .expect("sessions lock")
                    .get(&sid)
                    .is_some_and(|s| s.logged_in)
            });
            if !(bearer_ok || logged_in) {
                return unauthenticated(sh, headers);
            }
            if fault == Fault::Refusing {
                return envelope(
                    false,
                    "Something went wrong (database is locked)",
                    Value::Null,
                );
            }
            routes::api(sh, method, api_route, headers, body)
        }
    }
}

/// What a fault answers instead of the panel (after [`Fault::Slow`]'s delay: nothing).
async fn fault_answer(sh: &Shared, fault: Fault) -> Option<Response> {
    match fault {
        Fault::Slow(d) => tokio::time::sleep(d).await,
        Fault::Status500 => return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Fault::Html => return Some(html(LOGIN_PAGE)),
        Fault::Flapping if !sh.flap.fetch_xor(true, Ordering::SeqCst) => {
            return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        _ => {}
    }
    None
}

/// v3's CSRF check: a POST (or other unsafe method) without a Bearer token needs the session's
/// `X-CSRF-Token`. A refused `login` still counts as a login attempt.
fn csrf_refused(
    sh: &Shared,
    method: &Method,
    route: &str,
    sid: Option<&str>,
    headers: &HeaderMap,
    bearer_ok: bool,
) -> bool {
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if sh.profile.csrf && unsafe_method && !bearer_ok && !csrf_matches(sh, sid, headers) {
        if route == "login" {
            sh.login_attempts.fetch_add(1, Ordering::SeqCst);
        }
        return true;
    }
    false
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
}

fn bearer_matches(sh: &Shared, headers: &HeaderMap) -> bool {
    let Some(token) = &sh.profile.api_token else {
        return false;
    };
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == token)
}

fn csrf_matches(sh: &Shared, sid: Option<&str>, headers: &HeaderMap) -> bool {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    let sessions = sh.sessions.lock().expect("sessions lock");
    match (sid.and_then(|s| sessions.get(s)), sent) {
        (Some(s), Some(sent)) => !s.csrf.is_empty() && s.csrf == sent,
        _ => false,
    }
}

fn set_cookie(resp: &mut Response, sh: &Shared, sid: &str) {
    let cookie = format!(
        "{COOKIE_NAME}={sid}; Path={}; Max-Age=21600; HttpOnly; SameSite=Lax",
        sh.profile.web_base_path
    );
    resp.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie header"),
    );
}

/// `GET {B}csrf-token`: creates the session if needed and returns its token.
fn csrf_token(sh: &Shared, sid: Option<String>) -> Response {
    let mut sessions = sh.sessions.lock().expect("sessions lock");
    let (sid, is_new) = match sid.filter(|s| sessions.contains_key(s)) {
        Some(s) => (s, false),
        None => (random_token(), true),
    };
    let session = sessions.entry(sid.clone()).or_default();
    if session.csrf.is_empty() {
        session.csrf = random_token();
    }
    let mut resp = envelope(true, "", Value::String(session.csrf.clone()));
    if is_new {
        set_cookie(&mut resp, sh, &sid);
    }
    resp
}

fn login(sh: &Shared, sid: Option<String>, headers: &HeaderMap, body: &[u8]) -> Response {
    sh.login_attempts.fetch_add(1, Ordering::SeqCst);
    let form = match bind(headers, body) {
        Ok(f) => f,
        Err(e) => return envelope(false, &format!("Invalid login data ({e})"), Value::Null),
    };
    let field = |k: &str| form.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (user, pass) = (field("username"), field("password"));
    if user.is_empty() || pass.is_empty() {
        return envelope(false, "Please enter the username and password", Value::Null);
    }
    let blocked = sh
        .profile
        .login_limit
        .is_some_and(|n| sh.login_failures.load(Ordering::SeqCst) >= n);
    let totp_ok = sh
        .profile
        .totp_secret
        .as_deref()
        .is_none_or(|secret| totp_accepts(secret, &field("twoFactorCode")));
    if blocked || user != sh.profile.username || pass != sh.profile.password || !totp_ok {
        sh.login_failures.fetch_add(1, Ordering::SeqCst);
        return envelope(
            false,
            "Invalid username or password or two-factor code.",
            Value::Null,
        );
    }
    sh.logins.fetch_add(1, Ordering::SeqCst);
    let mut sessions = sh.sessions.lock().expect("sessions lock");
    let (sid, is_new) = match sid.filter(|s| sessions.contains_key(s)) {
        Some(s) => (s, false),
        None => (random_token(), true),
    };
    sessions.entry(sid.clone()).or_default().logged_in = true;
    let mut resp = envelope(true, "Logged in successfully", Value::Null);
    if is_new {
        set_cookie(&mut resp, sh, &sid);
    }
    resp
}

/// The code of the current 30-s step, or of the previous one. (The real panel accepts only the
/// current step; the previous one is allowed here so a test never fails at a step boundary.)
fn totp_accepts(secret: &str, code: &str) -> bool {
    let Ok(bytes) = totp_rs::Secret::try_from_base32(secret) else {
        return false;
    };
    let totp = totp_rs::Builder::new()
        .with_secret(bytes)
        .build_noncompliant();
    let now = crate::panel::unix_now_secs();
    [now, now.saturating_sub(30)]
        .iter()
        .any(|&t| totp.generate(t).to_string() == code)
}

fn unauthenticated(sh: &Shared, headers: &HeaderMap) -> Response {
    let xhr = sh.profile.sees_xhr_header
        && headers
            .get("x-requested-with")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"));
    let redirect = || {
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        r.headers_mut().insert(
            LOCATION,
            HeaderValue::from_str(&sh.profile.web_base_path).expect("location"),
        );
        r
    };
    let expired = "Your session has expired, please log in again";
    match (sh.profile.unauth, xhr) {
        (UnauthStyle::SessionMsg, true) => envelope(false, expired, Value::Null),
        (UnauthStyle::RedirectOr401, true) => {
            let mut r = envelope(false, expired, Value::Null);
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        (UnauthStyle::SessionMsg | UnauthStyle::RedirectOr401, false) => redirect(),
        (UnauthStyle::Xhr401Else404, true) => StatusCode::UNAUTHORIZED.into_response(),
        (UnauthStyle::Bare404 | UnauthStyle::Xhr401Else404, _) => {
            StatusCode::NOT_FOUND.into_response()
        }
    }
}
