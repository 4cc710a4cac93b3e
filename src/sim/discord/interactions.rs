//! The interaction lifecycle as Discord runs it: one acknowledgement (callback 4, 5, 6, 7 or 9)
//! within 3 s (else 10062), a second one → 40060, the token valid 15 minutes for `@original`
//! GET/PATCH/DELETE and followups, ephemeral flag 64, and after a defer the first followup edits
//! the original instead of creating a message. After 6 (DEFERRED_UPDATE_MESSAGE) or 7
//! (UPDATE_MESSAGE) on a component, `@original` is the component's message. Times use tokio's clock, so tests can pause it.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::limits::{self, ApiError};
use super::messages;
use super::payload;
use super::route::{Ctx, Reply};
use super::state::{InteractionRec, State};

const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

fn unknown_interaction() -> ApiError {
    ApiError::new(404, 10062, "Unknown interaction")
}

fn unknown_webhook() -> ApiError {
    ApiError::new(404, 10015, "Unknown Webhook")
}

fn by_token(s: &State, token: &str) -> Option<u64> {
    s.interactions
        .values()
        .find(|i| i.token == token)
        .map(|i| i.id)
}

pub(crate) fn route(s: &mut State, method: &str, segs: &[&str], ctx: &Ctx) -> Reply {
    match (method, segs) {
        ("POST", ["interactions", id, token, "callback"]) => callback(s, id, token, ctx),
        (_, ["webhooks", _app, token, rest @ ..]) => {
            let iid = by_token(s, token).ok_or_else(unknown_webhook)?;
            let rec = s.interactions[&iid].clone();
            if rec.ack.is_none() {
                return Err(unknown_webhook());
            }
            if Instant::now().duration_since(rec.created) > TOKEN_LIFETIME {
                return Err(ApiError::new(401, 50027, "Invalid Webhook Token"));
            }
            webhook(s, method, rest, ctx, &rec)
        }
        _ => Err(ApiError::new(404, 0, "404: Not Found")),
    }
}

/// `POST /interactions/{id}/{token}/callback`: the one acknowledgement, within the window.
fn callback(s: &mut State, id: &str, token: &str, ctx: &Ctx) -> Reply {
    let id: u64 = id.parse().map_err(|_| unknown_interaction())?;
    let rec = unacknowledged(s, id, token)?;
    let kind = u8::try_from(ctx.body["type"].as_u64().unwrap_or(0)).unwrap_or(0);
    let data = &ctx.body["data"];
    let mut ack = Ack::default();
    match kind {
        4 | 5 => {
            ack.original = Some(respond(s, ctx, &rec, kind)?);
            ack.loading = kind == 5;
        }
        // For a component (or a modal opened from one), `@original` is then the message the
        // component is on: a later PATCH of `@original` edits it.
        6 => ack.original = rec.source_message,
        7 => {
            let src = rec
                .source_message
                .ok_or_else(|| ApiError::new(400, 50035, "Invalid Form Body"))?;
            messages::edit(s, &ctx.base, src, data, &ctx.files)?;
            ack.original = Some(src);
        }
        9 => {
            if rec.kind == 5 {
                return Err(ApiError::invalid_form(
                    "type",
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    "Modal cannot answer a modal",
                ));
            }
            limits::check_modal(data)?;
            ack.modal = Some(data.clone());
        }
        _ => {
            return Err(ApiError::invalid_form(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of (4, 5, 6, 7, 9).",
            ));
        }
    }
    let r = s.interactions.get_mut(&id).expect("interaction exists");
    r.ack = Some(kind);
    r.original = ack.original;
    r.loading = ack.loading;
    r.modal = ack.modal;
    Ok((204, Value::Null))
}

/// What an acknowledgement leaves on the interaction besides its type.
#[derive(Default)]
struct Ack {
    original: Option<u64>,
    loading: bool,
    modal: Option<Value>,
}

