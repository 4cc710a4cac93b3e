//! Metrics after a scripted story: exact counter values, no Discord id in any label, the
//! listener off unless configured, the bearer token enforced when set.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use vpn_ticket_bot::config::Secret;
use vpn_ticket_bot::metrics::http;

use crate::world::World;

/// Carol orders, pays and is approved; Mallory reuses Carol's screenshot and is refused.
async fn story(w: &World) {
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, png) = w.upload(w.carol, ticket, 11, 1).await;
    w.approve(&card).await;
    w.dm(w.carol, "vless://").await.expect("link DM");
    let (ticket, order) = w.open_ticket(w.mallory).await;
    w.pick_method(w.mallory, ticket, order).await;
    w.emu
        .user_message(w.mallory, ticket, "paid", Some(("pay.png", png)))
        .unwrap();
    w.message_in(ticket, "the duplicate refusal", |m| {
        m.content.contains("already submitted")
    })
    .await;
}

fn value(text: &str, series: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_after_the_story_shows_exact_counts_no_discord_id_and_needs_the_token() {
    let w = World::start().await;
    let shutdown = CancellationToken::new();
    assert!(
        http::start(w.app.clone(), shutdown.clone())
            .await
            .unwrap()
            .is_none(),
        "no listener without metrics.listen"
    );
    story(&w).await;
    let text = http::scrape(&w.app).await.unwrap();
    for (series, expected) in [
        ("vtb_orders_total{kind=\"new\"}", "2"),
        ("vtb_receipts_total{outcome=\"accepted\"}", "1"),
        ("vtb_receipts_total{outcome=\"exact_duplicate\"}", "1"),
        ("vtb_approvals_total{outcome=\"delivered\"}", "1"),
        ("vtb_review_wait_seconds_count", "1"),
        ("vtb_provision_seconds_count", "1"),
        ("vtb_subscriptions{status=\"active\"}", "1"),
        ("vtb_panel_up{panel=\"main\"}", "1"),
    ] {
        assert_eq!(
            value(&text, series).as_deref(),
            Some(expected),
            "{series} in\n{text}"
        );
    }
    assert!(value(&text, "vtb_approvals_total{outcome=\"rejected\"}").is_none());
    // Approval creates the client through `provision` (ensure_client plus the backend's link).
    let ensure = "vtb_panel_requests_total{panel=\"main\",op=\"provision\",result=\"ok\"}";
    assert!(value(&text, ensure).is_some(), "{text}");
    // No label value holds a Discord id (or any long number).
    let ids = [w.carol, w.mallory, w.alice, w.general, w.admin_channel];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let labels = line.split_once('{').map_or("", |(_, rest)| rest);
        let labels = labels.split_once('}').map_or("", |(l, _)| l);
        for id in ids {
            assert!(!labels.contains(&id.to_string()), "a Discord id in {line}");
        }
        // Histogram bucket bounds (`le`) are numbers by nature; every other value is a word.
        for pair in labels
            .split(',')
            .filter(|p| !p.is_empty() && !p.starts_with("le="))
        {
            let value = pair
                .split_once('=')
                .map_or("", |(_, v)| v)
                .trim_matches('"');
            assert!(
                value.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "label value {value:?} in {line}"
            );
        }
    }
    listener_requires_the_token(&w).await;
    w.stop().await;
}

/// A listener with a bearer token answers 401 without it or with another, the OpenMetrics text
/// with it, 404 elsewhere.
async fn listener_requires_the_token(w: &World) {
    let shutdown = CancellationToken::new();
    let (addr, task) = http::serve(
        "127.0.0.1:0".parse().unwrap(),
        Secret::new("s3cret"),
        Arc::clone(&w.app),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let url = format!("http://{addr}/metrics");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let bare = client.get(&url).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let wrong = client.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = client.get(&url).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let body = ok.text().await.unwrap();
    assert!(
        body.contains("vtb_outbox_pending") && body.ends_with("# EOF\n"),
        "{body}"
    );
    let other = client.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    shutdown.cancel();
    task.await.unwrap();
}
