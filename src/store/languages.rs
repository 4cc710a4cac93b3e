//! `users.language` and `users.discord_locale`: the customer's chosen language and the Discord
//! client locale of their last interaction. Codes are stored as text (`en`, `ru`, `fa`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::UserId;
use crate::error::Result;
use crate::i18n::Lang;

/// What is stored about a customer's language: their choice and their last client locale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// The `/language` choice, if any.
    pub choice: Option<Lang>,
    /// The Discord locale of their last interaction (`ru`, `en-US`...), if seen.
    pub discord_locale: Option<String>,
    /// Whether the customer has a row (`users`): only then is a locale remembered.
    pub known: bool,
}

/// Stores `lang` as `user`'s choice (creating the user row if needed).
///
/// # Errors
/// SQLite errors.
pub fn set_choice(conn: &Connection, user: UserId, lang: Lang, now: i64) -> Result<()> {
    super::users::ensure(conn, user, now)?;
    conn.prepare_cached("UPDATE users SET language = ?2, updated_at = ?3 WHERE discord_id = ?1")?
        .execute(params![user, lang.code(), now])?;
    Ok(())
}

/// Remembers `locale` as `user`'s last client locale when they have a row and it changed.
/// Returns whether a row changed.
///
/// # Errors
/// SQLite errors.
pub fn remember_locale(conn: &Connection, user: UserId, locale: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE users SET discord_locale = ?2 WHERE discord_id = ?1 AND discord_locale IS NOT ?2",
        )?
        .execute(params![user, locale])?
        == 1)
}

/// What is stored for `user` (all `None` without a row; an unknown code reads as no choice).
///
/// # Errors
/// SQLite errors.
pub fn get(conn: &Connection, user: UserId) -> Result<Stored> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT language, discord_locale FROM users WHERE discord_id = ?1")?
        .query_row([user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let known = row.is_some();
    let (choice, discord_locale) = row.unwrap_or_default();
    Ok(Stored {
        choice: choice.as_deref().and_then(Lang::from_code),
        discord_locale,
        known,
    })
}
