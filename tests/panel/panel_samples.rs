//! Every JSON sample in `tests/fixtures/3xui-repo-samples/` parses with the panel client's types (the
//! README's known-wrong samples say why they are read differently), and the emulator's answers
//! have the samples' shapes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};
use vpn_ticket_bot::panel::lenient::normalise_unix_ms;
use vpn_ticket_bot::panel::{
    Client, ClientRecord, ClientTraffic, Envelope, Generation, Inbound, InboundSettings,
    LastOnline, PanelStatus, ServerStatus, XrayState,
};
use vpn_ticket_bot::sim::panel::{PanelSim, Profile};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/3xui-repo-samples")
}

fn load(name: &str) -> Value {
    let path = samples_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(load(name)).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

fn envelope_ok<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    let env: Envelope<T> = parse(name);
    assert!(env.success, "{name}");
    env.obj
}

/// Parses one sample with the type the client uses for it; returns false for an unknown file.
#[allow(clippy::too_many_lines)]
fn check_sample(name: &str) -> bool {
    match name {
        // Requests the client sends: the client's types read them, and its bodies use their keys.
        "v3_clients_add_request.json" => {
            let v = load(name);
            let c: Client = serde_json::from_value(v["client"].clone()).unwrap();
            assert_eq!(
                (c.email.as_str(), c.total_gb, c.expiry_time, c.enable),
                ("alice@example.com", 53_687_091_200, 1_735_689_600_000, true)
            );
            assert_eq!(c.extra["limitHwid"], 0, "unknown keys are kept");
            assert_eq!(v["inboundIds"], json!([3, 5]));
        }
        "v3_clients_update_request.json" => {
            let c: Client = parse(name);
            assert_eq!((c.tg_id, c.total_gb), (123_456_789, 107_374_182_400));
        }
        "v3_clients_attach_request.json" => assert!(load(name)["inboundIds"].is_array()),
        "v3_login_request.json" => {
            let keys: BTreeSet<_> = load(name).as_object().unwrap().keys().cloned().collect();
            assert_eq!(
                keys,
                ["password", "twoFactorCode", "username"]
                    .map(String::from)
                    .into()
            );
        }
        "v3_inbounds_add_request.json" => {
            // A request body without `id`: the client never adds inbounds; its parts still parse.
            let v = load(name);
            let s: InboundSettings = serde_json::from_value(v["settings"].clone()).unwrap();
            assert_eq!(s.clients[0].email, "user1");
            assert_eq!(v["streamSettings"]["security"], "reality");
        }
        // Write answers with no object.
        "v3_clients_add_response.json"
        | "v3_clients_del_response.json"
        | "v3_clients_update_response.json"
        | "v3_login_response.json"
        | "v3_logout_response.json" => {
            assert!(envelope_ok::<Value>(name).is_none());
        }
        "v3_login_error_response.json" => {
            // Known-wrong (README): the spec lists it under HTTP 400; the panel answers 200.
            let env: Envelope<Value> = parse(name);
            assert!(!env.success);
            assert_eq!(env.msg, "Wrong username or password");
        }
        "v3_csrf_token_response.json" => {
            assert_eq!(envelope_ok::<String>(name).unwrap(), "csrf-token-string");
        }
        "v3_getTwoFactorEnable_response.json" => assert_eq!(envelope_ok::<bool>(name), Some(false)),
        "v3_clients_onlines_response.json" => assert_eq!(
            envelope_ok::<Vec<String>>(name).unwrap(),
            ["user1", "user2"]
        ),
        "v3_clients_lastOnline_response.json" => {
            // Known-wrong (README): the values look like seconds; the code stores milliseconds.
            // The client scales such values (`lenient::normalise_unix_ms`).
            let m: LastOnline = envelope_ok(name).unwrap();
            assert_eq!(normalise_unix_ms(m["user1"]), 1_700_000_000_000);
        }
        "v3_clients_traffic_response.json" => {
            let t: ClientTraffic = envelope_ok(name).unwrap();
            assert_eq!(
                (t.up, t.down, t.total, t.inbound_id, t.last_online),
                (1_048_576, 2_097_152, 10_737_418_240, 1, 1_735_680_000_000)
            );
            assert_eq!(t.remaining_bytes(), Some(10_737_418_240 - 3_145_728));
        }
        "v3_clients_list_response.json" => {
            let list: Vec<ClientRecord> = envelope_ok(name).unwrap();
            assert_eq!(
                (list[0].id, list[0].inbound_ids.as_slice()),
                (1, &[3, 5][..])
            );
            assert_eq!(list[0].traffic.unwrap().down, 4096);
            let c = list[0].to_client().unwrap();
            assert_eq!(
                (c.id.as_str(), c.sub_id.as_str(), c.email.as_str()),
                ("...", "abcd1234", "alice@example.com")
            );
        }
        "v3_clients_links_response.json" | "v3_clients_subLinks_response.json" => {
            // Not used: links are built by the bot with the public host (xui-api.md §8).
            assert!(envelope_ok::<Vec<String>>(name).unwrap()[0].starts_with("vless://"));
        }
        "v3_server_getNewUUID_response.json" => {
            assert_eq!(envelope_ok::<String>(name).unwrap().len(), 36);
        }
        "v3_server_getNewX25519Cert_response.json" => {
            // Not used by the client (the bot never creates inbounds).
            assert!(envelope_ok::<Value>(name).unwrap()["publicKey"].is_string());
        }
        "v3_server_status_response.json" => {
            // Known-wrong (README): `load{…}` instead of `loads[]`; it is ignored.
            let s: ServerStatus = envelope_ok(name).unwrap();
            let status = PanelStatus::from_server(Generation::B, Some(s));
            assert_eq!(
                (status.xray, status.xray_version.as_str()),
                (XrayState::Running, "v25.10.31")
            );
        }
        "v3_inbounds_list_response.json" => {
            // Known-wrong (README): settings/streamSettings/sniffing are null in the example.
            let list: Vec<Inbound> = envelope_ok(name).unwrap();
            let ib = &list[0];
            assert_eq!(
                (ib.id, ib.port, ib.protocol.as_str(), ib.remark.as_str()),
                (1, 443, "vless", "VLESS-443")
            );
            assert!(ib.clients().is_empty() && ib.stream_settings.is_object());
            assert_eq!(
                ib.client_stats[0].uuid,
                "e18c9a96-71bf-48d4-933f-8b9a46d4290c"
            );
        }
        "v3_inbounds_list_slim_response.json" => {
            // Not used (no port/protocol): read as documents, settings with the client's type.
            let list: Vec<Value> = envelope_ok(name).unwrap();
            let s: InboundSettings = serde_json::from_value(list[0]["settings"].clone()).unwrap();
            assert_eq!(
                (s.clients[0].email.as_str(), s.clients[0].enable),
                ("alice", true)
            );
        }
        "v3_inbounds_options_response.json" => {
            let list: Vec<Inbound> = envelope_ok(name).unwrap();
            assert_eq!(
                (list[0].id, list[0].port, list[0].tag.as_str()),
                (1, 443, "in-443-tcp")
            );
        }
        "v3_test_fixture_inbound_vless_tcp_reality.json" => {
            let ib: Inbound = parse(name);
            assert_eq!((ib.network(), ib.security()), ("tcp", "reality"));
            assert_eq!(ib.clients()[0].flow, "xtls-rprx-vision");
            assert_eq!(
                ib.stream_settings["realitySettings"]["settings"]["publicKey"],
                "Tx5yj1bRcOPHkdvT2pIAQ2zh0gQ8m4OPdnzqXJxxV3o"
            );
            assert_eq!(gen_a_form(&load(name)).stream_settings, ib.stream_settings);
        }
        "v3_test_fixture_inbound_vless_ws_tls.json" => {
            let ib: Inbound = parse(name);
            assert_eq!(
                (ib.network(), ib.security(), ib.clients()[0].sub_id.as_str()),
                ("ws", "tls", "abc123def")
            );
            let a = gen_a_form(&load(name));
            assert_eq!(
                (a.settings, a.stream_settings),
                (ib.settings, ib.stream_settings)
            );
        }
        "v3_test_fixture_stream_xhttp_basic.json" => {
            let stream = load(name);
            let ib: Inbound = serde_json::from_value(json!({"id": 1, "port": 443, "protocol": "vless", "streamSettings": stream.to_string()})).unwrap();
            assert_eq!(
                (
                    ib.network(),
                    ib.stream_settings["xhttpSettings"]["mode"].as_str()
                ),
                ("xhttp", Some("auto"))
            );
        }
        "v3_expected_vless_links.json" => {
            // Expected links for the link builder (src/panel/link.rs, tested there), not a payload.
            let cases = load(name);
            assert!(
                cases
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["expected_link"].as_str().unwrap().starts_with("vless://"))
            );
        }
        _ => return false,
    }
    true
}

