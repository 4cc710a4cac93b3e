//! The catalog tests: every id in every language, formatting without errors, plural forms,
//! and no bidi marks around arguments.

use super::*;

/// A value for every argument any message takes.
fn sample_args() -> Vec<Arg<'static>> {
    vec![
        s("time", "<t:1767225600:f>"),
        n("days", 5),
        n("gib", 50),
        s("traffic", "50 GiB"),
        s("price", "5.00 USD"),
        s("status", "active"),
        s("ends", "ends <t:1767225600:f>"),
        s("when", "<t:1767225600:f>"),
        s("channel", "<#123>"),
        s("mention", "<@456>"),
        s("order", "12"),
        s("why", "the image is damaged"),
        n("minutes", 15),
        s("used", "1.5 GiB"),
        s("limit", "50.0 GiB"),
        s("reason", "a reason"),
        n("hours", 48),
        s("what", "order #12"),
        n("seconds", 30),
        s("action", "approve payments"),
        s("shop", "VPN Shop"),
        s("payment", "7"),
        s("earlier", "3"),
        n("distance", 4),
        s("admin", "<@789>"),
        s("by", " by <@789>"),
        s("expires", "<t:1767225600:R>"),
        s("email", "u456"),
        s("since", "<t:1767225600:f>"),
        s("error", "connection refused"),
        s("after", "2 min"),
        s("permission", "Manage Roles"),
        s("what", "The link of payment #7"),
        s("outbox", "12"),
        s("max", "15"),
        s("plan", "1 month"),
        s("ticket", " in <#123>"),
        s("opened", "<t:1767225600:R>"),
        s("key", "2026-11"),
        s("zone", "Europe/Berlin"),
        s("currency", "USD"),
        s("from", "2026-11-01"),
        s("to", "2026-11-07"),
        s("amount", "5.00 USD"),
        n("sales", 3),
        s("line", "ok"),
        s("list", "<@1> (payment #2)"),
        s("failures", "2"),
        s("probing", ""),
        s("generation", "B"),
        s("xray", "running"),
        s("xray_version", " (v25.10.31)"),
        s("uptime", "1 d 2 h 3 min"),
        s("version", "version 3.6.0"),
        n("count", 2),
        s("oldest", "<t:1767225600:R>"),
        s("waiting", "nothing waiting"),
        s("name", "bot-20261121T031502Z.db"),
        s("size", "1.5 MiB"),
        s("schema", "3"),
        s("secs", "0.12"),
        s("retention", ""),
        s("state", "archived 2026-11-21 10:00:00 UTC"),
        s("assets", "USDT, TON"),
        s("invoice", "1001"),
        s("amount", "5.00 USD"),
        s("unix", "1767225600"),
        s("provider", "Crypto Pay"),
        s("what", "Your free trial"),
        s("until", "<t:1767225600:D>"),
        s("plan", "month"),
        s("uses", "1/5"),
        s("code", "SPRING-25"),
        s("gift", "4"),
        n("value", 25),
        s("panel", "de-1"),
        s("detail", "cannot connect"),
    ]
}

#[test]
fn every_message_is_in_every_language_and_formats_without_errors() {
    let en = Catalog::ids(Lang::En);
    assert!(en.len() > 50, "only {} ids in en.ftl", en.len());
    let args = sample_args();
    for lang in Lang::ALL {
        let ids = Catalog::ids(lang);
        assert_eq!(
            ids.iter().collect::<std::collections::BTreeSet<_>>(),
            en.iter().collect::<std::collections::BTreeSet<_>>(),
            "{lang}.ftl has other ids than en.ftl"
        );
        for id in &en {
            let (text, errors) = catalog()
                .format(lang, id, &args)
                .unwrap_or_else(|| panic!("{lang}: {id} has no value"));
            assert!(errors.is_empty(), "{lang}: {id}: {errors:?}");
            assert!(!text.trim().is_empty(), "{lang}: {id} is empty");
        }
    }
}

