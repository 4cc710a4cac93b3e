//! The panel's data shapes, named as 3x-ui names them (`email`, `subId`, `expiryTime`, `totalGB`,
//! `limitIp`, `flow`, `tgId`, `clientStats`...), parsed leniently (see [`super::lenient`]).
//!
//! Units follow the panel: byte counts are bytes (even `totalGB`), times are Unix **milliseconds**,
//! and a negative `expiryTime` means "this many milliseconds counted from the first connection".
//! Source: `xui-api.md` §7 and the samples in `tests/fixtures/3xui-repo-samples/`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapDeserializer;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::lenient;

/// The `{success, msg, obj}` envelope every panel JSON handler answers with (HTTP 200 even on
/// failure). `obj` is absent or `null` for most writes, and `null` from `server/status` during the
/// first seconds after a panel restart.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope<T> {
    /// Whether the panel did what was asked.
    pub success: bool,
    /// Localised toast text, or `"<text> (<Go error>)"` on failure. Never parse it except as a
    /// last resort.
    #[serde(default, deserialize_with = "lenient::string")]
    pub msg: String,
    /// The payload.
    #[serde(default = "none")]
    pub obj: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// One client inside an inbound's `settings.clients[]` (also the flat body of Gen B
/// `clients/update/{email}` and the `client` of `clients/add`).
///
/// Fields the bot does not manage (`created_at`, `security`, `limitHwid`...) are kept in
/// [`Client::extra`] so a read-modify-write does not drop them (Gen A replaces clients wholesale).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    /// UUID of a VLESS/VMess client (empty for Trojan/Shadowsocks).
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: String,
    /// Trojan / Shadowsocks credential; absent for VLESS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Unique across the whole panel (case-insensitively on v2); the key for traffic and onlines.
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// `""`, `xtls-rprx-vision` or `xtls-rprx-vision-udp443`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub flow: String,
    /// Maximum concurrent source IPs; 0 = unlimited.
    #[serde(default, deserialize_with = "lenient::int")]
    pub limit_ip: i64,
    /// Traffic limit in **bytes** despite the name; 0 = unlimited.
    #[serde(rename = "totalGB", default, deserialize_with = "lenient::int")]
    pub total_gb: i64,
    /// Expiry in Unix milliseconds; 0 = never; negative = that many ms counted from the first
    /// connection (the panel rewrites it to an absolute time on first traffic).
    #[serde(default, deserialize_with = "lenient::int")]
    pub expiry_time: i64,
    /// Disabled clients are removed from Xray. A missing value reads as enabled.
    #[serde(default = "yes", deserialize_with = "lenient::bool_default_true")]
    pub enable: bool,
    /// Telegram user id, 0 = none (older UIs stored `""`).
    #[serde(default, deserialize_with = "lenient::int")]
    pub tg_id: i64,
    /// Subscription id (the path segment after the subscription base URL).
    #[serde(default, deserialize_with = "lenient::string")]
    pub sub_id: String,
    /// Free text.
    #[serde(default, deserialize_with = "lenient::string")]
    pub comment: String,
    /// Auto-renew period in days; 0 = off.
    #[serde(default, deserialize_with = "lenient::int")]
    pub reset: i64,
    /// Every other key, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn yes() -> bool {
    true
}

/// An inbound's `settings` document (VLESS shape; other protocols keep their keys in `extra`).
///
/// Read by [`SettingsSeed`], which can also keep the clients of one email only.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InboundSettings {
    /// The inbound's clients (`null` reads as empty).
    pub clients: Vec<Client>,
    /// VLESS `decryption` (normally `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<String>,
    /// VLESS `encryption`; absent on old rows, which means `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<String>,
    /// Every other key, kept verbatim (`fallbacks`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for InboundSettings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SettingsSeed::default().deserialize(d)
    }
}

/// Reads an [`InboundSettings`] object with every client, or ([`SettingsSeed::keeping`]) only
/// the clients whose email is the one given, compared case-insensitively as the panel does.
/// Clients are read one at a time, so a kept subset never holds the others: at 2,400 clients a
/// whole inbound is about 2.6 MiB once read (heap, measured).
///
/// # Errors
/// When the document is not an object, a key appears twice, or a value has the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsSeed<'a> {
    keep: Option<&'a str>,
}

impl<'a> SettingsSeed<'a> {
    /// Keeps only the clients with this email.
    pub fn keeping(email: &'a str) -> Self {
        Self { keep: Some(email) }
    }
}

