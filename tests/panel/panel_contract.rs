//! Contract tests: the real panel client (`XuiClient`) against the in-process panel emulator, in
//! every emulated version profile, both auth modes, and under injected faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vpn_ticket_bot::config::{Config, PanelApiGeneration, PanelConfig, Secret};
use vpn_ticket_bot::panel::{
    ClientSpec, DeleteOutcome, EnsureOutcome, Generation, PanelApi, PanelError, XrayState,
    XuiClient,
};
use vpn_ticket_bot::sim::panel::{Fault, PanelSim, Profile, UnauthStyle};

const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const TOKEN: &str = "sim-api-token-0123456789";

fn cookie_config(sim: &PanelSim) -> PanelConfig {
    let p = sim.profile();
    PanelConfig {
        base_url: sim.base_url(),
        username: p.username.clone(),
        password: Secret::new(p.password.clone()),
        totp_secret: Secret::new(p.totp_secret.clone().unwrap_or_default()),
        timeout_secs: 2,
        ..PanelConfig::default()
    }
}

fn bearer_config(sim: &PanelSim) -> PanelConfig {
    PanelConfig {
        base_url: sim.base_url(),
        api_token: Secret::new(TOKEN),
        timeout_secs: 2,
        ..PanelConfig::default()
    }
}

fn client(cfg: &PanelConfig) -> XuiClient {
    XuiClient::new(cfg).expect("client builds")
}

fn spec(n: u32) -> ClientSpec {
    let mut s = ClientSpec::new(
        format!("00000000-0000-4000-8000-{n:012}"),
        format!("dc{n}_1"),
        format!("sub{n:013}"),
    );
    s.flow = "xtls-rprx-vision".into();
    s.total_bytes = 50 * 1024 * 1024 * 1024;
    s.expiry_time_ms = 1_900_000_000_000;
    s.limit_ip = 2;
    s.comment = format!("discord user {n}");
    s
}

/// Runs every `PanelApi` operation and checks the emulator's state after each.
async fn every_operation(sim: &PanelSim, api: &dyn PanelApi, generation: Generation) {
    let status = api.status().await.expect("status");
    assert_eq!(status.generation, generation);
    assert_eq!(status.xray, XrayState::Running);
    assert_eq!(status.panel_version.is_some(), generation == Generation::B);

    let inbounds = api.list_inbounds().await.expect("list");
    assert_eq!(
        inbounds.iter().map(|i| (i.id, i.port)).collect::<Vec<_>>(),
        [(1, 443), (2, 8443)]
    );
    assert_eq!(
        inbounds[0].stream_settings["realitySettings"]["settings"]["fingerprint"],
        "chrome"
    );
    assert_eq!(
        (inbounds[1].network(), inbounds[1].security()),
        ("ws", "tls")
    );

    let (a, b) = (spec(1), spec(2));
    assert_eq!(
        api.ensure_client(1, &a).await.unwrap(),
        EnsureOutcome::Created
    );
    assert_eq!(
        api.ensure_client(1, &a).await.unwrap(),
        EnsureOutcome::Unchanged
    );
    assert_eq!(
        api.ensure_client(1, &b).await.unwrap(),
        EnsureOutcome::Created
    );
    let stored = sim.client(&a.email).expect("stored");
    assert_eq!(
        (
            stored.id.as_str(),
            stored.sub_id.as_str(),
            stored.flow.as_str()
        ),
        (a.uuid.as_str(), a.sub_id.as_str(), "xtls-rprx-vision")
    );
    assert_eq!(
        (stored.total_gb, stored.expiry_time, stored.limit_ip),
        (53_687_091_200, 1_900_000_000_000, 2)
    );
    let created_at = stored.extra.get("created_at").cloned().expect("created_at");

    changes_traffic_and_deletes(sim, api, &a, &b, &created_at).await;
}

