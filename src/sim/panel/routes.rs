//! The emulated `panel/api/*` routes: server status and inbounds (both generations), Gen A
//! inbound-scoped client routes with `settings` as a JSON string, Gen B `clients/*` routes with
//! nested JSON. Refusals are `success:false` with HTTP 200 and the panel's
//! `"<text> (<Go error>)"` message; a Gen A `settings` without `clients` is a 500 with an empty
//! body, as the real handler panics.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Shared;
use super::gin::{bind, decode, done, fail, gin_404, ok};
use super::state::{Data, SimInbound, uuid_v4};
use crate::panel::{Client, Generation};

/// Dispatches one authenticated `panel/api/{route}` request.
pub(super) fn api(
    sh: &Shared,
    method: &Method,
    route: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let segs: Vec<String> = route.split('/').map(decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let gen_b = sh.profile.generation == Generation::B;
    let mut d = sh.data.lock().expect("data lock");
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["server", "status"]) => status(sh),
        ("GET", ["inbounds", "list"]) => ok(d
            .inbounds
            .iter()
            .map(|ib| inbound_json(&d, ib, gen_b, true))
            .collect()),
        ("GET", ["inbounds", "get", id]) => match id.parse().ok().and_then(|id| d.inbound(id)) {
            Some(ib) => ok(inbound_json(&d, ib, gen_b, false)),
            None => fail("record not found"),
        },
        (m, [scope, rest @ ..]) if *scope == if gen_b { "clients" } else { "inbounds" } => {
            if gen_b {
                gen_b_route(&mut d, m, rest, body)
            } else {
                gen_a_route(
                    &mut d,
                    m,
                    rest,
                    headers,
                    body,
                    sh.profile.email_case_insensitive,
                )
            }
        }
        _ => gin_404(),
    }
}

/// Routes shared in shape by both generations (`onlines`, `lastOnline`).
fn presence_route(d: &Data, method: &str, segs: &[&str]) -> Option<Response> {
    match (method, segs) {
        ("POST", ["onlines"]) if d.onlines.is_empty() => Some(ok(Value::Null)),
        ("POST", ["onlines"]) => Some(ok(d.onlines.iter().cloned().collect())),
        ("POST", ["lastOnline"]) => Some(ok(d
            .clients
            .iter()
            .map(|c| (c.client.email.clone(), Value::from(c.last_online)))
            .collect::<Map<_, _>>()
            .into())),
        _ => None,
    }
}

/// `panel/api/inbounds/*` client routes of Gen A.
fn gen_a_route(
    d: &mut Data,
    method: &str,
    segs: &[&str],
    headers: &HeaderMap,
    body: &[u8],
    ci: bool,
) -> Response {
    if let Some(r) = presence_route(d, method, segs) {
        return r;
    }
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

/// `panel/api/clients/*` routes of Gen B (emails compared exactly).
fn gen_b_route(d: &mut Data, method: &str, segs: &[&str], body: &[u8]) -> Response {
    if let Some(r) = presence_route(d, method, segs) {
        return r;
    }
    match (method, segs) {
        ("GET", ["list"]) => ok((0..d.clients.len()).map(|i| record_json(d, i)).collect()),
        ("GET", ["get", email]) => match d.find(email, false) {
            Some(idx) => ok(json!({
                "client": record_json(d, idx),
                "inboundIds": d.clients[idx].inbound_ids,
                "externalLinks": [],
                "usedTraffic": d.clients[idx].up + d.clients[idx].down,
            })),
            None => fail("record not found"),
        },
        ("GET", ["traffic", email]) => ok(d
            .find(email, false)
            .map_or(Value::Null, |idx| d.traffic_json(idx, true))),
        ("POST", ["add"]) => b_add(d, body),
        ("POST", ["update", email]) => b_update(d, email, body),
        ("POST", ["del", email]) => match d.find(email, false) {
            Some(idx) => done(d.delete_client(idx)),
            None => fail(&format!(
                "client \"{email}\" not found in any inbound or client record"
            )),
        },
        ("POST", [email, "attach"]) => {
            let ids = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| ids_of(&v["inboundIds"]));
            match (d.find(email, false), ids) {
                (None, _) => fail("record not found"),
                (Some(_), None) => fail("at least one inbound is required"),
                (Some(idx), Some(ids)) => done(attach(d, idx, &ids)),
            }
        }
        _ => gin_404(),
    }
}

fn status(sh: &Shared) -> Response {
    if sh.status_pending.load(std::sync::atomic::Ordering::SeqCst) {
        return ok(Value::Null);
    }
    let state = sh.xray_state.lock().expect("xray lock").clone();
    let mut obj = json!({
        "cpu": 3.5, "cpuCores": 2, "logicalPro": 2, "cpuSpeedMhz": 2400.0,
        "mem": { "current": 536_870_912u64, "total": 2_147_483_648u64 },
        "swap": { "current": 0, "total": 0 },
        "disk": { "current": 5_368_709_120u64, "total": 21_474_836_480u64 },
        "xray": { "state": state, "errorMsg": if state == "error" { "xray exited" } else { "" }, "version": "25.10.31" },
        "uptime": 86_400, "loads": [0.1, 0.2, 0.3], "tcpCount": 12, "udpCount": 3,
        "netIO": { "up": 1024, "down": 2048 }, "netTraffic": { "sent": 1_048_576, "recv": 2_097_152 },
        "publicIP": { "ipv4": "203.0.113.7", "ipv6": "N/A" },
        "appStats": { "threads": 20, "mem": 52_428_800, "uptime": 3600 }
    });
    if sh.profile.reports_version {
        obj["panelVersion"] = Value::String(sh.profile.version.clone());
    }
    ok(obj)
}

