//! The emulated panel's data: inbounds, clients, traffic rows, and the validation rules of the
//! real panel (`xui-api.md` §6): globally unique emails (case-insensitive on v2), "empty client
//! ID", the last-client rule, delayed-start expiry turning absolute on first traffic.
//!
//! Clients are stored once with the inbounds they are attached to (one in Gen A, one or more in
//! Gen B); an inbound's `settings.clients` is derived from them in insertion order.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::panel::Client;

/// One emulated inbound (without clients).
#[derive(Debug, Clone)]
pub struct SimInbound {
    /// Inbound id.
    pub id: u32,
    /// Port.
    pub port: u16,
    /// Protocol (`vless`).
    pub protocol: String,
    /// Remark.
    pub remark: String,
    /// Xray tag.
    pub tag: String,
    /// `streamSettings` document.
    pub stream: Value,
}

/// One client with its attachments and traffic row.
#[derive(Debug, Clone)]
pub struct SimClient {
    /// Traffic row id (Gen B record id).
    pub row_id: i64,
    /// The stored client (settings form).
    pub client: Client,
    /// Inbounds the client is attached to.
    pub inbound_ids: Vec<u32>,
    /// Uploaded bytes.
    pub up: i64,
    /// Downloaded bytes.
    pub down: i64,
    /// Traffic-table `enable` (false once depleted or expired).
    pub traffic_enable: bool,
    /// Last traffic, Unix ms (0 = never).
    pub last_online: i64,
}

/// All emulated data.
#[derive(Debug, Default)]
pub struct Data {
    /// Inbounds.
    pub inbounds: Vec<SimInbound>,
    /// Clients in creation order.
    pub clients: Vec<SimClient>,
    /// Emails with traffic since the last [`Data::clear_onlines`].
    pub onlines: BTreeSet<String>,
    /// False models 3x-ui #5714/#5849: traffic is counted but a negative (first-use) expiry is
    /// never turned absolute. True (the default) converts on the first traffic.
    pub converts_first_use: bool,
    next_row: i64,
}

/// A refusal in the panel's words (sent as `success:false`).
pub type Refusal = String;

