//! `GET /channels/{id}/messages` pages like Discord's: newest first for the latest messages,
//! `before`, `after` and `around`, `limit` 1–100 (default 50), the bot's permissions, so a bot
//! that was away can catch up by REST. Through serenity's `Http` (plus a raw client for queries
//! serenity cannot send, e.g. `limit=101`).

use serde_json::json;
use serenity::all::{ChannelId, GetMessages, Http, MessageId};
use vpn_ticket_bot::sim::discord::selfcheck;
use vpn_ticket_bot::sim::discord::state::perms;

use super::support::{failure, raw_get, setup};

fn ids(list: &[serenity::all::Message]) -> Vec<u64> {
    list.iter().map(|m| m.id.get()).collect()
}

async fn page(http: &Http, channel: u64, q: GetMessages) -> Vec<u64> {
    ids(&ChannelId::new(channel)
        .messages(http, q)
        .await
        .expect("history"))
}

#[tokio::test]
async fn history_pages_like_discord() {
    let (emu, http, _, general) = setup().await;
    let alice = emu.add_user("alice", &[]);
    let m: Vec<u64> = (0..7)
        .map(|n| {
            emu.user_message(alice, general, &format!("m{n}"), None)
                .expect("post")
        })
        .collect();
    let newest_first = |v: &[usize]| v.iter().map(|&i| m[i]).collect::<Vec<_>>();
    let mid = MessageId::new(m[3]);
    assert_eq!(
        page(&http, general, GetMessages::new()).await,
        newest_first(&[6, 5, 4, 3, 2, 1, 0])
    );
    assert_eq!(
        page(&http, general, GetMessages::new().limit(3)).await,
        newest_first(&[6, 5, 4])
    );
    assert_eq!(
        page(&http, general, GetMessages::new().before(mid).limit(2)).await,
        newest_first(&[2, 1])
    );
    // `after`: the `limit` messages right after the id, still newest first.
    assert_eq!(
        page(
            &http,
            general,
            GetMessages::new().after(MessageId::new(m[1])).limit(3)
        )
        .await,
        newest_first(&[4, 3, 2])
    );
    assert!(
        page(
            &http,
            general,
            GetMessages::new().after(MessageId::new(m[6]))
        )
        .await
        .is_empty(),
        "a page after the newest message is empty"
    );
    assert!(
        page(
            &http,
            general,
            GetMessages::new().before(MessageId::new(m[0]))
        )
        .await
        .is_empty()
    );
    // `around`: the message itself plus limit/2 on each side.
    assert_eq!(
        page(&http, general, GetMessages::new().around(mid).limit(3)).await,
        newest_first(&[4, 3, 2])
    );
    assert_eq!(
        page(&http, general, GetMessages::new().around(mid).limit(4)).await,
        newest_first(&[5, 4, 3, 2, 1])
    );
    assert_eq!(
        page(&http, general, GetMessages::new().around(mid).limit(1)).await,
        vec![m[3]]
    );
    // Ephemeral replies are not channel history.
    let i = emu.run_command(alice, general, "x", &[]);
    http.create_interaction_response(
        serenity::all::InteractionId::new(i.id),
        &i.token,
        &json!({"type": 4, "data": {"content": "only you", "flags": 64}}),
        vec![],
    )
    .await
    .expect("ephemeral");
    assert_eq!(page(&http, general, GetMessages::new()).await.len(), 7);
}

#[tokio::test]
async fn history_limits_paging_and_permissions() {
    let (emu, http, _, general) = setup().await;
    let alice = emu.add_user("alice", &[]);
    // Limits: default 50, at most 100 (serenity caps `limit` itself), 0 and 101 are form errors.
    let all_posted: Vec<u64> = (0..120)
        .map(|n| {
            emu.user_message(alice, general, &format!("n{n}"), None)
                .expect("post")
        })
        .collect();
    assert_eq!(page(&http, general, GetMessages::new()).await.len(), 50);
    let capped = page(&http, general, GetMessages::new().limit(200)).await;
    assert_eq!((capped.len(), capped[0]), (100, all_posted[119]));
    for (q, code) in [
        ("limit=101", "NUMBER_TYPE_MAX"),
        ("limit=0", "NUMBER_TYPE_MIN"),
    ] {
        let (status, body) = raw_get(&emu, &format!("/channels/{general}/messages?{q}")).await;
        assert_eq!(
            (
                status,
                body["code"].as_u64(),
                body["errors"]["limit"]["_errors"][0]["code"].as_str()
            ),
            (400, Some(50035), Some(code)),
            "{q}: {body}"
        );
    }
    let (status, _) = raw_get(
        &emu,
        &format!(
            "/channels/{general}/messages?before={}&after={}",
            all_posted[3], all_posted[1]
        ),
    )
    .await;
    assert_eq!(status, 400, "before and after are mutually exclusive");

    // Paging forward with `after` from the start walks every message once, in order.
    let mut all = Vec::new();
    let mut cursor = 1;
    loop {
        let p = page(
            &http,
            general,
            GetMessages::new().after(MessageId::new(cursor)).limit(50),
        )
        .await;
        let Some(&newest) = p.first() else { break };
        all.extend(p.into_iter().rev());
        cursor = newest;
    }
    assert_eq!(all, all_posted);

    // Permissions: no READ_MESSAGE_HISTORY → no messages; no VIEW_CHANNEL → 50001; no channel → 10003.
    let bot = emu.ids().1;
    emu.set_overwrite(general, bot, 1, 0, perms::READ_MESSAGE_HISTORY);
    let bot_role = emu.read(|s| s.bot_role);
    emu.set_role_permissions(bot_role, perms::VIEW_CHANNEL | perms::SEND_MESSAGES);
    assert!(page(&http, general, GetMessages::new()).await.is_empty());
    emu.set_overwrite(general, bot, 1, 0, perms::VIEW_CHANNEL);
    let hidden = ChannelId::new(general)
        .messages(&http, GetMessages::new())
        .await;
    assert_eq!(failure(hidden), (403, 50001, "Missing Access".to_owned()));
    let gone = ChannelId::new(general + 999)
        .messages(&http, GetMessages::new())
        .await;
    assert_eq!(failure(gone), (404, 10003, "Unknown Channel".to_owned()));
    let (failures, checked) = selfcheck::check_log(&emu.log());
    assert!(failures.is_empty() && checked > 10, "{failures:?}");
}
