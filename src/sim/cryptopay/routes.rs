//! The emulated service's HTTP side: `/api/{method}`, request counting, faults, the token
//! check, parameter reading (query string, JSON or form body) and the four methods with the
//! service's validation.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{Fault, Shared, now_iso, random_hash};
use crate::cryptopay::{
    CurrencyType, Invoice, InvoiceId, InvoiceStatus, MAX_DESCRIPTION_CHARS, MAX_EXPIRES_IN,
    MAX_PAYLOAD_CHARS, TOKEN_HEADER, is_positive_decimal, split_list,
};

/// Assets the testnet accepts.
const ASSETS: &[&str] = &[
    "USDT", "TON", "BTC", "ETH", "LTC", "BNB", "TRX", "USDC", "JET",
];
/// Fiat currencies the service prices in.
const FIATS: &[&str] = &[
    "USD", "EUR", "RUB", "BYN", "UAH", "GBP", "CNY", "KZT", "UZS", "GEL", "TRY", "AMD", "THB",
    "INR", "BRL", "IDR", "AZN", "AED", "PLN", "ILS",
];

type Params = Map<String, Value>;
type Answer = Result<Value, (u16, &'static str)>;

/// Serves `shared` on `listener` until the task is aborted.
pub(super) fn serve(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    let app = Router::new().fallback(handle).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn handle(
    State(sh): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(method) = uri.path().strip_prefix("/api/").map(str::to_owned) else {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    };
    let fault = {
        let mut st = sh.state();
        *st.requests.entry(method.clone()).or_default() += 1;
        st.take_fault(&method)
    };
    if let Some(answer) = fault_answer(fault).await {
        return answer;
    }
    let token = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    if token != Some(sh.token.as_str()) {
        return refusal(401, 401, "UNAUTHORIZED");
    }
    let Ok(params) = params(&uri, &headers, &body) else {
        return refusal(400, 400, "BAD_REQUEST");
    };
    let answer = match method.as_str() {
        "createInvoice" => create_invoice(&sh, &params),
        "getInvoices" => get_invoices(&sh, &params),
        "deleteInvoice" => delete_invoice(&sh, &params),
        "getMe" => Ok(json!({
            "app_id": 1,
            "name": "vtb-sim",
            "payment_processing_bot_username": "CryptoTestnetBot"
        })),
        _ => Err((405, "METHOD_NOT_FOUND")),
    };
    match answer {
        Ok(result) => axum::Json(json!({ "ok": true, "result": result })).into_response(),
        Err((status, name)) => refusal(status, i64::from(status), name),
    }
}

/// What a fault answers instead of the service (after [`Fault::Slow`]'s delay: nothing).
async fn fault_answer(fault: Option<Fault>) -> Option<Response> {
    match fault? {
        Fault::Status(s) => {
            let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let page = format!("<html><head><title>{s}</title></head><body>nginx</body></html>");
            Some((status, [(CONTENT_TYPE, "text/html")], page).into_response())
        }
        Fault::Slow(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Fault::OkFalse { code, name } => {
            let status = u16::try_from(code)
                .ok()
                .filter(|c| (400..=599).contains(c))
                .unwrap_or(200);
            Some(refusal(status, code, &name))
        }
        Fault::Garbage => Some(
            (
                StatusCode::OK,
                [(CONTENT_TYPE, "text/plain")],
                "upstream says hi",
            )
                .into_response(),
        ),
    }
}

fn refusal(status: u16, code: i64, name: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "ok": false, "error": { "code": code, "name": name } });
    (status, axum::Json(body)).into_response()
}

/// The query string, overlaid with a JSON or form body.
fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Params, ()> {
    let mut out: Params = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.contains("json") {
        match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => out.extend(m),
            _ => return Err(()),
        }
    } else {
        out.extend(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))),
        );
    }
    Ok(out)
}

/// A parameter as text (numbers read as their decimal text; `null` and `""` as absent).
fn text(p: &Params, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(p: &Params, key: &str, name: &'static str) -> Result<Option<i64>, (u16, &'static str)> {
    text(p, key)
        .map(|t| t.trim().parse::<i64>().map_err(|_| (400, name)))
        .transpose()
}

/// An asset list: comma-separated text or a JSON array.
fn list(p: &Params, key: &str) -> Vec<String> {
    match p.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => text(p, key).map(|t| split_list(&t)).unwrap_or_default(),
    }
}

type Currency = (CurrencyType, Option<String>, Option<String>, Vec<String>);

/// `currency_type` with its `asset`, `fiat` and `accepted_assets`, checked.
fn currency(p: &Params) -> Result<Currency, (u16, &'static str)> {
    let currency_type = match text(p, "currency_type").as_deref() {
        None | Some("crypto") => CurrencyType::Crypto,
        Some("fiat") => CurrencyType::Fiat,
        Some(_) => return Err((400, "CURRENCY_TYPE_INVALID")),
    };
    let (asset, fiat) = (text(p, "asset"), text(p, "fiat"));
    let accepted = list(p, "accepted_assets");
    match currency_type {
        CurrencyType::Crypto if !asset.as_deref().is_some_and(|a| ASSETS.contains(&a)) => {
            return Err((400, "ASSET_INVALID"));
        }
        CurrencyType::Crypto if !accepted.is_empty() => {
            return Err((400, "ACCEPTED_ASSETS_INVALID"));
        }
        CurrencyType::Fiat if !fiat.as_deref().is_some_and(|f| FIATS.contains(&f)) => {
            return Err((400, "FIAT_INVALID"));
        }
        _ => {}
    }
    if accepted.iter().any(|a| !ASSETS.contains(&a.as_str())) {
        return Err((400, "ACCEPTED_ASSETS_INVALID"));
    }
    Ok((currency_type, asset, fiat, accepted))
}