/// Unix ms now (wall clock, as the panel uses).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A random UUID v4 string.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS randomness");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Data {
    /// Two VLESS inbounds without clients: 1 = TCP + Reality on 443, 2 = WS + TLS on 8443.
    pub fn seeded() -> Self {
        let reality = json!({
            "network": "tcp", "security": "reality",
            "tcpSettings": { "header": { "type": "none" } },
            "realitySettings": {
                "show": false, "xver": 0, "target": "yahoo.com:443",
                "serverNames": ["yahoo.com", "www.yahoo.com"], "privateKey": "sim-private-key",
                "shortIds": ["a3f1", "b8c2"],
                "settings": { "publicKey": "Tx5yj1bRcOPHkdvT2pIAQ2zh0gQ8m4OPdnzqXJxxV3o",
                              "fingerprint": "chrome", "serverName": "", "spiderX": "/" }
            }
        });
        let ws_tls = json!({
            "network": "ws", "security": "tls",
            "wsSettings": { "path": "/ws", "host": "cdn.example.test", "headers": {} },
            "tlsSettings": { "serverName": "cdn.example.test", "alpn": ["h2", "http/1.1"],
                             "settings": { "fingerprint": "chrome" } }
        });
        Self {
            inbounds: vec![
                SimInbound {
                    id: 1,
                    port: 443,
                    protocol: "vless".into(),
                    remark: "VLESS-443".into(),
                    tag: "inbound-443".into(),
                    stream: reality,
                },
                SimInbound {
                    id: 2,
                    port: 8443,
                    protocol: "vless".into(),
                    remark: "VLESS-WS".into(),
                    tag: "inbound-8443".into(),
                    stream: ws_tls,
                },
            ],
            clients: Vec::new(),
            onlines: BTreeSet::new(),
            converts_first_use: true,
            next_row: 1,
        }
    }

    /// The inbound with this id.
    pub fn inbound(&self, id: u32) -> Option<&SimInbound> {
        self.inbounds.iter().find(|i| i.id == id)
    }

    /// Clients attached to inbound `id`.
    pub fn clients_of(&self, id: u32) -> impl Iterator<Item = &SimClient> {
        self.clients
            .iter()
            .filter(move |c| c.inbound_ids.contains(&id))
    }

    /// Index of the client with this email (`ci` = case-insensitive, as v2 compares).
    pub fn find(&self, email: &str, ci: bool) -> Option<usize> {
        self.clients.iter().position(|c| {
            if ci {
                c.client.email.eq_ignore_ascii_case(email)
            } else {
                c.client.email == email
            }
        })
    }

    /// Adds a client to `inbound_id` as Gen A `addClient` does.
    ///
    /// # Errors
    /// `record not found`, `empty client ID`, `Duplicate email: x`.
    pub fn add_client(
        &mut self,
        inbound_id: u32,
        mut client: Client,
        ci: bool,
    ) -> Result<(), Refusal> {
        if self.inbound(inbound_id).is_none() {
            return Err("record not found".into());
        }
        if client.id.is_empty() {
            return Err("empty client ID".into());
        }
        if self.find(&client.email, ci).is_some() {
            return Err(format!("Duplicate email: {}", client.email));
        }
        let now = now_ms();
        client.extra.insert("created_at".into(), now.into());
        client.extra.insert("updated_at".into(), now.into());
        let row_id = self.next_row;
        self.next_row += 1;
        self.clients.push(SimClient {
            row_id,
            client,
            inbound_ids: vec![inbound_id],
            up: 0,
            down: 0,
            traffic_enable: true,
            last_online: 0,
        });
        Ok(())
    }

    /// Replaces client `idx` wholesale (keeping `created_at`), as `updateClient` does.
    ///
    /// # Errors
    /// `Duplicate email: x` when the new email belongs to another client.
    pub fn replace_client(
        &mut self,
        idx: usize,
        mut client: Client,
        ci: bool,
    ) -> Result<(), Refusal> {
        if let Some(other) = self.find(&client.email, ci)
            && other != idx
        {
            return Err(format!("Duplicate email: {}", client.email));
        }
        let old = &self.clients[idx].client;
        if let Some(created) = old.extra.get("created_at").cloned() {
            client.extra.insert("created_at".into(), created);
        }
        client.extra.insert("updated_at".into(), now_ms().into());
        let entry = &mut self.clients[idx];
        if client.enable && !entry.client.enable {
            entry.traffic_enable = true;
        }
        if !client.enable {
            entry.traffic_enable = false;
        }
        entry.client = client;
        Ok(())
    }

    /// Deletes client `idx` unless it is the last client of one of its inbounds.
    ///
    /// # Errors
    /// `no client remained in Inbound`.
    pub fn delete_client(&mut self, idx: usize) -> Result<(), Refusal> {
        let last = self.clients[idx]
            .inbound_ids
            .iter()
            .any(|&ib| self.clients_of(ib).count() <= 1);
        if last {
            return Err("no client remained in Inbound".into());
        }
        let gone = self.clients.remove(idx);
        self.onlines.remove(&gone.client.email);
        Ok(())
    }

    /// Adds traffic as the panel's traffic job would see it: counters grow, `lastOnline` and the
    /// online list are updated, a negative (delayed-start) expiry becomes `now + N days`, and the
    /// client is disabled in the traffic table once depleted or expired.
    ///
    /// Returns false for an unknown email.
    pub fn advance_traffic(&mut self, email: &str, up: i64, down: i64) -> bool {
        let Some(idx) = self.find(email, true) else {
            return false;
        };
        let now = now_ms();
        let c = &mut self.clients[idx];
        c.up += up;
        c.down += down;
        c.last_online = now;
        if c.client.expiry_time < 0 && self.converts_first_use {
            c.client.expiry_time = now - c.client.expiry_time;
        }
        let depleted = c.client.total_gb > 0 && c.up + c.down >= c.client.total_gb;
        let expired = c.client.expiry_time > 0 && c.client.expiry_time <= now;
        if depleted || expired {
            c.traffic_enable = false;
        }
        let email = c.client.email.clone();
        self.onlines.insert(email);
        true
    }

    /// Empties the online list (the next poll saw no traffic).
    pub fn clear_onlines(&mut self) {
        self.onlines.clear();
    }

    /// The traffic row of client `idx` (`clientStats[]` / `getClientTraffics` shape).
    pub fn traffic_json(&self, idx: usize, gen_b: bool) -> Value {
        let c = &self.clients[idx];
        let mut row = json!({
            "id": c.row_id,
            "inboundId": c.inbound_ids.first().copied().unwrap_or(0),
            "enable": c.traffic_enable && c.client.enable,
            "email": c.client.email,
            "uuid": c.client.id,
            "subId": c.client.sub_id,
            "up": c.up,
            "down": c.down,
            "total": c.client.total_gb,
            "expiryTime": c.client.expiry_time,
            "reset": c.client.reset,
            "lastOnline": c.last_online,
        });
        if gen_b {
            row["lastSubFetch"] = 0.into();
            row["resetCount"] = 0.into();
            row["resetDay"] = 0.into();
            row["resetMax"] = 0.into();
        } else {
            row["allTime"] = (c.up + c.down).into();
        }
        row
    }
}
