//! REST entry point and the guild, channel, user and command routes. Every request is matched to
//! a route template (`/channels/{channel_id}/messages`), passed through faults and rate limits,
//! answered from the state (emitting the gateway events Discord emits), and logged. The route
//! handlers in `channels`, `members`, `messages`, `history` and `interactions` import what they
//! share (`Ctx`, `Reply`, `require`) from [`super::route`], never from this router.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Inner;
use super::channels::{create_channel, delete_channel, edit_channel, set_overwrite};
use super::http::{Part, Request, Response, multipart};
use super::limits::{self, ApiError};
use super::log::LogEntry;
use super::route::{Ctx, Reply, id, require};
use super::state::{State, perms};
use super::{interactions, members, messages, payload};

/// The route template and major parameter of a path.
fn route_of(segs: &[&str]) -> (String, String) {
    let mut out = String::new();
    let mut major = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let prev = if i > 0 { segs[i - 1] } else { "" };
        let name = match prev {
            "channels" => Some("channel_id"),
            "users" if *seg != "@me" => Some("user_id"),
            "guilds" => Some("guild_id"),
            "messages" if *seg != "bulk-delete" && *seg != "@original" => Some("message_id"),
            "applications" if *seg != "@me" => Some("application_id"),
            "interactions" => Some("interaction_id"),
            "members" => Some("user_id"),
            "roles" => Some("role_id"),
            "permissions" => Some("overwrite_id"),
            "commands" => Some("command_id"),
            "attachments" => Some("attachment_id"),
            "webhooks" => Some("webhook_id"),
            _ if i >= 2 && (segs[i - 2] == "interactions" || segs[i - 2] == "webhooks") => {
                Some("token")
            }
            _ => None,
        };
        out.push('/');
        match name {
            Some(n) => {
                if major.is_empty() && matches!(n, "channel_id" | "guild_id" | "webhook_id") {
                    (*seg).clone_into(&mut major);
                }
                let _ = write!(out, "{{{n}}}");
            }
            None => out.push_str(seg),
        }
    }
    (out, major)
}

/// The JSON body, or for multipart the `payload_json` part plus the `files[N]` parts.
async fn parse_body(req: &Request) -> (Value, Vec<Part>) {
    let ctype = req.headers.get("content-type").cloned().unwrap_or_default();
    if ctype.starts_with("multipart/") {
        let parts = multipart(&ctype, req.body.clone())
            .await
            .unwrap_or_default();
        let json = parts
            .iter()
            .find(|p| p.name == "payload_json")
            .and_then(|p| serde_json::from_slice(&p.data).ok())
            .unwrap_or(Value::Null);
        (
            json,
            parts
                .into_iter()
                .filter(|p| p.name.starts_with("files["))
                .collect(),
        )
    } else if req.body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(&req.body).unwrap_or(Value::Null),
            Vec::new(),
        )
    }
}

/// `GET /attachments/{id}/{filename}`: the stored bytes with their content type.
fn serve_attachment(inner: &Inner, rest: &str) -> Response {
    let file = rest.split('/').next().and_then(|i| i.parse::<u64>().ok());
    let found = file.and_then(|i| {
        inner.with(|s| {
            let data = s.files.get(&i).cloned()?;
            let ctype = s
                .messages
                .values()
                .flat_map(|m| &m.attachments)
                .find(|a| a.id == i)
                .map_or_else(
                    || "application/octet-stream".to_owned(),
                    |a| a.content_type.clone(),
                );
            Some((data, ctype))
        })
    });
    match found {
        Some((body, content_type)) => Response {
            status: 200,
            headers: Vec::new(),
            content_type,
            body,
        },
        None => ApiError::new(404, 0, "404: Not Found").into_response(),
    }
}