async fn changes_traffic_and_deletes(
    sim: &PanelSim,
    api: &dyn PanelApi,
    a: &ClientSpec,
    b: &ClientSpec,
    created_at: &serde_json::Value,
) {
    let mut a2 = a.clone();
    a2.limit_ip = 3;
    assert_eq!(
        api.ensure_client(1, &a2).await.unwrap(),
        EnsureOutcome::Updated
    );
    let stored = sim.client(&a.email).unwrap();
    assert_eq!(stored.limit_ip, 3);
    assert_eq!(
        stored.extra.get("created_at"),
        Some(created_at),
        "read-modify-write keeps unmanaged fields"
    );

    api.extend_client(&a.email, 2_000_000_000_000, 100)
        .await
        .expect("extend");
    let stored = sim.client(&a.email).unwrap();
    assert_eq!(
        (
            stored.expiry_time,
            stored.total_gb,
            stored.enable,
            stored.flow.as_str()
        ),
        (2_000_000_000_000, 100, true, "xtls-rprx-vision")
    );

    api.set_client_enabled(&a.email, false)
        .await
        .expect("disable");
    assert!(!sim.client(&a.email).unwrap().enable);
    api.set_client_enabled(&a.email, true)
        .await
        .expect("enable");
    assert!(sim.client(&a.email).unwrap().enable);

    assert!(
        api.online_emails().await.unwrap().is_empty(),
        "onlines: null reads as empty"
    );
    assert!(sim.advance_traffic(&b.email, 1024, 4096));
    let t = api.client_traffic(&b.email).await.expect("traffic");
    assert_eq!(
        (t.up, t.down, t.total, t.inbound_id),
        (1024, 4096, 53_687_091_200, 1)
    );
    assert_eq!(
        api.online_emails().await.unwrap(),
        std::slice::from_ref(&b.email)
    );
    let last = api.last_online().await.unwrap();
    assert!(last[&b.email] > 1_700_000_000_000, "lastOnline is in ms");
    assert_eq!(last[&a.email], 0);

    let ib = api.inbound(1).await.expect("inbound");
    assert_eq!(ib.clients().len(), 2);
    // One customer's read holds that client alone, found case-insensitively, and the rest of
    // the inbound as the whole read has it.
    let one = api
        .inbound_with_client(1, &b.email.to_ascii_uppercase())
        .await
        .expect("inbound with one client");
    assert_eq!(
        one.clients(),
        std::slice::from_ref(ib.client(&b.email).unwrap())
    );
    assert!(one.client_stats.is_empty());
    assert_eq!(
        (
            one.port,
            &one.protocol,
            &one.stream_settings,
            &one.settings.extra
        ),
        (
            ib.port,
            &ib.protocol,
            &ib.stream_settings,
            &ib.settings.extra
        )
    );
    assert_eq!(one.settings.decryption, ib.settings.decryption);
    let none = api.inbound_with_client(1, "ghost").await.expect("inbound");
    assert!(none.clients().is_empty());
    assert_eq!(
        api.delete_client(&a.email).await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert!(sim.client(&a.email).is_none());
    assert_eq!(
        api.delete_client(&b.email).await.unwrap(),
        DeleteOutcome::Disabled,
        "last client"
    );
    assert!(!sim.client(&b.email).expect("kept").enable);
}

#[tokio::test]
async fn every_operation_v2_8_3_gen_a_cookie() {
    let sim = PanelSim::start(Profile::v2_8_3()).await;
    let api = client(&cookie_config(&sim));
    every_operation(&sim, &api, Generation::A).await;
    assert_eq!(sim.login_count(), 1, "one session for the whole run");
}

#[tokio::test]
async fn every_operation_v3_0_4_gen_a_cookie_csrf_totp() {
    let sim = PanelSim::start(Profile::v3_0_4().with_totp(TOTP_SECRET)).await;
    let api = client(&cookie_config(&sim));
    every_operation(&sim, &api, Generation::A).await;
    assert_eq!(sim.login_count(), 1);
}

#[tokio::test]
async fn every_operation_v3_0_4_gen_a_bearer() {
    let sim = PanelSim::start(Profile::v3_0_4().with_api_token(TOKEN)).await;
    let api = client(&bearer_config(&sim));
    every_operation(&sim, &api, Generation::A).await;
    assert_eq!(sim.login_attempts(), 0, "Bearer never logs in");
}

#[tokio::test]
async fn every_operation_v3_6_0_gen_b_cookie_csrf_totp() {
    let sim = PanelSim::start(Profile::v3_6_0().with_totp(TOTP_SECRET)).await;
    let api = client(&cookie_config(&sim));
    every_operation(&sim, &api, Generation::B).await;
    assert_eq!(sim.login_count(), 1);
}

#[tokio::test]
async fn every_operation_v3_6_0_gen_b_bearer_as_dyn() {
    let sim = PanelSim::start(Profile::v3_6_0().with_api_token(TOKEN)).await;
    let api: Arc<dyn PanelApi> = Arc::new(client(&bearer_config(&sim)));
    every_operation(&sim, api.as_ref(), Generation::B).await;
    assert_eq!(sim.login_attempts(), 0);
}

#[tokio::test]
async fn pinned_generation_skips_detection() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let mut cfg = cookie_config(&sim);
    cfg.api = PanelApiGeneration::GenB;
    let api = client(&cfg);
    assert_eq!(api.generation().await.unwrap(), Generation::B);
    assert_eq!(sim.login_attempts(), 0, "pinning sends nothing");
    // A wrongly pinned generation fails with a clear protocol error, not a silent success.
    let sim_a = PanelSim::start(Profile::v2_9_4()).await;
    let mut cfg = cookie_config(&sim_a);
    cfg.api = PanelApiGeneration::GenB;
    let err = client(&cfg).client_traffic("x").await.unwrap_err();
    assert!(matches!(err, PanelError::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("route does not exist"), "{err}");
}

#[tokio::test]
async fn gen_b_create_disabled_client_stays_disabled_and_attaches() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    let mut s = spec(7);
    s.enable = false;
    assert_eq!(
        api.ensure_client(1, &s).await.unwrap(),
        EnsureOutcome::Created
    );
    assert!(
        !sim.client(&s.email).unwrap().enable,
        "add forces enable:true; the client updates it back"
    );
    assert_eq!(
        api.ensure_client(2, &s).await.unwrap(),
        EnsureOutcome::Updated
    );
    assert_eq!(sim.client_inbounds(&s.email), [1, 2]);
}

