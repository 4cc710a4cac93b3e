//! Message routes (`/channels/{id}/messages...`) and the helpers interactions share: building a
//! message from a JSON or multipart body (limits, `files[N]` stored and served back), editing with
//! `attachments` kept or dropped, and the MESSAGE_CREATE/UPDATE/DELETE/DELETE_BULK events.

use serde_json::{Value, json};

use super::http::Part;
use super::limits::{self, ApiError};
use super::payload;
use super::route::{Ctx, Reply, require};
use super::state::{AttachmentRec, MessageRec, State, intents, kinds, perms};

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn intent_for(s: &State, channel: u64) -> u64 {
    if s.channels
        .get(&channel)
        .is_some_and(|c| c.kind == kinds::DM)
    {
        intents::DIRECT_MESSAGES
    } else {
        intents::GUILD_MESSAGES
    }
}

/// Stores uploaded files as attachments (checking the 10 MiB limit).
pub(crate) fn store_files(
    s: &mut State,
    body: &Value,
    files: &[Part],
) -> Result<Vec<AttachmentRec>, ApiError> {
    let mut out = Vec::new();
    for (n, f) in files.iter().enumerate() {
        limits::check_file_size(f.data.len())?;
        let index = f
            .name
            .trim_start_matches("files[")
            .trim_end_matches(']')
            .parse::<usize>()
            .unwrap_or(n);
        let described = body["attachments"].as_array().and_then(|a| {
            a.iter().find(|x| {
                x["id"].as_u64() == Some(index as u64)
                    || x["id"].as_str() == Some(index.to_string().as_str())
            })
        });
        let filename = described
            .and_then(|d| d["filename"].as_str().map(str::to_owned))
            .or_else(|| f.filename.clone())
            .unwrap_or_else(|| format!("file{index}"));
        let id = s.id();
        s.files.insert(id, f.data.clone());
        let (content_type, dims) = sniff(&f.data, &filename, f.content_type.as_deref());
        out.push(AttachmentRec {
            id,
            filename,
            size: f.data.len(),
            content_type,
            width: dims.map(|d| d.0),
            height: dims.map(|d| d.1),
        });
    }
    Ok(out)
}

/// The content type Discord reports (sniffed for images, else the part's, else by extension)
/// and an image's dimensions.
fn sniff(data: &[u8], filename: &str, declared: Option<&str>) -> (String, Option<(u32, u32)>) {
    if let Ok(format) = image::guess_format(data) {
        let dims = image::ImageReader::with_format(std::io::Cursor::new(data), format)
            .into_dimensions()
            .ok();
        return (format.to_mime_type().to_owned(), dims);
    }
    let by_ext = match filename
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("txt" | "log") => "text/plain; charset=utf-8",
        Some("json") => "application/json; charset=utf-8",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    };
    (declared.unwrap_or(by_ext).to_owned(), None)
}

/// Builds (does not store) a message from a create body.
pub(crate) fn build(
    s: &mut State,
    channel_id: u64,
    author_id: u64,
    body: &Value,
    files: &[Part],
) -> Result<MessageRec, ApiError> {
    limits::check_message(body)?;
    let attachments = store_files(s, body, files)?;
    let empty = body["content"].as_str().is_none_or(str::is_empty)
        && body["embeds"].as_array().is_none_or(Vec::is_empty)
        && body["components"].as_array().is_none_or(Vec::is_empty)
        && attachments.is_empty();
    if empty {
        return Err(ApiError::new(400, 50006, "Cannot send an empty message"));
    }
    let reply_to = reply_target(s, channel_id, &body["message_reference"])?;
    Ok(MessageRec {
        id: s.id(),
        channel_id,
        author_id,
        content: body["content"].as_str().unwrap_or_default().to_owned(),
        embeds: embeds(&body["embeds"]),
        components: body["components"].as_array().cloned().unwrap_or_default(),
        attachments,
        flags: body["flags"].as_u64().unwrap_or(0) & (64 | 4 | 4096),
        kind: if reply_to.is_some() { 19 } else { 0 },
        reply_to,
        timestamp: now(),
        edited_timestamp: None,
        interaction_id: None,
        visible_to: None,
    })
}

