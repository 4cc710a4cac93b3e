//! `ticket_messages` and `transcripts`: what was said in a ticket channel, and when (and from
//! what) its transcript was archived.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::{MessageId, OrderId, UserId};
use crate::error::Result;

/// One message of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLine {
    /// Discord message id.
    pub message_id: MessageId,
    /// The author.
    pub author_id: UserId,
    /// The author's name as Discord showed it then.
    pub author_name: String,
    /// Whether the author is a bot (this one included).
    pub author_bot: bool,
    /// The text (empty for a message with only files or embeds).
    pub content: String,
    /// Attached files' names.
    pub attachments: Vec<String>,
    /// When it was posted, Unix ms.
    pub created_at: i64,
}

/// Where an archived transcript came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Read back from the channel just before the bot deleted it.
    History,
    /// What the bot had seen live: the channel was deleted by hand, or the bot saw the whole
    /// ticket within one gateway session.
    Seen,
}

impl Source {
    const fn as_str(self) -> &'static str {
        match self {
            Self::History => "history",
            Self::Seen => "seen",
        }
    }
}

/// Records `lines` of the ticket of `order` (a message seen again keeps its newest text).
/// Returns how many rows were written.
///
/// # Errors
/// SQLite errors.
pub fn record(conn: &Connection, order: OrderId, lines: &[TicketLine]) -> Result<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO ticket_messages (message_id, order_id, author_id, author_name, author_bot,
             content, attachments, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (message_id) DO UPDATE SET content = excluded.content,
             attachments = excluded.attachments",
    )?;
    let mut n = 0;
    for l in lines {
        n += stmt.execute(params![
            l.message_id,
            order,
            l.author_id,
            l.author_name,
            l.author_bot,
            l.content,
            l.attachments.join("\n"),
            l.created_at
        ])?;
    }
    Ok(n)
}

/// An edit of a recorded message: its content and/or attachment names (`None` = unchanged).
/// Returns whether a recorded line changed (an unknown message is ignored).
///
/// # Errors
/// SQLite errors.
pub fn record_edit(
    conn: &Connection,
    message_id: MessageId,
    content: Option<&str>,
    attachments: Option<&[String]>,
) -> Result<bool> {
    let attachments = attachments.map(|a| a.join("\n"));
    Ok(conn
        .prepare_cached(
            "UPDATE ticket_messages SET content = coalesce(?2, content),
                 attachments = coalesce(?3, attachments)
             WHERE message_id = ?1",
        )?
        .execute(params![message_id, content, attachments])?
        > 0)
}

/// Marks the transcript of `order` archived at `now` from `source` (the first mark stays).
/// Returns whether this call marked it.
///
/// # Errors
/// SQLite errors.
pub fn archive(conn: &Connection, order: OrderId, source: Source, now: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO transcripts (order_id, archived_at, source) VALUES (?1, ?2, ?3)
             ON CONFLICT (order_id) DO NOTHING",
        )?
        .execute(params![order, now, source.as_str()])?
        == 1)
}

/// The lines of `order`'s ticket, oldest first.
///
/// # Errors
/// SQLite errors.
pub fn lines(conn: &Connection, order: OrderId) -> Result<Vec<TicketLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT message_id, author_id, author_name, author_bot, content, attachments, created_at
         FROM ticket_messages WHERE order_id = ?1 ORDER BY message_id",
    )?;
    let rows = stmt.query_map([order], |r| {
        let attachments: String = r.get(5)?;
        Ok(TicketLine {
            message_id: r.get(0)?,
            author_id: r.get(1)?,
            author_name: r.get(2)?,
            author_bot: r.get(3)?,
            content: r.get(4)?,
            attachments: attachments
                .lines()
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the transcript of `order` was archived (Unix ms), if it was.
///
/// # Errors
/// SQLite errors.
pub fn archived_at(conn: &Connection, order: OrderId) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT archived_at FROM transcripts WHERE order_id = ?1")?
        .query_row([order], |r| r.get(0))
        .optional()?)
}

/// Deletes the transcripts archived before `cutoff` (Unix ms) with their lines. Returns how
/// many transcripts went.
///
/// # Errors
/// SQLite errors.
pub fn purge_archived_before(conn: &Connection, cutoff: i64) -> Result<usize> {
    conn.prepare_cached(
        "DELETE FROM ticket_messages WHERE order_id IN
             (SELECT order_id FROM transcripts WHERE archived_at < ?1)",
    )?
    .execute([cutoff])?;
    Ok(conn
        .prepare_cached("DELETE FROM transcripts WHERE archived_at < ?1")?
        .execute([cutoff])?)
}