impl<'de> DeserializeSeed<'de> for SettingsSeed<'_> {
    type Value = InboundSettings;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<InboundSettings, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SettingsSeed<'_> {
    type Value = InboundSettings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an inbound's settings object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InboundSettings, A::Error> {
        let mut s = InboundSettings::default();
        let (mut clients, mut decryption, mut encryption) = (false, false, false);
        while let Some(key) = map.next_key::<String>()? {
            let seen = match key.as_str() {
                "clients" => std::mem::replace(&mut clients, true),
                "decryption" => std::mem::replace(&mut decryption, true),
                "encryption" => std::mem::replace(&mut encryption, true),
                _ => s.extra.contains_key(&key),
            };
            if seen {
                return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
            }
            match key.as_str() {
                "clients" => s.clients = map.next_value_seed(ClientsSeed { keep: self.keep })?,
                "decryption" => s.decryption = map.next_value()?,
                "encryption" => s.encryption = map.next_value()?,
                _ => {
                    let value = map.next_value()?;
                    s.extra.insert(key, value);
                }
            }
        }
        Ok(s)
    }
}

/// `settings.clients`: an array (`null` reads as empty), filtered as [`SettingsSeed`] says.
struct ClientsSeed<'a> {
    keep: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for ClientsSeed<'_> {
    type Value = Vec<Client>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Client>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ClientsSeed<'_> {
    type Value = Vec<Client>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of clients or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Vec<Client>, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<Client>, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Client>, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Client>, A::Error> {
        let mut clients = Vec::with_capacity(if self.keep.is_some() {
            1
        } else {
            seq.size_hint().unwrap_or(0).min(4096)
        });
        while let Some(client) = seq.next_element::<Client>()? {
            if self
                .keep
                .is_none_or(|e| client.email.eq_ignore_ascii_case(e))
            {
                clients.push(client);
            }
        }
        Ok(clients)
    }
}

/// Traffic row of one client (`clientStats[]`, `getClientTraffics/{email}`, `clients/traffic`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTraffic {
    /// Row id (**not** the client UUID).
    #[serde(default, deserialize_with = "lenient::int")]
    pub id: i64,
    /// The inbound the row was created for.
    #[serde(default, deserialize_with = "lenient::int")]
    pub inbound_id: i64,
    /// False once the traffic job disabled the client (depleted / expired); may lag a manual
    /// disable in `settings` on old panels.
    #[serde(default = "yes", deserialize_with = "lenient::bool_default_true")]
    pub enable: bool,
    /// The client's email.
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// Client UUID (filled by v2.8.4+; empty before).
    #[serde(default, deserialize_with = "lenient::string")]
    pub uuid: String,
    /// Subscription id (v2.8.4+).
    #[serde(default, deserialize_with = "lenient::string")]
    pub sub_id: String,
    /// Uploaded bytes since the last reset.
    #[serde(default, deserialize_with = "lenient::int")]
    pub up: i64,
    /// Downloaded bytes since the last reset.
    #[serde(default, deserialize_with = "lenient::int")]
    pub down: i64,
    /// Limit in bytes (= `totalGB`); 0 = unlimited.
    #[serde(default, deserialize_with = "lenient::int")]
    pub total: i64,
    /// Expiry in Unix ms (negative while a delayed start has not begun).
    #[serde(default, deserialize_with = "lenient::int")]
    pub expiry_time: i64,
    /// Auto-renew period in days.
    #[serde(default, deserialize_with = "lenient::int")]
    pub reset: i64,
    /// All-time bytes (v2.x – v3.0 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_time: Option<i64>,
    /// Last traffic in Unix ms, 0 = never (v2.7+); a value in seconds is scaled to ms.
    #[serde(default, deserialize_with = "lenient::unix_ms")]
    pub last_online: i64,
}

impl ClientTraffic {
    /// Bytes left before the limit (0..=`total`), `None` when unlimited (`total <= 0`). The
    /// counters come from the panel as sent: a negative one counts as 0, and sums saturate.
    pub fn remaining_bytes(&self) -> Option<i64> {
        (self.total > 0).then(|| {
            let used = self.up.max(0).saturating_add(self.down.max(0));
            self.total.saturating_sub(used).max(0)
        })
    }
}