/// The message a create body replies to. Discord: a `message_reference` (type 0 = DEFAULT, the
/// default) with a `message_id` makes the message a REPLY (type 19) to that message in the same
/// channel; when it does not exist, `fail_if_not_exists` (default true) decides between 400
/// `{"code": 50035, "errors": {"message_reference": {"_errors": [{"code":
/// "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}}}` and sending a plain
/// message. Forwards (type 1) are not modelled and are sent as plain messages.
fn reply_target(s: &State, channel_id: u64, r: &Value) -> Result<Option<u64>, ApiError> {
    if r.is_null() || r["type"].as_u64().unwrap_or(0) != 0 {
        return Ok(None);
    }
    let id = |v: &Value| {
        v.as_str()
            .and_then(|x| x.parse::<u64>().ok())
            .or_else(|| v.as_u64())
    };
    let Some(target) = id(&r["message_id"]) else {
        return Ok(None);
    };
    let same_channel = id(&r["channel_id"]).is_none_or(|c| c == channel_id);
    let exists = same_channel
        && s.messages
            .get(&target)
            .is_some_and(|m| m.channel_id == channel_id && !m.is_ephemeral());
    if exists {
        Ok(Some(target))
    } else if r["fail_if_not_exists"].as_bool().unwrap_or(true) {
        Err(ApiError::invalid_form(
            "message_reference",
            "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            "Unknown message",
        ))
    } else {
        Ok(None)
    }
}

fn embeds(v: &Value) -> Vec<Value> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if e.get("type").is_none() {
                        e["type"] = json!("rich");
                    }
                    e
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Stores a message and emits MESSAGE_CREATE (not for ephemeral ones); its REST JSON.
pub(crate) fn insert(s: &mut State, base: &str, m: MessageRec) -> Value {
    let id = m.id;
    let ephemeral = m.is_ephemeral();
    let channel = m.channel_id;
    s.messages.insert(id, m);
    let m = &s.messages[&id];
    if !ephemeral {
        let ev = payload::message(s, base, m, true);
        s.dispatch("MESSAGE_CREATE", &ev, intent_for(s, channel));
    }
    payload::message(s, base, &s.messages[&id], false)
}

/// Applies an edit body to a stored message and emits MESSAGE_UPDATE; its REST JSON.
pub(crate) fn edit(
    s: &mut State,
    base: &str,
    id: u64,
    body: &Value,
    files: &[Part],
) -> Result<Value, ApiError> {
    limits::check_message(body)?;
    let new = store_files(s, body, files)?;
    let m = s
        .messages
        .get_mut(&id)
        .ok_or_else(ApiError::unknown_message)?;
    if let Some(c) = body.get("content").filter(|c| !c.is_null()) {
        c.as_str().unwrap_or_default().clone_into(&mut m.content);
    }
    if let Some(e) = body.get("embeds").filter(|e| !e.is_null()) {
        m.embeds = embeds(e);
    }
    if let Some(c) = body.get("components").filter(|c| !c.is_null()) {
        m.components = c.as_array().cloned().unwrap_or_default();
    }
    // With an `attachments` array, Discord keeps exactly the existing attachments it lists (by
    // id: a snowflake string, or a number); the other entries describe the new `files[N]`.
    // Without one, every existing attachment stays.
    if let Some(keep) = body["attachments"].as_array() {
        let kept: Vec<u64> = keep
            .iter()
            .filter_map(|a| {
                a["id"]
                    .as_str()
                    .and_then(|i| i.parse().ok())
                    .or_else(|| a["id"].as_u64())
            })
            .collect();
        m.attachments.retain(|a| kept.contains(&a.id));
    }
    m.attachments.extend(new);
    m.flags &= !128; // no longer "thinking"
    m.edited_timestamp = Some(now());
    let (ephemeral, channel) = (m.is_ephemeral(), m.channel_id);
    let m = &s.messages[&id];
    if !ephemeral {
        let ev = payload::message(s, base, m, true);
        s.dispatch("MESSAGE_UPDATE", &ev, intent_for(s, channel));
    }
    Ok(payload::message(s, base, &s.messages[&id], false))
}

