//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use vpn_ticket_bot::config::{Plan, StorageConfig};
use vpn_ticket_bot::store::Store;

/// A storage config rooted in `dir`.
pub(crate) fn storage(dir: &Path) -> StorageConfig {
    StorageConfig {
        data_dir: dir.to_owned(),
        busy_timeout_ms: 5000,
        pool_size: 4,
    }
}

/// A fresh migrated store in `dir`.
pub(crate) fn store(dir: &Path) -> Store {
    Store::open_path(&dir.join("bot.db"), Duration::from_secs(5), 4).unwrap()
}

/// A plan for tests.
pub(crate) fn plan() -> Plan {
    Plan {
        id: "month".into(),
        name: "1 month".into(),
        days: 30,
        traffic_gib: 100,
        device_limit: 2,
        price_minor: 500,
        currency: "USD".into(),
        start_on_first_use: true,
    }
}

/// A panel health monitor whose probe the test switches: store `false` in the returned flag and
/// the next check fails; one failed check is an outage (threshold 1).
pub(crate) fn switchable_monitor() -> (
    vpn_ticket_bot::service::health::HealthMonitor,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use vpn_ticket_bot::service::health::{HealthConfig, HealthMonitor};

    let (probe, healthy) = switchable_probe();
    let health = HealthConfig {
        threshold: 1,
        ..HealthConfig::default()
    };
    (HealthMonitor::new(probe, health), healthy)
}

/// A health probe that answers what the returned flag says (`true` = up).
#[allow(dead_code)]
pub(crate) fn switchable_probe() -> (
    std::sync::Arc<dyn vpn_ticket_bot::service::health::HealthProbe>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use vpn_ticket_bot::service::health::probe_fn;

    let healthy = Arc::new(AtomicBool::new(true));
    let flag = healthy.clone();
    let probe = probe_fn(move || {
        let ok = flag.load(Ordering::SeqCst);
        async move {
            if ok {
                Ok(())
            } else {
                Err("probe says down".to_owned())
            }
        }
    });
    (Arc::new(probe), healthy)
}
