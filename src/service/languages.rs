//! Which language to speak to a customer: their `/language` choice (stored), else the Discord
//! client locale of the interaction (or, for DMs sent later, of their last interaction), else
//! the shop's default (`shop.default_language`). Persian is reached only by the choice:
//! Discord has no Persian locale.

use crate::clock::Clock;
use crate::domain::UserId;
use crate::error::Result;
use crate::i18n::Lang;
use crate::store::{Store, languages};

/// Resolves and stores customers' languages.
#[derive(Debug, Clone)]
pub struct Languages {
    store: Store,
    clock: Clock,
    default: Lang,
}

impl Languages {
    /// A resolver falling back to `default` (`shop.default_language`).
    #[must_use]
    pub fn new(store: Store, clock: Clock, default: Lang) -> Self {
        Self {
            store,
            clock,
            default,
        }
    }

    /// The shop's default language.
    #[must_use]
    pub const fn default_lang(&self) -> Lang {
        self.default
    }

    /// Stores `lang` as `user`'s choice (`/language`); it wins over any client locale.
    ///
    /// # Errors
    /// Database errors.
    pub async fn choose(&self, user: UserId, lang: Lang) -> Result<()> {
        let now = self.clock.now_ms();
        self.store
            .call(move |c| languages::set_choice(c, user, lang, now))
            .await
    }

    /// The language of an interaction by `user` whose client sends `locale`: the stored choice,
    /// else `locale`'s language, else the default. Remembers `locale` for later DMs (customers
    /// who have a row only).
    ///
    /// # Errors
    /// Database errors.
    pub async fn for_interaction(&self, user: UserId, locale: &str) -> Result<Lang> {
        let owned = locale.to_owned();
        let stored = self
            .store
            .call(move |c| {
                if !owned.is_empty() {
                    languages::remember_locale(c, user, &owned)?;
                }
                languages::get(c, user)
            })
            .await?;
        Ok(stored
            .choice
            .or_else(|| Lang::from_discord_locale(locale))
            .unwrap_or(self.default))
    }

    /// The language of a message sent to `user` outside an interaction (a DM, a ticket notice):
    /// the stored choice, else the last client locale seen, else the default.
    ///
    /// # Errors
    /// Database errors.
    pub async fn for_user(&self, user: UserId) -> Result<Lang> {
        let stored = self.store.call(move |c| languages::get(c, user)).await?;
        Ok(self.pick(&stored))
    }

    fn pick(&self, stored: &languages::Stored) -> Lang {
        stored
            .choice
            .or_else(|| {
                stored
                    .discord_locale
                    .as_deref()
                    .and_then(Lang::from_discord_locale)
            })
            .unwrap_or(self.default)
    }
}
