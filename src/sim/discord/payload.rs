//! JSON shapes of Discord objects built from the emulator's state. Every key serenity 0.12.5
//! requires (see `shared/design/discord-emulator.md` §2.5, e.g. `Role.colors`, the member
//! `flags`, `entitlements` and `attachment_size_limit` on interactions) is always present, because a
//! dispatch missing one silently becomes `Event::Unknown` in serenity.

use serde_json::{Value, json};

pub use super::limits::ATTACHMENT_SIZE_LIMIT;
use super::state::{ChannelRec, MessageRec, RoleRec, State, kinds};

pub const JOINED_AT: &str = "2024-01-01T00:00:00.000000+00:00";

pub fn user(s: &State, id: u64) -> Value {
    let u = s.users.get(&id);
    json!({
        "id": id.to_string(),
        "username": u.map_or("unknown", |u| u.name.as_str()),
        "global_name": u.map(|u| u.name.clone()),
        "discriminator": "0",
        "avatar": null,
        "bot": u.is_some_and(|u| u.bot),
    })
}

pub fn role(r: &RoleRec) -> Value {
    json!({
        "id": r.id.to_string(), "name": r.name, "color": 0, "colors": {"primary_color": 0},
        "hoist": false, "icon": null, "unicode_emoji": null, "position": r.position,
        "permissions": r.permissions.to_string(), "managed": r.managed, "mentionable": false,
        "flags": 0,
    })
}

