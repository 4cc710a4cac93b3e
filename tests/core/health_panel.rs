//! The health monitor probing the real panel client against the panel emulator: outage after
//! the threshold, Xray stopped counts as down, recovery closes the breaker.

use std::sync::Arc;
use std::time::Duration;

use vpn_ticket_bot::config::{PanelConfig, Secret};
use vpn_ticket_bot::panel::{PanelApi, XuiClient};
use vpn_ticket_bot::service::health::{HealthConfig, HealthEvent, HealthMonitor, PanelProbe};
use vpn_ticket_bot::sim::panel::{Fault, PanelSim, Profile};

fn monitor(sim: &PanelSim) -> HealthMonitor {
    let p = sim.profile();
    let config = PanelConfig {
        base_url: sim.base_url(),
        username: p.username.clone(),
        password: Secret::new(p.password.clone()),
        timeout_secs: 2,
        ..PanelConfig::default()
    };
    let panel: Arc<dyn PanelApi> = Arc::new(XuiClient::new(&config).unwrap());
    HealthMonitor::new(
        Arc::new(PanelProbe(panel)),
        HealthConfig {
            interval: Duration::from_secs(60),
            threshold: 3,
            probe_timeout: Duration::from_secs(3),
        },
    )
}

#[tokio::test]
async fn outage_after_three_failed_probes_and_recovery() {
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let monitor = monitor(&sim);
    let breaker = monitor.breaker();
    assert_eq!(monitor.check_once().await, None, "healthy panel");

    sim.set_fault(Fault::Down).await;
    assert_eq!(monitor.check_once().await, None);
    assert_eq!(monitor.check_once().await, None);
    assert!(!breaker.is_outage(), "two failures are not an outage");
    match monitor.check_once().await {
        Some(HealthEvent::Outage { last_error, .. }) => {
            assert!(last_error.contains("panel unavailable"), "{last_error}");
        }
        other => panic!("expected an outage, got {other:?}"),
    }
    assert!(breaker.is_outage());
    assert!(breaker.check().is_err(), "calls fail fast while open");

    sim.set_fault(Fault::None).await;
    assert!(matches!(
        monitor.check_once().await,
        Some(HealthEvent::Recovered { .. })
    ));
    assert!(!breaker.is_outage());
    assert!(breaker.check().is_ok());
}

#[tokio::test]
async fn a_stopped_xray_counts_as_down() {
    let sim = PanelSim::start(Profile::v2_8_3()).await;
    let monitor = monitor(&sim);
    sim.set_xray_state("stop");
    for _ in 0..2 {
        assert_eq!(monitor.check_once().await, None);
    }
    match monitor.check_once().await {
        Some(HealthEvent::Outage { last_error, .. }) => {
            assert!(last_error.contains("Xray is stopped"), "{last_error}");
        }
        other => panic!("expected an outage, got {other:?}"),
    }
}
