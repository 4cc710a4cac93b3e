//! The reader's language in the Discord layer, and the Russian command names.
//!
//! An interaction carries the client's `locale`; the core's [`Languages`] turns it (with the
//! stored `/language` choice and the shop's default) into a [`Lang`]. A lookup that fails
//! (database) is logged and the shop's default used: a reply in the wrong language beats no
//! reply. Command names and descriptions get `ru` localizations from the Russian catalog
//! (`cmd-<name>` and its `.description`); no other locale is registered: Discord lists no
//! Persian one.
//!
//! [`Languages`]: crate::service::languages::Languages

use std::borrow::Cow;

use poise::serenity_prelude as serenity;

use super::{Ctx, Data, Failure};
use crate::app::App;
use crate::domain::UserId;
use crate::i18n::{Lang, catalog};

/// The language of an interaction by `user` whose client sent `locale`.
pub(super) async fn of_interaction(app: &App, user: serenity::UserId, locale: &str) -> Lang {
    let user = UserId(user.get());
    match app.languages.for_interaction(user, locale).await {
        Ok(lang) => lang,
        Err(e) => {
            tracing::warn!(%user, error = %e, "language lookup failed; the shop's default used");
            app.languages.default_lang()
        }
    }
}

/// The language of a slash command's invoker.
pub(super) async fn of_ctx(ctx: Ctx<'_>) -> Lang {
    of_interaction(&ctx.data().app, ctx.author().id, ctx.locale().unwrap_or("")).await
}

/// The language of a message to `user` outside an interaction (DM, ticket notice).
pub(super) async fn of_user(app: &App, user: UserId) -> Lang {
    match app.languages.for_user(user).await {
        Ok(lang) => lang,
        Err(e) => {
            tracing::warn!(%user, error = %e, "language lookup failed; the shop's default used");
            app.languages.default_lang()
        }
    }
}

/// Adds the localizations of every language that has a Discord locale (Russian) to `commands`
/// whose names have a `cmd-<name>` message: the name, the description (`.description`), and the
/// same for each parameter (`cmd-<command>-<parameter>`). Commands without a message keep their
/// English names only.
pub fn localize(commands: &mut [poise::Command<Data, Failure>]) {
    for lang in Lang::ALL {
        let Some(locale) = lang.discord_locale() else {
            continue;
        };
        for cmd in commands.iter_mut() {
            let key = format!("cmd-{}", cmd.name);
            let (Some(name), Some(desc)) = (
                catalog().try_text(lang, &key, &[]),
                catalog().try_text(lang, &format!("{key}.description"), &[]),
            ) else {
                continue;
            };
            add(&mut cmd.name_localizations, locale, name);
            add(&mut cmd.description_localizations, locale, desc);
            for p in &mut cmd.parameters {
                let pkey = format!("{key}-{}", p.name);
                if let Some(name) = catalog().try_text(lang, &pkey, &[]) {
                    add(&mut p.name_localizations, locale, name);
                }
                if let Some(desc) = catalog().try_text(lang, &format!("{pkey}.description"), &[]) {
                    add(&mut p.description_localizations, locale, desc);
                }
            }
        }
    }
}

/// Sets `locale`'s entry of a poise localization list to `text`.
fn add(
    list: &mut Cow<'static, [(Cow<'static, str>, Cow<'static, str>)]>,
    locale: &'static str,
    text: String,
) {
    let list = list.to_mut();
    list.retain(|(l, _)| l != locale);
    list.push((locale.into(), text.into()));
}

#[cfg(test)]
mod tests;
