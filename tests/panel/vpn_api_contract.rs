//! Contract tests: the real vpn-api client (`VpnApiClient`) against the in-process emulator
//! (`sim::vpn_api`), which has the real service's quirks (upsert on add, re-create on update of
//! an unknown uuid, FastAPI `{"detail": ...}` errors).

use std::time::Duration;

use vpn_ticket_bot::config::Secret;
use vpn_ticket_bot::panel::{
    ClientSpec, EnsureOutcome, Generation, PanelApi, PanelError, VpnApiClient,
};
use vpn_ticket_bot::sim::vpn_api::{VpnApiSim, VpnFault};

const KEY: &str = "contract-key";
const UUID: &str = "0d6e4a4e-5b1a-4c1e-9f3e-1a2b3c4d5e6f";
const EXPIRY: i64 = 1_900_000_000_000;

fn client(sim: &VpnApiSim, key: &str) -> VpnApiClient {
    VpnApiClient::new(&sim.base_url(), Secret::new(key), Duration::from_secs(1)).unwrap()
}

fn spec() -> ClientSpec {
    let mut s = ClientSpec::new(UUID, UUID, "sub");
    s.expiry_time_ms = EXPIRY;
    s.tg_id = 42;
    s
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_an_auth_error_and_writes_nothing() {
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, "wrong");
    let err = api.status().await.unwrap_err();
    assert!(
        matches!(&err, PanelError::Auth { reason, .. } if reason.contains("Invalid or missing API key")),
        "{err}"
    );
    assert!(matches!(
        api.provision(0, &spec()).await,
        Err(PanelError::Auth { .. })
    ));
    assert!(matches!(
        api.delete_client(UUID).await,
        Err(PanelError::Auth { .. })
    ));
    assert!(sim.users().is_empty());
    assert_eq!(sim.writes(), 0);
    let ok = client(&sim, KEY).status().await.unwrap();
    assert_eq!(ok.generation, Generation::VpnApi);
}

#[tokio::test]
async fn adding_twice_is_one_client_with_the_same_link() {
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, KEY);
    let first = api.provision(0, &spec()).await.unwrap();
    let mut later = spec();
    later.expiry_time_ms = EXPIRY + 1000;
    let second = api.provision(0, &later).await.unwrap();
    assert_eq!(first.outcome, EnsureOutcome::Created);
    let link = first.share_link.unwrap();
    assert!(
        link.starts_with("vless://") && link.contains(UUID),
        "{link}"
    );
    assert_eq!(second.share_link.as_deref(), Some(link.as_str()));
    let users = sim.users();
    assert_eq!(users.len(), 1);
    assert_eq!(users[UUID].email, "user_42");
    assert_eq!(
        users[UUID].expiry_ms,
        EXPIRY + 1000,
        "an upsert rewrites the expiry"
    );
}

#[tokio::test]
async fn removing_an_unknown_uuid_succeeds_and_disable_removes() {
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, KEY);
    api.delete_client(UUID).await.unwrap();
    api.provision(0, &spec()).await.unwrap();
    api.set_client_enabled(UUID, false).await.unwrap();
    assert!(sim.users().is_empty(), "disable = remove");
    api.set_client_enabled(UUID, false).await.unwrap();
    assert!(matches!(
        api.delete_client("u42").await,
        Err(PanelError::Rejected { .. })
    ));
}

#[tokio::test]
async fn an_update_of_a_removed_uuid_resurrects_it_on_the_server() {
    // The quirk the services must never trigger after an expiry (see `tests/core/vpn_api.rs`).
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, KEY);
    api.extend_client(UUID, EXPIRY, 0).await.unwrap();
    assert_eq!(sim.users()[UUID].email, "user_recovered_0d6e4a4e");
}