/// Serves one REST request: an attachment download directly, anything else through the route's
/// faults and rate limits, the bot-token check and [`route_request`]; then logs it.
pub(crate) async fn handle(inner: Arc<Inner>, req: Request) -> Response {
    let base = inner.base_url();
    if let Some(rest) = req.path.strip_prefix("/attachments/") {
        return serve_attachment(&inner, rest);
    }
    let segs = segments(&req.path);
    let (route, major) = route_of(&segs);
    let (body, files) = parse_body(&req).await;
    let file_names: Vec<String> = files
        .iter()
        .map(|f| f.filename.clone().unwrap_or_default())
        .collect();
    let gate = inner.with(|s| Gate::check(s, &req.method, &route, &major));
    if let Some(d) = gate.delay {
        tokio::time::sleep(d).await;
    }
    let response = if let Some(e) = gate.failure {
        e.into_response()
    } else {
        match gate.limited {
            Err(r) => r,
            Ok(headers) => {
                let ctx = Ctx {
                    base: base.clone(),
                    body: body.clone(),
                    files,
                    query: &req.query,
                };
                let mut r = answer(&inner, &req, &segs, &ctx);
                r.headers.extend(headers);
                r
            }
        }
    };
    log_rest(&inner, &req, route, body, file_names, &response);
    response
}

