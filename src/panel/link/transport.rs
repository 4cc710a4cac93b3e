//! Query parameters of a `vless://` link for each transport and security layer.
//!
//! Each function reads one part of 3x-ui's `streamSettings` and appends the parameters 3x-ui
//! writes for it (names and rules from `internal/sub/service.go` and the v3 UI). Missing
//! optional fields read as empty; fields of the wrong type are [`LinkError::Malformed`].

use serde_json::{Map, Value};

use super::{LinkError, Params, derive_spider_x, malformed, opt_object, opt_str, str_list};

type Obj = Map<String, Value>;

/// Appends the transport parameters of `network` (`tcp`, `ws`, `grpc`, `httpupgrade`, `xhttp`,
/// `kcp`, legacy `http` and `quic`).
pub(super) fn network_params(
    stream: &Obj,
    network: &str,
    params: &mut Params,
) -> Result<(), LinkError> {
    let empty = Obj::new();
    let settings_of = |key: &str| opt_object(stream, key, key).map(|o| o.unwrap_or(&empty));
    match network {
        "tcp" => tcp_params(settings_of("tcpSettings")?, params)?,
        "ws" => path_and_host("wsSettings", settings_of("wsSettings")?, params)?,
        "httpupgrade" => path_and_host(
            "httpupgradeSettings",
            settings_of("httpupgradeSettings")?,
            params,
        )?,
        "grpc" => {
            let grpc = settings_of("grpcSettings")?;
            let service = opt_str(grpc, "serviceName", "grpcSettings.serviceName")?;
            let authority = opt_str(grpc, "authority", "grpcSettings.authority")?;
            params.push(("serviceName", service.unwrap_or_default().to_owned()));
            params.push(("authority", authority.unwrap_or_default().to_owned()));
            if grpc.get("multiMode").and_then(Value::as_bool) == Some(true) {
                params.push(("mode", "multi".into()));
            }
        }
        "xhttp" => xhttp_params(settings_of("xhttpSettings")?, params)?,
        "kcp" => kcp_params(settings_of("kcpSettings")?, params)?,
        "http" => {
            let http = settings_of("httpSettings")?;
            let path = opt_str(http, "path", "httpSettings.path")?;
            params.push(("path", path.unwrap_or_default().to_owned()));
            params.push((
                "host",
                str_list(http, "host", "httpSettings.host")?.join(","),
            ));
        }
        "quic" => {
            let quic = settings_of("quicSettings")?;
            let security = opt_str(quic, "security", "quicSettings.security")?;
            let key = opt_str(quic, "key", "quicSettings.key")?;
            params.push(("quicSecurity", security.unwrap_or("none").to_owned()));
            params.push(("key", key.unwrap_or_default().to_owned()));
            params.push(("headerType", header_type(quic, "quicSettings")?.to_owned()));
        }
        other => {
            return Err(LinkError::UnsupportedNetwork {
                network: other.to_owned(),
            });
        }
    }
    Ok(())
}

/// tcp: only the HTTP camouflage header adds parameters (`path`, `host`, `headerType=http`).
fn tcp_params(tcp: &Obj, params: &mut Params) -> Result<(), LinkError> {
    let Some(header) = opt_object(tcp, "header", "tcpSettings.header")? else {
        return Ok(());
    };
    if opt_str(header, "type", "tcpSettings.header.type")? != Some("http") {
        return Ok(());
    }
    let empty = Obj::new();
    let request = opt_object(header, "request", "tcpSettings.header.request")?.unwrap_or(&empty);
    let paths = str_list(request, "path", "tcpSettings.header.request.path")?;
    params.push(("path", paths.first().copied().unwrap_or("/").to_owned()));
    let response_host = match opt_object(header, "response", "tcpSettings.header.response")? {
        Some(response) => header_host(response, "tcpSettings.header.response.headers")?,
        None => "",
    };
    let host = if response_host.is_empty() {
        header_host(request, "tcpSettings.header.request.headers")?
    } else {
        response_host
    };
    if !host.is_empty() {
        params.push(("host", host.to_owned()));
    }
    params.push(("headerType", "http".into()));
    Ok(())
}

/// ws / httpupgrade: `path`, and `host` from the settings or else the `Host` header.
fn path_and_host(name: &str, settings: &Obj, params: &mut Params) -> Result<(), LinkError> {
    let path = opt_str(settings, "path", &format!("{name}.path"))?;
    params.push(("path", path.unwrap_or_default().to_owned()));
    let host = match opt_str(settings, "host", &format!("{name}.host"))? {
        Some(host) if !host.is_empty() => host,
        _ => header_host(settings, &format!("{name}.headers"))?,
    };
    params.push(("host", host.to_owned()));
    Ok(())
}

