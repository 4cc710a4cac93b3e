//! Crypto Pay through the real bot, the Discord emulator and the Crypto Pay emulator: a customer
//! picks the Crypto Pay method, pays the invoice in "@CryptoBot" and gets the link with no admin
//! click; the review channel shows the sale; an expired invoice is announced in the ticket with
//! a "New invoice" button that works.

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::domain::status::{OrderStatus, PaymentSource, PaymentStatus};
use vpn_ticket_bot::store;

use crate::world::{World, click_id, custom_ids, order_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pays_a_crypto_pay_invoice_and_gets_the_link_with_no_admin_click() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.mallory).await;
    let (message, invoice) = w
        .inner()
        .pick_crypto(w.mallory, ticket, order)
        .await
        .unwrap();
    // The invoice message: the price, a link button to the invoice, the check button.
    let at_provider = w.pay.invoice(invoice).expect("created at Crypto Pay");
    assert!(
        message.content.contains("**5.00 USD** (pay in USDT, TON)"),
        "{}",
        message.content
    );
    assert!(
        message.embeds.is_empty(),
        "a message of its own, not an edit of the welcome"
    );
    // The ticket's welcome keeps its method select and Cancel button.
    let welcome = w
        .message_in(ticket, "the welcome", |m| {
            custom_ids(m).contains(&CustomId::MethodSelect(order).to_string())
        })
        .await;
    assert!(custom_ids(&welcome).contains(&CustomId::CancelOrder(order).to_string()));
    let buttons = &message.components[0]["components"];
    assert_eq!(buttons[0]["url"], at_provider.bot_invoice_url.as_str());
    assert_eq!(
        buttons[1]["custom_id"],
        CustomId::CheckInvoice(order).to_string()
    );

    let dm = w
        .inner()
        .pay_and_check(w.mallory, &message, invoice)
        .await
        .unwrap();
    let client = w
        .sim
        .clients()
        .into_iter()
        .find(|c| c.email == format!("u{}", w.mallory))
        .expect("a panel client");
    assert!(
        dm.content.contains(&client.id),
        "the DM carries the client's link"
    );
    let status = order_status(&w.app, order);
    assert_eq!(status, OrderStatus::Completed);

    // One payment, by Crypto Pay, approved by nobody; one sale.
    let payments = w
        .app
        .store
        .call(move |c| store::payments::list_for_order(c, order))
        .await
        .unwrap();
    assert_eq!(payments.len(), 1);
    let p = &payments[0];
    assert_eq!(
        (p.source, p.status, p.reviewer_id),
        (PaymentSource::Cryptobot, PaymentStatus::Approved, None)
    );
    let sales = w
        .app
        .store
        .call(|c| store::revenue::entries_between(c, i64::MIN, i64::MAX))
        .await
        .unwrap();
    assert_eq!(
        sales.iter().filter(|e| e.payment_id == Some(p.id)).count(),
        1
    );

    // The review channel shows the sale, with no buttons: nobody had to click.
    let card = w
        .message_in(w.admin_channel, "the sale's card", |m| {
            m.content.contains("Approved") && m.content.contains("automatic (Crypto Pay)")
        })
        .await;
    assert!(
        card.components.is_empty(),
        "no Approve/Reject on an automatic sale"
    );
    assert!(
        card.embeds[0].to_string().contains("Crypto Pay invoice"),
        "{:?}",
        card.embeds
    );
    let admin_clicks = w.emu.read(|s| {
        s.interactions
            .values()
            .filter(|i| i.user_id == w.alice || i.user_id == w.owner)
            .count()
    });
    assert_eq!(admin_clicks, 0);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_invoice_is_announced_in_the_ticket_and_new_invoice_works() {
    let w = World::start().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    let (_, first) = w.inner().pick_crypto(w.carol, ticket, order).await.unwrap();
    assert!(w.pay.expire(first));
    // The poll job's pass (it runs every `poll_interval_secs`; run it now).
    let crypto = w.app.crypto.clone().expect("configured");
    assert_eq!(crypto.poll_once().await.unwrap().expired, 1);
    let new_invoice = CustomId::NewInvoice(order).to_string();
    let notice = w
        .message_in(ticket, "the expiry notice", |m| {
            custom_ids(m).contains(&new_invoice)
        })
        .await;
    assert!(
        notice.content.contains("expired unpaid"),
        "{}",
        notice.content
    );
    w.emu.click_button(
        w.carol,
        notice.id,
        &click_id(&notice, |id| matches!(id, CustomId::NewInvoice(_))),
    );
    let check = CustomId::CheckInvoice(order).to_string();
    let second = w
        .message_in(ticket, "a second invoice", |m| {
            custom_ids(m).contains(&check) && !m.content.contains(&format!("Invoice #{first} "))
        })
        .await;
    let fresh = w
        .pay
        .invoices()
        .into_iter()
        .find(|i| i.invoice_id != first)
        .expect("a new invoice");
    assert!(
        second
            .content
            .contains(&format!("Invoice #{} ", fresh.invoice_id)),
        "{}",
        second.content
    );
    let dm = w
        .inner()
        .pay_and_check(w.carol, &second, fresh.invoice_id)
        .await
        .unwrap();
    assert!(dm.content.contains("vless://"));
    w.stop().await;
}
