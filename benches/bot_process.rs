//! The bot alone, in its own process (`cargo bench --bench bot_process`; a plain `main`, not a
//! timed test).
//!
//! This process runs the Discord and 3x-ui emulators; the real `vpn-ticket-bot run` binary runs
//! in a child process on a generated config and a temporary data directory. `BENCH_ORDERS`
//! customers (default 1000), `BENCH_CONCURRENCY` at a time (default 10), optionally
//! `BENCH_PACE_MS` apart, go through the whole story: `/order` → ticket → bank transfer →
//! receipt upload → review card → an admin's Approve + Confirm → the link by DM; the ticket is
//! deleted once the order completes (`delete_ticket_after_hours = 0`, transcript archived).
//!
//! `BENCH_MODE=proxy` (default): REST through `discord.rest_proxy_url`, serenity's rate limiter
//! off: the capacity case. `BENCH_MODE=tls`: `discord.com` resolves to the emulator's TLS
//! listener (`discord.api_address`, `discord.ca_cert`), serenity's limiter on, and the emulator
//! enforces Discord's global limit of 50 requests per second (interactions and webhooks exempt,
//! 429 with `X-RateLimit-Global` as Discord answers): the realistic case, whose floor is
//! rate-limited calls ÷ 50 per second.
//!
//! Reported from `/proc/<bot pid>` and the emulator's log: idle RSS after ready, RSS after each
//! of `BENCH_CHECKPOINTS` completed orders (default `300,1000`) and the slope per order between
//! the first and the last, peak RSS, the bot's CPU per order, REST calls per order split into
//! rate-limited and exempt (with the busiest routes), 429s, per-phase latency (median, p95,
//! p99) and throughput. Every customer must get a link whose client exists on the panel.
//! `BENCH_LOG=FILE` writes the emulator's request/frame log there as JSON lines;
//! `BENCH_BOT=PATH` runs another build of the bot (an older commit, for before/after figures).
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]

#[path = "support/env.rs"]
mod env;
#[path = "../tests/support/receipt_images.rs"]
mod images;
#[path = "support/proc_status.rs"]
mod proc_status;

use env::env_or;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use proc_status::{cpu_ticks_of, kib_to_mib, status_kib_of, ticks_per_second};
use vpn_ticket_bot::demo::world::{click_id, find_id};
use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::sim::discord::state::{MessageRec, State};
use vpn_ticket_bot::sim::discord::{Budget, Emulator, EmulatorConfig, LogEntry};
use vpn_ticket_bot::sim::panel::{PanelSim, Profile};

const TOKEN: &str = "bench-token";
const STEP: Duration = Duration::from_secs(120);

/// How the benchmark runs (from the environment).
struct Options {
    orders: usize,
    concurrency: usize,
    pace: Duration,
    tls: bool,
    checkpoints: Vec<usize>,
}

impl Options {
    fn from_env() -> Self {
        let orders = env_or("BENCH_ORDERS", 1000_usize).max(1);
        let mut checkpoints: Vec<usize> = std::env::var("BENCH_CHECKPOINTS")
            .unwrap_or_else(|_| "300,1000".into())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .filter(|&n| n > 0 && n <= orders)
            .collect();
        checkpoints.push(orders);
        checkpoints.sort_unstable();
        checkpoints.dedup();
        Self {
            orders,
            concurrency: env_or("BENCH_CONCURRENCY", 10_usize).max(1),
            pace: Duration::from_millis(env_or("BENCH_PACE_MS", 0)),
            tls: std::env::var("BENCH_MODE").is_ok_and(|m| m == "tls"),
            checkpoints,
        }
    }
}

/// The staged guild.
struct Guild {
    general: u64,
    admin_channel: u64,
    tickets: u64,
    admin_role: u64,
    alice: u64,
}

/// How long each phase of one customer took.
struct Timings {
    ticket: Duration,
    card: Duration,
    link: Duration,
}

fn main() {
    let options = Options::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(&options));
}

