use serde_json::json;

use super::*;

fn fiat_params() -> CreateInvoice {
    CreateInvoice {
        currency_type: CurrencyType::Fiat,
        asset: None,
        fiat: Some("USD".into()),
        accepted_assets: vec!["USDT".into(), "TON".into()],
        amount: "12.50".into(),
        description: Some("VPN, 30 days".into()),
        payload: "vtb:42:nonce".into(),
        expires_in: 3600,
    }
}

#[test]
fn an_invoice_reads_numbers_sent_as_strings_or_numbers() {
    let inv: Invoice = serde_json::from_value(json!({
        "invoice_id": "528890",
        "hash": "IVDoTcNBYEfk",
        "currency_type": "fiat",
        "fiat": "USD",
        "accepted_assets": "USDT,TON",
        "amount": 12.5,
        "status": "paid",
        "paid_asset": "USDT",
        "paid_amount": "12.5",
        "paid_fiat_rate": 1,
        "bot_invoice_url": "https://t.me/CryptoTestnetBot?start=IVDoTcNBYEfk",
        "mini_app_invoice_url": "ignored",
        "allow_comments": true,
        "expires_date": "2025-02-08T13:11:01.341Z",
        "payload": "vtb:42"
    }))
    .expect("parses");
    assert_eq!(inv.invoice_id, InvoiceId(528_890));
    assert_eq!(inv.amount, "12.5");
    assert_eq!(inv.paid_fiat_rate.as_deref(), Some("1"));
    assert_eq!(inv.accepted_assets, ["USDT", "TON"]);
    assert_eq!(
        inv.expiration_date.as_deref(),
        Some("2025-02-08T13:11:01.341Z")
    );
    assert_eq!(inv.currency_code(), Some("USD"));
    assert_eq!(inv.invoice_id.to_string(), "528890");
}

#[test]
fn an_unknown_status_is_kept_and_missing_optionals_are_none() {
    let inv: Invoice = serde_json::from_value(json!({
        "invoice_id": 7,
        "status": "refunded",
        "amount": "1",
        "bot_invoice_url": "u",
        "paid_at": null,
        "asset": ""
    }))
    .expect("parses");
    assert_eq!(inv.status, InvoiceStatus::Other("refunded".into()));
    assert_eq!(inv.status.to_string(), "refunded");
    assert_eq!(
        inv.currency_type,
        CurrencyType::Crypto,
        "the service's default"
    );
    assert_eq!(inv.paid_at, None);
    assert_eq!(inv.asset, None, "an empty string is absent");
    assert!(inv.accepted_assets.is_empty());
}

#[test]
fn a_broken_invoice_is_refused() {
    for v in [
        json!({"invoice_id": 1.5, "status": "paid", "amount": "1", "bot_invoice_url": "u"}),
        json!({"invoice_id": "x", "status": "paid", "amount": "1", "bot_invoice_url": "u"}),
        json!({"invoice_id": 1, "status": "paid", "amount": {}, "bot_invoice_url": "u"}),
        json!({"invoice_id": 1, "status": "paid", "bot_invoice_url": "u"}),
        json!({"invoice_id": 1, "status": "paid", "amount": "1", "bot_invoice_url": "u",
               "currency_type": "barter"}),
    ] {
        assert!(serde_json::from_value::<Invoice>(v.clone()).is_err(), "{v}");
    }
}

#[test]
fn an_invoice_round_trips_through_its_own_json() {
    let inv: Invoice = serde_json::from_value(json!({
        "invoice_id": 3, "status": "active", "currency_type": "crypto", "asset": "TON",
        "amount": "0.5", "bot_invoice_url": "u", "payload": "p"
    }))
    .unwrap();
    let v = serde_json::to_value(&inv).unwrap();
    assert_eq!(v["invoice_id"], json!(3));
    assert_eq!(v["status"], json!("active"));
    assert_eq!(v.get("fiat"), None, "absent options are not sent as null");
    assert_eq!(serde_json::from_value::<Invoice>(v).unwrap(), inv);
}

#[test]
fn create_params_serialise_like_the_api_expects() {
    let v = serde_json::to_value(fiat_params()).unwrap();
    assert_eq!(
        v,
        json!({
            "currency_type": "fiat", "fiat": "USD", "accepted_assets": "USDT,TON",
            "amount": "12.50", "description": "VPN, 30 days", "payload": "vtb:42:nonce",
            "expires_in": 3600
        })
    );
}

#[test]
fn create_params_are_checked_before_sending() {
    assert_eq!(fiat_params().validate(), Ok(()));
    let field = |p: CreateInvoice| match p.validate() {
        Err(CryptoPayError::Invalid { field, .. }) => field,
        other => panic!("expected a local refusal, got {other:?}"),
    };
    for amount in ["0", "0.00", "12.505", "-1", "", "1e2", "12,5"] {
        let p = CreateInvoice {
            amount: amount.into(),
            ..fiat_params()
        };
        assert_eq!(field(p), "amount", "{amount:?}");
    }
    let p = CreateInvoice {
        payload: "x".repeat(4097),
        ..fiat_params()
    };
    assert_eq!(field(p), "payload");
    let p = CreateInvoice {
        payload: "я".repeat(4096),
        ..fiat_params()
    };
    assert_eq!(p.validate(), Ok(()), "the limit counts characters");
    for expires_in in [0, MAX_EXPIRES_IN + 1] {
        let p = CreateInvoice {
            expires_in,
            ..fiat_params()
        };
        assert_eq!(field(p), "expires_in");
    }
    let p = CreateInvoice {
        expires_in: MAX_EXPIRES_IN,
        ..fiat_params()
    };
    assert_eq!(p.validate(), Ok(()));
    let p = CreateInvoice {
        fiat: None,
        ..fiat_params()
    };
    assert_eq!(field(p), "fiat");
    let crypto = CreateInvoice {
        currency_type: CurrencyType::Crypto,
        asset: Some("TON".into()),
        fiat: None,
        accepted_assets: vec![],
        amount: "1.123456789".into(),
        ..fiat_params()
    };
    assert_eq!(crypto.validate(), Ok(()), "TON has 9 decimals");
    let p = CreateInvoice {
        amount: "1.1234567".into(),
        asset: Some("USDT".into()),
        ..crypto.clone()
    };
    assert_eq!(field(p), "amount", "USDT has 6");
    let p = CreateInvoice {
        asset: None,
        ..crypto.clone()
    };
    assert_eq!(field(p), "asset");
    let p = CreateInvoice {
        accepted_assets: vec!["TON".into()],
        ..crypto
    };
    assert_eq!(field(p), "accepted_assets");
}

#[test]
fn app_info_reads_a_string_id() {
    let me: AppInfo = serde_json::from_value(json!({
        "app_id": "17", "name": "shop", "payment_processing_bot_username": "CryptoTestnetBot"
    }))
    .unwrap();
    assert_eq!(me.app_id, 17);
}
