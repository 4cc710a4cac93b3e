//! The emulator's Discord rules, checked through serenity's `Http` (and a raw websocket for the
//! gateway): the interaction lifecycle with tokio's clock paused, limits and their error bodies,
//! 50013 from the permission state, faults, intent filtering and resume.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use serenity::all::{ChannelId, CreateAttachment, GuildId, Http, InteractionId};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use vpn_ticket_bot::sim::discord::state::perms;
use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig, InteractionRef, LogEntry, selfcheck};

use super::support::{code, hello, recv, send, setup};

async fn callback(http: &Http, i: &InteractionRef, body: &Value) -> serenity::Result<()> {
    http.create_interaction_response(InteractionId::new(i.id), &i.token, body, vec![])
        .await
}

#[tokio::test(start_paused = true)]
async fn interaction_lifecycle() {
    let (emu, http, _, general) = setup().await;
    let alice = emu.add_user("alice", &[]);

    // One acknowledgement, a second → 40060; followup before ack → unknown webhook.
    let i = emu.run_command(alice, general, "x", &[]);
    assert_eq!(
        code(
            http.create_followup_message(&i.token, &json!({"content": "early"}), vec![])
                .await
        ),
        10015
    );
    callback(
        &http,
        &i,
        &json!({"type": 4, "data": {"content": "hi", "flags": 64}}),
    )
    .await
    .expect("ack");
    assert_eq!(
        code(callback(&http, &i, &json!({"type": 4, "data": {"content": "again"}})).await),
        40060
    );
    assert!(emu.read(|s| {
        s.original_response(i.id)
            .is_some_and(|m| m.is_ephemeral() && m.visible_to == Some(alice))
    }));
    assert!(
        emu.read(|s| s.messages_in(general).is_empty()),
        "an ephemeral reply is not a channel message"
    );

    // Later than 3 s → 10062.
    let late = emu.run_command(alice, general, "x", &[]);
    tokio::time::advance(Duration::from_millis(3100)).await;
    assert_eq!(
        code(
            callback(
                &http,
                &late,
                &json!({"type": 4, "data": {"content": "late"}})
            )
            .await
        ),
        10062
    );

    // Defer: the first followup edits the original, the second is a new message.
    let d = emu.run_command(alice, general, "x", &[]);
    callback(&http, &d, &json!({"type": 5, "data": {}}))
        .await
        .expect("defer");
    let thinking = emu
        .read(|s| s.original_response(d.id).cloned())
        .expect("original");
    assert_eq!(thinking.flags & 128, 128);
    let first = http
        .create_followup_message(&d.token, &json!({"content": "one"}), vec![])
        .await
        .expect("f1");
    assert_eq!(first.id.get(), thinking.id);
    let second = http
        .create_followup_message(&d.token, &json!({"content": "two"}), vec![])
        .await
        .expect("f2");
    assert_ne!(second.id.get(), thinking.id);
    let got = http
        .get_original_interaction_response(&d.token)
        .await
        .expect("get @original");
    assert_eq!(got.content, "one");
    let edited = http
        .edit_original_interaction_response(&d.token, &json!({"content": "uno"}), vec![])
        .await
        .expect("patch");
    assert_eq!(edited.content, "uno");
    http.delete_original_interaction_response(&d.token)
        .await
        .expect("delete @original");
    assert!(emu.read(|s| !s.messages.contains_key(&thinking.id)));

    // The token lives 15 minutes: still usable just before, refused after.
    tokio::time::advance(Duration::from_secs(15 * 60 - 5)).await;
    http.create_followup_message(&d.token, &json!({"content": "in time"}), vec![])
        .await
        .expect("followup within 15 minutes");
    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(
        code(
            http.create_followup_message(&d.token, &json!({"content": "too late"}), vec![])
                .await
        ),
        50027
    );

    let (failures, checked) = selfcheck::check_log(&emu.log());
    assert!(
        failures.is_empty() && checked >= 6,
        "{failures:?} {checked}"
    );
}

