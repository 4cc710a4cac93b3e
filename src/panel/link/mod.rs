//! `vless://` share links and subscription URLs, built the way 3x-ui builds them.
//!
//! The customer's link is built here from plain inputs ([`LinkInbound`], [`LinkClient`]) instead
//! of being fetched from the panel, because the panel's own link endpoints use the host the request
//! came in on (`127.0.0.1` for a bot next to the panel). The shape follows 3x-ui v3
//! (`frontend/src/lib/xray/inbound-link.ts` and `internal/sub/service.go`):
//! `vless://{uuid}@{host}:{port}?{query}#{fragment}` with the query parameters in the UI's order
//! (`type`, `encryption`, transport, `security`, security parameters, `flow`), encoded like
//! `URLSearchParams` (space ⇒ `+`, `/` ⇒ `%2F`). Deterministic choices are made where the
//! subscription server picks at random: the first reality `serverNames`/`shortIds` entry, and
//! `spx` derived from the client's subscription id as in 3x-ui v3.5+. The fragment is the remark
//! the caller passes, as in 3x-ui's `genVlessLink(remark)`; [`remark_with_email`] gives the
//! subscription form `{inbound remark}-{email}` so a customer with two subscriptions can tell
//! them apart.
//!
//! Not covered: `externalProxy` fan-out (one link per proxy), VLESS-level encryption
//! (`encryption` is always `none`), finalmask (`fm`) and the vless route baked into the UUID.
//! This module does no I/O and never panics on odd input: every problem is a [`LinkError`].

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

mod transport;

#[cfg(test)]
mod tests;

/// The parts of a 3x-ui inbound a link needs.
#[derive(Debug, Clone, Copy)]
pub struct LinkInbound<'a> {
    /// The inbound's port; the link's port.
    pub port: u16,
    /// The inbound's protocol; must be `vless`.
    pub protocol: &'a str,
    /// The link's fragment: the name a VPN app shows (3x-ui passes the inbound's remark; see
    /// [`remark_with_email`]).
    pub remark: &'a str,
    /// The inbound's `streamSettings` as 3x-ui stores it: a JSON object (v3.1+), or a string
    /// holding that object (≤ v3.0.x); both are accepted.
    pub stream_settings: &'a Value,
}

/// The parts of a panel client a link needs.
#[derive(Debug, Clone, Copy)]
pub struct LinkClient<'a> {
    /// The client's UUID (`id` in `settings.clients[]`, `uuid` in Gen B records).
    pub id: &'a str,
    /// The client's email (the panel-wide unique name); seeds `spx` when `sub_id` is empty.
    pub email: &'a str,
    /// The client's flow (`""`, `xtls-rprx-vision`...); emitted only for tcp + tls/reality.
    /// Pass `""` for an inbound with `disableFlow` set.
    pub flow: &'a str,
    /// The client's `subId` (may be empty). With the email as fallback it seeds the reality
    /// `spx` value exactly as 3x-ui does, so panel, subscription and bot links agree.
    pub sub_id: &'a str,
}

