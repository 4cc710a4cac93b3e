//! The emulator's request/response types at the edge of two libraries: hyper's HTTP/1.1 server
//! (keep-alive, `Content-Length` and chunked bodies) serves any byte stream, so the same code
//! serves plain TCP (proxy mode) and TLS (the `discord.com` mode); plus a `multipart/form-data`
//! parser for `files[N]` + `payload_json` uploads.

use std::collections::HashMap;
use std::future::Future;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, v: &serde_json::Value) -> Self {
        Response {
            status,
            headers: Vec::new(),
            content_type: "application/json".into(),
            body: v.to_string().into_bytes(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            content_type: String::new(),
            body: Vec::new(),
        }
    }
}

/// Reads the whole body of a hyper request; an error (the peer went away mid-body) closes the
/// connection.
async fn from_hyper(req: hyper::Request<Incoming>) -> Result<Request, hyper::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes().to_vec();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(Request {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
    })
}

fn to_hyper(r: Response) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder().status(r.status);
    if !r.content_type.is_empty() {
        b = b.header(CONTENT_TYPE, r.content_type);
    }
    for (k, v) in r.headers {
        b = b.header(k, v);
    }
    b.body(Full::new(Bytes::from(r.body))).unwrap_or_else(|_| {
        let mut bad = hyper::Response::new(Full::default());
        *bad.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        bad
    })
}

/// Serves requests on one connection until the peer closes it.
pub async fn serve<S, F, Fut>(stream: S, handler: F)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let handler = &handler;
    let service = hyper::service::service_fn(|req| async move {
        Ok::<_, hyper::Error>(to_hyper(handler(from_hyper(req).await?).await))
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn param(disposition: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = disposition.find(&pat)? + pat.len();
    let end = disposition[start..].find('"')? + start;
    Some(disposition[start..end].to_owned())
}

/// Splits a `multipart/form-data` body; `None` when the content type is not multipart.
pub fn multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?;
    let boundary = boundary.trim_matches('"');
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_string();
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)?;
        let mut name = String::new();
        let mut filename = None;
        let mut content_type = None;
        for h in head.split("\r\n") {
            let Some((k, v)) = h.split_once(':') else {
                continue;
            };
            if k.eq_ignore_ascii_case("content-disposition") {
                name = param(v, "name").unwrap_or_default();
                filename = param(v, "filename");
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(Part {
            name,
            filename,
            content_type,
            data: body[data_start..next].to_vec(),
        });
        pos = next + 2 + delim.len();
    }
    Some(parts)
}