#[test]
fn russian_days_take_the_three_plural_forms() {
    let days = |d| t(Lang::Ru, "days", &[n("days", d)]);
    assert_eq!(days(1), "1 день");
    assert_eq!(days(2), "2 дня");
    assert_eq!(days(5), "5 дней");
    assert_eq!(days(21), "21 день");
    assert_eq!(days(11), "11 дней");
    assert_eq!(t(Lang::En, "days", &[n("days", 1)]), "1 day");
    assert_eq!(t(Lang::En, "days", &[n("days", 2)]), "2 days");
}

#[test]
fn a_message_reference_sees_the_callers_arguments() {
    let line = t(
        Lang::Ru,
        "plan-line",
        &[n("days", 2), s("traffic", "10 ГиБ"), s("price", "5.00 USD")],
    );
    assert_eq!(line, "2 дня, 10 ГиБ, 5.00 USD");
}

#[test]
fn arguments_carry_no_bidi_isolation_marks() {
    let link = "vless://0b8e@vpn.example.com:443?security=reality#shop";
    for lang in Lang::ALL {
        let text = t(lang, "error-invalid-state", &[s("reason", link)]);
        assert!(text.contains(link), "{lang}: {text}");
        assert!(
            !text.contains(['\u{2068}', '\u{2069}', '\u{2066}', '\u{2067}']),
            "{lang}: {text:?}"
        );
    }
}

#[test]
fn a_missing_message_falls_back_to_english_then_to_its_id() {
    assert_eq!(catalog().try_text(Lang::Fa, "no-such-id", &[]), None);
    assert_eq!(t(Lang::Fa, "no-such-id", &[]), "no-such-id");
}

#[test]
fn discord_locales_map_to_languages_and_persian_is_never_a_discord_locale() {
    assert_eq!(Lang::from_discord_locale("ru"), Some(Lang::Ru));
    assert_eq!(Lang::from_discord_locale("en-GB"), Some(Lang::En));
    assert_eq!(Lang::from_discord_locale("de"), None);
    assert_eq!(Lang::Fa.discord_locale(), None);
    assert_eq!(Lang::from_code("FA"), Some(Lang::Fa));
    assert_eq!(Lang::from_code("de"), None);
}

#[test]
fn the_cores_refusals_read_in_the_customers_language() {
    use crate::domain::OrderId;
    use crate::error::UserError;
    let open = UserError::OpenOrderExists { order: OrderId(4) };
    assert_eq!(
        refusal(Lang::Ru, &open),
        "У вас уже есть открытый заказ (№4); завершите или отмените его."
    );
    let stale = UserError::InvalidState {
        reason: "order #9 is no longer waiting for a payment".into(),
    };
    assert_eq!(
        refusal(Lang::En, &stale),
        "Order #9 is no longer waiting for a payment."
    );
    assert_eq!(
        refusal(Lang::Ru, &stale),
        "Заказ №9 больше не ожидает оплаты."
    );
    let other = UserError::InvalidState {
        reason: "payment #3 is already approved".into(),
    };
    assert_eq!(
        refusal(Lang::Ru, &other),
        "Сейчас это невозможно: payment #3 is already approved"
    );
}

#[test]
fn the_growth_refusals_read_in_the_customers_language() {
    use crate::error::UserError;
    use crate::service::growth::refusals::{BANNED_PREFIX, CATALOG};
    for (text, id) in CATALOG {
        let e = UserError::InvalidState {
            reason: (*text).to_owned(),
        };
        for lang in [Lang::Ru, Lang::Fa] {
            let shown = super::refusal(lang, &e);
            assert_eq!(shown, t(lang, id, &[]), "{lang}: {id}");
            assert!(
                !shown.contains(text),
                "{lang}: {id} is still English: {shown}"
            );
        }
    }
    let banned = UserError::InvalidState {
        reason: format!("{BANNED_PREFIX}: chargeback"),
    };
    assert_eq!(
        super::refusal(Lang::Ru, &banned),
        "Вы не можете заказывать в этом магазине: chargeback"
    );
}