#[tokio::test]
async fn limits_answer_discord_errors() {
    let (emu, http, guild, general) = setup().await;
    let ch = ChannelId::new(general);
    let send = |body: Value| {
        let http = &http;
        async move { http.send_message(ch, vec![], &body).await }
    };
    let button = |id: &str| json!({"type": 2, "style": 1, "label": "b", "custom_id": id});
    let six_rows: Vec<Value> = (0..6)
        .map(|i| json!({"type": 1, "components": [button(&format!("b{i}"))]}))
        .collect();
    assert_eq!(
        code(send(json!({"content": "x", "components": six_rows})).await),
        50035
    );
    let six_buttons: Vec<Value> = (0..6).map(|i| button(&format!("b{i}"))).collect();
    assert_eq!(
        code(
            send(json!({"content": "x", "components": [{"type": 1, "components": six_buttons}]}))
                .await
        ),
        50035
    );
    assert_eq!(code(send(json!({"content": "x", "components": [{"type": 1, "components": [button(&"c".repeat(101))]}]})).await), 50035);
    let options: Vec<Value> = (0..26)
        .map(|i| json!({"label": i.to_string(), "value": i.to_string()}))
        .collect();
    let select =
        json!({"type": 1, "components": [{"type": 3, "custom_id": "s", "options": options}]});
    assert_eq!(
        code(send(json!({"content": "x", "components": [select]})).await),
        50035
    );
    assert_eq!(
        code(send(json!({"content": "a".repeat(2001)})).await),
        50035
    );
    assert_eq!(
        code(send(json!({"embeds": [{"title": "t".repeat(257)}]})).await),
        50035
    );
    assert_eq!(code(send(json!({"content": ""})).await), 50006);
    let err = send(json!({"content": "x", "components": six_buttons_err()})).await;
    assert_eq!(code(err), 50035);
    let big = CreateAttachment::bytes(vec![0u8; 10 * 1024 * 1024 + 1], "big.bin");
    assert_eq!(
        code(
            http.send_message(ch, vec![big], &json!({"content": "big"}))
                .await
        ),
        40005
    );
    assert_eq!(
        code(
            http.send_message(ChannelId::new(1), vec![], &json!({"content": "x"}))
                .await
        ),
        10003
    );
    assert_eq!(code(http.get_message(ch, 1.into()).await), 10008);

    // 50 channels per category, 500 per guild.
    let g = GuildId::new(guild);
    let cat = http
        .create_channel(g, &json!({"name": "Tickets", "type": 4}), None)
        .await
        .expect("category");
    for n in 0..50 {
        http.create_channel(
            g,
            &json!({"name": format!("t{n}"), "parent_id": cat.id.to_string()}),
            None,
        )
        .await
        .expect("child");
    }
    assert_eq!(
        code(
            http.create_channel(
                g,
                &json!({"name": "t50", "parent_id": cat.id.to_string()}),
                None
            )
            .await
        ),
        50035
    );
    let have = emu.read(|s| s.guild_channels().len());
    for n in have..500 {
        http.create_channel(g, &json!({"name": format!("c{n}")}), None)
            .await
            .expect("channel");
    }
    assert_eq!(
        code(
            http.create_channel(g, &json!({"name": "one-too-many"}), None)
                .await
        ),
        30013
    );
    let (failures, _) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty(), "{failures:?}");
}

fn six_buttons_err() -> Value {
    json!([{"type": 1, "components": [{"type": 2, "style": 1, "label": "l".repeat(81), "custom_id": "x"}]}])
}