/// An inbound (`inbounds/list`, `inbounds/get/{id}`), whatever the generation: `settings`,
/// `streamSettings` and `sniffing` are parsed from strings (≤ v3.0.x) or nested objects (v3.1+).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inbound {
    /// Inbound id.
    pub id: u32,
    /// Listening port.
    pub port: u16,
    /// `vless`, `vmess`, `trojan`, `shadowsocks`...
    pub protocol: String,
    /// Display name (the first part of the default link remark).
    #[serde(default, deserialize_with = "lenient::string")]
    pub remark: String,
    /// Whether the inbound is on.
    #[serde(default = "yes", deserialize_with = "lenient::bool_default_true")]
    pub enable: bool,
    /// Listen address, `""` = all interfaces.
    #[serde(default, deserialize_with = "lenient::string")]
    pub listen: String,
    /// Xray tag.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tag: String,
    /// Uploaded bytes (inbound total).
    #[serde(default, deserialize_with = "lenient::int")]
    pub up: i64,
    /// Downloaded bytes (inbound total).
    #[serde(default, deserialize_with = "lenient::int")]
    pub down: i64,
    /// Inbound expiry in Unix ms, 0 = never.
    #[serde(default, deserialize_with = "lenient::int")]
    pub expiry_time: i64,
    /// Protocol settings with the clients.
    #[serde(default, deserialize_with = "lenient::nested_or_string")]
    pub settings: InboundSettings,
    /// Transport and security (`network`, `security`, `realitySettings`...): always an object.
    #[serde(
        default = "lenient::empty_object",
        deserialize_with = "lenient::object"
    )]
    pub stream_settings: Value,
    /// Sniffing settings: always an object.
    #[serde(
        default = "lenient::empty_object",
        deserialize_with = "lenient::object"
    )]
    pub sniffing: Value,
    /// Traffic rows; `null` in `get/{id}` (no preload) reads as empty.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub client_stats: Vec<ClientTraffic>,
}

impl Inbound {
    /// Reads an inbound from the JSON text of an answer's `obj`, with every client, or (`only`)
    /// just the clients with that email, compared case-insensitively; with `only`,
    /// `client_stats` are not read (empty). Clients are read one at a time, so a kept one never
    /// holds the others: a whole inbound of 2,400 clients is about 2.6 MiB of heap once read.
    ///
    /// # Errors
    /// When `obj` is not JSON of an inbound's shape.
    pub fn read(obj: &str, only: Option<&str>) -> serde_json::Result<Self> {
        let Some(email) = only else {
            return serde_json::from_str(obj);
        };
        let mut fields: BTreeMap<String, &RawValue> = serde_json::from_str(obj)?;
        let settings = fields.remove("settings");
        fields.remove("clientStats");
        let mut inbound = Self::deserialize(MapDeserializer::new(fields.into_iter()))?;
        if let Some(settings) = settings {
            inbound.settings =
                lenient::nested_or_string_seed(settings, SettingsSeed::keeping(email))?;
        }
        Ok(inbound)
    }

    /// The inbound's clients.
    pub fn clients(&self) -> &[Client] {
        &self.settings.clients
    }

    /// The client with this email (compared case-insensitively, as the panel does).
    pub fn client(&self, email: &str) -> Option<&Client> {
        self.settings
            .clients
            .iter()
            .find(|c| c.email.eq_ignore_ascii_case(email))
    }

    /// `streamSettings.network` (`tcp`, `ws`, `grpc`, `xhttp`...), `""` when unset.
    pub fn network(&self) -> &str {
        self.stream_settings["network"].as_str().unwrap_or("")
    }

    /// `streamSettings.security` (`none`, `tls`, `reality`), `"none"` when unset.
    pub fn security(&self) -> &str {
        self.stream_settings["security"].as_str().unwrap_or("none")
    }
}

/// `obj` of `GET panel/api/server/status` (v2.7+); only the fields the bot reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    /// CPU use in percent.
    #[serde(default)]
    pub cpu: f64,
    /// Xray process state.
    #[serde(default)]
    pub xray: XrayStatus,
    /// Host uptime in seconds.
    #[serde(default, deserialize_with = "lenient::uint")]
    pub uptime: u64,
    /// Panel version (v3.1+).
    #[serde(default)]
    pub panel_version: Option<String>,
}

/// `xray` part of [`ServerStatus`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct XrayStatus {
    /// `running`, `stop` or `error`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: String,
    /// Error text when `state == "error"`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub error_msg: String,
    /// Xray version.
    #[serde(default, deserialize_with = "lenient::string")]
    pub version: String,
}