/// Why no link could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The inbound is not a VLESS inbound.
    #[error("inbound protocol is `{protocol}`; only vless inbounds have vless links")]
    NotVless {
        /// The protocol found.
        protocol: String,
    },
    /// `streamSettings` is missing a required value or has one of the wrong type.
    #[error("malformed stream settings: `{field}` {problem}")]
    Malformed {
        /// Dotted path of the offending field (`realitySettings.settings.publicKey`).
        field: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A transport (`streamSettings.network`) this module cannot express.
    #[error("unsupported network `{network}`")]
    UnsupportedNetwork {
        /// The network found.
        network: String,
    },
    /// A security layer other than `none`, `tls` or `reality`.
    #[error("unsupported security `{security}`")]
    UnsupportedSecurity {
        /// The security found.
        security: String,
    },
    /// The public host is empty or not a hostname / IP address.
    #[error("invalid public host `{host}`: {problem}")]
    InvalidHost {
        /// The host given.
        host: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The client id is empty.
    #[error("client id is empty")]
    EmptyClientId,
    /// The inbound port is 0.
    #[error("inbound port is 0")]
    ZeroPort,
}

/// What `encodeURIComponent` leaves alone: letters, digits and `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Query parameters in insertion order (names are unique by construction).
pub(crate) type Params = Vec<(&'static str, String)>;

/// Builds the `vless://` link of `client` on `inbound`, reached at `public_host`.
///
/// `public_host` is the shop's address for customers (`vpn.example.com`, `203.0.113.7`, `2001:db8::1`
/// or `[2001:db8::1]`; IPv6 is bracketed in the link), never the panel's. The fragment is
/// `inbound.remark`, percent-encoded like `encodeURIComponent`.
///
/// # Errors
/// [`LinkError`] when the inbound is not VLESS, the stream settings are not an object or hold a
/// field of the wrong type, the network or security is unknown, a reality inbound has no public
/// key, the host is not a hostname or IP address, the client id is empty or the port is 0.
pub fn vless_link(
    inbound: &LinkInbound<'_>,
    client: &LinkClient<'_>,
    public_host: &str,
) -> Result<String, LinkError> {
    if inbound.protocol != "vless" {
        return Err(LinkError::NotVless {
            protocol: inbound.protocol.to_owned(),
        });
    }
    if inbound.port == 0 {
        return Err(LinkError::ZeroPort);
    }
    if client.id.trim().is_empty() {
        return Err(LinkError::EmptyClientId);
    }
    let host = url_host(public_host)?;
    let stream = stream_object(inbound.stream_settings)?;
    let params = query_params(&stream, client)?;
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let user = utf8_percent_encode(client.id.trim(), COMPONENT);
    let fragment = utf8_percent_encode(inbound.remark, COMPONENT);
    Ok(format!(
        "vless://{user}@{host}:{port}?{query}#{fragment}",
        port = inbound.port
    ))
}

/// The customer's link on `inbound` as the shop hands it out: the remark is
/// `{inbound remark}-{email}` ([`remark_with_email`]), the flow empty, the host `public_host`.
/// Used at approval and by `/status`, so both give the same link.
///
/// # Errors
/// As [`vless_link`].
pub fn customer_link(
    inbound: &super::Inbound,
    uuid: &str,
    email: &str,
    sub_id: &str,
    public_host: &str,
) -> Result<String, LinkError> {
    let remark = remark_with_email(&inbound.remark, email);
    let link_inbound = LinkInbound {
        port: inbound.port,
        protocol: &inbound.protocol,
        remark: &remark,
        stream_settings: &inbound.stream_settings,
    };
    let client = LinkClient {
        id: uuid,
        email,
        flow: "",
        sub_id,
    };
    vless_link(&link_inbound, &client, public_host)
}

/// 3x-ui's subscription remark without a template: `{inbound remark}-{email}`, empty parts
/// skipped.
#[must_use]
pub fn remark_with_email(inbound_remark: &str, email: &str) -> String {
    [inbound_remark, email]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The stream settings as an object, parsing them first when 3x-ui sent a JSON string.
fn stream_object(value: &Value) -> Result<Cow<'_, Map<String, Value>>, LinkError> {
    match value {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Cow::Owned(map)),
            Ok(_) => Err(malformed("", "is not an object")),
            Err(_) => Err(malformed("", "is not JSON")),
        },
        other => as_object(other, "").map(Cow::Borrowed),
    }
}