#[tokio::test]
async fn negative_expiry_turns_absolute_on_first_traffic() {
    let sim = PanelSim::start(Profile::v2_9_4()).await;
    let api = client(&cookie_config(&sim));
    let mut s = spec(3);
    s.expiry_time_ms = -30 * 86_400_000;
    api.ensure_client(1, &s).await.unwrap();
    assert_eq!(
        api.client_traffic(&s.email).await.unwrap().expiry_time,
        -2_592_000_000
    );
    sim.advance_traffic(&s.email, 1, 1);
    let t = api.client_traffic(&s.email).await.unwrap();
    assert!(
        t.expiry_time > 1_700_000_000_000 + 2_592_000_000,
        "now + 30 days, got {}",
        t.expiry_time
    );
}

async fn expiry_relogs_in_once(profile: Profile) {
    let sim = PanelSim::start(profile).await;
    let api = client(&cookie_config(&sim));
    api.ensure_client(1, &spec(1)).await.unwrap();
    assert_eq!(sim.login_count(), 1);
    sim.expire_sessions();
    api.set_client_enabled("dc1_1", false)
        .await
        .expect("succeeds after one re-login");
    assert_eq!(sim.login_count(), 2);
    sim.expire_sessions();
    assert_eq!(api.list_inbounds().await.unwrap()[0].clients().len(), 1);
    assert_eq!(sim.login_count(), 3);
}

#[tokio::test]
async fn session_expiry_401_json_v2_8_3() {
    expiry_relogs_in_once(Profile::v2_8_3()).await;
}

#[tokio::test]
async fn session_expiry_bare_404_v2_9_4() {
    expiry_relogs_in_once(Profile::v2_9_4()).await;
}

#[tokio::test]
async fn session_expiry_401_or_403_v3_6_0() {
    expiry_relogs_in_once(Profile::v3_6_0()).await;
}

#[tokio::test]
async fn session_expiry_success_false_text_v2_1() {
    let mut p = Profile::v2_8_3();
    p.unauth = UnauthStyle::SessionMsg;
    expiry_relogs_in_once(p).await;
}

