//! The gateway side of "the bot was away": READY and GUILD_CREATE arrive as two frames, members
//! joining and leaving are dispatched with Discord's shapes, a client closing with 1000 ends its
//! session, and what people do while no session exists (post, delete a channel, leave) changes
//! the state without reaching anyone: a bot started later sees it only through REST.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{Value, json};
use serenity::all::{ChannelId, GetMessages, GuildId, MessageId, UserId};
use serenity::model::event::{Event, GatewayEvent};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use vpn_ticket_bot::sim::discord::{Emulator, LogEntry, State, selfcheck};

use super::support::{Ws, emulator, recv};

const T: Duration = Duration::from_secs(20);
const GUILDS: u64 = 1;
const GUILD_MEMBERS: u64 = 1 << 1;
const GUILD_MESSAGES: u64 = 1 << 9;
const MESSAGE_CONTENT: u64 = 1 << 15;

/// Connects, reads HELLO and identifies with `intents`.
async fn identify(emu: &Emulator, intents: u64) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}/?v=10", emu.ws_url()))
        .await
        .expect("connect");
    assert_eq!(recv(&mut ws).await["op"], 10);
    let identify = json!({"op": 2, "d": {"token": "t", "intents": intents, "properties": {}}});
    ws.send(WsMessage::Text(identify.to_string()))
        .await
        .expect("send");
    ws
}

fn dispatch(frame: &Value) -> (Option<&str>, Option<u64>) {
    (frame["t"].as_str(), frame["s"].as_u64())
}

#[tokio::test]
async fn ready_then_guild_create_in_separate_frames() {
    let emu = emulator().await;
    let (guild, _, _) = emu.ids();
    let mut ws = identify(&emu, GUILDS).await;
    let ready = recv(&mut ws).await;
    assert_eq!(dispatch(&ready), (Some("READY"), Some(1)));
    assert_eq!(
        ready["d"]["guilds"],
        json!([{"id": guild.to_string(), "unavailable": true}])
    );
    assert!(
        ready["d"].get("channels").is_none() && ready["d"]["guilds"][0].get("channels").is_none()
    );
    let created = recv(&mut ws).await;
    assert_eq!(dispatch(&created), (Some("GUILD_CREATE"), Some(2)));
    assert_eq!(created["d"]["id"], json!(guild.to_string()));
    assert_eq!(created["d"]["unavailable"], json!(false));
    assert!(
        created["d"]["channels"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    // Without the GUILDS intent Discord sends no GUILD_CREATE: the next frame is the next event.
    let mut ws = identify(&emu, 0).await;
    assert_eq!(dispatch(&recv(&mut ws).await), (Some("READY"), Some(1)));
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let alice = emu.add_user("alice", &[]);
    emu.run_command(alice, general, "x", &[]);
    assert_eq!(
        dispatch(&recv(&mut ws).await),
        (Some("INTERACTION_CREATE"), Some(2))
    );
    let (failures, _) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test]
async fn members_joining_and_leaving_are_dispatched() {
    let emu = emulator().await;
    let (guild, _, _) = emu.ids();
    let role = emu.add_role("customer", 0);
    let mut ws = identify(&emu, GUILDS | GUILD_MEMBERS).await;
    recv(&mut ws).await;
    recv(&mut ws).await;
    let alice = emu.add_user("alice", &[]);
    let added = recv(&mut ws).await;
    assert_eq!(added["t"], "GUILD_MEMBER_ADD");
    assert_eq!(
        (
            &added["d"]["guild_id"],
            &added["d"]["user"]["id"],
            &added["d"]["roles"]
        ),
        (
            &json!(guild.to_string()),
            &json!(alice.to_string()),
            &json!([])
        )
    );
    emu.remove_member(alice);
    let removed = recv(&mut ws).await;
    match serde_json::from_value::<GatewayEvent>(removed.clone()).expect("parses") {
        GatewayEvent::Dispatch(_, Event::GuildMemberRemove(e)) => {
            assert_eq!(
                (e.guild_id, e.user.id, e.user.name.as_str()),
                (GuildId::new(guild), UserId::new(alice), "alice")
            );
        }
        other => panic!("not a member removal: {other:?}"),
    }
    let keys: Vec<&String> = removed["d"].as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["guild_id", "user"],
        "Discord's Guild Member Remove fields"
    );
    emu.remove_member(alice); // not a member any more: nothing is sent
    assert!(emu.add_member(alice, &[role]));
    let back = recv(&mut ws).await;
    match serde_json::from_value::<GatewayEvent>(back).expect("parses") {
        GatewayEvent::Dispatch(seq, Event::GuildMemberAdd(e)) => {
            assert_eq!(seq, 5, "the repeated removal sent nothing");
            assert_eq!(
                (
                    e.member.user.id.get(),
                    e.member.roles.iter().map(|r| r.get()).collect::<Vec<_>>()
                ),
                (alice, vec![role])
            );
        }
        other => panic!("not a member join: {other:?}"),
    }
    let (failures, _) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty(), "{failures:?}");
}

