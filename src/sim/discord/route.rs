//! What every REST route handler shares: the per-request [`Ctx`], the [`Reply`] a handler
//! answers with, the bot's permission check [`require`] (50001 / 50013) and snowflake parsing
//! of path segments ([`id`]). A leaf: [`super::rest`] routes requests to the handlers
//! (`channels`, `members`, `messages`, `history`, `interactions`), and they all import this.

use serde_json::Value;

use super::http::Part;
use super::limits::ApiError;
use super::state::{State, perms};

/// What a route handler answers: a status and a JSON body (`Null` → empty 204).
pub(crate) type Reply = Result<(u16, Value), ApiError>;

/// Per-request context passed to handlers.
pub(crate) struct Ctx<'a> {
    pub base: String,
    pub body: Value,
    pub files: Vec<Part>,
    pub query: &'a str,
}

/// A snowflake path segment, or Discord's 50035 form error.
pub(crate) fn id(seg: &str) -> Result<u64, ApiError> {
    seg.parse()
        .map_err(|_| ApiError::invalid_form("id", "NUMBER_TYPE_COERCE", "Value is not snowflake."))
}

/// 50001 when the bot cannot see the channel, 50013 when it lacks one of `bits` there.
pub(crate) fn require(s: &State, channel: u64, bits: u64) -> Result<(), ApiError> {
    if !s.channels.contains_key(&channel) {
        return Err(ApiError::unknown_channel());
    }
    let have = s.permissions_in(s.bot_id, channel);
    if have & perms::VIEW_CHANNEL == 0 {
        Err(ApiError::new(403, 50001, "Missing Access"))
    } else if have & bits == bits {
        Ok(())
    } else {
        Err(ApiError::missing_permissions())
    }
}
