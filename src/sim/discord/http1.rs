//! A small HTTP/1.1 server (keep-alive, `Content-Length` and chunked bodies) over any byte
//! stream, so the same code serves plain TCP (proxy mode) and TLS (the `discord.com` mode), plus a
//! `multipart/form-data` parser for `files[N]` + `payload_json` uploads. It is deliberately
//! minimal: reqwest is its only client.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

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

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Serves requests on one connection until the peer closes it.
pub async fn serve<S, F, Fut>(stream: S, handler: F)
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let mut r = BufReader::new(stream);
    loop {
        let Ok(Some(req)) = read_request(&mut r).await else {
            return;
        };
        let close = req
            .headers
            .get("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let resp = handler(req).await;
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\n",
            resp.status,
            reason(resp.status),
            resp.body.len()
        );
        if !resp.content_type.is_empty() {
            let _ = write!(head, "content-type: {}\r\n", resp.content_type);
        }
        for (k, v) in &resp.headers {
            let _ = write!(head, "{k}: {v}\r\n");
        }
        head.push_str("\r\n");
        // One write per response: split writes meet Nagle + delayed ACK (40 ms per request).
        let mut out = head.into_bytes();
        out.extend_from_slice(&resp.body);
        let w = r.get_mut();
        if w.write_all(&out).await.is_err() || w.flush().await.is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

async fn read_request<S: AsyncRead + Unpin>(
    r: &mut BufReader<S>,
) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).await? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).await?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if n == 0 {
                let mut end = String::new();
                r.read_line(&mut end).await?;
                break;
            }
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).await?;
            chunk.truncate(n);
            body.extend_from_slice(&chunk);
        }
    } else if let Some(n) = headers
        .get("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        body = vec![0; n];
        r.read_exact(&mut body).await?;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target, String::new()),
    };
    Ok(Some(Request {
        method,
        path,
        query,
        headers,
        body,
    }))
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