/// The same inbound as a Gen A panel sends it: documents as JSON strings, `tgId` as `""`.
fn gen_a_form(nested: &Value) -> Inbound {
    let mut v = nested.clone();
    v["settings"]["clients"][0]["tgId"] = json!("");
    for k in ["settings", "streamSettings", "sniffing"] {
        v[k] = Value::String(serde_json::to_string_pretty(&v[k]).unwrap());
    }
    serde_json::from_value(v).expect("Gen A form parses")
}

#[test]
fn every_sample_parses_with_the_client_types() {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("tests/fixtures/3xui-repo-samples")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e == "json")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 29, "samples found: {names:?}");
    let unknown: Vec<&String> = names.iter().filter(|n| !check_sample(n)).collect();
    assert!(unknown.is_empty(), "samples without a check: {unknown:?}");
}

/// Regression (fuzzing, `panel_answer`): a traffic row with a counter near `i64::MIN` overflowed
/// the subtraction in `remaining_bytes` (a panic in debug builds, a wrapped value in release).
#[test]
fn traffic_left_stays_within_the_limit_whatever_the_counters() {
    let row = |up: i64, down: i64, total: i64| -> ClientTraffic {
        serde_json::from_value(json!({ "up": up, "down": down, "total": total })).unwrap()
    };
    assert_eq!(row(-i64::MAX, 0, 10).remaining_bytes(), Some(10));
    assert_eq!(row(5, -i64::MAX, 10).remaining_bytes(), Some(5));
    assert_eq!(row(i64::MAX, i64::MAX, 10).remaining_bytes(), Some(0));
    assert_eq!(row(3, 4, i64::MAX).remaining_bytes(), Some(i64::MAX - 7));
    assert_eq!(row(3, 4, 0).remaining_bytes(), None, "0 = unlimited");
    assert_eq!(row(3, 4, -1).remaining_bytes(), None);
}