#[tokio::test]
async fn permissions_come_from_the_state() {
    let (emu, http, guild, general) = setup().await;
    let (_, bot, _) = emu.ids();
    let bot_role = emu.read(|s| s.bot_role);
    // The bot loses ADMINISTRATOR: @everyone's defaults do not include MANAGE_CHANNELS.
    emu.set_role_permissions(bot_role, perms::VIEW_CHANNEL | perms::SEND_MESSAGES);
    assert_eq!(
        code(
            http.create_channel(GuildId::new(guild), &json!({"name": "x"}), None)
                .await
        ),
        50013
    );
    http.send_message(
        ChannelId::new(general),
        vec![],
        &json!({"content": "still can talk"}),
    )
    .await
    .expect("send");
    // Deny SEND_MESSAGES to the bot in #general by hand → 50013; a role overwrite allowing it back wins.
    emu.read(|s| assert!(s.can_send(bot, general)));
    emu.set_overwrite(general, bot, 1, 0, perms::SEND_MESSAGES);
    assert!(emu.read(|s| !s.can_send(bot, general) && s.can_view(bot, general)));
    assert_eq!(
        code(
            http.send_message(ChannelId::new(general), vec![], &json!({"content": "x"}))
                .await
        ),
        50013
    );
    // People are held to the same permissions: muted alice cannot post.
    emu.set_overwrite(general, alice_early(&emu), 1, 0, perms::SEND_MESSAGES);
    let muted = alice_early(&emu);
    assert_eq!(
        emu.user_message(muted, general, "hi", None)
            .map_err(|e| e.code),
        Err(50013)
    );
    // A channel the bot cannot see → 50001 Missing Access.
    let hidden = emu.read(|s| s.everyone_role);
    emu.set_overwrite(general, hidden, 0, 0, perms::VIEW_CHANNEL);
    emu.set_overwrite(general, bot, 1, 0, perms::VIEW_CHANNEL);
    assert_eq!(
        code(
            http.get_messages(ChannelId::new(general), None, Some(10))
                .await
        ),
        50001
    );
    // DMs closed → 50007.
    let alice = alice_early(&emu);
    emu.set_dms_closed(alice, true);
    let dm = http
        .create_private_channel(&json!({"recipient_id": alice.to_string()}))
        .await
        .expect("open dm");
    assert_eq!(
        code(
            http.send_message(dm.id, vec![], &json!({"content": "hi"}))
                .await
        ),
        50007
    );
}

fn alice_early(emu: &Emulator) -> u64 {
    match emu.read(|s| s.user_by_name("alice").map(|u| u.id)) {
        Some(id) => id,
        None => emu.add_user("alice", &[]),
    }
}

#[tokio::test(start_paused = true)]
async fn faults_5xx_and_slow_routes() {
    let (emu, http, _, general) = setup().await;
    let route = "/channels/{channel_id}/messages";
    emu.fail_route("POST", route, 502, 1);
    let r = http
        .send_message(ChannelId::new(general), vec![], &json!({"content": "a"}))
        .await;
    assert!(
        matches!(r, Err(serenity::Error::Http(ref e)) if e.status_code().map(|s| s.as_u16()) == Some(502)),
        "{r:?}"
    );
    http.send_message(ChannelId::new(general), vec![], &json!({"content": "b"}))
        .await
        .expect("second try works");
    emu.slow_route("GET", "/channels/{channel_id}", Duration::from_secs(7));
    let t0 = tokio::time::Instant::now();
    http.get_channel(ChannelId::new(general))
        .await
        .expect("slow get");
    assert!(t0.elapsed() >= Duration::from_secs(7));
    let statuses: Vec<u16> = emu
        .log()
        .iter()
        .filter(|e| e.route() == Some(("POST", route)))
        .filter_map(LogEntry::status)
        .collect();
    assert_eq!(statuses, vec![502, 200]);
}

