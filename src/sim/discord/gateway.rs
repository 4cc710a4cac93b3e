//! The gateway websocket: HELLO, heartbeat ACK, IDENTIFY → READY + GUILD_CREATE, RESUME →
//! replay + RESUMED (or op 9 when the session is unknown), per-session increasing sequence
//! numbers and intent filtering. Dispatches are queued per session, so events emitted while the
//! bot is disconnected are replayed on resume exactly as Discord does. A client that closes with
//! 1000 or 1001 (serenity's `ShardManager::shutdown_all`) ends its session, as Discord does
//! ("your session will be invalidated"): what happens afterwards is dispatched to nobody, and a
//! bot started later (a new IDENTIFY) sees it only through REST. READY and GUILD_CREATE are two
//! frames (READY lists the guild as unavailable, GUILD_CREATE follows with `s` one higher).
//!
//! [`Session`] (with [`REPLAY_BUFFER`]) is defined in `session.rs` and the [`intents`] bits in
//! `state`, so that the state this file serves does not import it back; both stay reachable here.

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
pub use super::session::{REPLAY_BUFFER, Session};
use super::state::State;
pub use super::state::intents;

impl State {
    /// How many gateway sessions exist (connected, or resumable after a disconnect). 0 after the
    /// bot closed with 1000/1001 or before it ever identified: events then reach nobody.
    pub fn gateway_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// How many gateway sessions have a live websocket connection right now (the bot is
    /// "online"). Await `wait_for(|s| (s.gateway_connected() == 0).then_some(()))` after
    /// stopping a bot to be sure it no longer listens.
    pub fn gateway_connected(&self) -> usize {
        self.sessions
            .values()
            .filter(|x| x.connection.is_some())
            .count()
    }

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
            s.push(t, d);
        }
    }
}

async fn send(inner: &Inner, tx: &mut (impl SinkExt<Message> + Unpin), frame: Value) -> bool {
    inner.with(|s| {
        let at_ms = s.now_ms();
        s.record(LogEntry::Frame {
            at_ms,
            dir: "out",
            frame: frame.clone(),
        });
    });
    tx.send(Message::Text(frame.to_string())).await.is_ok()
}

/// (session id, its notify, frames already sent)
type Attached = Option<(String, Arc<Notify>, usize)>;

/// Serves one websocket connection; when it ends, its session is detached (kept for RESUME), or
/// removed when the client closed with 1000/1001.
pub(crate) async fn serve(inner: Arc<Inner>, stream: TcpStream) {
    let conn = inner.with(State::id);
    let mut session: Attached = None;
    let invalidate = run(&inner, stream, conn, &mut session).await;
    if let Some((id, _, _)) = session {
        inner.with(|s| {
            if invalidate {
                s.sessions.remove(&id);
            } else if let Some(x) = s
                .sessions
                .get_mut(&id)
                .filter(|x| x.connection == Some(conn))
            {
                x.connection = None;
            }
        });
    }
}

/// What one client message means for the connection's loop.
enum Next {
    /// Go on: send whatever is queued for the session.
    Deliver,
    /// Wait for the next event without sending (a message that is not a JSON text frame).
    Listen,
    /// Close; true when the client closed with 1000/1001 (the session is invalidated).
    End(bool),
}

/// The connection's loop; true when the client closed with 1000/1001 (Discord then invalidates
/// the session).
async fn run(inner: &Arc<Inner>, stream: TcpStream, conn: u64, session: &mut Attached) -> bool {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return false;
    };
    let (mut tx, mut rx) = ws.split();
    let mut kill = inner.kill_gateway.subscribe();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": inner.config.heartbeat_interval_ms}, "s": null, "t": null});
    if !send(inner, &mut tx, hello).await {
        return false;
    }
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
                let Some(Ok(msg)) = msg else { return false };
                match on_message(inner, &mut tx, msg, conn, session).await {
                    Next::Deliver => {}
                    Next::Listen => continue,
                    Next::End(invalidate) => return invalidate,
                }
            }
            () = notified => {}
            _ = kill.changed() => {
                let close = CloseFrame { code: CloseCode::Library(4000), reason: "emulator dropped the connection".into() };
                let _ = tx.send(Message::Close(Some(close))).await;
                return false;
            }
        }
        if !deliver(inner, &mut tx, session).await {
            return false;
        }
    }
}

