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
                let stored = languages::get(c, user)?;
                // A write only when a known customer's client language changed (most
                // interactions, and every one by someone without a row, read only).
                if stored.known
                    && !owned.is_empty()
                    && stored.discord_locale.as_deref() != Some(owned.as_str())
                {
                    languages::remember_locale(c, user, &owned)?;
                }
                Ok(stored)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn languages(dir: &std::path::Path) -> Languages {
        let store = Store::open_path(&dir.join("bot.db"), Duration::from_secs(5), 2).unwrap();
        Languages::new(store, Clock::starting_at(1_000), Lang::En)
    }

    #[tokio::test]
    async fn a_choice_beats_the_client_locale_which_beats_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let l = languages(dir.path());
        let (ann, bob) = (UserId(1), UserId(2));
        // No row, no choice: the locale decides, then the default.
        assert_eq!(l.for_interaction(ann, "ru").await.unwrap(), Lang::Ru);
        assert_eq!(l.for_interaction(ann, "de").await.unwrap(), Lang::En);
        assert_eq!(l.for_user(ann).await.unwrap(), Lang::En);
        // Persian only by choice; it wins over a Russian client, for replies and later DMs.
        l.choose(ann, Lang::Fa).await.unwrap();
        assert_eq!(l.for_interaction(ann, "ru").await.unwrap(), Lang::Fa);
        assert_eq!(l.for_user(ann).await.unwrap(), Lang::Fa);
        // A customer with a row and no choice: DMs follow their last client locale.
        l.store
            .call(move |c| crate::store::users::ensure(c, bob, 1).map(drop))
            .await
            .unwrap();
        assert_eq!(l.for_interaction(bob, "ru").await.unwrap(), Lang::Ru);
        assert_eq!(l.for_user(bob).await.unwrap(), Lang::Ru);
        assert_eq!(l.for_interaction(bob, "en-GB").await.unwrap(), Lang::En);
        assert_eq!(l.for_user(bob).await.unwrap(), Lang::En);
    }

    /// Reading a language writes nothing unless a known customer's locale changed: an
    /// interaction must not queue behind another connection's write transaction for it.
    #[tokio::test]
    async fn reading_a_language_takes_the_write_lock_only_to_remember_a_new_locale() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open_path(&dir.path().join("bot.db"), Duration::from_millis(200), 2).unwrap();
        let l = Languages::new(store.clone(), Clock::starting_at(1_000), Lang::En);
        let bob = UserId(2);
        store
            .call(move |c| crate::store::users::ensure(c, bob, 1).map(drop))
            .await
            .unwrap();
        assert_eq!(l.for_interaction(bob, "ru").await.unwrap(), Lang::Ru);
        let writer = rusqlite::Connection::open(dir.path().join("bot.db")).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        // Someone without a row, and a customer whose locale is unchanged: no write, no wait.
        assert_eq!(l.for_interaction(UserId(1), "ru").await.unwrap(), Lang::Ru);
        assert_eq!(l.for_interaction(bob, "ru").await.unwrap(), Lang::Ru);
        // A changed locale is a write: it waits for the lock (here: busy after 200 ms).
        assert!(l.for_interaction(bob, "en-GB").await.is_err());
        writer.execute_batch("COMMIT").unwrap();
        assert_eq!(l.for_interaction(bob, "en-GB").await.unwrap(), Lang::En);
        assert_eq!(l.for_user(bob).await.unwrap(), Lang::En);
        assert_eq!(l.for_user(UserId(1)).await.unwrap(), Lang::En);
    }
}