/// The interaction with this id and token, still inside the acknowledgement window (10062
/// otherwise) and not acknowledged yet (40060 otherwise).
fn unacknowledged(s: &State, id: u64, token: &str) -> Result<InteractionRec, ApiError> {
    let rec = s
        .interactions
        .get(&id)
        .filter(|i| i.token == token)
        .cloned()
        .ok_or_else(unknown_interaction)?;
    if Instant::now().duration_since(rec.created) > s.ack_window {
        return Err(unknown_interaction());
    }
    if rec.ack.is_some() {
        return Err(ApiError::new(
            400,
            40060,
            "Interaction has already been acknowledged.",
        ));
    }
    Ok(rec)
}

/// Callback 4 (a message) or 5 (deferred: a "thinking" placeholder with flag 128) creates the
/// original response; its id.
fn respond(s: &mut State, ctx: &Ctx, rec: &InteractionRec, kind: u8) -> Result<u64, ApiError> {
    let data = &ctx.body["data"];
    let ephemeral = data["flags"].as_u64().unwrap_or(0) & 64 != 0;
    let mut m = if kind == 4 {
        messages::build(s, rec.channel_id, s.bot_id, data, &ctx.files)?
    } else {
        messages::build(
            s,
            rec.channel_id,
            s.bot_id,
            &json!({"content": "vpn-bot is thinking..."}),
            &[],
        )?
    };
    m.content = if kind == 5 { String::new() } else { m.content };
    m.flags = if ephemeral { 64 } else { 0 } | if kind == 5 { 128 } else { 0 };
    m.kind = if rec.kind == 2 { 20 } else { 19 };
    m.interaction_id = Some(rec.id);
    m.visible_to = ephemeral.then_some(rec.user_id);
    let original = m.id;
    messages::insert(s, &ctx.base, m);
    Ok(original)
}

fn webhook(s: &mut State, method: &str, rest: &[&str], ctx: &Ctx, rec: &InteractionRec) -> Reply {
    let target = match rest {
        [] => None,
        ["messages", "@original"] => Some(rec.original.ok_or_else(ApiError::unknown_message)?),
        ["messages", m] => {
            let m: u64 = m.parse().map_err(|_| ApiError::unknown_message())?;
            if !rec.followups.contains(&m) && rec.original != Some(m) {
                return Err(ApiError::unknown_message());
            }
            Some(m)
        }
        _ => return Err(ApiError::new(404, 0, "404: Not Found")),
    };
    match (method, target) {
        ("POST", None) => {
            if rec.loading {
                // After a defer, the first followup edits the deferred original.
                let orig = rec
                    .original
                    .expect("deferred interactions have an original");
                let v = messages::edit(s, &ctx.base, orig, &ctx.body, &ctx.files)?;
                s.interactions.get_mut(&rec.id).expect("exists").loading = false;
                return Ok((200, v));
            }
            let ephemeral = ctx.body["flags"].as_u64().unwrap_or(0) & 64 != 0;
            let mut m = messages::build(s, rec.channel_id, s.bot_id, &ctx.body, &ctx.files)?;
            m.interaction_id = Some(rec.id);
            m.visible_to = ephemeral.then_some(rec.user_id);
            let mid = m.id;
            let v = messages::insert(s, &ctx.base, m);
            s.interactions
                .get_mut(&rec.id)
                .expect("exists")
                .followups
                .push(mid);
            Ok((200, v))
        }
        ("GET", Some(m)) => {
            let m = s.messages.get(&m).ok_or_else(ApiError::unknown_message)?;
            Ok((200, payload::message(s, &ctx.base, m, false)))
        }
        ("PATCH", Some(m)) => {
            let v = messages::edit(s, &ctx.base, m, &ctx.body, &ctx.files)?;
            if rec.original == Some(m) {
                s.interactions.get_mut(&rec.id).expect("exists").loading = false;
            }
            Ok((200, v))
        }
        ("DELETE", Some(m)) => {
            messages::delete(s, m)?;
            Ok((204, Value::Null))
        }
        _ => Err(ApiError::new(405, 0, "405: Method Not Allowed")),
    }
}