/// xhttp: `path`, `host`, `mode`, `x_padding_bytes` and the JSON `extra` blob.
fn xhttp_params(xhttp: &Obj, params: &mut Params) -> Result<(), LinkError> {
    path_and_host("xhttpSettings", xhttp, params)?;
    let mode = opt_str(xhttp, "mode", "xhttpSettings.mode")?;
    if let Some(mode) = mode {
        params.push(("mode", mode.to_owned()));
    }
    let padding = opt_str(xhttp, "xPaddingBytes", "xhttpSettings.xPaddingBytes")?;
    if let Some(padding) = padding.filter(|p| !p.is_empty()) {
        params.push(("x_padding_bytes", padding.to_owned()));
    }
    let extra = xhttp_extra(xhttp);
    if !extra.is_empty() {
        params.push(("extra", Value::Object(extra).to_string()));
    }
    Ok(())
}

/// The client-side xhttp fields 3x-ui packs into `extra` (server-only fields and values equal
/// to xray-core's defaults are left out; the `Host` header is already a parameter).
fn xhttp_extra(xhttp: &Obj) -> Obj {
    let mut extra = xhttp_extra_strings(xhttp);
    if let Some(chunk) = xhttp.get("uplinkChunkSize").filter(|v| is_non_zero(v)) {
        extra.insert("uplinkChunkSize".into(), chunk.clone());
    }
    if xhttp.get("noGRPCHeader").and_then(Value::as_bool) == Some(true) {
        extra.insert("noGRPCHeader".into(), true.into());
    }
    for key in ["xmux", "downloadSettings"] {
        match xhttp.get(key) {
            Some(Value::Object(o)) if !o.is_empty() => {
                extra.insert(key.into(), Value::Object(o.clone()));
            }
            Some(Value::Array(a)) if !a.is_empty() => {
                extra.insert(key.into(), Value::Array(a.clone()));
            }
            _ => {}
        }
    }
    if let Some(Value::Object(headers)) = xhttp.get("headers") {
        let kept: Obj = headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        if !kept.is_empty() {
            extra.insert("headers".into(), Value::Object(kept));
        }
    }
    extra
}

/// The string fields of the xhttp `extra` blob, with the pre-#6258 session aliases.
fn xhttp_extra_strings(xhttp: &Obj) -> Obj {
    const STRINGS: [&str; 11] = [
        "mode",
        "xPaddingBytes",
        "uplinkHTTPMethod",
        "sessionIDPlacement",
        "sessionIDKey",
        "sessionIDTable",
        "sessionIDLength",
        "seqPlacement",
        "seqKey",
        "uplinkDataPlacement",
        "uplinkDataKey",
    ];
    const PADDING: [&str; 4] = [
        "xPaddingKey",
        "xPaddingHeader",
        "xPaddingPlacement",
        "xPaddingMethod",
    ];
    let non_empty_str = |key: &str| {
        xhttp
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let obfs = xhttp.get("xPaddingObfsMode").and_then(Value::as_bool) == Some(true);
    let padding: &[&str] = if obfs { &PADDING } else { &[] };
    let mut extra = Obj::new();
    for key in STRINGS.iter().chain(padding) {
        if let Some(v) = non_empty_str(key) {
            extra.insert((*key).to_owned(), v.into());
        }
    }
    if obfs {
        extra.insert("xPaddingObfsMode".into(), true.into());
    }
    for (key, default) in [
        ("scMaxEachPostBytes", "1000000"),
        ("scMinPostsIntervalMs", "30"),
    ] {
        if let Some(v) = non_empty_str(key).filter(|v| *v != default) {
            extra.insert(key.into(), v.into());
        }
    }
    for (alias, canonical) in [
        ("sessionPlacement", "sessionIDPlacement"),
        ("sessionKey", "sessionIDKey"),
    ] {
        if let Some(v) = non_empty_str(canonical).or_else(|| non_empty_str(alias)) {
            extra.insert(canonical.into(), v.into());
            extra.insert(alias.into(), v.into());
        }
    }
    extra
}

fn is_non_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

/// kcp: `headerType` (unless none), `seed`, and positive `mtu` / `tti`.
fn kcp_params(kcp: &Obj, params: &mut Params) -> Result<(), LinkError> {
    let header = header_type(kcp, "kcpSettings")?;
    if header != "none" {
        params.push(("headerType", header.to_owned()));
    }
    if let Some(seed) = opt_str(kcp, "seed", "kcpSettings.seed")?.filter(|s| !s.is_empty()) {
        params.push(("seed", seed.to_owned()));
    }
    for key in ["mtu", "tti"] {
        if let Some(n) = kcp.get(key).and_then(Value::as_u64).filter(|n| *n > 0) {
            params.push((key, n.to_string()));
        }
    }
    Ok(())
}

/// `settings.header.type`, `none` when absent.
fn header_type<'v>(settings: &'v Obj, name: &str) -> Result<&'v str, LinkError> {
    let field = format!("{name}.header");
    Ok(match opt_object(settings, "header", &field)? {
        Some(header) => opt_str(header, "type", &format!("{field}.type"))?
            .filter(|t| !t.is_empty())
            .unwrap_or("none"),
        None => "none",
    })
}