#[tokio::test]
async fn gateway_sequence_intents_and_resume() {
    let (emu, http, _, general) = setup().await;
    let bot_gateway = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(bot_gateway.url, emu.ws_url());
    assert_eq!(bot_gateway.session_start_limit.max_concurrency, 1);
    let mut ws = hello(&emu).await;
    send(&mut ws, json!({"op": 1, "d": null})).await;
    assert_eq!(recv(&mut ws).await["op"], 11);
    // GUILDS | GUILD_MESSAGES, no MESSAGE_CONTENT.
    send(
        &mut ws,
        json!({"op": 2, "d": {"token": "t", "intents": 1 | (1 << 9), "properties": {}}}),
    )
    .await;
    let ready = recv(&mut ws).await;
    assert_eq!(
        (ready["t"].as_str(), ready["s"].as_u64()),
        (Some("READY"), Some(1))
    );
    let session = ready["d"]["session_id"]
        .as_str()
        .expect("session")
        .to_owned();
    assert_eq!(recv(&mut ws).await["s"], 2);
    let alice = emu.add_user("alice", &[]); // GUILD_MEMBERS not requested: not delivered
    emu.user_message(alice, general, "secret words", None)
        .expect("message");
    let m = recv(&mut ws).await;
    assert_eq!(
        (m["t"].as_str(), m["s"].as_u64()),
        (Some("MESSAGE_CREATE"), Some(3))
    );
    assert_eq!(m["d"]["content"], "", "content without MESSAGE_CONTENT");
    // ... except when the message mentions the bot.
    let (_, bot, _) = emu.ids();
    let mention = format!("<@{bot}> help");
    emu.user_message(alice, general, &mention, None)
        .expect("message");
    let m = recv(&mut ws).await;
    assert_eq!(
        (m["s"].as_u64(), m["d"]["content"].as_str()),
        (Some(4), Some(mention.as_str()))
    );
    ws.close(None).await.ok();

    // Events while away are replayed on resume, then RESUMED.
    emu.user_message(alice, general, "while away", None)
        .expect("message");
    let mut ws = hello(&emu).await;
    send(
        &mut ws,
        json!({"op": 6, "d": {"token": "t", "session_id": "nope", "seq": 4}}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["op"], 9);
    send(
        &mut ws,
        json!({"op": 6, "d": {"token": "t", "session_id": session, "seq": 4}}),
    )
    .await;
    let replay = recv(&mut ws).await;
    assert_eq!(
        (replay["t"].as_str(), replay["s"].as_u64()),
        (Some("MESSAGE_CREATE"), Some(5))
    );
    let resumed = recv(&mut ws).await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(6))
    );
    let (failures, checked) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty() && checked >= 6, "{failures:?}");
}

#[test]
fn openapi_validator_normalises_known_mismatches_and_rejects_bad_bodies() {
    use vpn_ticket_bot::sim::discord::openapi::OpenApi;
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discord-api-spec/openapi.json");
    let api = OpenApi::load(&spec).expect("openapi.json");
    let ow = "/channels/{channel_id}/permissions/{overwrite_id}";
    // serenity sends permission bits as strings: accepted after normalisation.
    assert_eq!(
        api.validate("PUT", ow, &json!({"allow": "1024", "deny": "0", "type": 1})),
        Some(vec![])
    );
    assert!(
        !api.validate("PUT", ow, &json!({"allow": "lots", "type": 1}))
            .expect("schema")
            .is_empty()
    );
    let msgs = "/channels/{channel_id}/messages";
    // serenity sends numeric attachment ids.
    let ok = json!({"content": "x", "attachments": [{"id": 0, "filename": "a.txt"}]});
    assert_eq!(api.validate("POST", msgs, &ok), Some(vec![]));
    assert!(
        !api.validate("POST", msgs, &json!({"content": 5}))
            .expect("schema")
            .is_empty()
    );
    assert!(
        !api.validate("POST", msgs, &json!({"content": "x".repeat(4001)}))
            .expect("schema")
            .is_empty()
    );
    let cb = "/interactions/{interaction_id}/{token}/callback";
    assert_eq!(
        api.validate(
            "POST",
            cb,
            &json!({"type": 4, "data": {"content": "hi", "flags": 64}})
        ),
        Some(vec![])
    );
    assert!(
        !api.validate("POST", cb, &json!({"type": 42}))
            .expect("schema")
            .is_empty()
    );
}

