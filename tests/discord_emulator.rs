//! A poise bot written for this test runs, unmodified, against the Discord emulator in both HTTP
//! modes (serenity's proxy with the rate limiter off, and TLS for `discord.com` with it on), and
//! everything the emulator sent it is parsed back with serenity's own model types.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    ChannelId, ChannelType, CreateActionRow, CreateAttachment, CreateButton, CreateChannel,
    CreateEmbed, CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage,
    FullEvent, GuildId, Interaction, PermissionOverwrite, PermissionOverwriteType, Permissions,
    RoleId, UserId,
};
use vpn_ticket_bot::sim::discord::openapi::OpenApi;
use vpn_ticket_bot::sim::discord::state::{MessageRec, State};
use vpn_ticket_bot::sim::discord::{
    Budget, CommandOption, Emulator, EmulatorConfig, LogEntry, selfcheck,
};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ctx<'a> = poise::Context<'a, Data, Error>;

const T: Duration = Duration::from_secs(20);

struct Data {
    guild: GuildId,
    general: ChannelId,
}

/// Ephemeral pong, then a followup, then edit the first reply.
#[poise::command(slash_command)]
async fn ping(ctx: Ctx<'_>) -> Result<(), Error> {
    let first = ctx
        .send(
            poise::CreateReply::default()
                .content("pong")
                .ephemeral(true),
        )
        .await?;
    ctx.say("followup").await?;
    first
        .edit(ctx, poise::CreateReply::default().content("pong edited"))
        .await?;
    Ok(())
}

/// Defers, then answers (the first followup edits the deferred original).
#[poise::command(slash_command)]
async fn slow(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    ctx.say("slow done").await?;
    Ok(())
}

/// Opens a private ticket channel for a user and posts an embed, a button and a file in it.
#[poise::command(slash_command)]
async fn open(ctx: Ctx<'_>, name: String, user: UserId) -> Result<(), Error> {
    let data = ctx.data();
    let everyone = RoleId::new(data.guild.get());
    let overwrites = vec![
        PermissionOverwrite {
            allow: Permissions::empty(),
            deny: Permissions::VIEW_CHANNEL,
            kind: PermissionOverwriteType::Role(everyone),
        },
        PermissionOverwrite {
            allow: Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES,
            deny: Permissions::empty(),
            kind: PermissionOverwriteType::Member(user),
        },
    ];
    let ch = data
        .guild
        .create_channel(
            ctx,
            CreateChannel::new(name)
                .kind(ChannelType::Text)
                .permissions(overwrites),
        )
        .await?;
    let msg = CreateMessage::new()
        .content(format!("Ticket for <@{user}>"))
        .embed(
            CreateEmbed::new()
                .title("Ticket")
                .description("Describe your problem")
                .field("Plan", "1 month", true),
        )
        .components(vec![
            CreateActionRow::Buttons(vec![CreateButton::new("close").label("Close")]),
            CreateActionRow::SelectMenu(serenity::CreateSelectMenu::new(
                "plan",
                serenity::CreateSelectMenuKind::String {
                    options: vec![
                        serenity::CreateSelectMenuOption::new("1 month", "m1"),
                        serenity::CreateSelectMenuOption::new("3 months", "m3"),
                    ],
                },
            )),
        ])
        .add_file(CreateAttachment::bytes(
            b"hello ticket".to_vec(),
            "hello.txt",
        ));
    ch.id.send_message(ctx, msg).await?;
    ctx.say(format!("opened {}", ch.id)).await?;
    Ok(())
}

/// Answers with a file as the initial response (a multipart interaction callback).
#[poise::command(slash_command)]
async fn receipt(ctx: Ctx<'_>) -> Result<(), Error> {
    let file = CreateAttachment::bytes(b"paid 5 EUR".to_vec(), "receipt.txt");
    ctx.send(
        poise::CreateReply::default()
            .content("your receipt")
            .attachment(file),
    )
    .await?;
    Ok(())
}