/// The `Host` entry (any case) of `obj.headers`: a string, or the first of a list.
fn header_host<'v>(obj: &'v Obj, field: &str) -> Result<&'v str, LinkError> {
    let Some(headers) = opt_object(obj, "headers", field)? else {
        return Ok("");
    };
    let Some((_, value)) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("host")) else {
        return Ok("");
    };
    match value {
        Value::String(s) => Ok(s),
        Value::Array(items) => Ok(items.first().and_then(Value::as_str).unwrap_or_default()),
        Value::Null => Ok(""),
        _ => Err(malformed(field, "has a Host header that is not a string")),
    }
}

/// tls: `fp`, `alpn`, `sni`, `ech`, `vcn`, `pcs` from `tlsSettings` (each only when set).
pub(super) fn tls_params(stream: &Obj, params: &mut Params) -> Result<(), LinkError> {
    let Some(tls) = opt_object(stream, "tlsSettings", "tlsSettings")? else {
        return Ok(());
    };
    let empty = Obj::new();
    let client = opt_object(tls, "settings", "tlsSettings.settings")?.unwrap_or(&empty);
    let field = |key: &str| format!("tlsSettings.settings.{key}");
    push_set(
        params,
        "fp",
        opt_str(client, "fingerprint", &field("fingerprint"))?,
    );
    let alpn = str_list(tls, "alpn", "tlsSettings.alpn")?;
    if !alpn.is_empty() {
        params.push(("alpn", alpn.join(",")));
    }
    push_set(
        params,
        "sni",
        opt_str(tls, "serverName", "tlsSettings.serverName")?,
    );
    push_set(
        params,
        "ech",
        opt_str(client, "echConfigList", &field("echConfigList"))?,
    );
    let vcn = opt_str(
        client,
        "verifyPeerCertByName",
        &field("verifyPeerCertByName"),
    )?;
    push_set(params, "vcn", vcn);
    let pins = str_list(
        client,
        "pinnedPeerCertSha256",
        &field("pinnedPeerCertSha256"),
    )?;
    if !pins.is_empty() {
        params.push(("pcs", pins.join(",")));
    }
    Ok(())
}

/// Appends `name=value` when `value` is present and not empty.
fn push_set(params: &mut Params, name: &'static str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        params.push((name, v.to_owned()));
    }
}

/// reality: `pbk` (required), `fp`, `sni`, `sid`, `spx`, `pqv` from `realitySettings`.
///
/// `sni` is `settings.serverName`, else the first `serverNames` entry, else the host of
/// `target` (`dest` before 3x-ui 2.8); `sid` the first `shortIds` entry; `spx` is derived from
/// `settings.spiderX` and `client_key` (the client's subId, else its email).
pub(super) fn reality_params(
    stream: &Obj,
    client_key: &str,
    params: &mut Params,
) -> Result<(), LinkError> {
    let reality = opt_object(stream, "realitySettings", "realitySettings")?
        .ok_or_else(|| malformed("realitySettings", "is missing"))?;
    let empty = Obj::new();
    let client = opt_object(reality, "settings", "realitySettings.settings")?.unwrap_or(&empty);
    let field = |key: &str| format!("realitySettings.settings.{key}");
    let public_key = opt_str(client, "publicKey", &field("publicKey"))?.unwrap_or_default();
    if public_key.is_empty() {
        return Err(malformed(
            &field("publicKey"),
            "is empty (a reality link needs it)",
        ));
    }
    params.push(("pbk", public_key.to_owned()));
    push_set(
        params,
        "fp",
        opt_str(client, "fingerprint", &field("fingerprint"))?,
    );
    let names = str_list(reality, "serverNames", "realitySettings.serverNames")?;
    let target = match opt_str(reality, "target", "realitySettings.target")? {
        Some(t) if !t.is_empty() => Some(t),
        _ => opt_str(reality, "dest", "realitySettings.dest")?,
    };
    let sni = opt_str(client, "serverName", &field("serverName"))?
        .filter(|s| !s.is_empty())
        .or_else(|| names.first().copied().filter(|s| !s.is_empty()))
        .or_else(|| {
            target
                .and_then(|t| t.split(':').next())
                .filter(|s| !s.is_empty())
        });
    if let Some(sni) = sni {
        params.push(("sni", sni.to_owned()));
    }
    if let Some(sid) = str_list(reality, "shortIds", "realitySettings.shortIds")?.first() {
        params.push(("sid", (*sid).to_owned()));
    }
    let seed = opt_str(client, "spiderX", &field("spiderX"))?.unwrap_or_default();
    if let Some(spx) = derive_spider_x(seed, client_key) {
        params.push(("spx", spx));
    }
    push_set(
        params,
        "pqv",
        opt_str(client, "mldsa65Verify", &field("mldsa65Verify"))?,
    );
    Ok(())
}
