//! Tests of link building against 3x-ui's own expected links; per-network tests in `networks`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

mod networks;

const EXPECTED: &str =
    include_str!("../../../../tests/fixtures/3xui-repo-samples/v3_expected_vless_links.json");
const TCP_REALITY: &str = include_str!(
    "../../../../tests/fixtures/3xui-repo-samples/v3_test_fixture_inbound_vless_tcp_reality.json"
);
const WS_TLS: &str = include_str!(
    "../../../../tests/fixtures/3xui-repo-samples/v3_test_fixture_inbound_vless_ws_tls.json"
);
const XHTTP: &str = include_str!(
    "../../../../tests/fixtures/3xui-repo-samples/v3_test_fixture_stream_xhttp_basic.json"
);

/// A link split into the parts that must match exactly and the query as a multimap.
#[derive(Debug, PartialEq, Eq)]
struct Parts {
    scheme: String,
    user: String,
    host: String,
    port: Option<u16>,
    fragment: Option<String>,
    query: BTreeMap<String, Vec<String>>,
}

fn parts(link: &str) -> Parts {
    let url = url::Url::parse(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url.query_pairs() {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    Parts {
        scheme: url.scheme().to_owned(),
        user: url.username().to_owned(),
        host: url.host_str().unwrap_or_default().to_owned(),
        port: url.port(),
        fragment: url.fragment().map(str::to_owned),
        query,
    }
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Builds the link of the fixture inbound's first client.
fn link_of(inbound: &Value, remark: &str, email: &str, sub_id: &str, host: &str) -> String {
    let client = &inbound["settings"]["clients"][0];
    let link_inbound = LinkInbound {
        port: u16::try_from(inbound["port"].as_u64().unwrap()).unwrap(),
        protocol: inbound["protocol"].as_str().unwrap(),
        remark,
        stream_settings: &inbound["streamSettings"],
    };
    let link_client = LinkClient {
        id: client["id"].as_str().unwrap(),
        email,
        flow: client["flow"].as_str().unwrap_or_default(),
        sub_id,
    };
    vless_link(&link_inbound, &link_client, host).unwrap()
}

fn expected(generator: &str, fixture: &str) -> Parts {
    let all: Vec<Value> = serde_json::from_str(EXPECTED).unwrap();
    let entry = all
        .iter()
        .find(|e| e["generator"] == generator && e["fixture"] == fixture)
        .unwrap_or_else(|| panic!("no expected link for {generator} / {fixture}"));
    parts(entry["expected_link"].as_str().unwrap())
}

fn pinned_fixture() -> Value {
    let mut inbound = fixture(WS_TLS);
    inbound["streamSettings"]["tlsSettings"]["settings"]["pinnedPeerCertSha256"] = json!([
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
    ]);
    inbound
}

/// 3x-ui's direct `genVlessLink(remark: 'parity-test')` has no client key and no email: the
/// fragment is the remark alone and spx is derived from an empty key.
#[test]
fn matches_3xui_direct_generator() {
    let gen_name = "frontend genVlessLink";
    for (name, inbound) in [
        ("vless-tcp-reality", fixture(TCP_REALITY)),
        ("vless-ws-tls", fixture(WS_TLS)),
        ("vless-ws-tls-pinned", pinned_fixture()),
    ] {
        let ours = link_of(&inbound, "parity-test", "", "", "example.test");
        assert_eq!(parts(&ours), expected(gen_name, name), "{name}: {ours}");
    }
}

/// 3x-ui's UI orchestrator keys spx on the client's subId.
#[test]
fn matches_3xui_orchestrator() {
    let gen_name = "frontend genInboundLinks orchestrator";
    for (name, inbound) in [
        ("vless-tcp-reality", fixture(TCP_REALITY)),
        ("vless-ws-tls", fixture(WS_TLS)),
        ("vless-ws-tls-pinned", pinned_fixture()),
    ] {
        let client = &inbound["settings"]["clients"][0];
        let email = client["email"].as_str().unwrap();
        let sub_id = client["subId"].as_str().unwrap();
        let ours = link_of(&inbound, "parity-test", email, sub_id, "override.test");
        assert_eq!(parts(&ours), expected(gen_name, name), "{name}: {ours}");
    }
}

/// The expected reality link also matches byte for byte (we emit the UI's parameter order).
#[test]
fn reality_link_is_byte_identical_to_3xui_ui() {
    let ours = link_of(&fixture(TCP_REALITY), "parity-test", "", "", "example.test");
    let all: Vec<Value> = serde_json::from_str(EXPECTED).unwrap();
    let want = all
        .iter()
        .find(|e| e["generator"] == "frontend genVlessLink" && e["fixture"] == "vless-tcp-reality")
        .unwrap()["expected_link"]
        .as_str()
        .unwrap();
    assert_eq!(ours, want);
}

#[test]
fn subscription_remark_joins_inbound_remark_and_email() {
    assert_eq!(remark_with_email("Shop", "alice@x"), "Shop-alice@x");
    assert_eq!(remark_with_email("", "alice"), "alice");
    assert_eq!(remark_with_email("Shop", ""), "Shop");
}
