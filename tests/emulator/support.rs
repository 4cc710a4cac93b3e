//! Set-up shared by the emulator tests: an emulator with its serenity `Http`, Discord's error
//! triple of a failed call, a raw GET for queries serenity cannot send, and raw gateway frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use serenity::all::Http;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig};

/// How long a test waits for a gateway frame.
pub(crate) const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// An emulator in proxy mode (plain HTTP, no TLS).
pub(crate) async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: false,
        ..Default::default()
    })
    .await
    .expect("start")
}

/// An emulator, the bot's `Http` (token `t`, application id set), the guild id and `#general`.
pub(crate) async fn setup() -> (Emulator, Http, u64, u64) {
    let emu = emulator().await;
    let http = emu.http_proxy_mode("t");
    let (guild, bot, _) = emu.ids();
    http.set_application_id(serenity::all::ApplicationId::new(bot));
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    (emu, http, guild, general)
}

/// (HTTP status, Discord code, message) of a failed call.
pub(crate) fn failure<T: std::fmt::Debug>(r: serenity::Result<T>) -> (u16, isize, String) {
    match r {
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            (e.status_code.as_u16(), e.error.code, e.error.message)
        }
        other => panic!("expected a Discord error, got {other:?}"),
    }
}

/// The Discord error code of a failed call.
pub(crate) fn code<T: std::fmt::Debug>(r: serenity::Result<T>) -> isize {
    failure(r).1
}

/// A raw GET with the bot token, for queries serenity cannot produce.
pub(crate) async fn raw_get(emu: &Emulator, path: &str) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("{}/api/v10{path}", emu.base_url()))
        .header("authorization", "Bot t")
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A raw gateway connection.
pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame (each websocket message is one frame).
pub(crate) async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(FRAME_TIMEOUT, ws.next())
            .await
            .expect("frame in time")
            .expect("open")
            .expect("ok");
        if let WsMessage::Text(t) = m {
            return serde_json::from_str(&t).expect("json");
        }
    }
}

/// Sends one frame.
pub(crate) async fn send(ws: &mut Ws, v: Value) {
    ws.send(WsMessage::Text(v.to_string())).await.expect("send");
}

/// Opens a gateway connection and checks that the first frame is HELLO (op 10).
pub(crate) async fn hello(emu: &Emulator) -> Ws {
    let url = format!("{}/?v=10", emu.ws_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    assert_eq!(recv(&mut ws).await["op"], 10);
    ws
}
