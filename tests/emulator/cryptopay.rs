//! The Crypto Pay client against `sim::cryptopay`: the invoice life cycle, the service's and
//! the local refusals, faults sorted into `CryptoPayError`, and the webhook listener fed
//! signed, repeated and forged deliveries.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::Secret;
use vpn_ticket_bot::cryptopay::webhook::{Wake, WebhookListener};
use vpn_ticket_bot::cryptopay::{
    CreateInvoice, CryptoPayApi, CryptoPayClient, CryptoPayError, CurrencyType, InvoiceId,
    InvoiceStatus,
};
use vpn_ticket_bot::sim::cryptopay::{CryptoPaySim, Fault, WebhookMutation};

const TOKEN: &str = "4321:AAsimToken";

async fn setup() -> (CryptoPaySim, CryptoPayClient) {
    let sim = CryptoPaySim::start(TOKEN).await;
    let client = client_for(&sim, TOKEN, Duration::from_secs(5));
    (sim, client)
}

/// Creates a USD invoice of `amount` with `payload`; its id.
async fn created(client: &CryptoPayClient, amount: &str, payload: &str) -> InvoiceId {
    client
        .create_invoice(&usd(amount, payload))
        .await
        .unwrap()
        .invoice_id
}

fn client_for(sim: &CryptoPaySim, token: &str, timeout: Duration) -> CryptoPayClient {
    CryptoPayClient::new(&sim.base_url(), Secret::new(token), timeout).expect("client")
}

fn usd(amount: &str, payload: &str) -> CreateInvoice {
    CreateInvoice {
        currency_type: CurrencyType::Fiat,
        asset: None,
        fiat: Some("USD".into()),
        accepted_assets: vec!["USDT".into(), "TON".into()],
        amount: amount.into(),
        description: Some("VPN, 30 days".into()),
        payload: payload.into(),
        expires_in: 3600,
    }
}

#[tokio::test]
async fn an_invoice_is_created_read_paid_and_read_again() {
    let (sim, client) = setup().await;
    let api: &dyn CryptoPayApi = &client;
    let inv = api
        .create_invoice(&usd("12.50", "vtb:42:n1"))
        .await
        .expect("created");
    assert_eq!(inv.status, InvoiceStatus::Active);
    assert_eq!(inv.amount, "12.50");
    assert_eq!(inv.fiat.as_deref(), Some("USD"));
    assert_eq!(inv.accepted_assets, ["USDT", "TON"]);
    assert_eq!(inv.payload.as_deref(), Some("vtb:42:n1"));
    assert!(inv.bot_invoice_url.starts_with("https://t.me/"), "{inv:?}");
    assert!(inv.expiration_date.is_some(), "expires_in was given");

    let read = api.get_invoices(&[inv.invoice_id]).await.expect("read");
    assert_eq!(read, vec![inv.clone()]);

    assert!(sim.pay(inv.invoice_id));
    let paid = api.get_invoices(&[inv.invoice_id]).await.expect("read");
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].status, InvoiceStatus::Paid);
    assert_eq!(
        paid[0].paid_asset.as_deref(),
        Some("USDT"),
        "first accepted"
    );
    assert_eq!(paid[0].paid_amount.as_deref(), Some("12.50"));
    assert!(paid[0].paid_at.is_some());
    assert!(!sim.pay(inv.invoice_id), "paid once only");
    assert_eq!(sim.request_count("createInvoice"), 1);
    assert_eq!(sim.request_count("getInvoices"), 2);
}