/// Deletes a message and emits MESSAGE_DELETE.
pub(crate) fn delete(s: &mut State, id: u64) -> Result<(), ApiError> {
    let m = s
        .messages
        .remove(&id)
        .ok_or_else(ApiError::unknown_message)?;
    if !m.is_ephemeral() {
        let mut ev = json!({"id": id.to_string(), "channel_id": m.channel_id.to_string()});
        if s.channels
            .get(&m.channel_id)
            .is_some_and(|c| c.kind != kinds::DM)
        {
            ev["guild_id"] = json!(s.guild_id.to_string());
        }
        s.dispatch("MESSAGE_DELETE", &ev, intent_for(s, m.channel_id));
    }
    Ok(())
}

fn msg_id(seg: &str) -> Result<u64, ApiError> {
    seg.parse().map_err(|_| ApiError::unknown_message())
}

/// `POST /channels/{id}/messages`: permission (or closed-DM) checks, then create.
fn post(s: &mut State, c: u64, ctx: &Ctx) -> Reply {
    let ch = &s.channels[&c];
    if ch.kind == kinds::DM {
        let recipient = ch.recipient.and_then(|r| s.users.get(&r));
        if recipient.is_some_and(|u| u.dms_closed) {
            return Err(ApiError::new(
                403,
                50007,
                "Cannot send messages to this user",
            ));
        }
    } else {
        let mut need = perms::VIEW_CHANNEL | perms::SEND_MESSAGES;
        if !ctx.files.is_empty() {
            need |= perms::ATTACH_FILES;
        }
        if !ctx.body["message_reference"].is_null() {
            need |= perms::READ_MESSAGE_HISTORY; // Discord: replying needs it
        }
        require(s, c, need)?;
    }
    let m = build(s, c, s.bot_id, &ctx.body, &ctx.files)?;
    Ok((200, insert(s, &ctx.base, m)))
}

pub(crate) fn route(s: &mut State, method: &str, segs: &[&str], ctx: &Ctx) -> Reply {
    let c: u64 = segs[1].parse().map_err(|_| ApiError::unknown_channel())?;
    if !s.channels.contains_key(&c) {
        return Err(ApiError::unknown_channel());
    }
    match (method, &segs[2..]) {
        ("GET", ["messages"]) => super::history::list(s, c, ctx.query, &ctx.base),
        ("POST", ["messages"]) => post(s, c, ctx),
        ("POST", ["messages", "bulk-delete"]) => {
            require(s, c, perms::MANAGE_MESSAGES)?;
            let ids: Vec<u64> = ctx.body["messages"]
                .as_array()
                .map(|a| a.iter().filter_map(|i| i.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            if !(2..=100).contains(&ids.len()) {
                return Err(ApiError::invalid_form(
                    "messages",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 2 and 100 in length.",
                ));
            }
            for i in &ids {
                s.messages.remove(i);
            }
            let ev = json!({"ids": ids.iter().map(ToString::to_string).collect::<Vec<_>>(), "channel_id": c.to_string(), "guild_id": s.guild_id.to_string()});
            s.dispatch("MESSAGE_DELETE_BULK", &ev, intents::GUILD_MESSAGES);
            Ok((204, Value::Null))
        }
        ("GET", ["messages", m]) => {
            require(s, c, perms::VIEW_CHANNEL | perms::READ_MESSAGE_HISTORY)?;
            let m = s
                .messages
                .get(&msg_id(m)?)
                .filter(|m| m.channel_id == c)
                .ok_or_else(ApiError::unknown_message)?;
            Ok((200, payload::message(s, &ctx.base, m, false)))
        }
        ("PATCH", ["messages", m]) => {
            let m = msg_id(m)?;
            let author = s
                .messages
                .get(&m)
                .filter(|x| x.channel_id == c)
                .ok_or_else(ApiError::unknown_message)?
                .author_id;
            if author != s.bot_id {
                return Err(ApiError::new(
                    403,
                    50005,
                    "Cannot edit a message authored by another user",
                ));
            }
            Ok((200, edit(s, &ctx.base, m, &ctx.body, &ctx.files)?))
        }
        ("DELETE", ["messages", m]) => {
            let m = msg_id(m)?;
            let author = s
                .messages
                .get(&m)
                .filter(|x| x.channel_id == c)
                .ok_or_else(ApiError::unknown_message)?
                .author_id;
            if author != s.bot_id {
                require(s, c, perms::MANAGE_MESSAGES)?;
            }
            delete(s, m)?;
            Ok((204, Value::Null))
        }
        _ => Err(ApiError::new(404, 0, "404: Not Found")),
    }
}
