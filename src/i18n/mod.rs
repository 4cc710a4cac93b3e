//! Languages and the message catalogs: English, Russian and Persian Fluent files
//! (`locales/{en,ru,fa}.ftl`) embedded in the binary and parsed once ([`catalog`]).
//!
//! Every customer-facing text is looked up here by message id ([`Catalog::text`]). Bundles are
//! built with bidi isolation **off**: a link, code or id passed as an argument reaches the
//! reader byte for byte (no U+2068/U+2069 around it), so a copied `vless://` link works. A
//! message missing in Russian or Persian falls back to English, then to the id itself (logged).
//!
//! This module knows nothing of Discord; [`Lang::from_discord_locale`] only maps the locale
//! string a Discord interaction carries.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (`en`), the fallback of every message.
    En,
    /// Russian (`ru`); Discord's `ru` client locale selects it.
    Ru,
    /// Persian (`fa`); Discord has no Persian locale, so only a stored `/language` choice
    /// selects it.
    Fa,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Self; 3] = [Self::En, Self::Ru, Self::Fa];

    /// The code stored in the database and used in config: `en`, `ru`, `fa`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
            Self::Fa => "fa",
        }
    }

    /// The language of a code (`en`, `ru`, `fa`; case-insensitive); `None` for anything else.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The language of a Discord client locale (`ru` → Russian, `en-US`/`en-GB` → English);
    /// `None` for a locale the bot has no catalog for (the shop's default applies then).
    #[must_use]
    pub fn from_discord_locale(locale: &str) -> Option<Self> {
        match locale.split('-').next().unwrap_or_default() {
            "ru" => Some(Self::Ru),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The Discord locale this language's command names are registered under, if Discord has
    /// one: `ru` for Russian; `None` for English (the default names) and Persian (Discord lists
    /// no Persian locale).
    #[must_use]
    pub const fn discord_locale(self) -> Option<&'static str> {
        match self {
            Self::Ru => Some("ru"),
            Self::En | Self::Fa => None,
        }
    }

    const fn index(self) -> usize {
        match self {
            Self::En => 0,
            Self::Ru => 1,
            Self::Fa => 2,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One argument of a message: a name and a value (a string, or a number for plurals).
pub type Arg<'a> = (&'a str, FluentValue<'a>);

/// The embedded sources, in [`Lang::ALL`] order.
const SOURCES: [&str; 3] = [
    include_str!("../../locales/en.ftl"),
    include_str!("../../locales/ru.ftl"),
    include_str!("../../locales/fa.ftl"),
];

/// The three catalogs, parsed once.
pub struct Catalog {
    bundles: Vec<FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

/// The embedded catalogs (parsed on first use).
///
/// # Panics
/// Never for the shipped files: a syntax error in them fails `cargo test` (the catalog tests
/// parse them), so it cannot reach a release.
pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> =
        LazyLock::new(|| Catalog::parse(SOURCES).expect("the embedded catalogs parse"));
    &CATALOG
}

impl Catalog {
    /// Parses three Fluent sources (en, ru, fa) into bundles with isolation off.
    ///
    /// # Errors
    /// The first syntax error or duplicate id, with its language.
    pub fn parse(sources: [&str; 3]) -> Result<Self, String> {
        let mut bundles = Vec::new();
        for (lang, src) in Lang::ALL.into_iter().zip(sources) {
            let res = FluentResource::try_new(src.to_owned())
                .map_err(|(_, e)| format!("{lang}.ftl: {e:?}"))?;
            let id = lang
                .code()
                .parse()
                .map_err(|e| format!("{lang}: bad language id: {e}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|e| format!("{lang}.ftl: {e:?}"))?;
            bundles.push(bundle);
        }
        Ok(Self { bundles })
    }

    /// The text of message `id` in `lang` with `args`; falls back to English, then to `id`.
    /// Formatting errors (a missing argument) are logged and the partial text returned.
    #[must_use]
    pub fn text(&self, lang: Lang, id: &str, args: &[Arg<'_>]) -> String {
        self.try_text(lang, id, args)
            .or_else(|| {
                tracing::warn!(%lang, id, "message missing from the catalog; English used");
                self.try_text(Lang::En, id, args)
            })
            .unwrap_or_else(|| {
                tracing::error!(id, "message missing from every catalog");
                id.to_owned()
            })
    }

    /// The text of message `id` in `lang` exactly (no fallback): `None` when `lang` has no such
    /// message or attribute. `id` may name an attribute as `message.attribute`.
    #[must_use]
    pub fn try_text(&self, lang: Lang, id: &str, args: &[Arg<'_>]) -> Option<String> {
        self.format(lang, id, args).map(|(text, errors)| {
            if !errors.is_empty() {
                tracing::warn!(%lang, id, ?errors, "message formatted with errors");
            }
            text
        })
    }

    /// Formats `id` (or `message.attribute`) and returns the text with Fluent's errors.
    #[must_use]
    pub fn format(&self, lang: Lang, id: &str, args: &[Arg<'_>]) -> Option<(String, Vec<String>)> {
        let bundle = &self.bundles[lang.index()];
        let (msg_id, attr) = match id.split_once('.') {
            Some((m, a)) => (m, Some(a)),
            None => (id, None),
        };
        let msg = bundle.get_message(msg_id)?;
        let pattern = match attr {
            Some(a) => msg.get_attribute(a)?.value(),
            None => msg.value()?,
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        Some((
            text.into_owned(),
            errors.iter().map(ToString::to_string).collect(),
        ))
    }

    /// Every message id of `lang`'s catalog, in file order (attributes as `message.attribute`).
    #[must_use]
    pub fn ids(lang: Lang) -> Vec<String> {
        use fluent_syntax::ast::Entry;
        let Ok(res) = FluentResource::try_new(SOURCES[lang.index()].to_owned()) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for entry in res.entries() {
            if let Entry::Message(m) = entry {
                if m.value.is_some() {
                    ids.push(m.id.name.to_owned());
                }
                for a in &m.attributes {
                    ids.push(format!("{}.{}", m.id.name, a.id.name));
                }
            }
        }
        ids
    }
}

/// `catalog().text(lang, id, args)`: the common case.
#[must_use]
pub fn t(lang: Lang, id: &str, args: &[Arg<'_>]) -> String {
    catalog().text(lang, id, args)
}

/// A string argument.
#[must_use]
pub fn s(name: &str, value: impl Into<String>) -> Arg<'_> {
    (name, FluentValue::from(value.into()))
}

/// A number argument (selects plural forms).
#[must_use]
pub fn n(name: &str, value: i64) -> Arg<'_> {
    (name, FluentValue::from(value))
}

mod refusal;

pub use refusal::refusal;

#[cfg(test)]
mod tests;
