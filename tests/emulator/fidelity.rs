//! The emulator answers like Discord where a bot that converges after faults and downtime looks:
//! message history pages (`before`/`after`/`around`/`limit`), several attachments in one
//! message, replies with `message_reference`, `GET /users/{id}`, members who leave and come back,
//! and route faults with Discord's status, code and message. Everything goes through serenity's
//! `Http` (plus a raw client where serenity cannot send the request, e.g. `limit=101`).

use serde_json::json;
use serenity::all::{
    ChannelId, CreateAttachment, GuildId, MessageId, MessageType, TargetId, UserId,
};
use vpn_ticket_bot::sim::discord::{LogEntry, selfcheck};

use super::support::{failure, raw_get, setup};

#[tokio::test]
async fn several_attachments_in_one_message() {
    let (emu, http, _, general) = setup().await;
    let alice = emu.add_user("alice", &[]);
    let files = vec![
        ("a.txt", b"first".to_vec()),
        ("b.log", vec![7u8; 300]),
        ("c.pdf", b"%PDF-1.4".to_vec()),
    ];
    let id = emu
        .user_message_files(alice, general, "three files", files.clone())
        .expect("post");
    let got = http
        .get_message(ChannelId::new(general), MessageId::new(id))
        .await
        .expect("get");
    let names: Vec<(&str, u32)> = got
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.size))
        .collect();
    assert_eq!(names, vec![("a.txt", 5), ("b.log", 300), ("c.pdf", 8)]);
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    for (a, (_, bytes)) in got.attachments.iter().zip(&files) {
        let body = client
            .get(&a.url)
            .send()
            .await
            .expect("download")
            .bytes()
            .await
            .expect("body");
        assert_eq!(&body[..], &bytes[..], "{}", a.filename);
    }
    let distinct: std::collections::HashSet<_> = got.attachments.iter().map(|a| a.id).collect();
    assert_eq!(distinct.len(), 3);
    // The old one-file step still works, and an empty file list is a plain message.
    let one = emu
        .user_message(alice, general, "one", Some(("x.txt", b"x".to_vec())))
        .expect("one file");
    let none = emu
        .user_message_files(alice, general, "none", vec![])
        .expect("no file");
    let counts = emu.read(|s| {
        (
            s.messages[&one].attachments.len(),
            s.messages[&none].attachments.len(),
        )
    });
    assert_eq!(counts, (1, 0));
    // The bot uploads two files in one request.
    let sent = http
        .send_message(
            ChannelId::new(general),
            vec![
                CreateAttachment::bytes(b"one".to_vec(), "1.txt"),
                CreateAttachment::bytes(b"two!".to_vec(), "2.txt"),
            ],
            &json!({"content": "two"}),
        )
        .await
        .expect("send");
    let sizes: Vec<(String, u32)> = sent
        .attachments
        .iter()
        .map(|a| (a.filename.clone(), a.size))
        .collect();
    assert_eq!(
        sizes,
        vec![("1.txt".to_owned(), 3), ("2.txt".to_owned(), 4)]
    );
}

#[tokio::test]
async fn replies_keep_their_reference() {
    let (emu, http, guild, general) = setup().await;
    let alice = emu.add_user("alice", &[]);
    let asked = emu
        .user_message(alice, general, "question", None)
        .expect("post");
    let original = http
        .get_message(ChannelId::new(general), MessageId::new(asked))
        .await
        .expect("get");
    let reply = original.reply(&http, "answer").await.expect("reply");
    assert_eq!(reply.kind, MessageType::InlineReply);
    let r = reply.message_reference.as_ref().expect("message_reference");
    assert_eq!(
        (r.message_id, r.channel_id, r.guild_id),
        (
            Some(MessageId::new(asked)),
            ChannelId::new(general),
            Some(GuildId::new(guild))
        )
    );
    let referenced = reply
        .referenced_message
        .as_ref()
        .expect("referenced_message");
    assert_eq!(
        (referenced.id.get(), referenced.content.as_str()),
        (asked, "question")
    );
    assert_eq!(
        emu.read(|s| s.messages[&reply.id.get()].reply_to),
        Some(asked)
    );
    // Once the replied-to message is deleted, `referenced_message` is null (not absent).
    emu.read(|s| assert_eq!(s.messages[&reply.id.get()].kind, 19));
    http.delete_message(ChannelId::new(general), MessageId::new(asked), None)
        .await
        .expect("delete");
    let (status, body) = raw_get(&emu, &format!("/channels/{general}/messages/{}", reply.id)).await;
    assert_eq!(status, 200);
    assert!(body["referenced_message"].is_null() && body.get("referenced_message").is_some());
    assert_eq!(
        body["message_reference"]["message_id"],
        json!(asked.to_string())
    );
    // A reply to a message that does not exist: 50035, or a plain message without the check.
    let to_nothing =
        json!({"content": "hm", "message_reference": {"message_id": asked.to_string()}});
    let (status, code, _) = failure(
        http.send_message(ChannelId::new(general), vec![], &to_nothing)
            .await,
    );
    assert_eq!((status, code), (400, 50035));
    let lenient = json!({"content": "hm", "message_reference": {"message_id": asked.to_string(), "fail_if_not_exists": false}});
    let plain = http
        .send_message(ChannelId::new(general), vec![], &lenient)
        .await
        .expect("plain message");
    assert!(plain.kind == MessageType::Regular && plain.message_reference.is_none());
    let (failures, _) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test]
