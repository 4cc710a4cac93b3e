//! An in-process vpn-api service (the contract of `shared/design/next-features.md` §1.2): an
//! axum server on 127.0.0.1 (port 0) holding clients in memory, with the real service's quirks:
//! `add-user` is an upsert (an existing uuid only gets its expiry rewritten), `update-user` of an
//! unknown uuid re-creates it (email `user_recovered_<8 chars>`), `remove-user` of an unknown
//! uuid is `{"status":"ok"}`, errors are FastAPI's `{"detail": ...}` (401 for a missing or wrong
//! `X-API-Key`, 400 for a bad uuid, 422 for a wrong body shape). Faults come from the test
//! ([`VpnFault`]).
//!
//! ```no_run
//! # async fn demo() {
//! use vpn_ticket_bot::sim::vpn_api::{VpnApiSim, VpnFault};
//! let sim = VpnApiSim::start("key").await;
//! sim.set_fault(VpnFault::HangAfterApply);
//! assert!(sim.users().is_empty());
//! # }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One client as the service keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    /// Xray email (`user_<telegram_id>`, or `user_recovered_…` after a re-create).
    pub email: String,
    /// Expiry in Unix ms (inert in Xray: the service never enforces it).
    pub expiry_ms: i64,
}

/// What the emulated service does wrong, set by the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VpnFault {
    /// Normal service.
    None,
    /// Every request but `/health` gets HTTP 500 `{"detail":"internal_error"}`.
    Status500,
    /// Writes are applied, then the answer never comes (the client times out).
    HangAfterApply,
}

struct Shared {
    key: String,
    users: Mutex<BTreeMap<String, SimUser>>,
    fault: Mutex<VpnFault>,
    writes: Mutex<u32>,
}

/// A running emulated service. Dropping it stops the server.
pub struct VpnApiSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl VpnApiSim {
    /// Starts a service accepting `key` on 127.0.0.1 with a free port.
    ///
    /// # Panics
    /// When no local port can be bound (a test environment failure).
    pub async fn start(key: &str) -> Self {
        let shared = Arc::new(Shared {
            key: key.to_owned(),
            users: Mutex::default(),
            fault: Mutex::new(VpnFault::None),
            writes: Mutex::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            shared,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:PORT/`: what goes into `panel.base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Sets the fault.
    pub fn set_fault(&self, fault: VpnFault) {
        *lock(&self.shared.fault) = fault;
    }

    /// Every client, by uuid.
    pub fn users(&self) -> BTreeMap<String, SimUser> {
        lock(&self.shared.users).clone()
    }

    /// Write requests (`add`, `update`, `remove`) that reached the handlers with a good key.
    pub fn writes(&self) -> u32 {
        *lock(&self.shared.writes)
    }

    /// Stops serving: connections are refused from now on.
    pub fn stop(&self) {
        self.server.abort();
    }
}

impl Drop for VpnApiSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn detail(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "detail": text }))).into_response()
}

/// The link the real service builds from its environment (always Reality, vision flow).
fn link(uuid: &str) -> String {
    format!(
        "vless://{uuid}@vpn-api.example.test:443?encryption=none&flow=xtls-rprx-vision\
         &security=reality&sni=www.example.com&fp=chrome&pbk=SIMKEY&sid=ab&type=tcp#vpn-api"
    )
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_start_matches('/').to_owned();
    if method == Method::GET && path == "health" {
        return axum::Json(json!({ "status": "ok" })).into_response();
    }
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if key != Some(sh.key.as_str()) {
        return detail(StatusCode::UNAUTHORIZED, "Invalid or missing API key");
    }
    let fault = *lock(&sh.fault);
    if fault == VpnFault::Status500 {
        return detail(StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    }
    let resp = route(&sh, &method, &path, &body);
    if fault == VpnFault::HangAfterApply && method == Method::POST {
        std::future::pending::<()>().await;
    }
    resp
}

fn route(sh: &Shared, method: &Method, path: &str, body: &[u8]) -> Response {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match (method.as_str(), path) {
        ("GET", "list-users") => {
            let uuids: Vec<String> = lock(&sh.users).keys().cloned().collect();
            axum::Json(json!({ "uuids": uuids })).into_response()
        }
        ("POST", "add-user") => add(sh, &json),
        ("POST", "update-user") => update(sh, &json),
        ("POST", p) if p.starts_with("remove-user/") => {
            let uuid = &p["remove-user/".len()..];
            if uuid::Uuid::parse_str(uuid).is_err() {
                return detail(StatusCode::BAD_REQUEST, "invalid uuid format");
            }
            *lock(&sh.writes) += 1;
            lock(&sh.users).remove(uuid);
            axum::Json(json!({ "status": "ok" })).into_response()
        }
        _ => detail(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// The uuid and expiry of a write body, or the service's error answer (status and body).
fn fields(json: &Value) -> Result<(String, i64), (StatusCode, Value)> {
    let Some(expiry) = json.get("expiry_timestamp_ms").and_then(Value::as_i64) else {
        let err = json!({ "detail": [{ "loc": ["body", "expiry_timestamp_ms"],
            "msg": "field required", "type": "missing" }] });
        return Err((StatusCode::UNPROCESSABLE_ENTITY, err));
    };
    let uuid = json.get("uuid").and_then(Value::as_str).unwrap_or_default();
    if uuid.is_empty() {
        return Err((
            StatusCode::BAD_REQUEST,
            json!({ "detail": "uuid is required" }),
        ));
    }
    if uuid::Uuid::parse_str(uuid).is_err() {
        return Err((
            StatusCode::BAD_REQUEST,
            json!({ "detail": "invalid uuid format" }),
        ));
    }
    Ok((uuid.to_owned(), expiry))
}

fn add(sh: &Shared, json: &Value) -> Response {
    let (uuid, expiry_ms) = match fields(json) {
        Ok(f) => f,
        Err((status, body)) => return (status, axum::Json(body)).into_response(),
    };
    let tg = json.get("telegram_id").and_then(Value::as_i64).unwrap_or(0);
    *lock(&sh.writes) += 1;
    lock(&sh.users)
        .entry(uuid.clone())
        .and_modify(|u| u.expiry_ms = expiry_ms)
        .or_insert_with(|| SimUser {
            email: format!("user_{tg}"),
            expiry_ms,
        });
    let link = link(&uuid);
    axum::Json(json!({ "uuid": uuid, "vless_link": link, "link": link })).into_response()
}

fn update(sh: &Shared, json: &Value) -> Response {
    let (uuid, expiry_ms) = match fields(json) {
        Ok(f) => f,
        Err((status, body)) => return (status, axum::Json(body)).into_response(),
    };
    *lock(&sh.writes) += 1;
    lock(&sh.users)
        .entry(uuid.clone())
        .and_modify(|u| u.expiry_ms = expiry_ms)
        .or_insert_with(|| SimUser {
            email: format!("user_recovered_{}", &uuid[..8]),
            expiry_ms,
        });
    axum::Json(json!({ "status": "ok" })).into_response()
}
