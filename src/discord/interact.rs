//! What every Discord handler shares, and nothing else (a leaf: it imports no other file of
//! `discord/`): the [`Failure`] type and its user-safe text, who the clicker or invoker is as the
//! core sees them, the ephemeral answer, and Discord's JSON error codes the bot reacts to.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage};

use crate::domain::UserId;
use crate::i18n::Lang;
use crate::service::roles::Actor;

/// Discord's JSON error codes the bot reacts to (Discord's API reference, "JSON Error Codes").
pub(super) mod codes {
    /// Unknown Channel: the channel was deleted.
    pub(crate) const UNKNOWN_CHANNEL: isize = 10003;
    /// Unknown Member: the user left the guild.
    pub(crate) const UNKNOWN_MEMBER: isize = 10007;
    /// Unknown Message: the message was deleted.
    pub(crate) const UNKNOWN_MESSAGE: isize = 10008;
    /// Maximum number of guild channels reached (500).
    pub(crate) const GUILD_CHANNELS_FULL: isize = 30013;
    /// Missing Access / Missing Permissions (HTTP 403).
    pub(crate) const MISSING_ACCESS: [isize; 2] = [50001, 50013];
    /// Cannot send messages to this user (DMs closed).
    pub(crate) const CANNOT_DM: isize = 50007;
}

/// Discord's JSON error code of a failed REST call, `None` for other failures.
pub(super) fn code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

/// What a handler can fail with: a core error (maybe safe to show) or a Discord call.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// From a service.
    #[error(transparent)]
    Core(#[from] crate::Error),
    /// From serenity (REST or gateway).
    #[error("discord: {0}")]
    Discord(Box<serenity::Error>),
}

impl From<serenity::Error> for Failure {
    fn from(e: serenity::Error) -> Self {
        Self::Discord(Box::new(e))
    }
}

impl From<crate::error::UserError> for Failure {
    fn from(e: crate::error::UserError) -> Self {
        Self::Core(e.into())
    }
}

impl Failure {
    /// The text for the user: the refusal for a user error, `None` for anything internal.
    #[must_use]
    pub fn user_message(&self) -> Option<String> {
        match self {
            Self::Core(e) => e.user_message(),
            Self::Discord(_) => None,
        }
    }

    /// Discord's JSON error code when this is a refused REST call (e.g. 30013: the guild has
    /// 500 channels), else `None`.
    #[must_use]
    pub fn discord_code(&self) -> Option<isize> {
        match self {
            Self::Discord(e) => code(e),
            Self::Core(_) => None,
        }
    }

    /// The text to show the user in `lang`; an internal failure is logged first with `what`
    /// was being done (a user error is the user's own and is not logged).
    pub fn report(&self, what: &str, lang: Lang) -> String {
        if self.user_message().is_none() {
            tracing::error!(error = %self, "{what} failed");
        }
        self.shown(lang)
    }

    /// The user-safe text in `lang`, or the generic one (the caller logs the internal error).
    #[must_use]
    pub fn shown(&self, lang: Lang) -> String {
        match self {
            Self::Core(crate::Error::User(e)) => crate::i18n::refusal(lang, e),
            _ => generic(lang),
        }
    }
}

/// What users see when something internal failed (the details are in the log), in `lang`.
#[must_use]
pub fn generic(lang: Lang) -> String {
    crate::i18n::t(lang, "error-generic", &[])
}

/// The clicker as the core sees them: user id and current guild role ids.
pub(super) fn actor_of_member(user: serenity::UserId, member: Option<&serenity::Member>) -> Actor {
    Actor {
        user: UserId(user.get()),
        role_ids: member
            .map(|m| m.roles.iter().map(|r| r.get()).collect())
            .unwrap_or_default(),
    }
}

/// The invoker of a slash command as the core sees them: user id and current guild role ids.
pub(super) async fn actor_of_command<U: Send + Sync + 'static, E>(
    ctx: poise::Context<'_, U, E>,
) -> Actor {
    let member = ctx.author_member().await;
    actor_of_member(ctx.author().id, member.as_deref())
}

/// Answers a click with a message only the clicker sees.
///
/// # Errors
/// Discord's refusal of the answer.
pub(super) async fn ephemeral(
    ctx: &serenity::Context,
    c: &ComponentInteraction,
    text: &str,
) -> Result<(), Failure> {
    let msg = CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true);
    c.create_response(ctx, CreateInteractionResponse::Message(msg))
        .await?;
    Ok(())
}