/// Only for members whose roles (and the channel's overwrites) grant MANAGE_GUILD.
#[poise::command(slash_command, required_permissions = "MANAGE_GUILD")]
async fn admin(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.say("admin ok").await?;
    Ok(())
}

/// Takes SEND_MESSAGES away from a user in a channel.
#[poise::command(slash_command)]
async fn mute(ctx: Ctx<'_>, channel: ChannelId, user: UserId) -> Result<(), Error> {
    let ow = PermissionOverwrite {
        allow: Permissions::VIEW_CHANNEL,
        deny: Permissions::SEND_MESSAGES,
        kind: PermissionOverwriteType::Member(user),
    };
    channel.create_permission(ctx, ow).await?;
    ctx.say("muted").await?;
    Ok(())
}

#[derive(Debug, poise::Modal)]
struct Feedback {
    text: String,
}

/// Opens a modal and echoes what was typed.
#[poise::command(slash_command)]
async fn feedback(ctx: poise::ApplicationContext<'_, Data, Error>) -> Result<(), Error> {
    let Some(f) = poise::execute_modal::<_, _, Feedback>(ctx, None, Some(T)).await? else {
        return Ok(());
    };
    poise::say_reply(
        poise::Context::Application(ctx),
        format!("thanks: {}", f.text),
    )
    .await?;
    Ok(())
}

/// DMs the caller; reports a refusal.
#[poise::command(slash_command)]
async fn dm(ctx: Ctx<'_>) -> Result<(), Error> {
    let reply = match ctx
        .author()
        .direct_message(ctx, CreateMessage::new().content("hello in private"))
        .await
    {
        Ok(_) => "dm sent".to_owned(),
        Err(serenity::Error::Http(e)) => {
            format!("dm refused: {}", e.status_code().map_or(0, |s| s.as_u16()))
        }
        Err(e) => format!("dm error: {e}"),
    };
    ctx.send(poise::CreateReply::default().content(reply).ephemeral(true))
        .await?;
    Ok(())
}

/// Sends three messages to #general quickly (for the rate-limit test).
#[poise::command(slash_command)]
async fn burst(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    for i in 0..3 {
        ctx.data().general.say(ctx, format!("burst {i}")).await?;
    }
    ctx.say("burst done").await?;
    Ok(())
}

async fn on_event(ctx: &serenity::Context, event: &FullEvent, data: &Data) -> Result<(), Error> {
    match event {
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(c),
        } if c.data.custom_id == "close" => {
            let msg = CreateInteractionResponseMessage::new()
                .content("closed")
                .components(vec![]);
            c.create_response(ctx, CreateInteractionResponse::UpdateMessage(msg))
                .await?;
        }
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(c),
        } if c.data.custom_id == "plan" => {
            let picked = match &c.data.kind {
                serenity::ComponentInteractionDataKind::StringSelect { values } => values.join(","),
                _ => "?".to_owned(),
            };
            let msg = CreateInteractionResponseMessage::new().content(format!("picked {picked}"));
            c.create_response(ctx, CreateInteractionResponse::UpdateMessage(msg))
                .await?;
        }
        FullEvent::ChannelDelete { channel, .. } => {
            data.general
                .say(ctx, format!("channel {} was deleted", channel.name))
                .await?;
        }
        FullEvent::Message { new_message }
            if !new_message.author.bot && !new_message.attachments.is_empty() =>
        {
            let bytes = new_message.attachments[0].download().await?;
            new_message
                .channel_id
                .say(ctx, format!("got {} bytes", bytes.len()))
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Starts the test bot on an `Http` and waits until it registered its commands.
async fn start_bot(emu: &Emulator, http: serenity::Http) -> tokio::task::JoinHandle<()> {
    // Our own clients are built with no_proxy(); serenity's attachment download builds its own,
    // so the harness needs NO_PROXY (set by .cargo/config.toml).
    check_no_proxy();
    capture_serenity_warnings();
    let (guild, general) = emu.read(|s| {
        (
            s.guild_id,
            s.channel_by_name("general").expect("general").id,
        )
    });
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![
                ping(),
                slow(),
                open(),
                mute(),
                feedback(),
                dm(),
                burst(),
                receipt(),
                admin(),
            ],
            event_handler: |fw, event| Box::pin(on_event(fw.serenity_context, event, fw.user_data)),
            ..Default::default()
        })
        .setup(move |ctx, _ready, fw| {
            Box::pin(async move {
                poise::builtins::register_in_guild(
                    ctx,
                    &fw.options().commands,
                    GuildId::new(guild),
                )
                .await?;
                Ok(Data {
                    guild: GuildId::new(guild),
                    general: ChannelId::new(general),
                })
            })
        })
        .build();
    let intents = serenity::GatewayIntents::non_privileged()
        | serenity::GatewayIntents::MESSAGE_CONTENT
        | serenity::GatewayIntents::GUILD_MEMBERS;
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .await
        .expect("client");
    let task = tokio::spawn(async move {
        let _ = client.start().await;
    });
    emu.wait_for(T, |s| (s.commands.len() == 9).then_some(()))
        .await
        .expect("commands registered");
    task
}

