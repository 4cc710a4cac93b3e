//! The registration payload: only locales Discord lists, names and descriptions in Discord's
//! limits.

use serde_json::Value;

use super::localize;
use crate::discord::commands;

/// Discord's `AvailableLocalesEnum` (API reference, "Locales"): 34 values, no Persian.
const DISCORD_LOCALES: [&str; 34] = [
    "ar", "bg", "cs", "da", "de", "el", "en-GB", "en-US", "es-419", "es-ES", "fi", "fr", "he",
    "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "nl", "no", "pl", "pt-BR", "ro", "ru", "sv-SE",
    "th", "tr", "uk", "vi", "zh-CN", "zh-TW",
];

fn payload() -> Vec<Value> {
    let mut cmds = commands::all();
    localize(&mut cmds); // again: localizing twice changes nothing
    poise::builtins::create_application_commands(&cmds)
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

/// Checks one command or option object and its nested options; returns how many localized
/// strings it saw.
fn check(v: &Value, path: &str) -> usize {
    let mut seen = 0;
    let name = v["name"].as_str().unwrap();
    let path = format!("{path}/{name}");
    assert!(valid_name(name), "{path}: bad name");
    if let Some(d) = v["description"].as_str() {
        assert!(
            (1..=100).contains(&d.chars().count()),
            "{path}: description length"
        );
    }
    for (key, valid) in [
        ("name_localizations", valid_name as fn(&str) -> bool),
        ("description_localizations", |d: &str| {
            (1..=100).contains(&d.chars().count())
        }),
    ] {
        if let Some(map) = v[key].as_object() {
            for (locale, text) in map {
                assert!(
                    DISCORD_LOCALES.contains(&locale.as_str()),
                    "{path}: locale {locale}"
                );
                assert!(
                    valid(text.as_str().unwrap()),
                    "{path}: {key}[{locale}] = {text}"
                );
                seen += 1;
            }
        }
    }
    if let Some(opts) = v["options"].as_array() {
        seen += opts.iter().map(|o| check(o, &path)).sum::<usize>();
    }
    seen
}

/// Discord's rule for chat command names: 1-32 characters, lowercase, letters, digits, `-`, `_`.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| (c.is_alphanumeric() || c == '-' || c == '_') && !c.is_uppercase())
}

#[test]
fn the_registration_payload_has_only_discord_locales_within_discords_lengths() {
    let cmds = payload();
    let localized: usize = cmds.iter().map(|c| check(c, "")).sum();
    // order, renew, status, help, language: name + description each, and language's option.
    assert!(localized >= 12, "only {localized} localized strings");
    let order = cmds.iter().find(|c| c["name"] == "order").unwrap();
    assert_eq!(order["name_localizations"]["ru"], "заказ");
    let text = serde_json::to_string(&cmds).unwrap();
    assert!(!text.contains("\"fa\""), "a Persian key was registered");
}