async fn run(o: &Options) {
    let emu = Emulator::start(EmulatorConfig {
        tls: o.tls,
        ack_window: Duration::from_secs(10),
        bot_token: Some(TOKEN.into()),
        ..EmulatorConfig::default()
    })
    .await
    .expect("the Discord emulator starts");
    let admin_role = emu.add_role("admin", 0);
    let g = Guild {
        general: emu
            .read(|s| s.channel_by_name("general").map(|c| c.id))
            .expect("#general"),
        admin_channel: emu.add_channel("admin-review", 0, None),
        tickets: emu.add_channel("Tickets", 4, None),
        alice: emu.add_user("alice", &[admin_role]),
        admin_role,
    };
    let panel = PanelSim::start(Profile::v3_6_0()).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write_config(&emu, &panel, &g, dir.path(), o.tls);
    if o.tls {
        emu.set_global_rate_limit(Some(Budget {
            limit: 50,
            window: Duration::from_secs(1),
            announce: false,
        }));
    }
    let mut bot = spawn_bot(&config, dir.path());
    let pid = bot.id().to_string();
    let wanted = vpn_ticket_bot::discord::commands::all().len();
    let t = Instant::now();
    emu.wait_for(STEP, |s| (s.commands.len() == wanted).then_some(()))
        .await
        .expect("the bot registers its commands");
    println!(
        "mode: {}; {} orders, {} at a time{}; bot ready in {:.2} s",
        if o.tls {
            "TLS, serenity's rate limiter on, global 50 req/s enforced"
        } else {
            "REST proxy, rate limiter off"
        },
        o.orders,
        o.concurrency,
        if o.pace.is_zero() {
            String::new()
        } else {
            format!(", {} ms apart", o.pace.as_millis())
        },
        t.elapsed().as_secs_f64()
    );
    // Idle: let the start-up work (dashboard, catch-up, first job passes) finish.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = status_kib_of(&pid, "VmRSS").expect("the bot's RSS");
    let log_before = emu.read(|s| s.log().len());
    let cpu_before = cpu_ticks_of(&pid).expect("the bot's CPU time");
    let part = |f: &str| status_kib_of(&pid, f).map_or(0.0, kib_to_mib);
    println!(
        "idle RSS after ready: {:.1} MiB (anonymous {:.1}, file-backed {:.1}; {} threads)",
        kib_to_mib(idle),
        part("RssAnon"),
        part("RssFile"),
        status_kib_of(&pid, "Threads").unwrap_or(0)
    );

    let (timings, took, rss) = load((&emu, &panel), &g, o, &pid).await;
    // The tail of each order (ticket deletion, transcript) counts too: wait for every ticket.
    emu.wait_for(STEP, |s| {
        (!s.channels
            .values()
            .any(|c| c.kind == 0 && c.parent_id.is_some()))
        .then_some(())
    })
    .await
    .expect("every ticket channel deleted after its order");
    let cpu = cpu_ticks_of(&pid).expect("the bot's CPU time") - cpu_before;
    let peak = status_kib_of(&pid, "VmHWM").expect("the bot's peak RSS");
    assert_eq!(
        panel.clients().len(),
        o.orders,
        "one panel client per order"
    );

    report_throughput(o, took, cpu);
    report_memory(idle, &rss, peak);
    emu.read(|s| report_calls(&s.log()[log_before..], o.orders));
    report_latency("/order → ticket open", timings.iter().map(|t| t.ticket));
    report_latency(
        "receipt upload → review card",
        timings.iter().map(|t| t.card),
    );
    report_latency(
        "Approve → Confirm → link DM",
        timings.iter().map(|t| t.link),
    );
    if let Ok(path) = std::env::var("BENCH_LOG") {
        emu.write_log(Path::new(&path))
            .expect("write the emulator's log");
    }
    stop_bot(&mut bot);
}