fn create_invoice(sh: &Shared, p: &Params) -> Answer {
    let (currency_type, asset, fiat, accepted) = currency(p)?;
    let amount = text(p, "amount").ok_or((400, "AMOUNT_INVALID"))?;
    if !is_positive_decimal(&amount, 18) {
        return Err((400, "AMOUNT_INVALID"));
    }
    let payload = text(p, "payload");
    if payload
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_PAYLOAD_CHARS)
    {
        return Err((400, "PAYLOAD_INVALID"));
    }
    let description = text(p, "description");
    if description
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err((400, "DESCRIPTION_INVALID"));
    }
    let expires_in = int(p, "expires_in", "EXPIRES_IN_INVALID")?;
    if expires_in.is_some_and(|e| !(1..=i64::from(MAX_EXPIRES_IN)).contains(&e)) {
        return Err((400, "EXPIRES_IN_INVALID"));
    }
    let mut st = sh.state();
    let id = InvoiceId(st.next_id);
    st.next_id += 1;
    let hash = format!("IV{}", random_hash());
    let invoice = Invoice {
        invoice_id: id,
        bot_invoice_url: format!("https://t.me/CryptoTestnetBot?start={hash}"),
        hash: Some(hash),
        status: InvoiceStatus::Active,
        currency_type,
        asset: asset.filter(|_| currency_type == CurrencyType::Crypto),
        fiat: fiat.filter(|_| currency_type == CurrencyType::Fiat),
        accepted_assets: accepted,
        amount,
        paid_asset: None,
        paid_amount: None,
        paid_fiat_rate: None,
        description,
        payload,
        created_at: Some(now_iso(0)),
        paid_at: None,
        expiration_date: expires_in.map(|s| now_iso(s * 1000)),
    };
    let out = render(&invoice);
    st.invoices.push(invoice);
    Ok(out)
}

fn get_invoices(sh: &Shared, p: &Params) -> Answer {
    let ids = match text(p, "invoice_ids") {
        None if p.get("invoice_ids").is_some_and(Value::is_array) => list(p, "invoice_ids"),
        None => Vec::new(),
        Some(t) => split_list(&t),
    };
    let ids = ids
        .iter()
        .map(|s| s.parse().map(InvoiceId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| (400, "INVOICE_IDS_INVALID"))?;
    let status = text(p, "status");
    let (asset, fiat) = (text(p, "asset"), text(p, "fiat"));
    let offset = int(p, "offset", "OFFSET_INVALID")?.unwrap_or(0);
    let count = int(p, "count", "COUNT_INVALID")?.unwrap_or(100);
    if offset < 0 {
        return Err((400, "OFFSET_INVALID"));
    }
    if !(1..=1000).contains(&count) {
        return Err((400, "COUNT_INVALID"));
    }
    let st = sh.state();
    let items: Vec<Value> = st
        .invoices
        .iter()
        .rev()
        .filter(|i| ids.is_empty() || ids.contains(&i.invoice_id))
        .filter(|i| status.as_deref().is_none_or(|s| i.status.as_str() == s))
        .filter(|i| asset.is_none() || i.asset == asset)
        .filter(|i| fiat.is_none() || i.fiat == fiat)
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(count).unwrap_or(0))
        .map(render)
        .collect();
    Ok(json!({ "items": items }))
}

fn delete_invoice(sh: &Shared, p: &Params) -> Answer {
    let id = int(p, "invoice_id", "INVOICE_ID_INVALID")?.ok_or((400, "INVOICE_ID_INVALID"))?;
    let mut st = sh.state();
    let before = st.invoices.len();
    st.invoices.retain(|i| i.invoice_id != InvoiceId(id));
    if st.invoices.len() == before {
        return Err((400, "INVOICE_NOT_FOUND"));
    }
    Ok(Value::Bool(true))
}

/// An invoice as the service sends it: our fields plus the ones this code ignores.
pub(super) fn render(inv: &Invoice) -> Value {
    let mut v = serde_json::to_value(inv).expect("invoice json");
    if let (Value::Object(m), Some(hash)) = (&mut v, &inv.hash) {
        m.insert(
            "mini_app_invoice_url".into(),
            json!(format!(
                "https://t.me/CryptoTestnetBot/app?startapp=invoice-{hash}"
            )),
        );
        m.insert(
            "web_app_invoice_url".into(),
            json!(format!("https://testnet-app.send.tg/invoices/{hash}")),
        );
        m.insert("allow_comments".into(), json!(true));
        m.insert("allow_anonymous".into(), json!(true));
    }
    v
}