/// Frames sent to the bot with `t` set, in order.
fn dispatched(emu: &Emulator) -> Vec<Value> {
    emu.log()
        .into_iter()
        .filter_map(|e| match e {
            LogEntry::Frame {
                dir: "out", frame, ..
            } if frame["t"].is_string() => Some(frame),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn nothing_is_dispatched_while_no_session_exists() {
    let emu = emulator().await;
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let doomed = emu.add_channel("doomed", 0, None);
    let alice = emu.add_user("alice", &[]);
    let intents = GUILDS | GUILD_MEMBERS | GUILD_MESSAGES | MESSAGE_CONTENT;
    let mut ws = identify(&emu, intents).await;
    recv(&mut ws).await;
    recv(&mut ws).await;
    // Closing with 1000 ends the session, as on Discord.
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    };
    ws.close(Some(close)).await.expect("close");
    emu.wait_for(T, |s| (s.gateway_sessions() == 0).then_some(()))
        .await
        .expect("session ended");
    let before = dispatched(&emu).len();
    let missed = emu
        .user_message(alice, general, "while away", None)
        .expect("stored");
    assert!(emu.delete_channel_by_hand(doomed));
    emu.remove_member(alice);
    assert_eq!(dispatched(&emu).len(), before, "nobody to dispatch to");
    // A new session starts after them: READY, GUILD_CREATE (without the channel and member),
    // then only what happens next.
    let mut ws = identify(&emu, intents).await;
    assert_eq!(dispatch(&recv(&mut ws).await), (Some("READY"), Some(1)));
    let guild = recv(&mut ws).await;
    let has =
        |key: &str, id: u64| {
            guild["d"][key].as_array().expect(key).iter().any(|x| {
                x["id"] == json!(id.to_string()) || x["user"]["id"] == json!(id.to_string())
            })
        };
    assert!(!has("channels", doomed) && !has("members", alice) && has("channels", general));
    let owner = emu.ids().2;
    let live = emu
        .user_message(owner, general, "live", None)
        .expect("post");
    let next = recv(&mut ws).await;
    assert_eq!(dispatch(&next), (Some("MESSAGE_CREATE"), Some(3)));
    assert_eq!(next["d"]["id"], json!(live.to_string()));
    // The missed message is in the history, right before the live one.
    let http = emu.http_proxy_mode("t");
    let history = ChannelId::new(general)
        .messages(
            &http,
            GetMessages::new().after(MessageId::new(1)).limit(100),
        )
        .await
        .expect("history");
    let got: Vec<u64> = history.iter().map(|m| m.id.get()).collect();
    assert_eq!(got, vec![live, missed]);
    assert_eq!(emu.read(State::gateway_connected), 1);
}

struct Recorder(mpsc::UnboundedSender<(u64, String)>);

#[serenity::async_trait]
impl serenity::all::EventHandler for Recorder {
    async fn message(&self, _: serenity::all::Context, msg: serenity::all::Message) {
        let _ = self.0.send((msg.id.get(), msg.content));
    }

    async fn ready(&self, _: serenity::all::Context, _: serenity::all::Ready) {
        let _ = self.0.send((0, "READY".into()));
    }
}

/// A plain serenity client against the emulator: its shard manager (to stop it), its task and
/// the (message id, content) it receives, `(0, "READY")` on READY.
async fn start_client(
    emu: &Emulator,
) -> (
    std::sync::Arc<serenity::gateway::ShardManager>,
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedReceiver<(u64, String)>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = serenity::all::GatewayIntents::non_privileged()
        | serenity::all::GatewayIntents::MESSAGE_CONTENT
        | serenity::all::GatewayIntents::GUILD_MEMBERS;
    let mut client = serenity::all::ClientBuilder::new_with_http(emu.http_proxy_mode("t"), intents)
        .event_handler(Recorder(tx))
        .await
        .expect("client");
    let shards = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        let _ = client.start().await;
    });
    let first = tokio::time::timeout(T, rx.recv())
        .await
        .expect("ready in time");
    assert_eq!(first, Some((0, "READY".into())));
    (shards, task, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_serenity_bot_sees_what_it_missed_only_through_rest() {
    let emu = emulator().await;
    let (general, owner) = emu.read(|s| {
        (
            s.channel_by_name("general").expect("general").id,
            s.owner_id,
        )
    });
    let doomed = emu.add_channel("doomed", 0, None);
    let alice = emu.add_user("alice", &[]);
    let (shards, task, mut rx) = start_client(&emu).await;
    let seen = emu
        .user_message(alice, general, "seen live", None)
        .expect("post");
    let got = tokio::time::timeout(T, rx.recv()).await.expect("in time");
    assert_eq!(got, Some((seen, "seen live".into())));

    // The bot stops (serenity closes with 1000); people carry on.
    shards.shutdown_all().await;
    tokio::time::timeout(T, task)
        .await
        .expect("in time")
        .expect("client stopped");
    emu.wait_for(T, |s: &State| (s.gateway_sessions() == 0).then_some(()))
        .await
        .expect("session ended");
    let missed: Vec<u64> = (0..3)
        .map(|n| {
            emu.user_message(alice, general, &format!("missed {n}"), None)
                .expect("stored")
        })
        .collect();
    assert!(emu.delete_channel_by_hand(doomed));
    emu.remove_member(alice);

    let (shards, task, mut rx) = start_client(&emu).await;
    let live = emu
        .user_message(owner, general, "after restart", None)
        .expect("post");
    let got = tokio::time::timeout(T, rx.recv()).await.expect("in time");
    assert_eq!(
        got,
        Some((live, "after restart".into())),
        "missed messages are not dispatched"
    );
    let http = emu.http_proxy_mode("t");
    let history = ChannelId::new(general)
        .messages(
            &http,
            GetMessages::new().after(MessageId::new(seen)).limit(100),
        )
        .await
        .expect("history");
    let got: Vec<u64> = history.iter().map(|m| m.id.get()).collect();
    assert_eq!(got, vec![live, missed[2], missed[1], missed[0]]);
    let removed = http
        .get_member(GuildId::new(emu.ids().0), UserId::new(alice))
        .await;
    assert!(removed.is_err(), "alice left while the bot was away");
    let never = dispatched(&emu)
        .iter()
        .any(|f| f["t"] == "CHANNEL_DELETE" || f["t"] == "GUILD_MEMBER_REMOVE");
    assert!(
        !never,
        "events while no session existed were never dispatched"
    );
    shards.shutdown_all().await;
    tokio::time::timeout(T, task)
        .await
        .expect("in time")
        .expect("stopped");
}