/// Runs every customer; returns their timings, the wall time and the RSS after each checkpoint.
async fn load(
    (emu, panel): (&Emulator, &PanelSim),
    g: &Guild,
    o: &Options,
    pid: &str,
) -> (Vec<Timings>, Duration, Vec<(usize, u64)>) {
    let users: Vec<u64> = (0..o.orders)
        .map(|i| emu.add_user(&format!("customer{i}"), &[]))
        .collect();
    let done = Arc::new(AtomicUsize::new(0));
    let rss = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    let timings: Vec<Timings> = futures_util::stream::iter(users.into_iter().enumerate())
        .map(|(i, user)| {
            let (done, rss) = (done.clone(), rss.clone());
            async move {
                if !o.pace.is_zero() {
                    // Pacing is load generation: customer i arrives at i × pace.
                    let at = started + o.pace * u32::try_from(i).unwrap_or(u32::MAX);
                    tokio::time::sleep_until(at.into()).await;
                }
                let png = images::png(&images::receipt(10_000 + i as u64, 480, 800));
                let t = customer((emu, panel), g, user, png)
                    .await
                    .unwrap_or_else(|e| panic!("customer {i} did not get through: {e}"));
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                if o.checkpoints.contains(&n) {
                    let kib = status_kib_of(pid, "VmRSS").expect("the bot's RSS");
                    rss.lock().expect("rss").push((n, kib));
                }
                t
            }
        })
        .buffer_unordered(o.concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let mut rss = rss.lock().expect("rss").clone();
    rss.sort_unstable();
    (timings, took, rss)
}

/// The newest message id so far: messages posted after an action have larger ids.
fn mark(emu: &Emulator) -> u64 {
    emu.read(|s| s.messages.keys().next_back().copied().unwrap_or(0))
}

/// The first message after `from` in `channel` that `pred` accepts.
fn after(
    s: &State,
    from: u64,
    channel: u64,
    pred: impl Fn(&MessageRec) -> bool,
) -> Option<&MessageRec> {
    s.messages
        .range(from + 1..)
        .map(|(_, m)| m)
        .find(|m| m.channel_id == channel && !m.is_ephemeral() && pred(m))
}

async fn wait<T>(
    emu: &Emulator,
    what: &str,
    f: impl FnMut(&State) -> Option<T>,
) -> Result<T, String> {
    emu.wait_for(STEP, f)
        .await
        .map_err(|_| format!("{what} did not happen within {} s", STEP.as_secs()))
}

/// One customer's whole story; alice approves the card.
async fn customer(
    (emu, panel): (&Emulator, &PanelSim),
    g: &Guild,
    user: u64,
    png: Vec<u8>,
) -> Result<Timings, String> {
    let t = Instant::now();
    let i = emu.run_command(user, g.general, "order", &[]);
    let menu = wait(emu, "the plan select", |s| {
        s.original_response(i.id)
            .filter(|m| !m.components.is_empty())
            .cloned()
    })
    .await?;
    let plan_select =
        click_id(&menu, |id| matches!(id, CustomId::PlanSelect)).map_err(|e| e.to_string())?;
    let from = mark(emu);
    let pick = emu.select(user, menu.id, &plan_select, &["month"]);
    let answer = wait(emu, "the ticket", |s| {
        s.original_response(pick.id)
            .filter(|m| m.content.contains("<#"))
            .map(|m| m.content.clone())
    })
    .await?;
    let ticket: u64 = answer
        .split("<#")
        .nth(1)
        .and_then(|r| r.split('>').next())
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("no ticket mention in {answer:?}"))?;
    let welcome = wait(emu, "the payment method select", |s| {
        after(s, from, ticket, |m| {
            find_id(m, |id| matches!(id, CustomId::MethodSelect(_))).is_some()
        })
        .cloned()
    })
    .await?;
    let ticket_took = t.elapsed();
    let select = click_id(&welcome, |id| matches!(id, CustomId::MethodSelect(_)))
        .map_err(|e| e.to_string())?;
    let from = mark(emu);
    emu.select(user, welcome.id, &select, &["bank"]);
    wait(emu, "the payment instructions", |s| {
        after(s, from, ticket, |m| m.content.contains("IBAN")).map(|_| ())
    })
    .await?;

    let from = mark(emu);
    let t = Instant::now();
    emu.user_message(user, ticket, "here is my payment", Some(("pay.png", png)))
        .map_err(|e| format!("the upload was refused: {e:?}"))?;
    let mention = format!("<@{user}>");
    let card = wait(emu, "the review card", |s| {
        after(s, from, g.admin_channel, |m| {
            !m.attachments.is_empty()
                && serde_json::to_string(&m.embeds).is_ok_and(|e| e.contains(&mention))
        })
        .cloned()
    })
    .await?;
    let card_took = t.elapsed();

    let t = Instant::now();
    approve(emu, g, &card).await?;
    let dm = wait(emu, "the link by DM", |s| {
        s.dms_of(user)
            .into_iter()
            .find(|m| m.content.contains("vless://"))
            .map(|m| m.content.clone())
    })
    .await?;
    let link_took = t.elapsed();
    let client = panel
        .client(&format!("u{user}"))
        .ok_or_else(|| format!("no panel client for {user}"))?;
    if !dm.contains(&client.id) {
        return Err(format!("the DM of {user} does not hold its client's link"));
    }
    Ok(Timings {
        ticket: ticket_took,
        card: card_took,
        link: link_took,
    })
}

