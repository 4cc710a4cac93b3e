//! The binary as an operator uses it: migrate, backup, restore, config errors, and secrets kept
//! out of its output and log files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use vpn_ticket_bot::store;

const TOKEN: &str = "discord-token-SHOULD-NOT-LEAK-1234";
const PASSWORD: &str = "panel-password-SHOULD-NOT-LEAK-5678";
const API_TOKEN: &str = "panel-api-token-SHOULD-NOT-LEAK-9012";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = format!(
            "[discord]\ntoken = \"{TOKEN}\"\n\n[panel]\nbase_url = \"https://panel.example.com:2053/Ab3xYz/\"\n\
             username = \"admin\"\npassword = \"{PASSWORD}\"\n\n[storage]\ndata_dir = \"{}\"\n",
            data.display()
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vpn-ticket-bot"))
            .current_dir(self.dir.path())
            .args(args)
            .env("RUST_LOG", "debug")
            .env("VTB_PANEL_API_TOKEN", API_TOKEN)
            .env_remove("VTB_CONFIG")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_no_secrets(what: &str, s: &str) {
    for secret in [TOKEN, PASSWORD, API_TOKEN] {
        assert!(!s.contains(secret), "{what} leaks a secret: {s}");
    }
}

fn read_logs(dir: &Path, prefix: &str) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(prefix)
        {
            all.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    all
}

#[test]
fn migrate_backup_restore_as_the_readme_describes() {
    let env = Env::new();
    let out = env.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "from schema version 0 to {}",
            store::schema_version()
        )),
        "{}",
        text(&out)
    );
    let out = env.run(&["migrate"]);
    assert!(
        text(&out).contains(&format!(
            "up to date (schema version {})",
            store::schema_version()
        )),
        "{}",
        text(&out)
    );

    let out = env.run(&["backup"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Backup written and verified"),
        "{}",
        text(&out)
    );
    let backups: Vec<_> = std::fs::read_dir(env.data().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1);
    let backup = backups[0].to_str().unwrap();

    let out = env.run(&["restore", backup]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no terminal and no --yes: {}",
        text(&out)
    );
    assert!(text(&out).contains("re-run with --yes"), "{}", text(&out));
    assert!(text(&out).contains("nothing was changed"), "{}", text(&out));

    let out = env.run(&["restore", backup, "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("The previous database was kept as"),
        "{}",
        text(&out)
    );

    let out = env.run(&["--config", "config.toml", "backup", "--out", "manual.db"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(env.dir.path().join("manual.db").exists());
}

#[test]
fn restore_refuses_while_the_data_directory_is_locked() {
    let env = Env::new();
    assert!(env.run(&["migrate"]).status.success());
    assert!(env.run(&["backup", "--out", "b.db"]).status.success());
    let lock = vpn_ticket_bot::ops::DataDirLock::acquire(&env.data()).unwrap();
    let out = env.run(&["restore", "b.db", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("in use by a running vpn-ticket-bot"),
        "{}",
        text(&out)
    );
    drop(lock);
    assert!(env.run(&["restore", "b.db", "--yes"]).status.success());
}

#[test]
fn config_errors_name_the_key_and_exit_2() {
    let env = Env::new();
    std::fs::write(env.dir.path().join("bad.toml"), "[panel]\ntimeout = 5\n").unwrap();
    let out = env.run(&["--config", "bad.toml", "migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("config key `panel.timeout`"),
        "{}",
        text(&out)
    );
    let out = env.run(&["--config", "missing.toml", "migrate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("cannot read config file missing.toml"),
        "{}",
        text(&out)
    );
}

#[test]
fn secrets_stay_out_of_output_and_log_files() {
    let env = Env::new();
    let out = env.run(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_no_secrets("output", &text(&out));
    let logs = env.data().join("logs");
    let all = read_logs(&logs, "bot.");
    assert!(
        all.contains("configuration loaded"),
        "the config was logged at debug level: {all}"
    );
    assert!(all.contains("[redacted]"), "secrets appear redacted: {all}");
    assert_no_secrets("bot log", &all);

    // A failing command writes to the errors file too.
    let out = env.run(&["restore", "nope.db", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = read_logs(&logs, "errors.");
    assert!(
        errors.contains("command failed") && errors.contains("nope.db"),
        "{errors}"
    );
    assert_no_secrets("error log", &errors);
}

#[test]
fn run_needs_a_token() {
    let env = Env::new();
    let no_token = env.dir.path().join("no-token.toml");
    let config = format!("[storage]\ndata_dir = \"{}\"\n", env.data().display());
    std::fs::write(&no_token, config).unwrap();
    let out = env.run(&["--config", no_token.to_str().unwrap(), "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("discord.token"), "{}", text(&out));
    let no_panel = env.dir.path().join("no-panel.toml");
    let config = format!(
        "[discord]\ntoken = \"x\"\n\n[storage]\ndata_dir = \"{}\"\n",
        env.data().display()
    );
    std::fs::write(&no_panel, config).unwrap();
    let out = env.run(&["--config", no_panel.to_str().unwrap(), "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("`panel.base_url`: not set"),
        "{}",
        text(&out)
    );
    // A guild id of 0 is refused, not guessed.
    let no_guild = env.dir.path().join("no-guild.toml");
    let config = format!(
        "[discord]\ntoken = \"x\"\n\n[panel]\nbase_url = \"http://127.0.0.1:9/\"\n\
         api_token = \"t\"\n\n[storage]\ndata_dir = \"{}\"\n",
        env.data().display()
    );
    std::fs::write(&no_guild, config).unwrap();
    let out = env.run(&["--config", no_guild.to_str().unwrap(), "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("`discord.guild_id`: not set"),
        "{}",
        text(&out)
    );
}

/// `demo` as a newcomer runs it: in a directory without any config file (and behind a proxy
/// set in the environment), every step of the
/// story printed and checked, exit 0, the emulator's log written as JSON lines, the temporary
/// data directory gone afterwards.
#[test]
fn demo_plays_the_whole_story_from_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("demo.jsonl");
    // A machine behind an HTTP proxy that cannot reach loopback: the demo talks to its own
    // emulators directly all the same.
    let dead_proxy = "http://127.0.0.1:9";
    let out = Command::new(env!("CARGO_BIN_EXE_vpn-ticket-bot"))
        .current_dir(dir.path())
        .args(["demo", "--record", "demo.jsonl"])
        .env_remove("RUST_LOG")
        .env_remove("VTB_CONFIG")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", dead_proxy)
        .env("HTTPS_PROXY", dead_proxy)
        .env("ALL_PROXY", dead_proxy)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for step in 1..=vpn_ticket_bot::demo::STEPS {
        assert!(
            stdout.contains(&format!("\n{step}/{}  ", vpn_ticket_bot::demo::STEPS)),
            "step {step}:\n{stdout}"
        );
    }
    for seen in [
        "All 10 steps happened",
        "automatic (Crypto Pay)",
        "what carol sees in her DMs:",
        "vless://",
        "Payment #1",
        "was already submitted",
        "The VPN panel is down",
        "The VPN panel is back",
        "temporarily unavailable",
        "what ivan sees in his DMs:",
        "Ваш доступ к VPN готов",
    ] {
        assert!(stdout.contains(seen), "{seen:?} missing:\n{stdout}");
    }
    let data_dir = stdout
        .split("data directory: ")
        .nth(1)
        .and_then(|r| r.split(" (removed").next())
        .expect("data directory printed");
    assert!(!Path::new(data_dir).exists(), "{data_dir} removed");
    let log = std::fs::read_to_string(&record).expect("record written");
    let kinds: Vec<String> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["kind"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(kinds.iter().any(|k| k == "rest"), "REST requests recorded");
    assert!(
        kinds.iter().any(|k| k == "frame"),
        "gateway frames recorded"
    );
}

/// `vpn-ticket-bot check` in `dir` with one secret from the environment (`(name, value)`).
fn run_check(
    dir: &Path,
    (name, value): (&str, &str),
) -> impl std::future::Future<Output = std::io::Result<Output>> {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_vpn-ticket-bot"))
        .current_dir(dir)
        .arg("check")
        .env(name, value)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("VTB_CONFIG")
        .stdin(Stdio::null())
        .output()
}

/// `check` as the operator runs it, against the panel emulator: exit code and summary.
#[tokio::test]
async fn check_prints_a_summary_and_fails_clearly() {
    use vpn_ticket_bot::sim::panel::{Fault, PanelSim, Profile};

    let sim = PanelSim::start(Profile::v3_6_0().with_api_token("check-token-777")).await;
    let dir = tempfile::tempdir().unwrap();
    let write = |inbound: u32| {
        let config = format!(
            "[panel]\nbase_url = \"{}\"\ninbound_id = {inbound}\ntimeout_secs = 2\n[storage]\ndata_dir = \"{}\"\n",
            sim.base_url(),
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
    };
    let run = || run_check(dir.path(), ("VTB_PANEL_API_TOKEN", "check-token-777"));

    write(1);
    let out = run().await.unwrap();
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("panel: version 3.6.0, API Gen B"), "{shown}");
    assert!(shown.contains("vless port 443 tcp/reality"), "{shown}");
    assert!(shown.contains("panel.inbound_id = 1 found"), "{shown}");
    assert!(!shown.contains("check-token-777"), "{shown}");

    write(9);
    let out = run().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("panel.inbound_id = 9 does not exist"),
        "{}",
        text(&out)
    );

    write(1);
    sim.set_fault(Fault::Down).await;
    let out = run().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("panel unavailable"), "{}", text(&out));
}

/// `check` with a Crypto Pay method: it names the app the token belongs to, and a refused token
/// fails naming the keys to fix, without printing the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_asks_crypto_pay_who_the_token_belongs_to() {
    use vpn_ticket_bot::sim::cryptopay::CryptoPaySim;
    use vpn_ticket_bot::sim::panel::{PanelSim, Profile};

    let sim = PanelSim::start(Profile::v3_6_0().with_api_token("check-token-777")).await;
    let pay = CryptoPaySim::start("123:AAright").await;
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[panel]\nbase_url = \"{}\"\ntimeout_secs = 2\n[[plans]]\nid = \"m\"\nname = \"M\"\ndays = 30\n\
         price_minor = 500\ncurrency = \"USD\"\n[[payment_methods]]\nid = \"crypto\"\nname = \"Crypto\"\n\
         kind = \"cryptobot\"\n[cryptobot]\napi_url = \"{}\"\n[storage]\ndata_dir = \"{}\"\n",
        sim.base_url(),
        pay.base_url(),
        dir.path().join("data").display()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let run = |token: &'static str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_vpn-ticket-bot"))
            .current_dir(dir.path())
            .arg("check")
            .env("VTB_PANEL_API_TOKEN", "check-token-777")
            .env("VTB_CRYPTOBOT_TOKEN", token)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("VTB_CONFIG")
            .stdin(Stdio::null())
            .output()
    };
    let out = run("123:AAright").await.unwrap();
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("crypto pay: app"), "{shown}");
    assert!(shown.contains(&pay.base_url()), "{shown}");

    let out = run("123:AAwrong").await.unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("refused the API token"), "{shown}");
    assert!(shown.contains("cryptobot.token"), "{shown}");
    assert!(
        !shown.contains("AAwrong") && !shown.contains("AAright"),
        "{shown}"
    );
}

/// `run` as systemd runs it, against the Discord emulator (through `discord.rest_proxy_url`) and
/// the panel emulator: it registers its commands, answers a member, holds the data-directory lock
/// (a `restore` meanwhile is refused), and on SIGTERM stops gracefully with exit code 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_then_stops_gracefully_on_sigterm() {
    use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig};
    use vpn_ticket_bot::sim::panel::{PanelSim, Profile};

    let emu = Emulator::start(EmulatorConfig {
        bot_token: Some(TOKEN.into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let (guild, _, owner) = emu.ids();
    let general = emu.read(|s| s.channel_by_name("general").unwrap().id);
    let admin_channel = emu.add_channel("admin-review", 0, None);
    let tickets = emu.add_channel("Tickets", 4, None);
    let carol = emu.add_user("carol", &[]);
    let sim = PanelSim::start(Profile::v3_6_0()).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = sim.profile();
    let config = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = {guild}\nadmin_channel_id = {admin_channel}\n\
         tickets_category_id = {tickets}\nrest_proxy_url = \"{}\"\n\n[roles]\n\
         owner_user_ids = [{owner}]\n\n[panel]\nbase_url = \"{}\"\nusername = \"{}\"\n\
         password = \"{}\"\ninbound_id = 1\n\n[storage]\ndata_dir = \"{}\"\n",
        emu.base_url(),
        sim.base_url(),
        p.username,
        p.password,
        data.display()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let bin = env!("CARGO_BIN_EXE_vpn-ticket-bot");
    let child = tokio::process::Command::new(bin)
        .current_dir(dir.path())
        .arg("run")
        .env("RUST_LOG", "info")
        .env_remove("VTB_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let wait = Duration::from_secs(30);
    let registered = emu.wait_for(wait, |s| (!s.commands.is_empty()).then_some(()));
    if registered.await.is_err() {
        let mut child = child;
        child.start_kill().unwrap();
        let out = child.wait_with_output().await.unwrap();
        panic!("no commands registered by the process:\n{}", text(&out));
    }

    let i = emu.run_command(carol, general, "help", &[]);
    let help = emu.wait_for(wait, |s| s.original_response(i.id).cloned());
    let help = help.await.expect("/help answered");
    assert!(help.content.contains("/order"), "{}", help.content);

    // The data directory is locked while the bot runs.
    let backup = dir.path().join("some.db");
    std::fs::write(&backup, b"not used").unwrap();
    let restore = tokio::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["restore", backup.to_str().unwrap(), "--yes"])
        .env_remove("VTB_CONFIG")
        .output()
        .await
        .unwrap();
    assert_eq!(restore.status.code(), Some(1));
    let said = String::from_utf8_lossy(&restore.stderr);
    assert!(said.contains("running"), "{said}");

    let pid = child.id().expect("pid").to_string();
    // The shell's own `kill`: no procps needed on the machine.
    let kill = std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = tokio::time::timeout(wait, child.wait_with_output())
        .await
        .expect("stopped within 30 s of SIGTERM")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for line in ["bot started", "shutting down", "stopped"] {
        assert!(stderr.contains(line), "{line:?} not logged:\n{stderr}");
    }
    assert_no_secrets("run's stderr", &stderr);
}

/// `run` with a token Discord refuses: exit 1 and a message that says what to fix, the token
/// itself never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_refused_token_says_so_and_exits_1() {
    use vpn_ticket_bot::sim::discord::{Emulator, EmulatorConfig};

    let emu = Emulator::start(EmulatorConfig {
        bot_token: Some("the-real-token".into()),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let (guild, _, _) = emu.ids();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[discord]\ntoken = \"{TOKEN}\"\nguild_id = {guild}\nadmin_channel_id = 1\n\
         rest_proxy_url = \"{}\"\n\n\
         [panel]\nbase_url = \"http://127.0.0.1:9/\"\napi_token = \"{API_TOKEN}\"\n\n[storage]\ndata_dir = \"{}\"\n",
        emu.base_url(),
        dir.path().join("data").display()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_vpn-ticket-bot"))
        .current_dir(dir.path())
        .arg("run")
        .env_remove("VTB_CONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("run gives up on a refused token")
        .unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("Discord refused the bot token"), "{said}");
    assert!(said.contains("discord.token"), "{said}");
    assert_no_secrets("run's output", &said);
}

/// `check` with `[[panels]]`: two 3x-ui panels and a vpn-api service, each reported under its
/// id; a dead one fails the command naming it, after the others were still checked. The
/// vpn-api key comes from the environment and is never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_covers_every_configured_backend() {
    use vpn_ticket_bot::sim::panel::{Fault, PanelSim, Profile};
    use vpn_ticket_bot::sim::vpn_api::VpnApiSim;

    let de = PanelSim::start(Profile::v3_6_0().with_api_token("check-token-777")).await;
    let nl = PanelSim::start(Profile::v2_9_4()).await;
    let api = VpnApiSim::start("vpn-api-key-4242").await;
    let dir = tempfile::tempdir().unwrap();
    let p = nl.profile();
    let config = format!(
        "[[panels]]\nid = \"de\"\nbase_url = \"{}\"\napi_token = \"check-token-777\"\n\
         [[panels]]\nid = \"nl\"\nbase_url = \"{}\"\nusername = \"{}\"\npassword = \"{}\"\n\
         [[panels]]\nid = \"api\"\nkind = \"vpn_api\"\nbase_url = \"{}\"\n\
         [storage]\ndata_dir = \"{}\"\n",
        de.base_url(),
        nl.base_url(),
        p.username,
        p.password,
        api.base_url(),
        dir.path().join("data").display()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let run = || run_check(dir.path(), ("VTB_VPN_API_KEY", "vpn-api-key-4242"));
    let out = run().await.unwrap();
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    for line in [
        "[panels[0] de]\npanel: version 3.6.0, API Gen B",
        "[panels[1] nl]\npanel: version unknown (< 3.1), API Gen A",
        "[panels[2] api]\nbackend: vpn-api",
        "API key accepted; links come from the service (no inbounds)",
    ] {
        assert!(shown.contains(line), "{line:?} in {shown}");
    }
    assert!(!shown.contains("vpn-api-key-4242"), "{shown}");

    nl.set_fault(Fault::Down).await;
    let out = run().await.unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("[panels[2] api]"),
        "the others are still checked: {shown}"
    );
    assert!(shown.contains("panel nl (panels[1])"), "{shown}");
}