#[tokio::test]
async fn invoices_expire_and_are_deleted() {
    let (sim, client) = setup().await;
    let a = client.create_invoice(&usd("1", "a")).await.unwrap();
    let b = client.create_invoice(&usd("2", "b")).await.unwrap();
    assert!(sim.expire(a.invoice_id));
    assert!(!sim.pay(a.invoice_id), "an expired invoice cannot be paid");
    assert_eq!(client.delete_invoice(b.invoice_id).await, Ok(true));
    let left = client
        .get_invoices(&[a.invoice_id, b.invoice_id])
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].invoice_id, a.invoice_id);
    assert_eq!(left[0].status, InvoiceStatus::Expired);
    match client.delete_invoice(b.invoice_id).await {
        Err(CryptoPayError::Rejected { code, name, .. }) => {
            assert_eq!((code, name.as_str()), (Some(400), "INVOICE_NOT_FOUND"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn long_id_lists_are_read_whole_in_chunks() {
    let (sim, client) = setup().await;
    assert_eq!(client.get_invoices(&[]).await, Ok(vec![]));
    assert_eq!(sim.request_count("getInvoices"), 0, "nothing to ask");
    let mut ids = Vec::new();
    for n in 0..101 {
        let inv = client
            .create_invoice(&usd("1", &format!("p{n}")))
            .await
            .unwrap();
        ids.push(inv.invoice_id);
    }
    // More than the service's default count (100) in one call.
    assert_eq!(client.get_invoices(&ids).await.unwrap().len(), 101);
    assert_eq!(sim.request_count("getInvoices"), 1);
    // Unknown ids are absent, and 1001 ids take two calls.
    ids.extend((0..900).map(|n| InvoiceId(900_000 + n)));
    assert_eq!(ids.len(), 1001);
    assert_eq!(client.get_invoices(&ids).await.unwrap().len(), 101);
    assert_eq!(sim.request_count("getInvoices"), 3);
}

#[tokio::test]
async fn bad_parameters_are_refused_locally_or_by_the_service() {
    let (sim, client) = setup().await;
    let local = client
        .create_invoice(&CreateInvoice {
            expires_in: 0,
            ..usd("1", "x")
        })
        .await;
    assert!(
        matches!(
            local,
            Err(CryptoPayError::Invalid {
                field: "expires_in",
                ..
            })
        ),
        "{local:?}"
    );
    assert_eq!(sim.request_count("createInvoice"), 0, "never sent");
    let remote = client
        .create_invoice(&CreateInvoice {
            currency_type: CurrencyType::Crypto,
            asset: Some("DOGE".into()),
            fiat: None,
            accepted_assets: vec![],
            ..usd("1", "x")
        })
        .await;
    assert_eq!(
        remote,
        Err(CryptoPayError::Rejected {
            method: "createInvoice",
            code: Some(400),
            name: "ASSET_INVALID".into()
        })
    );
    assert!(sim.invoices().is_empty());
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error() {
    let (sim, client) = setup().await;
    let me = client.get_me().await.expect("right token");
    assert_eq!(
        me.payment_processing_bot_username.as_deref(),
        Some("CryptoTestnetBot")
    );
    let wrong = client_for(&sim, "4321:AAother", Duration::from_secs(5));
    assert!(matches!(
        wrong.get_me().await,
        Err(CryptoPayError::Auth {
            method: "getMe",
            ..
        })
    ));
    let r = wrong.create_invoice(&usd("1", "x")).await;
    assert!(matches!(r, Err(CryptoPayError::Auth { .. })), "{r:?}");
    assert!(!r.unwrap_err().is_transient());
}

#[tokio::test]
async fn faults_are_sorted_and_used_once() {
    let (sim, client) = setup().await;
    sim.fail_next(Some("getMe"), Fault::Status(500), 1);
    match client.get_me().await {
        Err(e @ CryptoPayError::Unavailable { .. }) => {
            assert!(e.is_transient());
            assert!(matches!(
                e,
                CryptoPayError::Unavailable {
                    http_status: Some(500),
                    ..
                }
            ));
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(client.get_me().await.is_ok(), "the fault was used up");

    sim.fail_next(
        None,
        Fault::OkFalse {
            code: 400,
            name: "AMOUNT_TOO_SMALL".into(),
        },
        1,
    );
    assert_eq!(
        client.create_invoice(&usd("0.01", "x")).await,
        Err(CryptoPayError::Rejected {
            method: "createInvoice",
            code: Some(400),
            name: "AMOUNT_TOO_SMALL".into()
        })
    );

    sim.fail_next(Some("getInvoices"), Fault::Garbage, 1);
    let r = client.get_invoices(&[InvoiceId(1)]).await;
    assert!(
        matches!(
            r,
            Err(CryptoPayError::Protocol {
                method: "getInvoices",
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(sim.request_count("getInvoices"), 1);
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_unavailable_without_a_status() {
    let sim = CryptoPaySim::start(TOKEN).await;
    let client = client_for(&sim, TOKEN, Duration::from_millis(300));
    sim.fail_next(Some("getMe"), Fault::Slow(Duration::from_secs(30)), 1);
    match client.get_me().await {
        Err(CryptoPayError::Unavailable {
            http_status,
            reason,
            ..
        }) => {
            assert_eq!(http_status, None, "{reason}");
            assert!(reason.contains("no answer"), "{reason}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

/// A listener on a free port whose wakes land in the returned channel.
async fn listener(
    max_age: Duration,
) -> (WebhookListener, String, mpsc::UnboundedReceiver<InvoiceId>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let wake: Wake = Arc::new(move |id| {
        let _ = tx.send(id);
    });
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let max_age_ms = i64::try_from(max_age.as_millis()).unwrap();
    let l = WebhookListener::start(
        addr,
        "cryptobot-webhook".into(),
        Secret::new(TOKEN),
        max_age_ms,
        Clock::system(),
        wake,
    )
    .await
    .expect("listening");
    let url = format!("http://{}/cryptobot-webhook", l.local_addr());
    (l, url, rx)
}

#[tokio::test]
async fn a_repeated_delivery_wakes_once() {
    let (sim, client) = setup().await;
    let (l, url, mut woken) = listener(Duration::from_secs(600)).await;
    let a = created(&client, "5", "a").await;
    let b = created(&client, "6", "b").await;
    assert!(sim.pay(a) && sim.pay(b));
    assert_eq!(sim.send_webhook(&url, a).await, 200);
    assert_eq!(
        sim.send_webhook(&url, a).await,
        200,
        "a repeat is acknowledged"
    );
    // `wake` runs before the answer, so both deliveries are fully handled here.
    assert_eq!(woken.try_recv(), Ok(a));
    assert!(woken.try_recv().is_err(), "woken once for two deliveries");
    assert_eq!(sim.send_webhook(&url, b).await, 200);
    assert_eq!(woken.try_recv(), Ok(b));
    l.shutdown().await;
    let after = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(&url)
        .body("{}")
        .send()
        .await;
    assert!(after.is_err(), "stopped: {after:?}");
}

#[tokio::test]
async fn forged_deliveries_are_refused_and_wake_nobody() {
    let (sim, client) = setup().await;
    let (_l, url, mut woken) = listener(Duration::from_secs(600)).await;
    let id = created(&client, "5", "a").await;
    assert!(sim.pay(id));
    for (mutation, status) in [
        (WebhookMutation::ReSerialized, 401),
        (WebhookMutation::WrongToken, 401),
        (WebhookMutation::StaleDate(11), 400),
        (WebhookMutation::FutureDate(11), 400),
    ] {
        assert_eq!(
            sim.send_webhook_with(&url, id, mutation).await,
            status,
            "{mutation:?}"
        );
    }
    assert!(
        woken.try_recv().is_err(),
        "no forged delivery woke the poller"
    );
    let unsigned = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(&url)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    // A delivery still inside the window is fine, and the refused ones left no trace.
    assert_eq!(
        sim.send_webhook_with(&url, id, WebhookMutation::StaleDate(9))
            .await,
        200
    );
    assert_eq!(woken.try_recv(), Ok(id));
}

#[tokio::test]
async fn the_emulator_answers_get_queries_and_filters_like_the_service() {
    let (sim, client) = setup().await;
    let a = created(&client, "1", "a").await;
    let b = created(&client, "2", "b").await;
    let c = created(&client, "3", "c").await;
    assert!(sim.pay(b));
    assert!(
        sim.tamper(c, |i| i.amount = "0.01".into()),
        "a forged amount"
    );
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |query: &str| {
        let req = http
            .get(format!("{}getInvoices?{query}", sim.base_url()))
            .header("Crypto-Pay-API-Token", TOKEN);
        async move {
            let r = req.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["result"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["invoice_id"].as_i64().unwrap())
            .collect()
    };
    let (status, paid) = get("status=paid").await;
    assert_eq!((status, ids(&paid)), (200, vec![b.0]));
    let (_, newest) = get("count=2").await;
    assert_eq!(ids(&newest), vec![c.0, b.0], "newest first");
    let (_, second) = get("count=1&offset=1").await;
    assert_eq!(ids(&second), vec![b.0]);
    let (_, some) = get(&format!("invoice_ids={},{}", a.0, c.0)).await;
    assert_eq!(ids(&some), vec![c.0, a.0]);
    assert_eq!(some["result"]["items"][0]["amount"], "0.01");
    let (status, refused) = get("count=1001").await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["name"], "COUNT_INVALID");

    let r = http
        .post(format!("{}getMe", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"ok": false, "error": {"code": 401, "name": "UNAUTHORIZED"}})
    );
    let form = http
        .post(format!("{}createInvoice", sim.base_url()))
        .header("Crypto-Pay-API-Token", TOKEN)
        .form(&[
            ("asset", "TON"),
            ("amount", "0.5"),
            ("expires_in", "2678401"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 400);
    let body: serde_json::Value = form.json().await.unwrap();
    assert_eq!(body["error"]["name"], "EXPIRES_IN_INVALID");
    assert_eq!(sim.invoices().len(), 3);
}