/// Every key of `sample` exists in `actual` with the same JSON type (nulls in the sample and
/// `skip` paths excepted).
fn assert_shape(sample: &Value, actual: &Value, path: &str, skip: &[&str]) {
    if skip.contains(&path) || sample.is_null() {
        return;
    }
    match (sample, actual) {
        (Value::Object(s), Value::Object(a)) => {
            for (k, v) in s {
                let p = format!("{path}.{k}");
                if skip.contains(&p.as_str()) {
                    continue;
                }
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("emulator lacks {p}: {actual}"));
                assert_shape(v, got, &p, skip);
            }
        }
        (Value::Array(s), Value::Array(a)) => {
            if let (Some(s0), Some(a0)) = (s.first(), a.first()) {
                assert_shape(s0, a0, &format!("{path}[0]"), skip);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => panic!("{path}: sample {sample} vs emulator {actual}"),
    }
}

#[tokio::test]
async fn emulator_answers_have_the_sample_shapes() {
    let sim = PanelSim::start(Profile::v3_6_0().with_api_token("t")).await;
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let get = |route: &str| http.get(format!("{base}{route}")).bearer_auth("t").send();
    let post = |route: &str, body: Value| {
        http.post(format!("{base}{route}"))
            .bearer_auth("t")
            .json(&body)
            .send()
    };
    let add = load("v3_clients_add_request.json");
    let mut add = add.clone();
    add["inboundIds"] = json!([1]);
    let answer: Value = post("panel/api/clients/add", add)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_shape(
        &load("v3_clients_add_response.json"),
        &answer,
        "$",
        &["$.msg"],
    );
    sim.advance_traffic("alice@example.com", 1024, 4096);

    let pairs = [
        (
            "v3_csrf_token_response.json",
            get("csrf-token").await,
            vec![],
        ),
        (
            "v3_clients_list_response.json",
            get("panel/api/clients/list").await,
            vec![],
        ),
        (
            "v3_clients_traffic_response.json",
            get("panel/api/clients/traffic/alice@example.com").await,
            vec![],
        ),
        (
            "v3_inbounds_list_response.json",
            get("panel/api/inbounds/list").await,
            vec![],
        ),
        (
            "v3_server_status_response.json",
            get("panel/api/server/status").await,
            vec!["$.obj.load"],
        ),
        (
            "v3_clients_onlines_response.json",
            post("panel/api/clients/onlines", Value::Null).await,
            vec![],
        ),
        (
            "v3_clients_lastOnline_response.json",
            post("panel/api/clients/lastOnline", Value::Null).await,
            vec!["$.obj.user1", "$.obj.user2"],
        ),
    ];
    for (name, resp, skip) in pairs {
        let resp = resp.unwrap();
        assert_eq!(resp.status(), 200, "{name}");
        let actual: Value = resp.json().await.unwrap();
        assert_shape(&load(name), &actual, "$", &skip);
    }
    let status: Value = get("panel/api/server/status")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(status["obj"]["loads"].is_array(), "the real field name");
}

#[tokio::test]
async fn emulator_gen_a_speaks_json_strings_and_refuses_like_v2() {
    let sim = PanelSim::start(Profile::v2_8_3()).await;
    let base = sim.base_url();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login: Value = http
        .post(format!("{base}login"))
        .form(&[("username", "admin"), ("password", "admin-pass")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["success"], true, "form-encoded login works on v2");
    let add = |settings: Value| {
        http.post(format!("{base}panel/api/inbounds/addClient"))
            .json(&json!({ "id": 1, "settings": settings }))
            .send()
    };
    let client = json!({"id": "00000000-0000-4000-8000-000000000001", "email": "Tg_1", "tgId": ""});
    let ok: Value = add(json!({"clients": [client]}).to_string().into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["success"], true);
    let nested: Value = add(json!({"clients": [client]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        nested["success"], false,
        "settings as an object does not bind on Gen A"
    );
    let dup: Value = add(json!({"clients": [{"id": "x", "email": "tg_1"}]})
        .to_string()
        .into())
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(dup["msg"], "Something went wrong (Duplicate email: tg_1)");
    let panic = add(Value::String("{}".into())).await.unwrap();
    assert_eq!(panic.status(), 500);
    assert!(panic.bytes().await.unwrap().is_empty());

    let list: Value = http
        .get(format!("{base}panel/api/inbounds/list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ib = &list["obj"][0];
    assert!(ib["settings"].is_string() && ib["streamSettings"].is_string());
    assert_eq!(ib["clientStats"][0]["email"], "Tg_1");
    let parsed: Inbound = serde_json::from_value(ib.clone()).unwrap();
    assert_eq!(parsed.clients()[0].tg_id, 0, "tgId \"\" reads as 0");
    let one: Value = http
        .get(format!("{base}panel/api/inbounds/get/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        one["obj"]["clientStats"].is_null(),
        "get/{{id}} has no clientStats preload"
    );
    let onlines: Value = http
        .post(format!("{base}panel/api/inbounds/onlines"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(onlines["obj"].is_null(), "nobody online ⇒ null");
}
