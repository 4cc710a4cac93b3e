//! Guild channel routes: create (with overwrites, the 500-per-guild and 50-per-category
//! limits), edit, delete (also used when a person deletes a channel by hand) and permission
//! overwrites, each emitting the CHANNEL_* event Discord emits.

use serde_json::Value;

use super::limits::ApiError;
use super::payload;
use super::route::{Ctx, Reply, require};
use super::state::{ChannelRec, Overwrite, State, intents, kinds, perms};

fn parse_bits(v: &Value) -> u64 {
    v.as_str()
        .and_then(|x| x.parse().ok())
        .or_else(|| v.as_u64())
        .unwrap_or(0)
}

fn parse_overwrites(v: &Value) -> Vec<Overwrite> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|o| Overwrite {
                    id: parse_bits(&o["id"]),
                    kind: u8::try_from(o["type"].as_u64().unwrap_or(0)).unwrap_or(0),
                    allow: parse_bits(&o["allow"]),
                    deny: parse_bits(&o["deny"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn create_channel(s: &mut State, ctx: &Ctx) -> Reply {
    let b = &ctx.body;
    if s.base_permissions(s.bot_id) & perms::MANAGE_CHANNELS == 0 {
        return Err(ApiError::missing_permissions());
    }
    if s.guild_channels().len() >= 500 {
        return Err(ApiError::new(
            400,
            30013,
            "Maximum number of guild channels reached (500)",
        ));
    }
    let name = b["name"].as_str().unwrap_or_default().to_owned();
    if !(1..=100).contains(&name.chars().count()) {
        return Err(ApiError::invalid_form(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    let parent_id = b["parent_id"].as_str().and_then(|p| p.parse::<u64>().ok());
    if let Some(p) = parent_id {
        if s.channels.get(&p).is_none_or(|c| c.kind != kinds::CATEGORY) {
            return Err(ApiError::invalid_form(
                "parent_id",
                "CHANNEL_PARENT_INVALID",
                "Category does not exist",
            ));
        }
        if s.children_of(p) >= 50 {
            return Err(ApiError::invalid_form(
                "parent_id",
                "CHANNEL_PARENT_MAX_CHANNELS",
                "Maximum number of channels in category reached (50)",
            ));
        }
    }
    let c = s.id();
    let rec = ChannelRec {
        id: c,
        kind: u8::try_from(b["type"].as_u64().unwrap_or(0)).unwrap_or(0),
        name: if b["type"].as_u64().unwrap_or(0) == 0 {
            name.to_lowercase().replace(' ', "-")
        } else {
            name
        },
        parent_id,
        position: b["position"].as_i64().unwrap_or(0),
        topic: b["topic"].as_str().map(str::to_owned),
        overwrites: parse_overwrites(&b["permission_overwrites"]),
        recipient: None,
    };
    s.channels.insert(c, rec);
    let v = payload::channel(s, &s.channels[&c]);
    s.dispatch("CHANNEL_CREATE", &v, intents::GUILDS);
    Ok((201, v))
}

pub(crate) fn edit_channel(s: &mut State, c: u64, b: &Value) -> Reply {
    let mut need = perms::MANAGE_CHANNELS;
    if b.get("permission_overwrites").is_some() {
        need |= perms::MANAGE_ROLES;
    }
    require(s, c, need)?;
    let ch = s
        .channels
        .get_mut(&c)
        .ok_or_else(ApiError::unknown_channel)?;
    if let Some(n) = b["name"].as_str() {
        n.clone_into(&mut ch.name);
    }
    if b.get("topic").is_some() {
        ch.topic = b["topic"].as_str().map(str::to_owned);
    }
    if let Some(p) = b["position"].as_i64() {
        ch.position = p;
    }
    if b.get("parent_id").is_some() {
        ch.parent_id = b["parent_id"].as_str().and_then(|p| p.parse().ok());
    }
    if b.get("permission_overwrites").is_some() {
        ch.overwrites = parse_overwrites(&b["permission_overwrites"]);
    }
    let v = payload::channel(s, &s.channels[&c]);
    s.dispatch("CHANNEL_UPDATE", &v, intents::GUILDS);
    Ok((200, v))
}

/// Deletes a channel and its messages, emitting CHANNEL_DELETE; the deleted channel's JSON.
pub(crate) fn delete_channel(s: &mut State, c: u64) -> Option<Value> {
    let v = payload::channel(s, s.channels.get(&c)?);
    s.channels.remove(&c);
    s.messages.retain(|_, m| m.channel_id != c);
    s.dispatch("CHANNEL_DELETE", &v, intents::GUILDS);
    Some(v)
}

pub(crate) fn set_overwrite(s: &mut State, c: u64, target: u64, put: bool, b: &Value) -> Reply {
    require(s, c, perms::MANAGE_ROLES)?;
    let ch = s
        .channels
        .get_mut(&c)
        .ok_or_else(ApiError::unknown_channel)?;
    ch.overwrites.retain(|o| o.id != target);
    if put {
        let kind = u8::try_from(b["type"].as_u64().unwrap_or(0)).unwrap_or(0);
        ch.overwrites.push(Overwrite {
            id: target,
            kind,
            allow: parse_bits(&b["allow"]),
            deny: parse_bits(&b["deny"]),
        });
    }
    let v = payload::channel(s, &s.channels[&c]);
    s.dispatch("CHANNEL_UPDATE", &v, intents::GUILDS);
    Ok((204, Value::Null))
}