async fn users_and_members_who_leave_and_return() {
    let (emu, http, guild, _) = setup().await;
    let role = emu.add_role("customer", 0);
    let alice = emu.add_user("alice", &[]);
    let user = http.get_user(UserId::new(alice)).await.expect("user");
    assert_eq!(
        (user.id.get(), user.name.as_str(), user.bot),
        (alice, "alice", false)
    );
    let (_, bot, _) = emu.ids();
    assert!(http.get_user(UserId::new(bot)).await.expect("bot user").bot);
    let unknown = http.get_user(UserId::new(alice + 12345)).await;
    assert_eq!(failure(unknown), (404, 10013, "Unknown User".to_owned()));

    emu.remove_member(alice);
    let left = http
        .get_member(GuildId::new(guild), UserId::new(alice))
        .await;
    assert_eq!(failure(left), (404, 10007, "Unknown Member".to_owned()));
    assert_eq!(
        http.get_user(UserId::new(alice))
            .await
            .expect("still a user")
            .name,
        "alice"
    );
    assert!(emu.add_member(alice, &[role]));
    let back = http
        .get_member(GuildId::new(guild), UserId::new(alice))
        .await
        .expect("member again");
    assert_eq!(
        back.roles.iter().map(|r| r.get()).collect::<Vec<_>>(),
        vec![role]
    );
    assert!(!emu.add_member(alice + 12345, &[]), "no such user");
    let logged = emu
        .log()
        .iter()
        .filter(|e| matches!(e, LogEntry::Rest { route, .. } if route == "/users/{user_id}"))
        .count();
    assert_eq!(
        logged, 4,
        "GET /users/{{id}} is logged under its route template"
    );
}

#[tokio::test]
async fn error_faults_answer_discord_codes_exactly_n_times() {
    let (emu, http, _, general) = setup().await;
    let alice = emu.add_user("alice", &[]);
    let route = "/channels/{channel_id}/permissions/{overwrite_id}";
    let cases: [(u16, u32, &str); 6] = [
        (403, 50013, "Missing Permissions"),
        (404, 10003, "Unknown Channel"),
        (404, 10008, "Unknown Message"),
        (403, 50001, "Missing Access"),
        (403, 50007, "Cannot send messages to this user"),
        (500, 0, "500: Internal Server Error"),
    ];
    for (n, (status, code, message)) in cases.into_iter().enumerate() {
        let allow = 1u64 << n;
        emu.fail_route_with("PUT", route, status, code, 2);
        let body = json!({"allow": allow.to_string(), "deny": "0", "type": 1});
        let put =
            || http.create_permission(ChannelId::new(general), TargetId::new(alice), &body, None);
        for _ in 0..2 {
            assert_eq!(
                failure(put().await),
                (
                    status,
                    isize::try_from(code).expect("fits"),
                    message.to_owned()
                )
            );
            let unchanged = emu.read(|s| {
                s.channels[&general]
                    .overwrites
                    .iter()
                    .all(|o| o.allow != allow)
            });
            assert!(unchanged, "a failed request changes nothing");
        }
        put().await.expect("the third request is answered normally");
        let applied = emu.read(|s| {
            s.channels[&general]
                .overwrites
                .iter()
                .any(|o| o.id == alice && o.allow == allow)
        });
        assert!(applied, "{code}");
    }
    // Restricted to one channel: the other channel is answered normally.
    let other = emu.add_channel("other", 0, None);
    emu.fail_route_in(
        "POST",
        "/channels/{channel_id}/messages",
        other,
        404,
        10003,
        1,
    );
    http.send_message(ChannelId::new(general), vec![], &json!({"content": "ok"}))
        .await
        .expect("general is not affected");
    let r = http
        .send_message(ChannelId::new(other), vec![], &json!({"content": "x"}))
        .await;
    assert_eq!(failure(r), (404, 10003, "Unknown Channel".to_owned()));
    http.send_message(ChannelId::new(other), vec![], &json!({"content": "y"}))
        .await
        .expect("consumed once");
    let statuses: Vec<u16> = emu
        .log()
        .iter()
        .filter(|e| e.route() == Some(("PUT", route)))
        .filter_map(LogEntry::status)
        .collect();
    assert_eq!(
        statuses,
        vec![
            403, 403, 204, 404, 404, 204, 404, 404, 204, 403, 403, 204, 403, 403, 204, 500, 500,
            204
        ]
    );
}