/// Every REST write that emits an event; the role, the user and a message with components.
async fn rest_writes(
    emu: &Emulator,
    http: &Http,
    guild: u64,
    general: u64,
) -> (u64, u64, serenity::all::Message, ChannelId) {
    let g = GuildId::new(guild);
    let role = emu.add_role("support", perms::VIEW_CHANNEL);
    emu.set_role_permissions(role, perms::VIEW_CHANNEL | perms::SEND_MESSAGES);
    let alice = emu.add_user("alice", &[]);
    http.add_member_role(g, alice.into(), role.into(), None)
        .await
        .expect("add role");
    let ch = http
        .create_channel(g, &json!({"name": "t1"}), None)
        .await
        .expect("create");
    http.edit_channel(ch.id, &json!({"topic": "hello"}), None)
        .await
        .expect("edit");
    let m1 = http
        .send_message(ch.id, vec![], &json!({"content": "a"}))
        .await
        .expect("m1");
    let m2 = http
        .send_message(ch.id, vec![], &json!({"content": "b"}))
        .await
        .expect("m2");
    let m3 = http
        .send_message(ch.id, vec![], &json!({"content": "c"}))
        .await
        .expect("m3");
    http.edit_message(ch.id, m1.id, &json!({"content": "a2"}), vec![])
        .await
        .expect("edit msg");
    http.delete_message(ch.id, m1.id, None)
        .await
        .expect("delete");
    http.delete_messages(
        ch.id,
        &json!({"messages": [m2.id.to_string(), m3.id.to_string()]}),
        None,
    )
    .await
    .expect("bulk");
    let buttons = json!({"content": "pick", "components": [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]},
        {"type": 1, "components": [{"type": 3, "custom_id": "plan", "options": [{"label": "1 month", "value": "m1"}]}]}]});
    let msg = http
        .send_message(ChannelId::new(general), vec![], &buttons)
        .await
        .expect("buttons");
    (role, alice, msg, ch.id)
}

