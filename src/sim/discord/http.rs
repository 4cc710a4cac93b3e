//! The emulator's request/response types at the edge of two libraries: hyper's HTTP/1.1 server
//! (keep-alive, `Content-Length` and chunked bodies) serves any byte stream, so the same code
//! serves plain TCP (proxy mode) and TLS (the `discord.com` mode), and `multer` splits
//! `multipart/form-data` uploads (`files[N]` + `payload_json`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

#[derive(Debug, Clone)]
pub(super) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-cased header names.
    pub headers: HashMap<String, String>,
    pub body: Bytes,
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
    let body = body.collect().await?.to_bytes();
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
pub(super) async fn serve<S, F, Fut>(stream: S, handler: F)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let handler = &handler;
    let service = hyper::service::service_fn(|req| async move {
        Ok::<_, hyper::Error>(to_hyper(handler(from_hyper(req).await?).await))
    });
    // No `timer`: hyper's 30 s header-read timeout stays off, so tests that pause tokio's clock
    // do not see idle keep-alive connections closed under them.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// Splits a `multipart/form-data` body; `None` when the content type is not multipart or the
/// body is malformed.
pub(super) async fn multipart(content_type: &str, body: Bytes) -> Option<Vec<Part>> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let mut form = multer::Multipart::new(
        futures_util::stream::iter([Ok::<_, Infallible>(body)]),
        boundary,
    );
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        parts.push(Part {
            name,
            filename,
            content_type,
            data: field.bytes().await.ok()?.to_vec(),
        });
    }
    Some(parts)
}