#[tokio::test]
async fn session_expiry_307_redirect_behind_a_proxy_v2_8_3() {
    let mut p = Profile::v2_8_3();
    p.sees_xhr_header = false;
    let sim = PanelSim::start(p.clone()).await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = raw
        .get(format!("{}panel/api/inbounds/list", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.headers()["location"], "/sim-base/");
    expiry_relogs_in_once(p).await;
}

#[tokio::test]
async fn concurrent_calls_after_expiry_share_one_relogin() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = Arc::new(client(&cookie_config(&sim)));
    api.status().await.unwrap();
    sim.expire_sessions();
    let calls = (0..6).map(|_| {
        let api = api.clone();
        tokio::spawn(async move { api.list_inbounds().await.map(|v| v.len()) })
    });
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap(), 2);
    }
    assert_eq!(sim.login_count(), 2, "one re-login for all six calls");
}

#[tokio::test]
async fn stale_csrf_token_is_handled_by_one_relogin() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    api.ensure_client(1, &spec(1)).await.unwrap();
    sim.rotate_csrf();
    api.set_client_enabled("dc1_1", false)
        .await
        .expect("403 → re-login → retry");
    assert_eq!(sim.login_count(), 2);
    assert!(!sim.client("dc1_1").unwrap().enable);
}

#[tokio::test]
async fn v3_refuses_login_without_csrf_with_an_empty_403() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let raw = reqwest::Client::new();
    let resp = raw
        .post(format!("{}login", sim.base_url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.bytes().await.unwrap().is_empty());
    assert_eq!(sim.login_count(), 0);
}

#[tokio::test]
async fn wrong_password_is_auth_without_looping() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let mut cfg = cookie_config(&sim);
    cfg.password = Secret::new("wrong-password");
    let api = client(&cfg);
    let err = api.status().await.unwrap_err();
    assert!(matches!(err, PanelError::Auth { .. }), "{err}");
    assert!(
        err.to_string().contains("Invalid username or password"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("wrong-password"),
        "the password never appears: {err}"
    );
    let again = api.list_inbounds().await.unwrap_err();
    assert!(matches!(again, PanelError::Auth { .. }), "{again}");
    assert!(again.to_string().contains("not retrying"), "{again}");
    assert_eq!(
        sim.login_attempts(),
        1,
        "no second attempt within the cooldown"
    );
    assert_eq!(sim.login_count(), 0);
}

#[tokio::test]
async fn wrong_totp_code_is_auth() {
    let sim = PanelSim::start(Profile::v3_0_4().with_totp(TOTP_SECRET)).await;
    let mut cfg = cookie_config(&sim);
    cfg.totp_secret = Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let err = client(&cfg).status().await.unwrap_err();
    assert!(matches!(err, PanelError::Auth { .. }), "{err}");
    assert_eq!(sim.login_attempts(), 1);
}

#[tokio::test]
async fn wrong_api_token_is_auth() {
    let sim = PanelSim::start(Profile::v3_6_0().with_api_token(TOKEN)).await;
    let mut cfg = bearer_config(&sim);
    cfg.api_token = Secret::new("not-the-token");
    let err = client(&cfg).list_inbounds().await.unwrap_err();
    assert!(matches!(err, PanelError::Auth { .. }), "{err}");
    assert!(!err.to_string().contains("not-the-token"), "{err}");
    assert!(!format!("{err:?}").contains("not-the-token"), "{err:?}");
}

#[tokio::test]
async fn api_token_on_a_v2_panel_is_a_clear_auth_error() {
    let sim = PanelSim::start(Profile::v2_9_4()).await;
    let err = client(&bearer_config(&sim)).status().await.unwrap_err();
    assert!(matches!(err, PanelError::Auth { .. }), "{err}");
    assert!(err.to_string().contains("v3.0+"), "{err}");
}

