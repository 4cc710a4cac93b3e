//! The emulated `panel/api/*` routes. This file dispatches and answers what both generations
//! share (server status, the inbound list and one inbound, `onlines` and `lastOnline`); client
//! routes are in [`gen_a`] (`inbounds/*`, `settings` as a JSON string) and [`gen_b`]
//! (`clients/*`, nested JSON). Refusals are `success:false` with HTTP 200 and the panel's
//! `"<text> (<Go error>)"` message (see [`super::gin`]).

mod gen_a;
mod gen_b;

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::Shared;
use super::gin::{decode, fail, gin_404, ok};
use super::state::{Data, SimInbound};
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
            if let Some(r) = presence_route(&d, m, rest) {
                r
            } else if gen_b {
                gen_b::route(&mut d, m, rest, body)
            } else {
                gen_a::route(
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
