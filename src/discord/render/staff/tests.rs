use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::panel::{Generation, XrayState};
use crate::service::revenue::PeriodKeys;

fn usd(total_minor: i64, sales: i64) -> CurrencyTotal {
    CurrencyTotal {
        currency: "USD".into(),
        total_minor,
        sales,
    }
}

fn report(breaker: BreakerSnapshot, panel: PanelCheck) -> HealthReport {
    HealthReport {
        breaker,
        panel,
        outbox: Backlog::default(),
        last_backup: None,
        failed_links: Vec::new(),
    }
}

fn closed() -> BreakerSnapshot {
    BreakerSnapshot {
        state: BreakerState::Closed,
        failures: 0,
        outage_since: None,
        last_error: None,
    }
}

#[test]
fn revenue_lines_per_currency_with_sale_counts() {
    assert_eq!(revenue_lines(Lang::En, &[]), "—");
    let eur = CurrencyTotal {
        currency: "EUR".into(),
        total_minor: 1250,
        sales: 2,
    };
    assert_eq!(
        revenue_lines(Lang::En, &[eur, usd(500, 1)]),
        "12.50 EUR (2 sales)\n5.00 USD (1 sale)"
    );
}

#[test]
fn the_report_embed_is_the_dashboard_plus_the_last_days() {
    let totals = RevenueTotals {
        keys: PeriodKeys::of_date(jiff::civil::date(2026, 11, 21)),
        today: vec![usd(500, 1)],
        this_month: vec![usd(1500, 3)],
        this_quarter: vec![usd(1500, 3)],
        this_year: vec![usd(9000, 18)],
    };
    let days = vec![
        DayTotal {
            day: "2026-11-20".into(),
            totals: vec![],
        },
        DayTotal {
            day: "2026-11-21".into(),
            totals: vec![usd(500, 1)],
        },
    ];
    assert_eq!(
        day_lines(Lang::En, &days),
        "`2026-11-20` —\n`2026-11-21` 5.00 USD (1 sale)"
    );
    let r = RevenueReport {
        totals: totals.clone(),
        last_days: days,
        time_zone: "Europe/Berlin".into(),
    };
    let dashboard = serde_json::to_value(revenue_embed(Lang::En, &totals, "Shop")).unwrap();
    let report = serde_json::to_value(revenue_report_embed(Lang::En, &r, "Shop")).unwrap();
    let fields = report["fields"].as_array().unwrap();
    assert_eq!(
        fields[..4],
        dashboard["fields"].as_array().unwrap()[..],
        "the dashboard's four periods first"
    );
    assert_eq!(fields[0]["name"], "Today (2026-11-21)");
    assert_eq!(fields[3]["value"], "90.00 USD (18 sales)");
    assert_eq!(fields[4]["name"], "Last 2 days");
    assert_eq!(report["description"], "Shop time zone: Europe/Berlin");
}

#[test]
fn health_during_an_outage_names_its_start_and_last_error() {
    let since: jiff::Timestamp = "2026-11-21T10:00:00Z".parse().unwrap();
    let down = BreakerSnapshot {
        state: BreakerState::Open,
        failures: 3,
        outage_since: Some(since),
        last_error: Some("connection refused".into()),
    };
    let text = health_text(Lang::En, &report(down, PanelCheck::Skipped));
    let secs = since.as_second();
    assert!(
        text.contains(&format!("🔴 outage since <t:{secs}:f> (<t:{secs}:R>)")),
        "{text}"
    );
    assert!(text.contains("Last error: connection refused"), "{text}");
    assert!(
        text.contains("**Panel:** not asked during the outage"),
        "{text}"
    );
    assert!(text.contains("**Last backup:** none yet"), "{text}");
}