fn inbound_json(d: &Data, ib: &SimInbound, gen_b: bool, with_stats: bool) -> Value {
    let members: Vec<usize> = (0..d.clients.len())
        .filter(|&i| d.clients[i].inbound_ids.contains(&ib.id))
        .collect();
    let clients: Vec<&Client> = members.iter().map(|&i| &d.clients[i].client).collect();
    let settings =
        json!({ "clients": clients, "decryption": "none", "encryption": "none", "fallbacks": [] });
    let sniffing = json!({ "enabled": true, "destOverride": ["http", "tls", "quic", "fakedns"], "metadataOnly": false, "routeOnly": false });
    let stats: Vec<Value> = members.iter().map(|&i| d.traffic_json(i, gen_b)).collect();
    let up: i64 = members.iter().map(|&i| d.clients[i].up).sum();
    let down: i64 = members.iter().map(|&i| d.clients[i].down).sum();
    let mut v = json!({
        "id": ib.id, "up": up, "down": down, "total": 0, "remark": ib.remark, "enable": true,
        "expiryTime": 0, "trafficReset": "never", "lastTrafficResetTime": 0, "listen": "",
        "port": ib.port, "protocol": ib.protocol, "tag": ib.tag,
        "clientStats": if with_stats { Value::from(stats) } else { Value::Null },
    });
    if gen_b {
        v["settings"] = settings;
        v["streamSettings"] = ib.stream.clone();
        v["sniffing"] = sniffing;
        for (k, val) in [
            ("nodeId", Value::Null),
            ("shareAddrStrategy", "node".into()),
            ("shareAddr", "".into()),
            ("subSortIndex", 1.into()),
            ("disableFlow", false.into()),
            ("originNodeGuid", "".into()),
            ("fallbackParent", Value::Null),
            ("trafficResetDay", 1.into()),
        ] {
            v[k] = val;
        }
    } else {
        let pretty = |x: &Value| Value::String(serde_json::to_string_pretty(x).unwrap_or_default());
        v["settings"] = pretty(&settings);
        v["streamSettings"] = pretty(&ib.stream);
        v["sniffing"] = pretty(&sniffing);
        v["allTime"] = (up + down).into();
    }
    v
}

fn record_json(d: &Data, idx: usize) -> Value {
    let c = &d.clients[idx];
    let mut m = match serde_json::to_value(&c.client) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("id".into(), c.row_id.into());
    m.insert("uuid".into(), c.client.id.clone().into());
    for (snake, camel) in [("created_at", "createdAt"), ("updated_at", "updatedAt")] {
        if let Some(v) = m.remove(snake) {
            m.insert(camel.into(), v);
        }
    }
    m.insert("reverse".into(), Value::Null);
    m.insert("inboundIds".into(), json!(c.inbound_ids));
    m.insert(
        "traffic".into(),
        json!({ "up": c.up, "down": c.down, "enable": c.traffic_enable && c.client.enable }),
    );
    Value::Object(m)
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

fn ids_of(v: &Value) -> Option<Vec<u32>> {
    let ids: Vec<u32> = v
        .as_array()?
        .iter()
        .filter_map(|x| x.as_u64().and_then(|n| u32::try_from(n).ok()))
        .collect();
    (!ids.is_empty()).then_some(ids)
}

fn attach(d: &mut Data, idx: usize, ids: &[u32]) -> Result<(), String> {
    for &id in ids {
        if d.inbound(id).is_none() {
            return Err("record not found".into());
        }
        if !d.clients[idx].inbound_ids.contains(&id) {
            d.clients[idx].inbound_ids.push(id);
        }
    }
    Ok(())
}

fn b_add(d: &mut Data, body: &[u8]) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return fail("invalid JSON body");
    };
    let mut client: Client = match serde_json::from_value(v["client"].clone()) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    if client.email.is_empty() {
        return fail("client email is required");
    }
    if client
        .email
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_whitespace() || c.is_control())
    {
        return fail("invalid email");
    }
    let Some(ids) = ids_of(&v["inboundIds"]) else {
        return fail("at least one inbound is required");
    };
    if let Some(idx) = d.find(&client.email, false) {
        if !client.sub_id.is_empty() && d.clients[idx].client.sub_id == client.sub_id {
            return done(attach(d, idx, &ids));
        }
        return fail(&format!("email already in use: {}", client.email));
    }
    if !client.sub_id.is_empty() && d.clients.iter().any(|c| c.client.sub_id == client.sub_id) {
        return fail(&format!("subId already in use: {}", client.sub_id));
    }
    if client.id.is_empty() {
        client.id = uuid_v4();
    }
    if client.sub_id.is_empty() {
        client.sub_id = uuid_v4();
    }
    client.enable = true;
    let email = client.email.clone();
    if let Err(e) = d.add_client(ids[0], client, false) {
        return fail(&e);
    }
    let idx = d.find(&email, false).expect("just added");
    done(attach(d, idx, &ids[1..]))
}

fn b_update(d: &mut Data, email: &str, body: &[u8]) -> Response {
    let Some(idx) = d.find(email, false) else {
        return fail("record not found");
    };
    let mut new: Client = match serde_json::from_slice(body) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let old = &d.clients[idx].client;
    if new.id.is_empty() {
        new.id.clone_from(&old.id);
    }
    if new.sub_id.is_empty() {
        new.sub_id.clone_from(&old.sub_id);
    }
    if d.clients
        .iter()
        .enumerate()
        .any(|(i, c)| i != idx && c.client.sub_id == new.sub_id)
    {
        return fail(&format!("Duplicate subId: {}", new.sub_id));
    }
    done(d.replace_client(idx, new, false))
}