pub fn member(s: &State, user_id: u64) -> Value {
    let roles: Vec<String> = s
        .members
        .get(&user_id)
        .map(|r| r.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    json!({
        "user": user(s, user_id), "roles": roles, "deaf": false, "mute": false, "flags": 0,
        "joined_at": JOINED_AT, "nick": null, "pending": false,
    })
}

pub fn channel(s: &State, c: &ChannelRec) -> Value {
    if c.kind == kinds::DM {
        let recipients: Vec<Value> = c.recipient.map(|r| user(s, r)).into_iter().collect();
        return json!({"id": c.id.to_string(), "type": 1, "recipients": recipients, "last_message_id": null});
    }
    let ows: Vec<Value> = c
        .overwrites
        .iter()
        .map(|o| {
            json!({"id": o.id.to_string(), "type": o.kind, "allow": o.allow.to_string(), "deny": o.deny.to_string()})
        })
        .collect();
    json!({
        "id": c.id.to_string(), "type": c.kind, "guild_id": s.guild_id.to_string(), "name": c.name,
        "position": c.position, "parent_id": c.parent_id.map(|p| p.to_string()), "topic": c.topic,
        "nsfw": false, "permission_overwrites": ows, "rate_limit_per_user": 0, "flags": 0,
    })
}

pub fn attachment_url(base: &str, id: u64, filename: &str) -> String {
    format!("{base}/attachments/{id}/{filename}")
}

/// The message's embeds with `attachment://<filename>` image and thumbnail URLs resolved to the
/// message's attachment of that name, as Discord returns them (unmatched references stay).
fn embeds(base: &str, m: &MessageRec) -> Vec<Value> {
    let mut out = m.embeds.clone();
    for e in &mut out {
        for key in ["image", "thumbnail"] {
            let name = e[key]["url"]
                .as_str()
                .and_then(|u| u.strip_prefix("attachment://"))
                .map(str::to_owned);
            let Some(a) = name.and_then(|n| m.attachments.iter().find(|a| a.filename == n)) else {
                continue;
            };
            let url = attachment_url(base, a.id, &a.filename);
            e[key] = json!({"url": url, "proxy_url": url, "width": a.width, "height": a.height});
        }
    }
    out
}

/// A message as REST returns it (`with_member` adds the partial member gateway events carry).
/// A reply (type 19) also carries `message_reference` `{"type": 0, "message_id",
/// "channel_id", "guild_id"?}` and `referenced_message`: the replied-to message (itself without
/// a nested `referenced_message`), or `null` once it was deleted, as Discord returns it.
pub fn message(s: &State, base: &str, m: &MessageRec, with_member: bool) -> Value {
    let mut v = message_only(s, base, m, with_member);
    if let Some(r) = m.reply_to {
        v["referenced_message"] = s
            .messages
            .get(&r)
            .map_or(Value::Null, |r| message_only(s, base, r, false));
    }
    v
}

fn message_only(s: &State, base: &str, m: &MessageRec, with_member: bool) -> Value {
    let guild = s
        .channels
        .get(&m.channel_id)
        .is_some_and(|c| c.kind != kinds::DM);
    let atts: Vec<Value> = m
        .attachments
        .iter()
        .map(|a| {
            let url = attachment_url(base, a.id, &a.filename);
            json!({"id": a.id.to_string(), "filename": a.filename, "size": a.size, "url": url,
                   "proxy_url": url, "content_type": a.content_type, "width": a.width, "height": a.height})
        })
        .collect();
    let mut v = json!({
        "id": m.id.to_string(), "channel_id": m.channel_id.to_string(), "author": user(s, m.author_id),
        "content": m.content, "timestamp": m.timestamp, "edited_timestamp": m.edited_timestamp,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": atts, "embeds": embeds(base, m), "components": m.components, "pinned": false,
        "type": m.kind, "flags": m.flags,
    });
    if guild {
        v["guild_id"] = json!(s.guild_id.to_string());
        if with_member {
            v["member"] = json!({"roles": member(s, m.author_id)["roles"], "deaf": false, "mute": false,
                                  "joined_at": JOINED_AT, "flags": 0});
        }
    }
    if let Some(r) = m.reply_to {
        v["message_reference"] =
            json!({"type": 0, "message_id": r.to_string(), "channel_id": m.channel_id.to_string()});
        if guild {
            v["message_reference"]["guild_id"] = json!(s.guild_id.to_string());
        }
    }
    if m.interaction_id.is_some() {
        v["webhook_id"] = json!(s.bot_id.to_string());
        v["application_id"] = json!(s.bot_id.to_string());
    }
    v
}

/// The guild object of GUILD_CREATE (with `gateway` extras) or of `GET /guilds/{id}`.
pub fn guild(s: &State, gateway: bool) -> Value {
    let roles: Vec<Value> = s.roles.values().map(role).collect();
    let mut v = json!({
        "id": s.guild_id.to_string(), "name": s.guild_name, "icon": null, "owner_id": s.owner_id.to_string(),
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": roles, "emojis": [], "features": [], "mfa_level": 0, "system_channel_flags": 0,
        "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0, "stickers": [],
        "premium_progress_bar_enabled": false, "afk_timeout": 300, "afk_channel_id": null,
        "system_channel_id": null, "rules_channel_id": null, "public_updates_channel_id": null,
        "application_id": null, "vanity_url_code": null, "description": null, "banner": null,
        "splash": null, "discovery_splash": null, "max_members": 500_000, "premium_subscription_count": 0,
    });
    if gateway {
        let members: Vec<Value> = s.members.keys().map(|u| member(s, *u)).collect();
        let channels: Vec<Value> = s
            .guild_channels()
            .into_iter()
            .map(|c| channel(s, c))
            .collect();
        let extra = json!({
            "joined_at": JOINED_AT, "large": false, "unavailable": false, "member_count": members.len(),
            "voice_states": [], "members": members, "channels": channels, "threads": [], "presences": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
    }
    v
}

pub fn ready(s: &State, session_id: &str, ws_url: &str) -> Value {
    json!({
        "v": 10, "user": user(s, s.bot_id), "guilds": [{"id": s.guild_id.to_string(), "unavailable": true}],
        "session_id": session_id, "resume_gateway_url": ws_url, "shard": [0, 1],
        "application": {"id": s.bot_id.to_string(), "flags": 0}, "private_channels": [],
    })
}

pub fn application(s: &State) -> Value {
    json!({
        "id": s.bot_id.to_string(), "name": s.users.get(&s.bot_id).map_or("bot", |u| u.name.as_str()),
        "icon": null, "description": "", "bot_public": true, "bot_require_code_grant": false,
        "verify_key": "0".repeat(64), "owner": user(s, s.owner_id), "team": null, "flags": 0,
    })
}

/// The shared envelope of an INTERACTION_CREATE: `member`, permissions and the 2025 keys.
pub fn interaction(
    s: &State,
    id: u64,
    token: &str,
    kind: u8,
    user_id: u64,
    channel_id: u64,
    data: &Value,
) -> Value {
    let ch = s.channels.get(&channel_id);
    let dm = ch.is_some_and(|c| c.kind == kinds::DM);
    let mut v = json!({
        "id": id.to_string(), "application_id": s.bot_id.to_string(), "type": kind, "data": data,
        "channel_id": channel_id.to_string(), "token": token, "version": 1,
        "locale": s.users.get(&user_id).map_or("en-US", |u| u.locale.as_str()),
        "entitlements": [], "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "app_permissions": s.permissions_in(s.bot_id, channel_id).to_string(),
    });
    if let Some(c) = ch {
        v["channel"] = channel(s, c);
    }
    if dm {
        v["user"] = user(s, user_id);
        v["context"] = json!(1);
        v["authorizing_integration_owners"] = json!({"0": s.guild_id.to_string()});
    } else {
        let mut m = member(s, user_id);
        m["permissions"] = json!(s.permissions_in(user_id, channel_id).to_string());
        v["member"] = m;
        v["guild_id"] = json!(s.guild_id.to_string());
        v["guild_locale"] = json!("en-US");
        v["context"] = json!(0);
        v["authorizing_integration_owners"] = json!({"0": s.guild_id.to_string()});
    }
    v
}
