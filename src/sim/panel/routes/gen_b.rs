//! Gen B client routes (`panel/api/clients/*`, v3.1+): nested JSON bodies (`{client,
//! inboundIds}`), client records with their own row id and traffic, attaching a client to more
//! inbounds, and emails compared exactly.

use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::panel::Client;
use crate::sim::panel::gin::{done, fail, gin_404, ok};
use crate::sim::panel::state::{Data, uuid_v4};

/// `panel/api/clients/*` routes of Gen B (emails compared exactly).
pub(super) fn route(d: &mut Data, method: &str, segs: &[&str], body: &[u8]) -> Response {
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