/// Logs and answers one client message: heartbeat (op 1), IDENTIFY (op 2, 4004 for a wrong
/// token), RESUME (op 6, op 9 when it cannot resume); a close frame ends the connection.
async fn on_message(
    inner: &Inner,
    tx: &mut (impl SinkExt<Message> + Unpin),
    msg: Message,
    conn: u64,
    session: &mut Attached,
) -> Next {
    let text = match msg {
        Message::Text(t) => t,
        Message::Close(frame) => {
            return Next::End(
                frame.is_some_and(|f| matches!(f.code, CloseCode::Normal | CloseCode::Away)),
            );
        }
        _ => return Next::Listen,
    };
    let Ok(frame) = serde_json::from_str::<Value>(&text) else {
        return Next::Listen;
    };
    inner.with(|s| {
        let at_ms = s.now_ms();
        s.record(LogEntry::Frame {
            at_ms,
            dir: "in",
            frame: frame.clone(),
        });
    });
    let ok = match frame["op"].as_u64() {
        Some(1) => send(inner, tx, json!({"op": 11})).await,
        Some(2) if !inner.token_ok(frame["d"]["token"].as_str().unwrap_or_default()) => {
            let close = CloseFrame {
                code: CloseCode::Library(4004),
                reason: "Authentication failed.".into(),
            };
            let _ = tx.send(Message::Close(Some(close))).await;
            return Next::End(false);
        }
        Some(2) => {
            *session = Some(identify(inner, &frame["d"], conn));
            true
        }
        Some(6) => match resume(inner, &frame["d"], conn) {
            Some(s) => {
                *session = Some(s);
                true
            }
            None => {
                send(
                    inner,
                    tx,
                    json!({"op": 9, "d": false, "s": null, "t": null}),
                )
                .await
            }
        },
        _ => true,
    };
    if ok { Next::Deliver } else { Next::End(false) }
}

/// Sends whatever is queued for this connection's session; false when the socket is gone.
async fn deliver(
    inner: &Inner,
    tx: &mut (impl SinkExt<Message> + Unpin),
    session: &mut Attached,
) -> bool {
    if let Some((id, _, sent)) = session {
        let pending: Vec<Value> = inner.with(|s| {
            s.sessions
                .get(id)
                .map(|x| x.after(*sent))
                .unwrap_or_default()
        });
        for f in pending {
            let seq = f["s"]
                .as_u64()
                .and_then(|x| usize::try_from(x).ok())
                .unwrap_or(*sent + 1);
            if !send(inner, tx, f).await {
                return false;
            }
            *sent = seq;
        }
    }
    true
}

fn identify(inner: &Inner, d: &Value, conn: u64) -> (String, Arc<Notify>, usize) {
    let intents = d["intents"].as_u64().unwrap_or(0);
    inner.with(|s| {
        let id = format!("session-{}", s.id());
        let notify = Arc::new(Notify::new());
        s.sessions.clear();
        let mut session = Session::new(intents, notify.clone());
        session.connection = Some(conn);
        s.sessions.insert(id.clone(), session);
        let ready = payload::ready(s, &id, &inner.ws_url());
        // Only this session exists, so these go to it alone; each dispatch is its own frame.
        s.dispatch("READY", &ready, 0);
        let guild = payload::guild(s, true);
        s.dispatch("GUILD_CREATE", &guild, intents::GUILDS);
        notify.notify_one();
        (id, notify, 0)
    })
}

fn resume(inner: &Inner, d: &Value, conn: u64) -> Option<(String, Arc<Notify>, usize)> {
    let id = d["session_id"].as_str()?.to_owned();
    let seq = usize::try_from(d["seq"].as_u64().unwrap_or(0)).unwrap_or(0);
    inner.with(|s| {
        if s.fail_next_resume {
            s.fail_next_resume = false;
            s.sessions.remove(&id);
            return None;
        }
        let sess = s.sessions.get_mut(&id)?;
        if seq + 1 < sess.first_seq {
            return None; // older than the replay buffer
        }
        let seq = seq.min(sess.last_seq());
        sess.connection = Some(conn);
        sess.push("RESUMED", json!({}));
        Some((id, sess.notify.clone(), seq))
    })
}
