//! Gen A client routes (`panel/api/inbounds/*`, v2.x – v3.0.x): clients are written through an
//! inbound, with `settings` a JSON string (`addClient`, `updateClient/{uuid}`), deleted by uuid
//! or by email, and emails compared case-insensitively where the version does. A Gen A
//! `settings` without `clients` is a 500 with an empty body, as the real handler panics.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::panel::Client;
use crate::sim::panel::gin::{bind, done, fail, gin_404, ok};
use crate::sim::panel::state::Data;

/// `panel/api/inbounds/*` client routes of Gen A.
pub(super) fn route(
    d: &mut Data,
    method: &str,
    segs: &[&str],
    headers: &HeaderMap,
    body: &[u8],
    ci: bool,
) -> Response {
    match (method, segs) {
        ("POST", ["addClient"]) => a_write(d, headers, body, ci, None),
        ("POST", ["updateClient", key]) => a_write(d, headers, body, ci, Some(key)),
        ("POST", [id, "delClient", key]) => {
            let Some(id) = id.parse().ok().filter(|id| d.inbound(*id).is_some()) else {
                return fail("record not found");
            };
            // An unknown key is a silent success on v2.x / v3.0.x.
            match d
                .clients
                .iter()
                .position(|c| c.inbound_ids.contains(&id) && c.client.id == *key)
            {
                None => ok(Value::Null),
                Some(idx) => done(d.delete_client(idx)),
            }
        }
        ("POST", [id, "delClientByEmail", email]) => {
            let id: u32 = id.parse().unwrap_or(0);
            match d
                .find(email, ci)
                .filter(|&i| d.clients[i].inbound_ids.contains(&id))
            {
                None => fail(&format!("client with email {email} not found")),
                Some(idx) => done(d.delete_client(idx)),
            }
        }
        ("GET", ["getClientTraffics", email]) => match d.find(email, ci) {
            Some(idx) => ok(d.traffic_json(idx, false)),
            None => fail(&format!("Inbound Not Found For Email: {email}")),
        },
        _ => gin_404(),
    }
}

/// Gen A `addClient` (`key == None`) and `updateClient/{key}`.
fn a_write(
    d: &mut Data,
    headers: &HeaderMap,
    body: &[u8],
    ci: bool,
    key: Option<&str>,
) -> Response {
    let form = match bind(headers, body) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let inbound_id = match &form.get("id") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    };
    let settings = match form.get("settings") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::String(_)) | None => return fail("unexpected end of JSON input"),
        Some(_) => {
            return fail(
                "json: cannot unmarshal object into Go struct field Inbound.settings of type string",
            );
        }
    };
    let parsed: Value = match serde_json::from_str(settings) {
        Ok(v) => v,
        Err(e) => return fail(&e.to_string()),
    };
    let Some(list) = parsed.get("clients").and_then(Value::as_array) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let clients: Vec<Client> = match list
        .iter()
        .map(|c| serde_json::from_value(c.clone()))
        .collect()
    {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    if d.inbound(inbound_id).is_none() {
        return fail("record not found");
    }
    let Some(key) = key else {
        for c in clients {
            if let Err(e) = d.add_client(inbound_id, c, ci) {
                return fail(&e);
            }
        }
        return ok(Value::Null);
    };
    let target = d
        .clients
        .iter()
        .position(|c| c.inbound_ids.contains(&inbound_id) && c.client.id == key);
    match (target, clients.into_iter().next()) {
        (Some(idx), Some(new)) if !new.id.is_empty() => done(d.replace_client(idx, new, ci)),
        _ => fail("empty client ID"),
    }
}