/// The path's segments under `/api/v10` (or `/api`).
fn segments(full: &str) -> Vec<&str> {
    let path = full
        .strip_prefix("/api/v10")
        .or_else(|| full.strip_prefix("/api"))
        .unwrap_or(full);
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// What the route's faults decide before it is served.
struct Gate {
    delay: Option<Duration>,
    failure: Option<ApiError>,
    /// A 429 to send, or the rate-limit headers for the answer (not counted when a failure is
    /// due).
    limited: Result<Vec<(String, String)>, Response>,
}

impl Gate {
    fn check(s: &mut State, method: &str, route: &str, major: &str) -> Self {
        let now = tokio::time::Instant::now();
        let delay = s.faults.delay(method, route);
        let failure = s.faults.take_failure(method, route, major);
        let limited = if failure.is_some() {
            Ok(Vec::new())
        } else {
            s.faults.rate_limit(method, route, major, now)
        };
        Gate {
            delay,
            failure,
            limited,
        }
    }
}

/// The answer of an admitted request: 401 without the bot's token (webhook and interaction
/// routes need none), else what [`route_request`] says.
fn answer(inner: &Inner, req: &Request, segs: &[&str], ctx: &Ctx) -> Response {
    let authorised = req
        .headers
        .get("authorization")
        .is_some_and(|a| a.starts_with("Bot ") && inner.token_ok(a))
        || segs
            .first()
            .is_some_and(|s| *s == "webhooks" || *s == "interactions");
    let reply = if authorised {
        inner.with(|s| route_request(s, &req.method, segs, ctx, &inner.ws_url()))
    } else {
        Err(ApiError::new(401, 0, "401: Unauthorized"))
    };
    match reply {
        Ok((status, Value::Null)) => Response::empty(status),
        Ok((status, v)) => Response::json(status, &v),
        Err(e) => e.into_response(),
    }
}

/// Appends the request and its answer to the log.
fn log_rest(
    inner: &Inner,
    req: &Request,
    route: String,
    request: Value,
    files: Vec<String>,
    response: &Response,
) {
    let resp_json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    inner.with(|s| {
        let at_ms = s.now_ms();
        s.record(LogEntry::Rest {
            at_ms,
            method: req.method.clone(),
            route,
            path: req.path.clone(),
            request,
            files,
            status: response.status,
            response: resp_json,
        });
    });
}

fn route_request(s: &mut State, method: &str, segs: &[&str], ctx: &Ctx, ws_url: &str) -> Reply {
    match (method, segs) {
        ("GET", ["gateway"]) => Ok((200, json!({"url": ws_url}))),
        ("GET", ["gateway", "bot"]) => Ok((
            200,
            json!({"url": ws_url, "shards": 1,
                   "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}}),
        )),
        ("GET", ["users", "@me"]) => Ok((200, payload::user(s, s.bot_id))),
        ("GET", ["users", u]) => members::get_user(s, u),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Ok((200, payload::application(s)))
        }
        ("POST", ["users", "@me", "channels"]) => open_dm(s, ctx),
        ("PUT", ["applications", _, "commands"] | ["applications", _, "guilds", _, "commands"]) => {
            limits::check_commands(ctx.body.as_array().map_or(&[], Vec::as_slice))?;
            Ok(put_commands(s, ctx, segs.len() == 3))
        }
        ("GET", ["applications", _, "commands"]) => {
            Ok((200, Value::Array(s.global_commands.clone())))
        }
        ("GET", ["applications", _, "guilds", _, "commands"]) => {
            Ok((200, Value::Array(s.commands.clone())))
        }
        ("GET", ["guilds", _]) => Ok((200, payload::guild(s, false))),
        ("GET", ["guilds", _, "channels"]) => Ok((
            200,
            Value::Array(
                s.guild_channels()
                    .into_iter()
                    .map(|c| payload::channel(s, c))
                    .collect(),
            ),
        )),
        ("POST", ["guilds", _, "channels"]) => create_channel(s, ctx),
        ("GET", ["guilds", _, "roles"]) => Ok((
            200,
            Value::Array(s.roles.values().map(payload::role).collect()),
        )),
        ("GET", ["guilds", _, "members"]) => members::list_members(s, ctx.query),
        ("GET", ["guilds", _, "members", u]) => members::get_member(s, u),
        ("PUT" | "DELETE", ["guilds", _, "members", u, "roles", r]) => {
            members::member_role(s, method == "PUT", id(u)?, id(r)?)
        }
        ("GET", ["channels", c]) => {
            let c = s
                .channels
                .get(&id(c)?)
                .ok_or_else(ApiError::unknown_channel)?;
            Ok((200, payload::channel(s, c)))
        }
        ("PATCH", ["channels", c]) => edit_channel(s, id(c)?, &ctx.body),
        ("DELETE", ["channels", c]) => {
            let c = id(c)?;
            require(s, c, perms::MANAGE_CHANNELS)?;
            let v = delete_channel(s, c).ok_or_else(ApiError::unknown_channel)?;
            Ok((200, v))
        }
        ("PUT" | "DELETE", ["channels", c, "permissions", o]) => {
            set_overwrite(s, id(c)?, id(o)?, method == "PUT", &ctx.body)
        }
        (_, ["channels", ..]) => messages::route(s, method, segs, ctx),
        (_, ["interactions" | "webhooks", ..]) => interactions::route(s, method, segs, ctx),
        _ => Err(ApiError::new(404, 0, "404: Not Found")),
    }
}

fn open_dm(s: &mut State, ctx: &Ctx) -> Reply {
    let user = ctx.body["recipient_id"]
        .as_str()
        .and_then(|u| u.parse::<u64>().ok())
        .or_else(|| ctx.body["recipient_id"].as_u64());
    let user = user
        .filter(|u| s.users.contains_key(u))
        .ok_or_else(|| ApiError::new(400, 50033, "Invalid Recipient(s)"))?;
    let ch = s.dm_channel(user);
    Ok((200, payload::channel(s, &s.channels[&ch])))
}

/// Bulk overwrite of the guild (or `global`) commands; ids are kept for unchanged names.
fn put_commands(s: &mut State, ctx: &Ctx, global: bool) -> (u16, Value) {
    let list = ctx.body.as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let before = if global {
        s.global_commands.clone()
    } else {
        s.commands.clone()
    };
    for mut c in list {
        let existing = before
            .iter()
            .find(|e| e["name"] == c["name"])
            .and_then(|e| e["id"].as_str().map(str::to_owned));
        let cid = existing.unwrap_or_else(|| s.id().to_string());
        c["id"] = json!(cid);
        c["application_id"] = json!(s.bot_id.to_string());
        c["version"] = json!(s.id().to_string());
        if c.get("type").is_none() {
            c["type"] = json!(1);
        }
        if c.get("description").is_none() {
            c["description"] = json!("");
        }
        out.push(c);
    }
    if global {
        s.global_commands.clone_from(&out);
    } else {
        s.commands.clone_from(&out);
    }
    (200, Value::Array(out))
}
