use super::*;
use crate::cryptopay::{InvoiceId, InvoiceStatus};

const TOKEN: &str = "12345:AAtokenForTests";
/// A delivery as the service would send it (numbers-as-numbers in `paid_amount` on purpose).
const BODY: &str = r#"{"update_id":7,"update_type":"invoice_paid","request_date":"2025-02-08T12:12:01.341Z","payload":{"invoice_id":528890,"hash":"IVDoTcNBYEfk","currency_type":"fiat","fiat":"USD","amount":"12.5","status":"paid","bot_invoice_url":"https://t.me/CryptoTestnetBot?start=IVDoTcNBYEfk","paid_asset":"USDT","paid_amount":12.5,"payload":"vtb:42"}}"#;
/// Computed independently: Python `hmac.new(hashlib.sha256(TOKEN).digest(), BODY,
/// hashlib.sha256).hexdigest()`.
const BODY_SIG: &str = "b3d8d8210305928d93f2b5355b756e11bea8b629fbd149e1c1446ea634910b1f";
const MINUTE: i64 = 60_000;

fn sent_ms() -> i64 {
    "2025-02-08T12:12:01.341Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

fn token() -> Secret {
    Secret::new(TOKEN)
}

#[test]
fn the_signature_matches_an_independent_computation() {
    assert_eq!(sign(BODY.as_bytes(), &token()), BODY_SIG);
}

#[test]
fn a_signed_raw_body_is_accepted_and_read() {
    let u = verify_update(
        BODY.as_bytes(),
        Some(BODY_SIG),
        &token(),
        sent_ms() + 1_000,
        10 * MINUTE,
    )
    .expect("accepted");
    assert_eq!(u.update_id, 7);
    assert_eq!(u.update_type, "invoice_paid");
    assert_eq!(u.payload.invoice_id, InvoiceId(528_890));
    assert_eq!(u.payload.status, InvoiceStatus::Paid);
    assert_eq!(u.payload.paid_amount.as_deref(), Some("12.5"));
    // Upper-case hex is the same signature.
    let upper = BODY_SIG.to_ascii_uppercase();
    assert!(verify_update(BODY.as_bytes(), Some(&upper), &token(), sent_ms(), MINUTE).is_ok());
}

#[test]
fn the_same_json_re_serialised_is_refused() {
    let v: serde_json::Value = serde_json::from_str(BODY).unwrap();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    assert_eq!(
        verify_update(&pretty, Some(BODY_SIG), &token(), sent_ms(), MINUTE),
        Err(WebhookRejection::BadSignature)
    );
}

#[test]
fn another_token_or_a_broken_header_is_refused() {
    let other = Secret::new("12345:AAanotherToken");
    let r = verify_update(BODY.as_bytes(), Some(BODY_SIG), &other, sent_ms(), MINUTE);
    assert_eq!(r, Err(WebhookRejection::BadSignature));
    assert_eq!(r.unwrap_err().http_status(), 401);
    for (sig, want) in [
        (None, WebhookRejection::MissingSignature),
        (Some("zz"), WebhookRejection::MalformedSignature),
        (Some("abcd"), WebhookRejection::MalformedSignature),
        (Some(""), WebhookRejection::MalformedSignature),
    ] {
        assert_eq!(
            verify_update(BODY.as_bytes(), sig, &token(), sent_ms(), MINUTE),
            Err(want),
            "{sig:?}"
        );
    }
}

#[test]
fn stale_and_future_dates_are_refused() {
    let body = BODY.as_bytes();
    let stale = verify_update(
        body,
        Some(BODY_SIG),
        &token(),
        sent_ms() + 11 * MINUTE,
        10 * MINUTE,
    );
    assert_eq!(
        stale,
        Err(WebhookRejection::Stale {
            age_ms: 11 * MINUTE,
            max_age_ms: 10 * MINUTE
        })
    );
    assert_eq!(stale.unwrap_err().http_status(), 400);
    let future = verify_update(
        body,
        Some(BODY_SIG),
        &token(),
        sent_ms() - 11 * MINUTE,
        10 * MINUTE,
    );
    assert!(matches!(future, Err(WebhookRejection::Future { .. })));
    // The edges of the window are inside.
    assert!(
        verify_update(
            body,
            Some(BODY_SIG),
            &token(),
            sent_ms() + 10 * MINUTE,
            10 * MINUTE
        )
        .is_ok()
    );
    assert!(
        verify_update(
            body,
            Some(BODY_SIG),
            &token(),
            sent_ms() - 10 * MINUTE,
            10 * MINUTE
        )
        .is_ok()
    );
}

#[test]
fn a_signed_body_of_the_wrong_shape_is_unparseable() {
    for body in [
        "not json",
        r#"{"update_id":1}"#,
        r#"{"update_id":1,"update_type":"invoice_paid","request_date":"yesterday","payload":{"invoice_id":1,"status":"paid","amount":"1","bot_invoice_url":"u"}}"#,
    ] {
        let sig = sign(body.as_bytes(), &token());
        let r = verify_update(body.as_bytes(), Some(&sig), &token(), sent_ms(), MINUTE);
        assert!(
            matches!(r, Err(WebhookRejection::Unparseable(_))),
            "{body}: {r:?}"
        );
    }
}