/// alice clicks Approve on `card`, then Confirm on the ephemeral prompt.
async fn approve(emu: &Emulator, g: &Guild, card: &MessageRec) -> Result<(), String> {
    let approve =
        click_id(card, |id| matches!(id, CustomId::Approve(_))).map_err(|e| e.to_string())?;
    let i = emu.click_button(g.alice, card.id, &approve);
    let prompt = wait(emu, "the confirmation prompt", |s| {
        s.answers(i.id)
            .find(|m| find_id(m, |id| matches!(id, CustomId::Confirm(_))).is_some())
            .cloned()
    })
    .await?;
    let confirm =
        click_id(&prompt, |id| matches!(id, CustomId::Confirm(_))).map_err(|e| e.to_string())?;
    let i = emu.click_button(g.alice, prompt.id, &confirm);
    wait(emu, "the approval's answer", |s| {
        s.original_response(i.id)
            .filter(|m| m.content.contains("approved"))
            .map(|_| ())
    })
    .await
}

/// The generated config: one plan, a bank transfer, the emulators' addresses.
fn write_config(
    emu: &Emulator,
    panel: &PanelSim,
    g: &Guild,
    dir: &Path,
    tls: bool,
) -> std::path::PathBuf {
    let (guild, _, _) = emu.ids();
    let discord = if tls {
        let ca = dir.join("emulator-ca.pem");
        std::fs::write(&ca, emu.ca_pem()).expect("write the CA");
        format!(
            "api_address = \"{}\"\nca_cert = \"{}\"\n",
            emu.tls_addr().expect("TLS listener"),
            ca.display()
        )
    } else {
        format!("rest_proxy_url = \"{}\"\n", emu.base_url())
    };
    let text = format!(
        r#"
[discord]
token = "{TOKEN}"
guild_id = {guild}
admin_channel_id = {admin}
tickets_category_id = {tickets}
{discord}
[roles]
admin_role_ids = [{admin_role}]

[panel]
base_url = "{panel_url}"
username = "{user}"
password = "{password}"
inbound_id = 1
public_host = "vpn.example.test"

[[plans]]
id = "month"
name = "1 month"
days = 30
traffic_gib = 100
price_minor = 500
currency = "USD"

[[payment_methods]]
id = "bank"
name = "Bank transfer"
instructions = "IBAN DE00 1234 5678"

[orders]
delete_ticket_after_hours = 0

[storage]
data_dir = "{data}"
"#,
        admin = g.admin_channel,
        tickets = g.tickets,
        admin_role = g.admin_role,
        panel_url = panel.base_url(),
        user = panel.profile().username,
        password = panel.profile().password,
        data = dir.join("data").display(),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

fn spawn_bot(config: &Path, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join("bot.out")).expect("the bot's output file");
    let bin = std::env::var_os("BENCH_BOT").map_or_else(
        || env!("CARGO_BIN_EXE_vpn-ticket-bot").into(),
        std::path::PathBuf::from,
    );
    Command::new(bin)
        .arg("--config")
        .arg(config)
        .arg("run")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone"))
        .stderr(log)
        .spawn()
        .expect("the bot starts")
}

fn stop_bot(bot: &mut Child) {
    let _ = Command::new("kill").arg(bot.id().to_string()).status();
    let _ = bot.wait();
}

fn report_throughput(o: &Options, took: Duration, cpu_ticks: u64) {
    let secs = cpu_ticks as f64 / ticks_per_second() as f64;
    println!(
        "{} orders in {:.1} s: {:.1} orders/s; bot CPU {:.2} s = {:.2} ms per order",
        o.orders,
        took.as_secs_f64(),
        o.orders as f64 / took.as_secs_f64(),
        secs,
        secs * 1000.0 / o.orders as f64
    );
}

fn report_memory(idle: u64, rss: &[(usize, u64)], peak: u64) {
    let points: Vec<String> = rss
        .iter()
        .map(|(n, kib)| format!("{n}: {:.1} MiB", kib_to_mib(*kib)))
        .collect();
    println!("RSS after orders: {}", points.join(", "));
    if let (Some(first), Some(last)) = (rss.first(), rss.last())
        && last.0 > first.0
    {
        let slope = (last.1 as f64 - first.1 as f64) / (last.0 - first.0) as f64;
        println!(
            "RSS slope {}→{} orders: {slope:.2} KiB per order",
            first.0, last.0
        );
    }
    println!(
        "peak RSS {:.1} MiB (idle {:.1} MiB)",
        kib_to_mib(peak),
        kib_to_mib(idle)
    );
}

/// REST calls per order: rate-limited (count against the global 50/s) and exempt
/// (interaction callbacks, webhook edits); 429s apart; the busiest rate-limited routes.
fn report_calls(log: &[LogEntry], orders: usize) {
    let mut limited: BTreeMap<String, usize> = BTreeMap::new();
    let (mut exempt, mut too_many) = (0_usize, 0_usize);
    for e in log {
        let (Some((method, route)), Some(status)) = (e.route(), e.status()) else {
            continue;
        };
        if status == 429 {
            too_many += 1;
        } else if route.starts_with("/interactions") || route.starts_with("/webhooks") {
            exempt += 1;
        } else {
            *limited.entry(format!("{method} {route}")).or_default() += 1;
        }
    }
    let total: usize = limited.values().sum();
    let per = |n: usize| n as f64 / orders as f64;
    println!(
        "REST per order: {:.2} rate-limited, {:.2} exempt; {too_many} answered 429; \
         rate-limit floor for these orders {:.1} s (50/s)",
        per(total),
        per(exempt),
        total as f64 / 50.0
    );
    let mut busiest: Vec<(String, usize)> = limited.into_iter().collect();
    busiest.sort_by_key(|b| std::cmp::Reverse(b.1));
    for (route, n) in busiest.iter().take(12) {
        println!("    {:.2}/order  {route}", per(*n));
    }
}

/// Prints the median, 95th and 99th percentile and worst of `times`.
fn report_latency(what: &str, times: impl Iterator<Item = Duration>) {
    let mut v: Vec<Duration> = times.collect();
    v.sort();
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v[i].as_secs_f64() * 1000.0
    };
    println!(
        "  {what:<30} median {:>7.1} ms  p95 {:>7.1} ms  p99 {:>7.1} ms  worst {:>7.1} ms",
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0)
    );
}