#[tokio::test]
async fn every_event_kind_parses_with_serenity() {
    let (emu, http, guild, general) = setup().await;
    let mut ws = hello(&emu).await;
    send(
        &mut ws,
        json!({"op": 2, "d": {"token": "t", "intents": 0xFFFF_FFFFu64, "properties": {}}}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["t"], "READY");
    let (role, alice, msg, ch) = rest_writes(&emu, &http, guild, general).await;
    let cmd = emu.run_command(
        alice,
        general,
        "open",
        &[
            vpn_ticket_bot::sim::discord::CommandOption::User("user", alice),
            vpn_ticket_bot::sim::discord::CommandOption::Channel("channel", general),
            vpn_ticket_bot::sim::discord::CommandOption::Role("role", role),
        ],
    );
    emu.click_button(alice, msg.id.get(), "go");
    emu.select(alice, msg.id.get(), "plan", &["m1"]);
    callback(&http, &cmd, &json!({"type": 9, "data": {"custom_id": "fb", "title": "Feedback",
        "components": [{"type": 1, "components": [{"type": 4, "custom_id": "text", "label": "Text", "style": 1}]}]}})).await.expect("modal");
    emu.submit_modal(&cmd, &[("text", "hi")]).expect("submit");
    let cat = emu.add_channel("Tickets", 4, None);
    emu.add_channel("review", 0, Some(cat));
    emu.set_member_roles(alice, &[]);
    emu.remove_member(alice);
    http.delete_channel(ch, None).await.expect("delete channel");
    emu.delete_channel_by_hand(general);
    let want = [
        "READY",
        "GUILD_CREATE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_UPDATE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_DELETE",
        "MESSAGE_DELETE_BULK",
        "INTERACTION_CREATE",
        "GUILD_MEMBER_REMOVE",
    ];
    // Read until the last event (the second CHANNEL_DELETE) came through.
    let mut deletes = 0;
    while deletes < 2 {
        if recv(&mut ws).await["t"] == "CHANNEL_DELETE" {
            deletes += 1;
        }
    }
    let log = emu.log();
    let sent: std::collections::BTreeSet<String> = log
        .iter()
        .filter_map(|e| match e {
            LogEntry::Frame {
                dir: "out", frame, ..
            } => frame["t"].as_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    for k in want {
        assert!(sent.contains(k), "{k} not sent: {sent:?}");
    }
    let interactions = log.iter().filter(|e| matches!(e, LogEntry::Frame { dir: "out", frame, .. } if frame["t"] == "INTERACTION_CREATE")).count();
    assert_eq!(interactions, 4, "command, button, select, modal submit");
    let (failures, checked) = selfcheck::check_log(&log);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked >= 30, "{checked}");
}

#[tokio::test]
async fn command_registration_is_validated() {
    let (emu, http, guild, _) = setup().await;
    let g = GuildId::new(guild);
    let ok = json!([{"name": "ticket", "description": "Open a ticket", "options": [
        {"type": 3, "name": "reason", "description": "Why", "required": true},
        {"type": 6, "name": "user", "description": "Who"}]}]);
    let cmds = http
        .create_guild_commands(g, &ok)
        .await
        .expect("valid commands");
    assert_eq!(cmds[0].name, "ticket");
    assert_eq!(emu.read(|s| s.commands.len()), 1);
    let upper = json!([{"name": "Ticket", "description": "x"}]);
    assert_eq!(code(http.create_guild_commands(g, &upper).await), 50035);
    let no_description = json!([{"name": "ticket", "description": ""}]);
    assert_eq!(
        code(http.create_guild_commands(g, &no_description).await),
        50035
    );
    let order = json!([{"name": "t", "description": "x", "options": [
        {"type": 3, "name": "a", "description": "a"},
        {"type": 3, "name": "b", "description": "b", "required": true}]}]);
    assert_eq!(code(http.create_guild_commands(g, &order).await), 50035);
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"name": format!("c{i}"), "description": "x"}))
        .collect();
    assert_eq!(code(http.create_guild_commands(g, &many).await), 30032);
    assert_eq!(
        emu.read(|s| s.commands.len()),
        1,
        "a rejected registration changes nothing"
    );
    let global = json!([{"name": "status", "description": "Your subscription"}]);
    http.create_global_commands(&global).await.expect("global");
    assert_eq!(
        emu.read(|s| (s.commands.len(), s.global_commands.len())),
        (1, 1)
    );
}

#[tokio::test]
async fn image_uploads_report_type_and_size_like_discord() {
    let (emu, http, _, general) = setup().await;
    let mut png = Vec::new();
    image::RgbImage::new(3, 2)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let alice = emu.add_user("alice", &[]);
    let id = emu
        .user_message(alice, general, "receipt", Some(("pay.png", png.clone())))
        .expect("upload");
    let m = http
        .get_message(ChannelId::new(general), id.into())
        .await
        .expect("get");
    let a = &m.attachments[0];
    assert_eq!(
        (a.content_type.as_deref(), a.width, a.height),
        (Some("image/png"), Some(3), Some(2))
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let resp = client.get(&a.url).send().await.expect("download");
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.expect("bytes").to_vec(), png);
    let txt = emu
        .user_message(alice, general, "log", Some(("a.txt", b"x".to_vec())))
        .expect("upload");
    let m = http
        .get_message(ChannelId::new(general), txt.into())
        .await
        .expect("get");
    assert_eq!(
        (
            m.attachments[0].width,
            m.attachments[0].content_type.as_deref()
        ),
        (None, Some("text/plain; charset=utf-8"))
    );
}