#[tokio::test]
async fn duplicate_email_is_duplicate() {
    // Gen A: the email of a client in inbound 1, asked for inbound 2; v2 compares case-insensitively.
    let sim = PanelSim::start(Profile::v2_8_3()).await;
    let api = client(&cookie_config(&sim));
    api.ensure_client(1, &spec(1)).await.unwrap();
    let mut other = spec(2);
    other.email = "DC1_1".into();
    let err = api.ensure_client(2, &other).await.unwrap_err();
    assert!(matches!(err, PanelError::Duplicate { .. }), "{err}");
    assert!(err.to_string().contains("Duplicate email: DC1_1"), "{err}");
    // Gen B: same email means the same client (attach); a reused subId is the duplicate.
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    api.ensure_client(1, &spec(1)).await.unwrap();
    let mut other = spec(2);
    other.sub_id = spec(1).sub_id;
    let err = api.ensure_client(1, &other).await.unwrap_err();
    assert!(matches!(err, PanelError::Duplicate { .. }), "{err}");
}

#[tokio::test]
async fn unknown_client_and_inbound_are_not_found() {
    for profile in [Profile::v2_8_3(), Profile::v3_6_0()] {
        let sim = PanelSim::start(profile).await;
        let api = client(&cookie_config(&sim));
        let is_nf = |r: Result<(), PanelError>| matches!(r, Err(PanelError::NotFound { .. }));
        assert!(is_nf(api.extend_client("ghost", 1, 1).await));
        assert!(is_nf(api.set_client_enabled("ghost", true).await));
        assert!(is_nf(api.delete_client("ghost").await.map(drop)));
        assert!(is_nf(api.client_traffic("ghost").await.map(drop)));
        assert!(is_nf(api.inbound(99).await.map(drop)));
        assert!(is_nf(api.inbound_with_client(99, "ghost").await.map(drop)));
        assert!(is_nf(api.ensure_client(99, &spec(1)).await.map(drop)));
        assert!(sim.clients().is_empty());
    }
}

#[tokio::test]
async fn invalid_email_is_refused_before_sending() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    let mut s = spec(1);
    s.email = "a b".into();
    let err = api.ensure_client(1, &s).await.unwrap_err();
    assert!(matches!(err, PanelError::Rejected { .. }), "{err}");
    assert_eq!(sim.login_attempts(), 0);
}

