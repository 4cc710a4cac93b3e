//! Parses what the emulator produced with serenity 0.12.5's own model types: every gateway frame
//! must be a `GatewayEvent` and no dispatch may become `Event::Unknown` (which serenity drops
//! silently), and every REST response body must parse as the type serenity reads for that route.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serenity::model::prelude::*;

use super::log::LogEntry;

fn parse<T: DeserializeOwned>(v: &Value, what: &str) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| format!("{what}: {e}: {v}"))
}

/// Checks one gateway frame sent to the bot.
///
/// # Errors
/// A description of the frame that does not parse or parses as `Event::Unknown`.
pub fn check_frame(frame: &Value) -> Result<(), String> {
    let ev: GatewayEvent =
        serde_json::from_value(frame.clone()).map_err(|e| format!("frame: {e}: {frame}"))?;
    if let GatewayEvent::Dispatch(_, Event::Unknown(u)) = ev {
        return Err(format!(
            "dispatch {} parsed as Event::Unknown: {frame}",
            u.kind
        ));
    }
    Ok(())
}

/// Checks one REST response against the serenity type read for its route; `Ok(false)` when the
/// route has no body to check.
///
/// # Errors
/// A description of the body that does not parse.
pub fn check_response(
    method: &str,
    route: &str,
    status: u16,
    body: &Value,
) -> Result<bool, String> {
    if status >= 400 {
        let ok = body["code"].is_i64() || body["code"].is_u64();
        return if ok && body["message"].is_string()
            || status == 429 && body["retry_after"].is_number()
        {
            Ok(true)
        } else {
            Err(format!("error body without code/message: {body}"))
        };
    }
    if body.is_null() {
        return Ok(false);
    }
    let what = format!("{method} {route}");
    match (method, route) {
        ("GET", "/gateway") => parse::<serenity::model::gateway::Gateway>(body, &what)?,
        ("GET", "/gateway/bot") => parse::<BotGateway>(body, &what)?,
        ("GET", "/users/@me") => parse::<CurrentUser>(body, &what)?,
        ("GET", "/users/{user_id}") => parse::<User>(body, &what)?,
        ("GET", "/oauth2/applications/@me") => parse::<CurrentApplicationInfo>(body, &what)?,
        ("POST", "/users/@me/channels") => parse::<PrivateChannel>(body, &what)?,
        (
            "PUT" | "GET",
            "/applications/{application_id}/commands"
            | "/applications/{application_id}/guilds/{guild_id}/commands",
        ) => {
            parse::<Vec<Command>>(body, &what)?;
        }
        ("GET", "/guilds/{guild_id}") => parse::<PartialGuild>(body, &what)?,
        ("GET", "/guilds/{guild_id}/channels") => parse::<Vec<GuildChannel>>(body, &what)?,
        ("GET", "/guilds/{guild_id}/roles") => parse::<Vec<Role>>(body, &what)?,
        ("GET", "/guilds/{guild_id}/members/{user_id}") => {
            let mut b = body.clone();
            b["guild_id"] = Value::String("1".into());
            parse::<Member>(&b, &what)?;
        }
        ("GET", "/guilds/{guild_id}/members") => {
            // serenity fills `guild_id` in itself after the call, as for one member.
            let mut b = body.clone();
            for m in b.as_array_mut().into_iter().flatten() {
                m["guild_id"] = Value::String("1".into());
            }
            parse::<Vec<Member>>(&b, &what)?;
        }
        ("POST", "/guilds/{guild_id}/channels") | ("PATCH", "/channels/{channel_id}") => {
            parse::<GuildChannel>(body, &what)?;
        }
        ("GET" | "DELETE", "/channels/{channel_id}") => parse::<Channel>(body, &what)?,
        ("GET", "/channels/{channel_id}/messages") => parse::<Vec<Message>>(body, &what)?,
        (_, r) if r.contains("/messages") || r.starts_with("/webhooks/") => {
            parse::<Message>(body, &what)?;
        }
        _ => return Err(format!("{what}: no serenity type known for this route")),
    }
    Ok(true)
}

/// Runs both checks over a log; the list of failures (empty = all good) and how many payloads
/// were checked.
pub fn check_log(log: &[LogEntry]) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in log {
        match e {
            LogEntry::Frame {
                dir: "out", frame, ..
            } => {
                checked += 1;
                if let Err(f) = check_frame(frame) {
                    failures.push(f);
                }
            }
            LogEntry::Rest {
                method,
                route,
                status,
                response,
                ..
            } => match check_response(method, route, *status, response) {
                Ok(true) => checked += 1,
                Ok(false) => {}
                Err(f) => failures.push(f),
            },
            LogEntry::Frame { .. } => {}
        }
    }
    (failures, checked)
}
