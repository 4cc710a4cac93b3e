//! The families render as OpenMetrics with the counted values and closed label sets.

use super::*;

#[test]
fn counters_render_with_their_values_and_labels() {
    let m = Metrics::new();
    m.order_opened(false);
    m.order_opened(false);
    m.order_opened(true);
    m.receipt("exact_duplicate");
    m.approval("delivered", Some(90.0));
    m.panel_call("ensure_client", true, 0.02);
    m.job_ran("outbox", true, 1_700_000_000.0);
    m.discord_rate_limited();
    let snapshot = Snapshot {
        outbox_pending: 3,
        outbox_failed: vec![("deliver_link".into(), 1)],
        subscriptions: vec![("active".into(), 2)],
    };
    let text = m.render(&snapshot, false, Some(1_700_000_100.0));
    for line in [
        "vtb_orders_total{kind=\"new\"} 2",
        "vtb_orders_total{kind=\"renewal\"} 1",
        "vtb_receipts_total{outcome=\"exact_duplicate\"} 1",
        "vtb_approvals_total{outcome=\"delivered\"} 1",
        "vtb_review_wait_seconds_count 1",
        "vtb_panel_requests_total{panel=\"main\",op=\"ensure_client\",result=\"ok\"} 1",
        "vtb_panel_up{panel=\"main\"} 0",
        "vtb_outbox_pending 3",
        "vtb_outbox_failed{kind=\"deliver_link\"} 1",
        "vtb_subscriptions{status=\"active\"} 2",
        "vtb_backup_last_success_timestamp_seconds 1700000100.0",
        "vtb_job_runs_total{job=\"outbox\",result=\"ok\"} 1",
        "vtb_discord_rate_limits_total 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
    assert!(text.ends_with("# EOF\n"), "not OpenMetrics:\n{text}");
}

#[test]
fn a_family_emptied_in_the_database_disappears_from_the_next_scrape() {
    let m = Metrics::new();
    let failed = Snapshot {
        outbox_failed: vec![("deliver_link".into(), 1)],
        ..Snapshot::default()
    };
    assert!(
        m.render(&failed, true, None)
            .contains("vtb_outbox_failed{kind=\"deliver_link\"} 1")
    );
    let text = m.render(&Snapshot::default(), true, None);
    assert!(!text.contains("vtb_outbox_failed{"), "{text}");
}