/// reqwest honours HTTP(S)_PROXY even for loopback; `Attachment::download` builds its own client.
fn check_no_proxy() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for k in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            assert!(
                std::env::var_os(k).is_none()
                    || std::env::var("NO_PROXY").is_ok_and(|v| v.contains("127.0.0.1")),
                "set NO_PROXY=127.0.0.1,localhost to run these tests ({k} is set)"
            );
        }
    });
}

/// serenity's WARN/ERROR lines about payloads it could not deserialize (its symptom of an
/// emulator bug, next to `Event::Unknown`), captured from every test in this binary.
static PARSE_WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct CaptureParseWarnings;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CaptureParseWarnings {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Msg(String);
        impl tracing::field::Visit for Msg {
            fn record_debug(&mut self, _f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                use std::fmt::Write as _;
                let _ = write!(self.0, "{v:?} ");
            }
        }
        let meta = event.metadata();
        if *meta.level() <= tracing::Level::WARN && meta.target().starts_with("serenity") {
            let mut m = Msg(String::new());
            event.record(&mut m);
            if m.0.contains("deserializ") {
                PARSE_WARNINGS
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(m.0);
            }
        }
    }
}

fn capture_serenity_warnings() {
    use tracing_subscriber::layer::SubscriberExt as _;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(CaptureParseWarnings),
        );
    });
}

fn last_in(s: &State, channel: u64, pred: impl Fn(&MessageRec) -> bool) -> Option<MessageRec> {
    s.messages_in(channel)
        .into_iter()
        .rev()
        .find(|m| pred(m))
        .cloned()
}

/// Every REST body the bot sent passes the lenient check against Discord's OpenAPI description.
fn assert_openapi_valid(emu: &Emulator) {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/discord-api-spec/openapi.json");
    let api = OpenApi::load(&spec).expect("openapi.json");
    let (findings, checked) = api.validate_log(&emu.log());
    assert!(
        findings.is_empty(),
        "bodies the spec rejects: {findings:#?}"
    );
    assert!(checked >= 15, "only {checked} bodies validated");
}

fn assert_serenity_parses(emu: &Emulator, at_least: usize) {
    let warned = PARSE_WARNINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(
        warned.is_empty(),
        "serenity could not deserialize: {warned:#?}"
    );
    let (failures, checked) = selfcheck::check_log(&emu.log());
    assert!(
        failures.is_empty(),
        "payloads serenity cannot parse:\n{}",
        failures.join("\n")
    );
    assert!(checked >= at_least, "only {checked} payloads checked");
}

