//! `GET /channels/{channel.id}/messages` with Discord's query semantics, so a bot that was away
//! can catch up by REST on what it missed on the gateway.
//!
//! * `limit` 1–100, default 50; outside that range a 400 form error (Discord validates the
//!   query like a body: `{"code": 50035, "errors": {"limit": {"_errors": [{"code":
//!   "NUMBER_TYPE_MAX", ...}]}}}`). serenity's `GetMessages::limit` caps at 100 itself.
//! * `before`, `after`, `around` are mutually exclusive (Discord's docs); the emulator answers
//!   50035 when more than one is given rather than guessing which one Discord would use.
//! * The answer is always newest first (docs: "from newest to oldest"), also for `after`: the
//!   page is the `limit` messages that come right after the id, listed newest first. So paging
//!   forward means taking the first element (the newest) of each page as the next `after`.
//! * `around`: the message itself (when it is in the channel) plus `limit / 2` older and `limit
//!   / 2` newer ones, so an even limit can give `limit + 1` (as discord.py documents for its
//!   `history(around=...)`); `limit=1` gives just that message.
//! * Permissions: 404/10003 for an unknown channel; in a guild channel VIEW_CHANNEL is needed
//!   (else 403/50001 Missing Access) and without READ_MESSAGE_HISTORY the list is empty (docs:
//!   "no messages will be returned"; serenity: "returns an empty Vec").
//!
//! Ephemeral messages are never listed. Messages posted while no gateway session was connected
//! are listed like any other: the store does not depend on who was listening.

use serde_json::Value;

use super::limits::ApiError;
use super::payload;
use super::route::{Reply, require};
use super::state::{MessageRec, State, perms};

enum Anchor {
    Latest,
    Before(u64),
    After(u64),
    Around(u64),
}

fn snowflake(key: &str, v: &str) -> Result<u64, ApiError> {
    v.parse().map_err(|_| {
        ApiError::invalid_form(
            key,
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{v}\" is not snowflake."),
        )
    })
}

fn parse(query: &str) -> Result<(Anchor, usize), ApiError> {
    let mut limit = 50usize;
    let mut anchors = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "limit" => {
                let n: i64 = v.parse().map_err(|_| {
                    ApiError::invalid_form(
                        "limit",
                        "NUMBER_TYPE_COERCE",
                        &format!("Value \"{v}\" is not int."),
                    )
                })?;
                if n < 1 {
                    return Err(ApiError::invalid_form(
                        "limit",
                        "NUMBER_TYPE_MIN",
                        "int value should be greater than or equal to 1.",
                    ));
                }
                if n > 100 {
                    return Err(ApiError::invalid_form(
                        "limit",
                        "NUMBER_TYPE_MAX",
                        "int value should be less than or equal to 100.",
                    ));
                }
                limit = usize::try_from(n).unwrap_or(100);
            }
            "before" => anchors.push(Anchor::Before(snowflake("before", &v)?)),
            "after" => anchors.push(Anchor::After(snowflake("after", &v)?)),
            "around" => anchors.push(Anchor::Around(snowflake("around", &v)?)),
            _ => {}
        }
    }
    if anchors.len() > 1 {
        return Err(ApiError::invalid_form(
            "around",
            "BASE_TYPE_BAD_USAGE",
            "Only one of before, after and around may be given.",
        ));
    }
    Ok((anchors.pop().unwrap_or(Anchor::Latest), limit))
}

/// The ids of the page, newest first.
fn page(all: &[&MessageRec], anchor: &Anchor, limit: usize) -> Vec<u64> {
    // `all` is oldest first (by id, which is by time).
    let ids: Vec<u64> = all.iter().map(|m| m.id).collect();
    match *anchor {
        Anchor::Latest => ids.iter().rev().take(limit).copied().collect(),
        Anchor::Before(b) => ids
            .iter()
            .rev()
            .filter(|i| **i < b)
            .take(limit)
            .copied()
            .collect(),
        Anchor::After(a) => {
            let mut v: Vec<u64> = ids
                .iter()
                .filter(|i| **i > a)
                .take(limit)
                .copied()
                .collect();
            v.reverse();
            v
        }
        Anchor::Around(x) => {
            let half = limit / 2;
            let mut v: Vec<u64> = ids.iter().filter(|i| **i > x).take(half).copied().collect();
            v.reverse();
            if ids.contains(&x) {
                v.push(x);
            }
            v.extend(ids.iter().rev().filter(|i| **i < x).take(half));
            v
        }
    }
}

/// Answers `GET /channels/{c}/messages?{query}` for an existing channel `c`.
pub(crate) fn list(s: &State, c: u64, query: &str, base: &str) -> Reply {
    let (anchor, limit) = parse(query)?;
    require(s, c, perms::VIEW_CHANNEL)?;
    if s.permissions_in(s.bot_id, c) & perms::READ_MESSAGE_HISTORY == 0 {
        return Ok((200, Value::Array(Vec::new())));
    }
    let all = s.messages_in(c);
    let list = page(&all, &anchor, limit)
        .into_iter()
        .filter_map(|i| s.messages.get(&i))
        .map(|m| payload::message(s, base, m, false))
        .collect();
    Ok((200, Value::Array(list)))
}
