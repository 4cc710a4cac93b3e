//! The gateway websocket: HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE, RESUME →
//! replay + RESUMED (or op 9 when the session is unknown), per-session increasing sequence
//! numbers and intent filtering. Dispatches are queued per session, so events emitted while the
//! bot is disconnected are replayed on resume exactly as Discord does.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Inner;
use super::log::LogEntry;
use super::payload;
use super::state::State;

/// Gateway intent bits the emulator filters on.
pub mod intents {
    pub const GUILDS: u64 = 1;
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// One gateway session (survives disconnects until re-identify).
#[derive(Debug)]
pub struct Session {
    pub intents: u64,
    /// Every dispatch frame of the session; frame `i` has sequence `i + 1`.
    pub frames: Vec<Value>,
    pub notify: Arc<Notify>,
}

impl State {
    /// Queues a dispatch for every session whose intents allow it (`intent == 0`: always sent).
    /// Without MESSAGE_CONTENT, message content, embeds, attachments and components are emptied,
    /// except in DMs, in messages that mention the bot and in the bot's own messages (Discord's
    /// rule).
    pub(crate) fn dispatch(&mut self, t: &str, d: &Value, intent: u64) {
        let bot = self.bot_id.to_string();
        let exempt = d["author"]["id"].as_str() == Some(bot.as_str())
            || d.get("guild_id").is_none()
            || d["content"].as_str().is_some_and(|c| {
                c.contains(&format!("<@{bot}>")) || c.contains(&format!("<@!{bot}>"))
            });
        for s in self.sessions.values_mut() {
            if intent != 0 && s.intents & intent == 0 {
                continue;
            }
            let mut d = d.clone();
            if t.starts_with("MESSAGE_")
                && s.intents & intents::MESSAGE_CONTENT == 0
                && !exempt
                && d.get("content").is_some()
            {
                d["content"] = json!("");
                d["embeds"] = json!([]);
                d["attachments"] = json!([]);
                d["components"] = json!([]);
            }
            let seq = s.frames.len() + 1;
            s.frames.push(json!({"op": 0, "s": seq, "t": t, "d": d}));
            s.notify.notify_one();
        }
    }
}

async fn send(inner: &Inner, tx: &mut (impl SinkExt<Message> + Unpin), frame: Value) -> bool {
    inner.with(|s| {
        let at_ms = s.now_ms();
        s.log.push(LogEntry::Frame {
            at_ms,
            dir: "out",
            frame: frame.clone(),
        });
    });
    tx.send(Message::Text(frame.to_string())).await.is_ok()
}

/// Serves one websocket connection.
pub(crate) async fn serve(inner: Arc<Inner>, stream: TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let mut kill = inner.kill_gateway.subscribe();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": inner.config.heartbeat_interval_ms}, "s": null, "t": null});
    if !send(&inner, &mut tx, hello).await {
        return;
    }
    // (session id, its notify, frames already sent)
    let mut session: Option<(String, Arc<Notify>, usize)> = None;
    loop {
        let waker = session.as_ref().map(|(_, n, _)| n.clone());
        let notified = async move {
            match waker {
                Some(n) => n.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            msg = rx.next() => {
                let Some(Ok(msg)) = msg else { return };
                let text = match msg {
                    Message::Text(t) => t,
                    Message::Close(_) => return,
                    _ => continue,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                inner.with(|s| {
                    let at_ms = s.now_ms();
                    s.log.push(LogEntry::Frame { at_ms, dir: "in", frame: frame.clone() });
                });
                let ok = match frame["op"].as_u64() {
                    Some(1) => send(&inner, &mut tx, json!({"op": 11})).await,
                    Some(2) => {
                        session = Some(identify(&inner, &frame["d"]));
                        true
                    }
                    Some(6) => match resume(&inner, &frame["d"]) {
                        Some(s) => {
                            session = Some(s);
                            true
                        }
                        None => send(&inner, &mut tx, json!({"op": 9, "d": false, "s": null, "t": null})).await,
                    },
                    _ => true,
                };
                if !ok {
                    return;
                }
            }
            () = notified => {}
            _ = kill.changed() => {
                let close = CloseFrame { code: CloseCode::Library(4000), reason: "emulator dropped the connection".into() };
                let _ = tx.send(Message::Close(Some(close))).await;
                return;
            }
        }
        // Deliver whatever is queued for this connection's session.
        if let Some((id, _, sent)) = &mut session {
            let pending: Vec<Value> = inner.with(|s| {
                s.sessions
                    .get(id)
                    .map(|x| x.frames[*sent..].to_vec())
                    .unwrap_or_default()
            });
            for f in pending {
                if !send(&inner, &mut tx, f).await {
                    return;
                }
                *sent += 1;
            }
        }
    }
}

fn identify(inner: &Inner, d: &Value) -> (String, Arc<Notify>, usize) {
    let intents = d["intents"].as_u64().unwrap_or(0);
    inner.with(|s| {
        let id = format!("session-{}", s.id());
        let notify = Arc::new(Notify::new());
        s.sessions.clear();
        s.sessions.insert(
            id.clone(),
            Session {
                intents,
                frames: Vec::new(),
                notify: notify.clone(),
            },
        );
        let ready = payload::ready(s, &id, &inner.ws_url());
        // Only this session exists, so these go to it alone.
        s.dispatch("READY", &ready, 0);
        let guild = payload::guild(s, true);
        s.dispatch("GUILD_CREATE", &guild, intents::GUILDS);
        notify.notify_one();
        (id, notify, 0)
    })
}

fn resume(inner: &Inner, d: &Value) -> Option<(String, Arc<Notify>, usize)> {
    let id = d["session_id"].as_str()?.to_owned();
    let seq = usize::try_from(d["seq"].as_u64().unwrap_or(0)).unwrap_or(0);
    inner.with(|s| {
        if s.fail_next_resume {
            s.fail_next_resume = false;
            s.sessions.remove(&id);
            return None;
        }
        let sess = s.sessions.get_mut(&id)?;
        let seq = seq.min(sess.frames.len());
        let next = sess.frames.len() + 1;
        sess.frames
            .push(json!({"op": 0, "s": next, "t": "RESUMED", "d": {}}));
        let notify = sess.notify.clone();
        notify.notify_one();
        Some((id, notify, seq))
    })
}