#[test]
fn health_of_a_live_panel_with_a_backlog() {
    let status = PanelStatus {
        generation: Generation::B,
        panel_version: Some("3.6.0".into()),
        xray: XrayState::Running,
        xray_version: "25.10.31".into(),
        uptime_secs: 90_061,
    };
    let mut r = report(closed(), PanelCheck::Live(status));
    r.outbox = Backlog {
        pending: 2,
        failed: 1,
        oldest_pending_at: Some(1_700_000_000_500),
    };
    r.last_backup = Some(jiff::Timestamp::from_second(1_700_000_100).unwrap());
    let text = health_text(Lang::En, &r);
    for part in [
        "**Breaker:** ✅ ok",
        "version 3.6.0, API Gen B",
        "Xray running (v25.10.31); host up 1 d 1 h 1 min",
        "**Outbox:** 2 deliveries waiting, the oldest queued <t:1700000000:R>; 1 given up",
        "**Last backup:** <t:1700000100:f>",
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
}

#[test]
fn health_with_failing_checks_below_the_threshold_and_a_failed_call() {
    let failing = BreakerSnapshot {
        failures: 2,
        last_error: Some("x".repeat(ERROR_CHARS + 50)),
        ..closed()
    };
    let text = health_text(
        Lang::En,
        &report(failing, PanelCheck::Failed("timeout".into())),
    );
    assert!(
        text.contains("⚠️ ok, but the last 2 health check(s) failed"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}…", "x".repeat(ERROR_CHARS))),
        "long errors are clipped: {text}"
    );
    assert!(!text.contains(&"x".repeat(ERROR_CHARS + 1)), "{text}");
    assert!(text.contains("the status call failed: timeout"), "{text}");
    assert!(text.contains("**Outbox:** nothing waiting"), "{text}");
}

#[test]
fn backup_answer_names_the_file_size_and_time() {
    let r = BackupReport {
        path: PathBuf::from("/data/backups/bot-20261121T140811Z.db"),
        bytes: 1536,
        schema_version: 4,
        took: Duration::from_millis(340),
        copy_took: Duration::from_millis(120),
        verify_took: Duration::from_millis(200),
        removed: vec![PathBuf::from("/data/backups/bot-20261101T000000Z.db")],
    };
    assert_eq!(
        backup_text(Lang::En, &r),
        "Backup written and verified: `bot-20261121T140811Z.db` (1.5 KiB, schema version 4) \
         in 0.34 s. 1 old backup(s) deleted by retention."
    );
}

#[test]
fn uptime_and_clip_edges() {
    assert_eq!(uptime(Lang::En, 0), "unknown");
    assert_eq!(uptime(Lang::En, 59), "0 min");
    assert_eq!(uptime(Lang::En, 3_660), "1 h 1 min");
    assert_eq!(clip("short"), "short");
    let multibyte = "é".repeat(ERROR_CHARS + 1);
    assert_eq!(clip(&multibyte), format!("{}…", "é".repeat(ERROR_CHARS)));
}

#[test]
fn health_lists_the_links_never_delivered() {
    let mut r = report(closed(), PanelCheck::Skipped);
    assert!(!health_text(Lang::En, &r).contains("Links not delivered"));
    r.failed_links = vec![(crate::domain::UserId(7), crate::domain::PaymentId(3))];
    let text = health_text(Lang::En, &r);
    assert!(text.contains("Links not delivered"), "{text}");
    assert!(text.contains("<@7> (payment #3)"), "{text}");
}

#[test]
fn staff_views_follow_the_staff_language() {
    let mut r = report(closed(), PanelCheck::Skipped);
    r.failed_links = vec![(crate::domain::UserId(7), crate::domain::PaymentId(3))];
    let ru = health_text(Lang::Ru, &r);
    assert!(ru.starts_with("**Состояние панели**"), "{ru}");
    assert!(ru.contains("<@7> (платёж №3)"), "{ru}");
    let sales = |n| CurrencyTotal {
        currency: "USD".into(),
        total_minor: 500 * n,
        sales: n,
    };
    assert_eq!(
        revenue_lines(Lang::Ru, &[sales(2)]),
        "10.00 USD (2 продажи)"
    );
    assert_eq!(revenue_lines(Lang::Ru, &[sales(5)]), "25.00 USD (5 продаж)");
    assert_eq!(revenue_lines(Lang::En, &[sales(1)]), "5.00 USD (1 sale)");
}