async fn full_scenario(emu: &Emulator) {
    let (_, bot, _) = emu.ids();
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let alice = emu.add_user("alice", &[]);
    replies(emu, general, alice).await;
    let ticket = ticket_channel(emu, bot, general, alice).await;
    modal_and_dms(emu, general, alice).await;
    // a channel deleted by hand → CHANNEL_DELETE reaches the bot
    assert!(emu.delete_channel_by_hand(ticket));
    emu.wait_for(T, |s| {
        s.messages_in(general)
            .iter()
            .any(|m| m.content == "channel ticket-alice was deleted")
            .then_some(())
    })
    .await
    .expect("delete event");

    assert_serenity_parses(emu, 35);
    assert_openapi_valid(emu);
    let kinds: std::collections::BTreeSet<String> = emu
        .log()
        .iter()
        .filter_map(|e| match e {
            LogEntry::Frame {
                dir: "out", frame, ..
            } => frame["t"].as_str().map(str::to_owned),
            _ => None,
        })
        .collect();
    for k in [
        "READY",
        "GUILD_CREATE",
        "GUILD_MEMBER_ADD",
        "INTERACTION_CREATE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
    ] {
        assert!(kinds.contains(k), "{k} never sent: {kinds:?}");
    }
}

/// Slash command → ephemeral reply → followup → edit, and defer.
async fn replies(emu: &Emulator, general: u64, alice: u64) {
    // slash command → ephemeral reply → followup → edit
    let i = emu.run_command(alice, general, "ping", &[]);
    emu.wait_for(T, |s| {
        s.messages_in(general)
            .iter()
            .any(|m| m.content == "followup")
            .then_some(())
    })
    .await
    .expect("followup");
    let orig = emu
        .wait_for(T, |s| {
            s.original_response(i.id)
                .filter(|m| m.content == "pong edited")
                .cloned()
        })
        .await
        .expect("edit");
    assert!(orig.is_ephemeral());
    assert_eq!(emu.read(|s| s.ephemeral_for(alice).len()), 1);
    assert_eq!(
        emu.read(|s| s.interaction(i.id).and_then(|x| x.ack)),
        Some(4)
    );

    // a file in the initial response (multipart callback), downloaded back
    let i = emu.run_command(alice, general, "receipt", &[]);
    let m = emu
        .wait_for(T, |s| s.original_response(i.id).cloned())
        .await
        .expect("receipt");
    assert_eq!(
        (m.content.as_str(), m.attachments.len()),
        ("your receipt", 1)
    );
    let url = format!(
        "{}/attachments/{}/receipt.txt",
        emu.base_url(),
        m.attachments[0].id
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let body = client
        .get(url)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&body[..], b"paid 5 EUR");

    checks_and_dm_commands(emu, general, alice).await;

    // defer → the first followup edits the original
    let i = emu.run_command(alice, general, "slow", &[]);
    let m = emu
        .wait_for(T, |s| {
            s.original_response(i.id)
                .filter(|m| m.content == "slow done")
                .cloned()
        })
        .await
        .expect("deferred edit");
    assert_eq!(m.flags & 128, 0, "still thinking");
    assert_eq!(
        emu.read(|s| s.interaction(i.id).map(|x| (x.ack, x.followups.len()))),
        Some((Some(5), 0))
    );
}

/// poise's permission check against the emulator's member permissions; a command used in DMs.
async fn checks_and_dm_commands(emu: &Emulator, general: u64, alice: u64) {
    // poise checks the member's permissions the interaction carries
    let i = emu.run_command(alice, general, "admin", &[]);
    let refused = emu
        .wait_for(T, |s| {
            s.ephemeral_for(alice)
                .into_iter()
                .find(|m| m.interaction_id == Some(i.id))
                .cloned()
        })
        .await
        .expect("refusal");
    assert!(
        refused.content.starts_with("You're lacking permissions"),
        "{}",
        refused.content
    );
    let admins = emu.add_role("admins", 1 << 5); // MANAGE_GUILD
    let carol = emu.add_user("carol", &[admins]);
    let i = emu.run_command(carol, general, "admin", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "admin ok")
            .map(|_| ())
    })
    .await
    .expect("admin allowed");

    // a command used in the bot's DMs (the interaction carries `user`, not `member`)
    let dm = emu.dm_channel(alice);
    let i = emu.run_command(alice, dm, "ping", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "pong edited")
            .map(|_| ())
    })
    .await
    .expect("ping in DMs");
    assert!(emu.read(|s| s.messages_in(dm).iter().any(|m| m.content == "followup")));
}

