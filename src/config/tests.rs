use super::*;

const EXAMPLE: &str = include_str!("../../config.example.toml");

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_with_env(text, |_| None)
}

fn key_of(text: &str) -> String {
    parse(text)
        .expect_err("config should be refused")
        .key()
        .to_owned()
}

#[test]
fn example_config_is_valid_and_documents_defaults() {
    let c = parse(EXAMPLE).unwrap();
    assert_eq!(c.panel.timeout_secs, 5);
    assert_eq!(c.panel.health_failure_threshold, 3);
    assert_eq!(c.receipts.max_bytes, 10 * 1024 * 1024);
    assert_eq!(c.plans.len(), 1);
    assert_eq!(c.plan("month").unwrap().price_minor, 500);
    assert_eq!(c.payment_method("bank").unwrap().name, "Bank transfer");
    assert_eq!(c.storage.db_path(), PathBuf::from("data/bot.db"));
}

#[test]
fn empty_file_gives_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.shop.time_zone, "UTC");
    assert_eq!(c.backup.keep_days, 14);
}

#[test]
fn unknown_key_is_named_with_its_table() {
    assert_eq!(key_of("[panel]\ntimeout = 5\n"), "panel.timeout");
    assert_eq!(key_of("[surprise]\nx = 1\n"), "surprise");
}

/// Regression (fuzzing, `config`): an empty key was reported as ``, naming nothing.
#[test]
fn an_empty_key_is_spelled_as_toml_spells_it() {
    assert_eq!(key_of("['']\n"), "\"\"");
    assert_eq!(key_of("[panel]\n\"\" = 1\n"), "panel.\"\"");
    let err = parse("\"\" = 1\n").unwrap_err().to_string();
    assert!(err.starts_with("config key `\"\"`: unknown field"), "{err}");
}

#[test]
fn wrong_type_is_named() {
    assert_eq!(
        key_of("[panel]\ntimeout_secs = \"five\"\n"),
        "panel.timeout_secs"
    );
    assert_eq!(key_of("[discord]\nguild_id = -1\n"), "discord.guild_id");
}

#[test]
fn bad_values_are_named_with_the_reason() {
    let plan = |price: i64| {
        format!(
            "[[plans]]\nid = \"a\"\nname = \"A\"\ndays = 30\nprice_minor = 100\ncurrency = \"USD\"\n\
             [[plans]]\nid = \"b\"\nname = \"B\"\ndays = 30\nprice_minor = {price}\ncurrency = \"USD\"\n"
        )
    };
    assert!(parse(&plan(100)).is_ok());
    let err = parse(&plan(0)).unwrap_err();
    assert_eq!(err.key(), "plans[1].price_minor");
    assert!(err.to_string().contains("must be above 0"), "{err}");
    assert_eq!(
        key_of("[shop]\ntime_zone = \"Mars/Olympus\"\n"),
        "shop.time_zone"
    );
    assert_eq!(key_of("[panel]\ntimeout_secs = 0\n"), "panel.timeout_secs");
    assert_eq!(
        key_of("[panel]\nbase_url = \"not a url\"\n"),
        "panel.base_url"
    );
    assert_eq!(
        key_of("[panel]\nbase_url = \"https://p.example/x/\"\n"),
        "panel.api_token",
        "a panel without any credentials is refused"
    );
    assert_eq!(key_of("[logging]\nlevel = \"[[[\"\n"), "logging.level");
    assert_eq!(
        key_of("[[payment_methods]]\nid = \"Bank Transfer\"\nname = \"x\"\ninstructions = \"y\"\n"),
        "payment_methods[0].id"
    );
}

#[test]
fn syntax_errors_are_reported_against_the_file() {
    let err = parse("[panel\n").unwrap_err();
    assert_eq!(err.key(), "(file)");
}

#[test]
fn environment_overrides_secrets_and_debug_redacts_them() {
    let text = "[discord]\ntoken = \"file-token-123\"\n[panel]\nbase_url = \"https://p.example/x/\"\n\
                username = \"admin\"\npassword = \"file-password-456\"\n";
    let env = |k: &str| match k {
        env::DISCORD_TOKEN => Some("env-token-789".to_owned()),
        env::PANEL_API_TOKEN => Some("env-api-token-000".to_owned()),
        _ => None,
    };
    let c = Config::from_toml_with_env(text, env).unwrap();
    assert_eq!(c.discord.token.expose(), "env-token-789");
    assert_eq!(c.panel.password.expose(), "file-password-456");
    assert_eq!(c.panel.api_token.expose(), "env-api-token-000");
    let debug = format!("{c:?}");
    for secret in [
        "file-token-123",
        "env-token-789",
        "file-password-456",
        "env-api-token-000",
    ] {
        assert!(!debug.contains(secret), "Debug output leaks {secret}");
    }
    assert!(debug.contains("[redacted]"));
    assert_eq!(format!("{}", c.panel.password), "[redacted]");
    assert_eq!(format!("{:?}", c.panel.totp_secret), "[empty]");
}

#[test]
fn the_world_keys_default_off_and_bad_values_name_the_key() {
    let c = parse("").unwrap();
    assert_eq!(
        c.metrics_addr().unwrap(),
        None,
        "the metrics listener is off by default"
    );
    assert_eq!(c.default_language(), crate::i18n::Lang::En);
    let ru = parse("[shop]\ndefault_language = \"ru\"\n").unwrap();
    assert_eq!(ru.default_language(), crate::i18n::Lang::Ru);
    assert_eq!(
        key_of("[shop]\ndefault_language = \"de\"\n"),
        "shop.default_language"
    );
    assert_eq!(
        key_of("[shop]\nstaff_language = \"xx\"\n"),
        "shop.staff_language"
    );
    assert_eq!(c.staff_language(), crate::i18n::Lang::En);
    assert_eq!(
        key_of("[metrics]\nlisten = \"localhost\"\n"),
        "metrics.listen"
    );
    assert_eq!(
        key_of("[metrics]\nlisten = \"0.0.0.0:9464\"\n"),
        "metrics.listen"
    );
    let local = parse("[metrics]\nlisten = \"127.0.0.1:9464\"\n").unwrap();
    assert_eq!(local.metrics_addr().unwrap().unwrap().port(), 9464);
    // Beyond loopback with a token from the environment; the token stays redacted.
    let open = Config::from_toml_with_env("[metrics]\nlisten = \"0.0.0.0:9464\"\n", |k| {
        (k == env::METRICS_TOKEN).then(|| "s3cret".to_owned())
    })
    .unwrap();
    assert_eq!(open.metrics.bearer_token.expose(), "s3cret");
    assert!(!format!("{open:?}").contains("s3cret"));
}
