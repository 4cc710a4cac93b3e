//! `/language`: the customer picks the language the bot speaks to them (English, Russian or
//! Persian). The choice is stored and wins over the Discord client's locale, for replies and for
//! DMs sent later (the link, reminders). Persian can only be chosen here: Discord has no
//! Persian client locale.

use crate::discord::{Ctx, Failure};
use crate::domain::UserId;
use crate::i18n::{Lang, t};

/// A language as offered in the command (each under its own name).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub(crate) enum Choice {
    /// English.
    #[name = "English"]
    English,
    /// Russian.
    #[name = "Русский"]
    Russian,
    /// Persian.
    #[name = "فارسی"]
    Persian,
}

impl From<Choice> for Lang {
    fn from(c: Choice) -> Self {
        match c {
            Choice::English => Self::En,
            Choice::Russian => Self::Ru,
            Choice::Persian => Self::Fa,
        }
    }
}

/// The language the bot answers you in (English, Russian, Persian).
#[poise::command(slash_command)]
pub(crate) async fn language(
    ctx: Ctx<'_>,
    #[description = "The language to use."] choice: Choice,
) -> Result<(), Failure> {
    let lang = Lang::from(choice);
    ctx.data()
        .app
        .languages
        .choose(UserId(ctx.author().id.get()), lang)
        .await?;
    let text = t(lang, "language-set", &[]);
    ctx.send(poise::CreateReply::default().content(text).ephemeral(true))
        .await?;
    Ok(())
}