#[tokio::test]
async fn a_timeout_after_the_server_applied_the_add_retried_is_one_client() {
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, KEY);
    sim.set_fault(VpnFault::HangAfterApply);
    let err = api.provision(0, &spec()).await.unwrap_err();
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
    assert_eq!(sim.users().len(), 1, "the server applied it");
    sim.set_fault(VpnFault::None);
    let again = api.provision(0, &spec()).await.unwrap();
    assert!(again.share_link.is_some());
    assert_eq!(sim.users().len(), 1);
}

#[tokio::test]
async fn failures_are_sorted_for_the_breaker() {
    let sim = VpnApiSim::start(KEY).await;
    let api = client(&sim, KEY);
    sim.set_fault(VpnFault::Status500);
    assert!(matches!(
        api.provision(0, &spec()).await,
        Err(PanelError::Unavailable {
            http_status: Some(500),
            ..
        })
    ));
    sim.set_fault(VpnFault::None);
    let mut first_use = spec();
    first_use.expiry_time_ms = -30 * 86_400_000;
    assert!(matches!(
        api.provision(0, &first_use).await,
        Err(PanelError::Unsupported(_))
    ));
    assert!(matches!(
        api.inbound(1).await,
        Err(PanelError::Unsupported(_))
    ));
    assert!(matches!(
        api.client_traffic(UUID).await,
        Err(PanelError::Unsupported(_))
    ));
    assert_eq!(sim.writes(), 0, "nothing was written");
    sim.stop();
    assert!(matches!(
        api.status().await,
        Err(PanelError::Unavailable {
            http_status: None,
            ..
        })
    ));
}

#[tokio::test]
async fn check_reports_the_backend_and_refuses_a_wrong_key() {
    use vpn_ticket_bot::config::Config;
    use vpn_ticket_bot::ops::check::check;

    let sim = VpnApiSim::start(KEY).await;
    let toml = |key: &str| {
        format!(
            "[panel]\nkind = \"vpn_api\"\nbase_url = \"{}\"\nvpn_api_key = \"{key}\"\n",
            sim.base_url()
        )
    };
    let config = Config::from_toml_with_env(&toml(KEY), |_| None).unwrap();
    let summary = check(&config).await.unwrap();
    assert_eq!(
        summary.to_string(),
        "backend: vpn-api (Xray behind /add-user, /update-user, /remove-user)\n\
         API key accepted; links come from the service (no inbounds)"
    );
    let wrong = Config::from_toml_with_env(&toml("nope"), |_| None).unwrap();
    assert!(matches!(check(&wrong).await, Err(PanelError::Auth { .. })));
}

#[tokio::test]
async fn the_health_probe_opens_the_breaker_on_5xx_and_names_a_refused_key() {
    use std::sync::Arc;
    use vpn_ticket_bot::service::health::{HealthConfig, HealthEvent, HealthMonitor, PanelProbe};

    let sim = VpnApiSim::start(KEY).await;
    let monitor = |key: &str| {
        let probe = PanelProbe(Arc::new(client(&sim, key)));
        HealthMonitor::new(Arc::new(probe), HealthConfig::default())
    };
    let good = monitor(KEY);
    assert_eq!(good.check_once().await, None);
    sim.set_fault(VpnFault::Status500);
    assert_eq!(good.check_once().await, None);
    assert_eq!(good.check_once().await, None);
    let third = good.check_once().await;
    assert!(
        matches!(&third, Some(HealthEvent::Outage { last_error, .. }) if last_error.contains("HTTP 500")),
        "{third:?}"
    );
    sim.set_fault(VpnFault::None);
    assert!(matches!(
        good.check_once().await,
        Some(HealthEvent::Recovered { .. })
    ));
    let refused = monitor("wrong");
    for _ in 0..2 {
        refused.check_once().await;
    }
    let event = refused.check_once().await;
    assert!(
        matches!(&event, Some(HealthEvent::Outage { last_error, .. }) if last_error.contains("API key refused")),
        "the owners' alert says why: {event:?}"
    );
}