/// Like a real panel (Go's `net/http`), the emulator keeps connections alive; going down closes
/// the idle pooled one, so the next call really finds the panel gone ("cannot connect", not an
/// answer on the old connection).
#[tokio::test]
async fn panel_down_is_unavailable_and_recovers() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    api.status().await.unwrap();
    api.status().await.unwrap();
    assert_eq!(sim.connection_count(), 1, "kept alive between calls");
    sim.set_fault(Fault::Down).await;
    let err = api.status().await.unwrap_err();
    assert!(
        matches!(
            err,
            PanelError::Unavailable {
                http_status: None,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("cannot connect"), "{err}");
    sim.set_fault(Fault::None).await;
    assert_eq!(api.status().await.unwrap().xray, XrayState::Running);
    assert_eq!(
        sim.connection_count(),
        2,
        "a new connection after the outage"
    );
}

#[tokio::test]
async fn slow_panel_times_out_within_the_timeout() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let mut cfg = cookie_config(&sim);
    cfg.timeout_secs = 1;
    let api = client(&cfg);
    api.status().await.unwrap();
    sim.set_fault(Fault::Slow(Duration::from_secs(30))).await;
    let started = Instant::now();
    let err = api.list_inbounds().await.unwrap_err();
    assert!(matches!(err, PanelError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("no answer within 1 s"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn http_500_html_and_flapping() {
    let sim = PanelSim::start(Profile::v2_9_4()).await;
    let api = client(&cookie_config(&sim));
    api.status().await.unwrap();
    sim.set_fault(Fault::Status500).await;
    let err = api.list_inbounds().await.unwrap_err();
    assert!(
        matches!(
            err,
            PanelError::Unavailable {
                http_status: Some(500),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("HTTP 500 with an empty body"),
        "{err}"
    );
    sim.set_fault(Fault::Html).await;
    let err = api.list_inbounds().await.unwrap_err();
    assert!(matches!(err, PanelError::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("HTML instead of JSON"), "{err}");
    sim.set_fault(Fault::Flapping).await;
    assert!(matches!(
        api.list_inbounds().await,
        Err(PanelError::Unavailable { .. })
    ));
    assert_eq!(api.list_inbounds().await.unwrap().len(), 2);
    assert!(api.list_inbounds().await.is_err());
    sim.set_fault(Fault::None).await;
    assert_eq!(api.list_inbounds().await.unwrap().len(), 2);
    assert_eq!(
        sim.login_count(),
        1,
        "server errors are not mistaken for expiry"
    );
}

#[tokio::test]
async fn success_false_is_surfaced_with_its_message() {
    let sim = PanelSim::start(Profile::v3_0_4()).await;
    let api = client(&cookie_config(&sim));
    api.status().await.unwrap();
    sim.set_fault(Fault::Refusing).await;
    let err = api.list_inbounds().await.unwrap_err();
    assert!(matches!(err, PanelError::Rejected { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "panel refused list_inbounds (panel/api/inbounds/list): Something went wrong (database is locked)"
    );
}

#[tokio::test]
async fn status_right_after_restart_is_starting() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let api = client(&cookie_config(&sim));
    sim.set_status_pending(true);
    assert_eq!(api.status().await.unwrap().xray, XrayState::Starting);
    sim.set_status_pending(false);
    sim.set_xray_state("error");
    assert_eq!(
        api.status().await.unwrap().xray,
        XrayState::Error("xray exited".into())
    );
}

#[tokio::test]
async fn missing_web_base_path_is_a_clear_error() {
    let sim = PanelSim::start(Profile::v3_6_0().with_base_path("Ab3xYz")).await;
    let mut cfg = cookie_config(&sim);
    cfg.base_url = cfg.base_url.replace("Ab3xYz/", "");
    let err = client(&cfg).status().await.unwrap_err();
    assert!(err.to_string().contains("webBasePath"), "{err}");
    assert_eq!(sim.login_attempts(), 0);
}

#[tokio::test]
async fn check_prints_a_summary() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let mut config: Config = Config::from_toml_with_env("", |_| None).unwrap();
    config.panel = cookie_config(&sim);
    let summary = vpn_ticket_bot::ops::check::check(&config)
        .await
        .expect("check");
    let text = summary.to_string();
    assert!(text.contains("panel: version 3.6.0, API Gen B"), "{text}");
    assert!(text.contains("xray: running (v25.10.31)"), "{text}");
    assert!(
        text.contains("#1 \"VLESS-443\": vless port 443 tcp/reality, 0 client(s)"),
        "{text}"
    );
    assert!(
        text.contains("#2 \"VLESS-WS\": vless port 8443 ws/tls"),
        "{text}"
    );
    assert!(text.contains("panel.inbound_id = 1 found"), "{text}");

    let sim = PanelSim::start(Profile::v2_8_3()).await;
    config.panel = cookie_config(&sim);
    config.panel.inbound_id = 7;
    let text = vpn_ticket_bot::ops::check::check(&config)
        .await
        .unwrap()
        .to_string();
    assert!(
        text.contains("version unknown (< 3.1), API Gen A"),
        "{text}"
    );
    assert!(
        text.contains("WARNING: panel.inbound_id = 7 does not exist"),
        "{text}"
    );
}

#[test]
fn bad_tls_and_totp_settings_are_config_errors_without_secrets() {
    let base = PanelConfig {
        base_url: "https://panel.example.test:2053/Ab3xYz/".into(),
        username: "admin".into(),
        password: Secret::new("hunter2-password"),
        ..PanelConfig::default()
    };
    let mut cfg = base.clone();
    cfg.ca_cert = Some("/nonexistent/panel-ca.pem".into());
    let err = XuiClient::new(&cfg).unwrap_err();
    assert!(
        matches!(err, PanelError::Config(_)) && err.to_string().contains("panel-ca.pem"),
        "{err}"
    );
    let mut cfg = base.clone();
    cfg.totp_secret = Secret::new("not base32 !!! 189");
    let err = XuiClient::new(&cfg).unwrap_err();
    assert_eq!(
        err.to_string(),
        "panel configuration: panel.totp_secret is not valid base32"
    );
    let mut cfg = base;
    cfg.accept_invalid_certs = true;
    let api = XuiClient::new(&cfg).expect("self-signed panels are allowed on request");
    assert!(!format!("{api:?}").contains("hunter2"));
}
