//! What the panel's Go web framework (Gin) and 3x-ui's controller helpers put on the wire,
//! shared by [`super::http`] (login, sessions) and [`super::routes`] (the API): request binding
//! (`ShouldBind` of JSON or form bodies), path-segment decoding, Gin's 404, the login page's
//! HTML answer and 3x-ui's `{success, msg, obj}` envelope with its success/refusal helpers. A
//! leaf.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Reads a JSON or form body into a map (Gin's `ShouldBind`).
pub(super) fn bind(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.contains("json") {
        return match serde_json::from_slice(body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err("json: cannot unmarshal into Go value of type struct".into()),
            Err(_) if body.is_empty() => Err("EOF".into()),
            Err(e) => Err(e.to_string()),
        };
    }
    let text = String::from_utf8_lossy(body);
    let url = reqwest::Url::parse(&format!("http://form/?{text}")).map_err(|e| e.to_string())?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect())
}

/// A percent-decoded path segment (Gin unescapes the path before matching routes).
pub(super) fn decode(seg: &str) -> String {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = seg
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Gin's answer for an unknown path.
pub(super) fn gin_404() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain")],
        "404 page not found",
    )
        .into_response()
}

/// A 200 HTML page.
pub(super) fn html(page: &'static str) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// `{success, msg, obj}` with HTTP 200.
pub(super) fn envelope(success: bool, msg: &str, obj: Value) -> Response {
    let mut body = Map::new();
    body.insert("success".into(), success.into());
    body.insert("msg".into(), msg.into());
    body.insert("obj".into(), obj);
    let body = Value::Object(body);
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// A success with `obj` (3x-ui's `jsonObj`).
pub(super) fn ok(obj: Value) -> Response {
    envelope(true, "", obj)
}

/// A refusal: `success:false` with the panel's `"Something went wrong (<Go error>)"` message
/// (3x-ui's `jsonMsg`), HTTP 200.
pub(super) fn fail(err: &str) -> Response {
    envelope(false, &format!("Something went wrong ({err})"), Value::Null)
}

/// [`ok`] with no object, or [`fail`] with the error.
pub(super) fn done(r: Result<(), String>) -> Response {
    match r {
        Ok(()) => ok(Value::Null),
        Err(e) => fail(&e),
    }
}