#[tokio::test]
async fn resume_from_before_the_replay_buffer_is_refused() {
    use vpn_ticket_bot::sim::discord::gateway::REPLAY_BUFFER;
    let (emu, _http, _, _) = setup().await;
    let mut ws = hello(&emu).await;
    send(
        &mut ws,
        json!({"op": 2, "d": {"token": "t", "intents": 1, "properties": {}}}),
    )
    .await;
    let ready = recv(&mut ws).await;
    let session = ready["d"]["session_id"]
        .as_str()
        .expect("session")
        .to_owned();
    assert_eq!(recv(&mut ws).await["s"], 2);
    ws.close(None).await.ok();
    let role = emu.read(|s| s.bot_role);
    for _ in 0..=REPLAY_BUFFER {
        emu.set_role_permissions(role, perms::ADMINISTRATOR);
    }
    let mut ws = hello(&emu).await;
    send(
        &mut ws,
        json!({"op": 6, "d": {"token": "t", "session_id": session, "seq": 2}}),
    )
    .await;
    assert_eq!(
        recv(&mut ws).await["op"],
        9,
        "events were lost, so the session cannot resume"
    );
}

#[test]
fn selfcheck_catches_payloads_serenity_would_drop() {
    let role = json!({"id": "5", "name": "r", "color": 0, "colors": {"primary_color": 0}, "hoist": false,
                      "managed": false, "permissions": "0", "position": 1});
    let ok =
        json!({"op": 0, "s": 1, "t": "GUILD_ROLE_CREATE", "d": {"guild_id": "1", "role": role}});
    assert_eq!(selfcheck::check_frame(&ok), Ok(()));
    let mut no_colors = ok.clone();
    no_colors["d"]["role"]
        .as_object_mut()
        .expect("role")
        .remove("colors");
    let err =
        selfcheck::check_frame(&no_colors).expect_err("a role without colors is Event::Unknown");
    assert!(err.contains("Event::Unknown"), "{err}");
    assert!(selfcheck::check_response("GET", "/users/@me", 200, &json!({"id": "1"})).is_err());
    assert!(
        selfcheck::check_response(
            "POST",
            "/channels/{channel_id}/messages",
            400,
            &json!({"oops": 1})
        )
        .is_err()
    );
}

/// `GET /guilds/{id}/members` pages by user id with `limit` and `after`, as Discord does; an
/// out-of-range limit is a 400 form error.
#[tokio::test]
async fn guild_members_are_listed_in_pages() {
    let (emu, http, guild, _) = setup().await;
    let added: Vec<u64> = (0..3)
        .map(|i| emu.add_user(&format!("m{i}"), &[]))
        .collect();
    let all: Vec<u64> = emu.read(|s| s.members.keys().copied().collect());
    assert!(added.iter().all(|u| all.contains(u)));
    let guild = serenity::all::GuildId::new(guild);
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = guild.members(&http, Some(2), after).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|m| m.user.id.get()));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(last.user.id),
            _ => break,
        }
    }
    assert_eq!(seen, all, "every member once, in id order");
    // serenity refuses such a limit itself; a raw request gets Discord's form error.
    let url = format!("{}/api/v10/guilds/{guild}/members?limit=0", emu.base_url());
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = client
        .get(url)
        .header("Authorization", "Bot t")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], 50035, "{body}");
}

/// With a known bot token, Discord answers another token with HTTP 401 on REST and closes the
/// gateway with 4004 "Authentication failed." on IDENTIFY; the right token works on both.
#[tokio::test]
async fn a_wrong_token_is_refused_on_rest_and_gateway() {
    let emu = Emulator::start(EmulatorConfig {
        tls: false,
        bot_token: Some("right".into()),
        ..Default::default()
    })
    .await
    .expect("start");
    let wrong = emu.http_proxy_mode("wrong");
    let err = wrong.get_current_user().await.expect_err("401");
    assert!(err.to_string().contains("401"), "{err}");
    let right = emu.http_proxy_mode("right");
    right.get_current_user().await.expect("the right token");

    let mut ws = hello(&emu).await;
    send(
        &mut ws,
        json!({"op": 2, "d": {"token": "Bot wrong", "intents": 1, "properties": {}}}),
    )
    .await;
    let close = loop {
        match ws.next().await {
            Some(Ok(WsMessage::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let frame = close.expect("a close code");
    assert_eq!(u16::from(frame.code), 4004);
    assert_eq!(frame.reason, "Authentication failed.");
}