/// The query parameters in 3x-ui's UI order: type, encryption, transport, security, flow.
fn query_params(stream: &Map<String, Value>, client: &LinkClient<'_>) -> Result<Params, LinkError> {
    let network = opt_str(stream, "network", "network")?.unwrap_or("tcp");
    let mut params: Params = vec![("type", network.to_owned()), ("encryption", "none".into())];
    transport::network_params(stream, network, &mut params)?;

    let security = opt_str(stream, "security", "security")?.unwrap_or("none");
    match security {
        "" | "none" => params.push(("security", "none".into())),
        "tls" => {
            params.push(("security", "tls".into()));
            transport::tls_params(stream, &mut params)?;
        }
        "reality" => {
            params.push(("security", "reality".into()));
            let key = if client.sub_id.is_empty() {
                client.email
            } else {
                client.sub_id
            };
            transport::reality_params(stream, key, &mut params)?;
        }
        other => {
            return Err(LinkError::UnsupportedSecurity {
                security: other.to_owned(),
            });
        }
    }
    // XTLS Vision needs raw TCP under tls/reality (3x-ui's vlessFlowAllowed without VLESS
    // encryption, which this module does not support).
    if !client.flow.is_empty() && network == "tcp" && matches!(security, "tls" | "reality") {
        params.push(("flow", client.flow.to_owned()));
    }
    Ok(params)
}

/// The subscription URL of a client: `base` joined to `sub_id` with exactly one `/`.
///
/// `base` is the shop's subscription prefix (`https://sub.example.com/sub` or
/// `https://sub.example.com/sub/`); `sub_id` is percent-encoded as a path segment.
pub fn subscription_url(base: &str, sub_id: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let sub_id = utf8_percent_encode(sub_id.trim().trim_start_matches('/'), COMPONENT);
    format!("{base}/{sub_id}")
}

/// The `spx` value of 3x-ui v3.5+: `/` + the first 15 hex digits of SHA-256(`seed|key`), or
/// `None` when both are empty (3x-ui's UI then omits `spx`).
pub(crate) fn derive_spider_x(seed: &str, client_key: &str) -> Option<String> {
    if seed.is_empty() && client_key.is_empty() {
        return None;
    }
    let digest = Sha256::digest(format!("{seed}|{client_key}").as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(15);
    Some(format!("/{hex}"))
}

/// Validates `host` and brackets IPv6 literals for the URL authority.
fn url_host(host: &str) -> Result<String, LinkError> {
    let invalid = |problem| LinkError::InvalidHost {
        host: host.to_owned(),
        problem,
    };
    let bare = host.trim();
    let bare = bare
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(bare);
    if bare.is_empty() {
        return Err(invalid("it is empty"));
    }
    if bare.contains(':') {
        return bare
            .parse::<std::net::Ipv6Addr>()
            .map(|ip| format!("[{ip}]"))
            .map_err(|_| invalid("a host with `:` must be an IPv6 address (no port here)"));
    }
    let ok = bare
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !ok {
        return Err(invalid(
            "only letters, digits, `-`, `_` and `.` are allowed",
        ));
    }
    Ok(bare.to_owned())
}

pub(crate) fn malformed(field: &str, problem: &'static str) -> LinkError {
    LinkError::Malformed {
        field: if field.is_empty() {
            "streamSettings".to_owned()
        } else {
            field.to_owned()
        },
        problem,
    }
}

/// `value` as an object, or a [`LinkError::Malformed`] naming `field`.
pub(crate) fn as_object<'v>(
    value: &'v Value,
    field: &str,
) -> Result<&'v Map<String, Value>, LinkError> {
    value
        .as_object()
        .ok_or_else(|| malformed(field, "is not an object"))
}

/// `obj[key]` as a string; `None` when absent or null, an error when of another type.
pub(crate) fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'v str>, LinkError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(field, "is not a string")),
    }
}

/// `obj[key]` as an object; `None` when absent or null, an error when of another type.
pub(crate) fn opt_object<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'v Map<String, Value>>, LinkError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(malformed(field, "is not an object")),
    }
}

/// `obj[key]` as a list of strings; empty when absent or null, an error for other types.
pub(crate) fn str_list<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Vec<&'v str>, LinkError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| malformed(field, "holds a non-string"))
            })
            .collect(),
        Some(_) => Err(malformed(field, "is not a list")),
    }
}