/// A Gen B client record (`clients/list` entries, `client` of `clients/get/{email}`). Here `id`
/// is the integer row id and the UUID is `uuid`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRecord {
    /// Row id.
    #[serde(default, deserialize_with = "lenient::int")]
    pub id: i64,
    /// Client UUID.
    #[serde(default, deserialize_with = "lenient::string")]
    pub uuid: String,
    /// Inbounds the client is attached to (present in `clients/list`).
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub inbound_ids: Vec<u32>,
    /// Traffic summary (present in `clients/list`).
    #[serde(default)]
    pub traffic: Option<RecordTraffic>,
    /// Every client field (`email`, `subId`, `totalGB`...) and the rest, kept verbatim.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// `traffic` of a [`ClientRecord`].
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct RecordTraffic {
    /// Uploaded bytes.
    #[serde(default, deserialize_with = "lenient::int")]
    pub up: i64,
    /// Downloaded bytes.
    #[serde(default, deserialize_with = "lenient::int")]
    pub down: i64,
    /// Enabled in the traffic table.
    #[serde(default = "yes", deserialize_with = "lenient::bool_default_true")]
    pub enable: bool,
}

impl ClientRecord {
    /// The record as a settings-style [`Client`] (`id` = the UUID), extra keys kept.
    ///
    /// # Errors
    /// When a client field has the wrong type.
    pub fn to_client(&self) -> Result<Client, serde_json::Error> {
        let mut map = self.fields.clone();
        for k in ["createdAt", "updatedAt", "inboundIds", "traffic", "uuid"] {
            map.remove(k);
        }
        map.insert("id".into(), Value::String(self.uuid.clone()));
        serde_json::from_value(Value::Object(map))
    }
}

/// `obj` of Gen B `clients/get/{email}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetail {
    /// The record.
    pub client: ClientRecord,
    /// Inbounds the client is attached to.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub inbound_ids: Vec<u32>,
}

/// `obj` of `lastOnline`: email → Unix ms of the last traffic (0 = never).
pub type LastOnline = BTreeMap<String, i64>;

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"clients":[{"id":"1","email":"A@x"},{"id":"2","email":"b@x"},
        {"id":"3","email":"a@X","created_at":5}],"decryption":"none","fallbacks":[]}"#;

    fn ids(s: &InboundSettings) -> Vec<&str> {
        s.clients.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn settings_keep_every_client_or_those_of_one_email_nested_or_in_a_string() {
        let whole: InboundSettings = serde_json::from_str(DOC).unwrap();
        assert_eq!(ids(&whole), ["1", "2", "3"]);
        assert_eq!(whole.decryption.as_deref(), Some("none"));
        assert_eq!(whole.extra["fallbacks"], serde_json::json!([]));
        assert_eq!(whole.clients[2].extra["created_at"], 5);

        let nested: Value = serde_json::from_str(DOC).unwrap();
        for doc in [nested, Value::String(DOC.to_owned())] {
            let read = |email| {
                lenient::nested_or_string_seed(doc.clone(), SettingsSeed::keeping(email)).unwrap()
            };
            let kept: InboundSettings = read("a@x");
            assert_eq!(ids(&kept), ["1", "3"], "emails compare case-insensitively");
            assert_eq!(
                (&kept.decryption, &kept.extra, &kept.clients[1]),
                (&whole.decryption, &whole.extra, &whole.clients[2])
            );
            assert!(read("nobody").clients.is_empty());
            let all: InboundSettings =
                lenient::nested_or_string_seed(doc, SettingsSeed::default()).unwrap();
            assert_eq!(all, whole);
        }
        for empty in [r#"{"clients":null}"#, "{}"] {
            let s: InboundSettings = serde_json::from_str(empty).unwrap();
            assert_eq!(s, InboundSettings::default(), "{empty}");
        }
    }

    #[test]
    fn settings_of_the_wrong_shape_are_refused_with_what_is_wrong() {
        let err = |text: &str| {
            serde_json::from_str::<InboundSettings>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"clients":[],"clients":[]}"#).contains("duplicate field `clients`"));
        assert!(err(r#"{"x":1,"x":2}"#).contains("duplicate field `x`"));
        assert!(err(r#"{"clients":{}}"#).contains("an array of clients"));
        assert!(err(r#"{"clients":[{"email":[]}]}"#).contains("expected a string, got []"));
        assert!(err("[]").contains("an inbound's settings object"));
        let broken = Value::String("{\"clients\":[".into());
        let broken = lenient::nested_or_string_seed(broken, SettingsSeed::keeping("a"))
            .map(|s: InboundSettings| s.clients.len())
            .unwrap_err()
            .to_string();
        assert!(
            broken.contains("embedded JSON string does not parse"),
            "{broken}"
        );
    }
}