/// Channel with overwrites, embed + button + file, uploads, button click, permission change.
async fn ticket_channel(emu: &Emulator, bot: u64, general: u64, alice: u64) -> u64 {
    // channel with overwrites, message with embed, button and file
    let i = emu.run_command(
        alice,
        general,
        "open",
        &[
            CommandOption::Str("name", "Ticket Alice".into()),
            CommandOption::User("user", alice),
        ],
    );
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content.starts_with("opened"))
            .map(|_| ())
    })
    .await
    .expect("open reply");
    let ticket = emu.read(|s| {
        s.channel_by_name("ticket-alice")
            .expect("ticket channel")
            .id
    });
    let bob = emu.add_user("bob", &[]);
    emu.read(|s| {
        assert!(s.can_view(alice, ticket) && s.can_send(alice, ticket));
        assert!(!s.can_view(bob, ticket), "bob sees the private ticket");
        assert!(s.can_view(bob, general));
    });
    let posted = emu
        .wait_for(T, |s| last_in(s, ticket, |m| m.author_id == bot))
        .await
        .expect("ticket message");
    assert_eq!(posted.embeds[0]["title"], "Ticket");
    assert_eq!(posted.components[0]["components"][0]["custom_id"], "close");
    assert_eq!(posted.attachments[0].filename, "hello.txt");
    let url = format!(
        "{}/attachments/{}/hello.txt",
        emu.base_url(),
        posted.attachments[0].id
    );
    let body = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(url)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&body[..], b"hello ticket");

    // a user uploads a file; the bot downloads it with Attachment::download
    emu.user_message(alice, ticket, "my log", Some(("log.txt", vec![7; 1234])))
        .expect("upload");
    emu.wait_for(T, |s| last_in(s, ticket, |m| m.content == "got 1234 bytes"))
        .await
        .expect("bot downloaded the upload");

    components(emu, alice, posted.id).await;

    // permission change
    let i = emu.run_command(
        alice,
        general,
        "mute",
        &[
            CommandOption::Channel("channel", ticket),
            CommandOption::User("user", alice),
        ],
    );
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "muted")
            .map(|_| ())
    })
    .await
    .expect("muted");
    emu.read(|s| assert!(s.can_view(alice, ticket) && !s.can_send(alice, ticket)));

    ticket
}

/// Select menu and button click, each answered with UPDATE_MESSAGE.
async fn components(emu: &Emulator, alice: u64, posted: u64) {
    // select menu → UPDATE_MESSAGE
    let i = emu.select(alice, posted, "plan", &["m3"]);
    emu.wait_for(T, |s| {
        s.messages
            .get(&posted)
            .filter(|m| m.content == "picked m3")
            .map(|_| ())
    })
    .await
    .expect("select handled");
    assert_eq!(
        emu.read(|s| s.interaction(i.id).and_then(|x| x.ack)),
        Some(7)
    );

    // button click → UPDATE_MESSAGE
    let i = emu.click_button(alice, posted, "close");
    let updated = emu
        .wait_for(T, |s| {
            s.messages
                .get(&posted)
                .filter(|m| m.content == "closed")
                .cloned()
        })
        .await
        .expect("update");
    assert!(updated.components.is_empty());
    assert_eq!(
        emu.read(|s| s.interaction(i.id).and_then(|x| x.ack)),
        Some(7)
    );
}

