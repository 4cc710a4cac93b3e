//! `bot_messages`: messages the bot posted that must be deleted at a given time (TTL cleanup).

use rusqlite::{Connection, params};

use crate::domain::{ChannelId, MessageId};
use crate::error::Result;

/// A tracked message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotMessage {
    /// Row id.
    pub id: i64,
    /// Channel.
    pub channel_id: ChannelId,
    /// Message.
    pub message_id: MessageId,
    /// Why it was posted (free text, for logs).
    pub purpose: String,
    /// Delete at this Unix ms; `None` = keep.
    pub delete_after: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
}

/// Tracks a message; a second call for the same message updates its purpose and TTL.
///
/// # Errors
/// SQLite errors.
pub fn track(
    conn: &Connection,
    channel: ChannelId,
    message: MessageId,
    purpose: &str,
    delete_after: Option<i64>,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO bot_messages (channel_id, message_id, purpose, delete_after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (channel_id, message_id) DO UPDATE SET
            purpose = excluded.purpose, delete_after = excluded.delete_after",
    )?
    .execute(params![channel, message, purpose, delete_after, now])?;
    Ok(())
}

/// Messages whose TTL passed at `now`, oldest deadline first, at most `limit`.
///
/// # Errors
/// SQLite errors.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<BotMessage>> {
    super::query_all(
        conn,
        "SELECT id, channel_id, message_id, purpose, delete_after, created_at FROM bot_messages
         WHERE delete_after IS NOT NULL AND delete_after <= ?1 ORDER BY delete_after LIMIT ?2",
        params![now, limit],
        |r| {
            Ok(BotMessage {
                id: r.get(0)?,
                channel_id: r.get(1)?,
                message_id: r.get(2)?,
                purpose: r.get(3)?,
                delete_after: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )
}

/// Stops tracking a message (after deleting it on Discord). Returns whether it was tracked.
///
/// # Errors
/// SQLite errors.
pub fn forget(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM bot_messages WHERE id = ?1")?
        .execute([id])?
        == 1)
}
