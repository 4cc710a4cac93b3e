//! One test per network/security combination, IPv6 hosts, bad input and subscription URLs.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

fn build(stream: &Value, flow: &str, host: &str) -> Result<String, LinkError> {
    let inbound = LinkInbound {
        port: 8443,
        protocol: "vless",
        remark: "Shop VPN",
        stream_settings: stream,
    };
    let client = LinkClient {
        id: "11111111-2222-4333-8444-555555555555",
        email: "tg42_1",
        flow,
        sub_id: "sub42",
    };
    vless_link(&inbound, &client, host)
}

fn query(stream: &Value, flow: &str) -> BTreeMap<String, Vec<String>> {
    parts(&build(stream, flow, "vpn.example.com").unwrap()).query
}

fn q(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

const VISION: &str = "xtls-rprx-vision";

#[test]
fn tcp_none_has_no_flow_and_encodes_remark_like_encode_uri_component() {
    let stream =
        json!({"network": "tcp", "security": "none", "tcpSettings": {"header": {"type": "none"}}});
    let link = build(&stream, VISION, "vpn.example.com").unwrap();
    assert_eq!(
        link,
        "vless://11111111-2222-4333-8444-555555555555@vpn.example.com:8443?type=tcp&encryption=none&security=none#Shop%20VPN"
    );
}

#[test]
fn tcp_http_header_gives_path_host_and_header_type() {
    let stream = json!({"network": "tcp", "security": "none", "tcpSettings": {"header": {
        "type": "http",
        "request": {"path": ["/a b", "/second"], "headers": {"host": ["h1.example", "h2.example"]}}
    }}});
    let link = build(&stream, "", "vpn.example.com").unwrap();
    assert!(
        link.contains("path=%2Fa+b"),
        "URLSearchParams encoding: {link}"
    );
    let want = q(&[
        ("type", "tcp"),
        ("encryption", "none"),
        ("path", "/a b"),
        ("host", "h1.example"),
        ("headerType", "http"),
        ("security", "none"),
    ]);
    assert_eq!(query(&stream, ""), want);
}

#[test]
fn tcp_tls_carries_flow_and_tls_parameters() {
    let stream = json!({"network": "tcp", "security": "tls", "tlsSettings": {
        "serverName": "vpn.example.com", "alpn": ["h2"],
        "settings": {"fingerprint": "firefox", "echConfigList": "ECH=", "verifyPeerCertByName": "vpn.example.com"}
    }});
    let want = q(&[
        ("type", "tcp"),
        ("encryption", "none"),
        ("security", "tls"),
        ("fp", "firefox"),
        ("alpn", "h2"),
        ("sni", "vpn.example.com"),
        ("ech", "ECH="),
        ("vcn", "vpn.example.com"),
        ("flow", VISION),
    ]);
    assert_eq!(query(&stream, VISION), want);
}

#[test]
fn reality_sni_falls_back_to_target_host_and_spx_uses_sub_id() {
    let stream = json!({"network": "tcp", "security": "reality", "realitySettings": {
        "target": "www.example.org:443", "serverNames": [], "shortIds": ["", "ab"],
        "settings": {"publicKey": "PBK", "fingerprint": "chrome", "spiderX": "/", "mldsa65Verify": "PQV"}
    }});
    let q = query(&stream, VISION);
    assert_eq!(q["sni"], ["www.example.org"]);
    assert_eq!(q["sid"], [""], "the first short id, even when empty");
    assert_eq!(q["pqv"], ["PQV"]);
    assert_eq!(q["spx"], [derive_spider_x("/", "sub42").unwrap()]);
    assert_ne!(q["spx"], [derive_spider_x("/", "tg42_1").unwrap()]);
    assert_eq!(q["flow"], [VISION]);
}

#[test]
fn reality_without_public_key_is_an_error() {
    let stream =
        json!({"network": "tcp", "security": "reality", "realitySettings": {"settings": {}}});
    let err = build(&stream, "", "vpn.example.com").unwrap_err();
    assert!(
        matches!(&err, LinkError::Malformed { field, .. } if field == "realitySettings.settings.publicKey"),
        "{err}"
    );
}

#[test]
fn ws_tls_uses_host_header_when_host_is_empty_and_drops_flow() {
    let stream = json!({"network": "ws", "security": "tls",
        "wsSettings": {"path": "/ws?ed=2048", "host": "", "headers": {"Host": "cdn.example"}},
        "tlsSettings": {"serverName": "cdn.example", "alpn": [], "settings": {"fingerprint": ""}}});
    let want = q(&[
        ("type", "ws"),
        ("encryption", "none"),
        ("path", "/ws?ed=2048"),
        ("host", "cdn.example"),
        ("security", "tls"),
        ("sni", "cdn.example"),
    ]);
    assert_eq!(query(&stream, VISION), want);
}

#[test]
fn grpc_reality_has_service_name_authority_multi_mode_and_no_flow() {
    let stream = json!({"network": "grpc", "security": "reality",
        "grpcSettings": {"serviceName": "svc", "authority": "a.example", "multiMode": true},
        "realitySettings": {"serverNames": ["r.example"], "shortIds": ["01"],
            "settings": {"publicKey": "PBK", "fingerprint": "chrome", "spiderX": ""}}});
    let q = query(&stream, VISION);
    assert_eq!(q["serviceName"], ["svc"]);
    assert_eq!(q["authority"], ["a.example"]);
    assert_eq!(q["mode"], ["multi"]);
    assert_eq!(q["sni"], ["r.example"]);
    assert!(!q.contains_key("flow"), "flow is only for tcp: {q:?}");
}

#[test]
fn httpupgrade_none() {
    let stream = json!({"network": "httpupgrade", "security": "none",
        "httpupgradeSettings": {"path": "/up", "host": "up.example"}});
    let want = q(&[
        ("type", "httpupgrade"),
        ("encryption", "none"),
        ("path", "/up"),
        ("host", "up.example"),
        ("security", "none"),
    ]);
    assert_eq!(query(&stream, ""), want);
}

#[test]
fn xhttp_fixture_gives_path_host_mode_and_extra() {
    let mut stream = fixture(XHTTP);
    stream["security"] = json!("none");
    let q = query(&stream, VISION);
    assert_eq!(q["type"], ["xhttp"]);
    assert_eq!(q["path"], ["/sp"]);
    assert_eq!(q["host"], ["edge.example.test"]);
    assert_eq!(q["mode"], ["auto"]);
    let extra: Value = serde_json::from_str(&q["extra"][0]).unwrap();
    assert_eq!(extra, json!({"mode": "auto"}));
    assert!(
        !q.contains_key("flow"),
        "no flow on xhttp without VLESS encryption"
    );
}

#[test]
fn xhttp_extra_drops_defaults_and_host_header() {
    let stream = json!({"network": "xhttp", "security": "tls", "tlsSettings": {"serverName": "x.example"},
        "xhttpSettings": {"path": "/x", "host": "", "mode": "packet-up", "xPaddingBytes": "100-1000",
            "scMaxEachPostBytes": "1000000", "headers": {"Host": "hdr.example", "X-Test": "1"},
            "sessionKey": "legacy"}});
    let q = query(&stream, "");
    assert_eq!(q["host"], ["hdr.example"]);
    assert_eq!(q["x_padding_bytes"], ["100-1000"]);
    let extra: Value = serde_json::from_str(&q["extra"][0]).unwrap();
    let want = json!({"mode": "packet-up", "xPaddingBytes": "100-1000", "headers": {"X-Test": "1"},
        "sessionIDKey": "legacy", "sessionKey": "legacy"});
    assert_eq!(extra, want);
}

#[test]
fn kcp_and_quic() {
    let kcp = json!({"network": "kcp", "kcpSettings": {"mtu": 1350, "tti": 20, "seed": "s", "header": {"type": "wechat-video"}}});
    let want = q(&[
        ("type", "kcp"),
        ("encryption", "none"),
        ("headerType", "wechat-video"),
        ("seed", "s"),
        ("mtu", "1350"),
        ("tti", "20"),
        ("security", "none"),
    ]);
    assert_eq!(query(&kcp, ""), want);
    let quic = json!({"network": "quic", "quicSettings": {"security": "aes-128-gcm", "key": "k"}});
    let q = query(&quic, "");
    assert_eq!(q["quicSecurity"], ["aes-128-gcm"]);
    assert_eq!(q["key"], ["k"]);
    assert_eq!(q["headerType"], ["none"]);
}

#[test]
fn stream_settings_as_a_json_string_are_accepted() {
    let text =
        Value::String(r#"{"network":"ws","security":"none","wsSettings":{"path":"/p"}}"#.into());
    assert_eq!(query(&text, "")["path"], ["/p"]);
}

#[test]
fn ipv6_hosts_are_bracketed_and_bad_hosts_refused() {
    let stream = json!({"network": "tcp", "security": "none"});
    for host in ["2001:db8::1", "[2001:db8::1]", " 2001:db8::1 "] {
        let link = build(&stream, "", host).unwrap();
        assert!(link.contains("@[2001:db8::1]:8443?"), "{host}: {link}");
        assert_eq!(parts(&link).host, "[2001:db8::1]");
    }
    assert!(
        build(&stream, "", "203.0.113.7")
            .unwrap()
            .contains("@203.0.113.7:8443?")
    );
    for bad in [
        "",
        "  ",
        "vpn.example.com:443",
        "https://vpn.example.com",
        "a b",
        "x@y",
        "[]",
    ] {
        let err = build(&stream, "", bad).unwrap_err();
        assert!(
            matches!(err, LinkError::InvalidHost { .. }),
            "{bad:?}: {err:?}"
        );
    }
}

type IsExpected = fn(&LinkError) -> bool;

#[test]
fn bad_inputs_are_errors_not_panics() {
    let ok = json!({"network": "tcp", "security": "none"});
    let cases: [(Value, IsExpected); 8] = [
        (json!(null), |e| matches!(e, LinkError::Malformed { .. })),
        (json!([1, 2]), |e| matches!(e, LinkError::Malformed { .. })),
        (Value::String("{not json".into()), |e| {
            matches!(e, LinkError::Malformed { .. })
        }),
        (
            json!({"network": 5}),
            |e| matches!(e, LinkError::Malformed { field, .. } if field == "network"),
        ),
        (json!({"network": "carrier-pigeon"}), |e| {
            matches!(e, LinkError::UnsupportedNetwork { .. })
        }),
        (json!({"network": "tcp", "security": "xtls"}), |e| {
            matches!(e, LinkError::UnsupportedSecurity { .. })
        }),
        (
            json!({"network": "ws", "wsSettings": {"path": ["/x"]}}),
            |e| matches!(e, LinkError::Malformed { field, .. } if field == "wsSettings.path"),
        ),
        (
            json!({"network": "tcp", "security": "tls", "tlsSettings": {"alpn": "h2"}}),
            |e| matches!(e, LinkError::Malformed { field, .. } if field == "tlsSettings.alpn"),
        ),
    ];
    for (stream, is_expected) in cases {
        let err = build(&stream, "", "vpn.example.com").unwrap_err();
        assert!(is_expected(&err), "{stream}: {err:?}");
    }
    let trojan = LinkInbound {
        port: 443,
        protocol: "trojan",
        remark: "",
        stream_settings: &ok,
    };
    let client = LinkClient {
        id: "id",
        email: "e",
        flow: "",
        sub_id: "",
    };
    assert!(matches!(
        vless_link(&trojan, &client, "h"),
        Err(LinkError::NotVless { .. })
    ));
    let zero = LinkInbound {
        port: 0,
        protocol: "vless",
        remark: "",
        stream_settings: &ok,
    };
    assert_eq!(vless_link(&zero, &client, "h"), Err(LinkError::ZeroPort));
    let no_id = LinkClient { id: " ", ..client };
    let inbound = LinkInbound { port: 1, ..zero };
    assert_eq!(
        vless_link(&inbound, &no_id, "h"),
        Err(LinkError::EmptyClientId)
    );
}

#[test]
fn subscription_url_joins_with_one_slash() {
    assert_eq!(
        subscription_url("https://s.example/sub/", "abc"),
        "https://s.example/sub/abc"
    );
    assert_eq!(
        subscription_url("https://s.example/sub", "abc"),
        "https://s.example/sub/abc"
    );
    assert_eq!(
        subscription_url("https://s.example/sub//", "/abc"),
        "https://s.example/sub/abc"
    );
    assert_eq!(
        subscription_url("https://s.example/sub/", "a b/c"),
        "https://s.example/sub/a%20b%2Fc"
    );
}

#[test]
fn spider_x_matches_3xui_derivation() {
    assert_eq!(
        derive_spider_x("/", "").as_deref(),
        Some("/d08ed99bd9afc60")
    );
    assert_eq!(
        derive_spider_x("/", "vless-reality-001").as_deref(),
        Some("/dafd018f50a389b")
    );
    assert_eq!(derive_spider_x("", ""), None);
}