/// Modal round trip, DM, DM refused when closed.
async fn modal_and_dms(emu: &Emulator, general: u64, alice: u64) {
    // modal round trip
    let i = emu.run_command(alice, general, "feedback", &[]);
    let modal = emu
        .wait_for(T, |s| s.interaction(i.id).and_then(|x| x.modal.clone()))
        .await
        .expect("modal");
    let field = modal["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("field id")
        .to_owned();
    let submit = emu
        .submit_modal_until_acked(&i, &[(&field, "great service")], Duration::from_secs(2))
        .await
        .expect("submit");
    emu.wait_for(T, |s| {
        s.messages_in(general)
            .iter()
            .any(|m| m.content == "thanks: great service")
            .then_some(())
    })
    .await
    .expect("modal reply");
    assert_eq!(
        emu.read(|s| s.interaction(submit.id).and_then(|x| x.ack)),
        Some(6)
    );

    // DM, then DM refused when closed
    let i = emu.run_command(alice, general, "dm", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "dm sent")
            .map(|_| ())
    })
    .await
    .expect("dm");
    let dms = emu.read(|s| {
        s.dms_of(alice)
            .iter()
            .map(|m| m.content.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        dms.last().map(String::as_str),
        Some("hello in private"),
        "{dms:?}"
    );
    let bob = emu.read(|s| s.user_by_name("bob").expect("bob").id);
    emu.set_dms_closed(bob, true);
    let i = emu.run_command(bob, general, "dm", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "dm refused: 403")
            .map(|_| ())
    })
    .await
    .expect("dm refused");
    assert!(emu.read(|s| s.dms_of(bob).is_empty()));
    assert!(emu.log().iter().any(
        |e| matches!(e, LogEntry::Rest { status: 403, response, .. } if response["code"] == 50007)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poise_bot_in_proxy_mode() {
    let emu = Emulator::start(EmulatorConfig {
        tls: false,
        ..Default::default()
    })
    .await
    .expect("start");
    let bot = start_bot(&emu, emu.http_proxy_mode("proxy-token")).await;
    full_scenario(&emu).await;
    bot.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poise_bot_in_tls_mode() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("start");
    let bot = start_bot(&emu, emu.http_tls_mode("tls-token")).await;
    full_scenario(&emu).await;
    bot.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_drop_resumes_and_next_interaction_arrives() {
    let emu = Emulator::start(EmulatorConfig {
        tls: false,
        ..Default::default()
    })
    .await
    .expect("start");
    let bot = start_bot(&emu, emu.http_proxy_mode("t")).await;
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let alice = emu.add_user("alice", &[]);
    emu.drop_gateway();
    // An event queued while the bot is away must be replayed on resume.
    let i = emu.run_command(alice, general, "ping", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "pong edited")
            .map(|_| ())
    })
    .await
    .expect("answered after resume");
    let log = emu.log();
    let resumes = log
        .iter()
        .filter(|e| matches!(e, LogEntry::Frame { dir: "in", frame, .. } if frame["op"] == 6))
        .count();
    let identifies = log
        .iter()
        .filter(|e| matches!(e, LogEntry::Frame { dir: "in", frame, .. } if frame["op"] == 2))
        .count();
    let resumed_sent = log
        .iter()
        .any(|e| matches!(e, LogEntry::Frame { dir: "out", frame, .. } if frame["t"] == "RESUMED"));
    assert_eq!((resumes, identifies, resumed_sent), (1, 1, true));
    // And a second interaction after the resume.
    let i = emu.run_command(alice, general, "slow", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "slow done")
            .map(|_| ())
    })
    .await
    .expect("second");
    assert_serenity_parses(&emu, 12);
    bot.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_retried_by_serenity_in_tls_mode() {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .expect("start");
    let bot = start_bot(&emu, emu.http_tls_mode("t")).await;
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let alice = emu.add_user("alice", &[]);
    let route = "/channels/{channel_id}/messages";
    emu.set_rate_limit(
        "POST",
        route,
        Budget {
            limit: 1,
            window: Duration::from_millis(400),
            announce: false,
        },
    );
    let i = emu.run_command(alice, general, "burst", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "burst done")
            .map(|_| ())
    })
    .await
    .expect("burst done");
    let log = emu.log();
    let timed: Vec<(u64, u16)> = log
        .iter()
        .filter_map(|e| match e {
            LogEntry::Rest {
                at_ms,
                method,
                route: r,
                status,
                ..
            } if method == "POST" && r == route => Some((*at_ms, *status)),
            _ => None,
        })
        .collect();
    let posts: Vec<u16> = timed.iter().map(|(_, s)| *s).collect();
    // serenity waited for Retry-After before each retry.
    for w in timed.windows(2) {
        if w[0].1 == 429 {
            assert!(w[1].0 >= w[0].0 + 300, "retried too early: {timed:?}");
        }
    }
    // The log as JSON lines: one line per entry.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log.jsonl");
    emu.write_log(&path).expect("log");
    let lines = std::fs::read_to_string(&path).expect("read log");
    assert!(lines.lines().count() >= log.len());
    assert!(lines.lines().any(|l| l.contains("\"status\":429")));
    assert_eq!(posts.iter().filter(|s| **s == 200).count(), 3, "{posts:?}");
    assert!(posts.contains(&429), "no 429 was served: {posts:?}");
    assert_eq!(
        emu.read(|s| s
            .messages_in(general)
            .iter()
            .filter(|m| m.content.starts_with("burst ") && m.content != "burst done")
            .count()),
        3
    );

    // The global limit: 429s carry X-RateLimit-Global; interaction routes are exempt.
    emu.clear_rate_limits();
    let before = emu.log().len();
    emu.set_global_rate_limit(Some(Budget {
        limit: 1,
        window: Duration::from_millis(400),
        announce: false,
    }));
    let i = emu.run_command(alice, general, "burst", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "burst done")
            .map(|_| ())
    })
    .await
    .expect("burst done under the global limit");
    let log = emu.log();
    let global_429s = log[before..]
        .iter()
        .filter(|e| matches!(e, LogEntry::Rest { status: 429, response, .. } if response["global"] == true))
        .count();
    assert!(global_429s > 0, "no global 429");
    let exempt_429s = log[before..]
        .iter()
        .filter(|e| matches!(e, LogEntry::Rest { status: 429, route, .. } if !route.starts_with("/channels")))
        .count();
    assert_eq!(exempt_429s, 0);
    assert_eq!(
        emu.read(|s| s
            .messages_in(general)
            .iter()
            .filter(|m| m.content.starts_with("burst ") && m.content != "burst done")
            .count()),
        6
    );
    bot.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_session_on_resume_makes_serenity_identify_again() {
    let emu = Emulator::start(EmulatorConfig {
        tls: false,
        ..Default::default()
    })
    .await
    .expect("start");
    let bot = start_bot(&emu, emu.http_proxy_mode("t")).await;
    let general = emu.read(|s| s.channel_by_name("general").expect("general").id);
    let alice = emu.add_user("alice", &[]);
    emu.fail_next_resume();
    emu.drop_gateway();
    // serenity's shard queuer waits 5 s between identifies. Wait for the second READY: before
    // it there is no session, and Discord delivers nothing then.
    let ready_twice = |s: &State| {
        let n = s
            .log()
            .iter()
            .filter(
                |e| matches!(e, LogEntry::Frame { dir: "out", frame, .. } if frame["t"] == "READY"),
            )
            .count();
        (n == 2).then_some(())
    };
    emu.wait_for(Duration::from_secs(30), ready_twice)
        .await
        .expect("re-identify");
    let op9 = emu
        .log()
        .iter()
        .any(|e| matches!(e, LogEntry::Frame { dir: "out", frame, .. } if frame["op"] == 9));
    assert!(op9, "no invalid session was sent");
    let i = emu.run_command(alice, general, "ping", &[]);
    emu.wait_for(T, |s| {
        s.original_response(i.id)
            .filter(|m| m.content == "pong edited")
            .map(|_| ())
    })
    .await
    .expect("answered on the new session");
    bot.abort();
}
