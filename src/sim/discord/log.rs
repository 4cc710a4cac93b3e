//! The request/frame log: every REST request the emulator answered (method, route template,
//! path, request body, status, response body) and every gateway frame sent or received, in order.
//! Tests assert on it, check every payload against serenity's model types, and validate request
//! bodies against Discord's OpenAPI description; it can be written out as JSON lines.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

/// One logged exchange.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogEntry {
    /// A REST request and the emulator's answer.
    Rest {
        at_ms: u64,
        method: String,
        /// The route template, e.g. `/channels/{channel_id}/messages`.
        route: String,
        path: String,
        /// The JSON body (for multipart, the `payload_json` part); `null` when there is none.
        request: Value,
        /// Names of uploaded file parts (multipart only).
        files: Vec<String>,
        status: u16,
        response: Value,
    },
    /// A gateway frame; `dir` is `"out"` (emulator → bot) or `"in"`.
    Frame {
        at_ms: u64,
        dir: &'static str,
        frame: Value,
    },
}

impl LogEntry {
    /// `(method, route)` for REST entries.
    pub fn route(&self) -> Option<(&str, &str)> {
        match self {
            LogEntry::Rest { method, route, .. } => Some((method, route)),
            LogEntry::Frame { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            LogEntry::Rest { status, .. } => Some(*status),
            LogEntry::Frame { .. } => None,
        }
    }
}

/// Writes entries as JSON lines.
///
/// # Errors
/// When the file cannot be written.
pub fn write_jsonl(entries: &[LogEntry], path: &Path) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for e in entries {
        serde_json::to_writer(&mut f, e)?;
        f.write_all(b"\n")?;
    }
    f.flush()
}
