//! Languages end to end: a Russian Discord client gets Russian answers and sees Russian command
//! names; a customer who chose Persian gets a Persian link DM whose link is byte for byte the
//! one the panel's client and inbound define.

use vpn_ticket_bot::discord::custom_id::CustomId;
use vpn_ticket_bot::panel::{PanelApi, XuiClient, link::customer_link};
use vpn_ticket_bot::sim::discord::CommandOption;

use crate::world::{World, custom_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_russian_client_gets_russian_replies_and_command_names() {
    let w = World::start().await;
    let names = w.emu.read(|s| {
        let order = s.commands.iter().find(|c| c["name"] == "order").cloned();
        order.map(|c| c["name_localizations"].clone())
    });
    assert_eq!(names.expect("order registered")["ru"], "заказ");
    w.emu.set_locale(w.carol, "ru");
    let i = w.emu.run_command(w.carol, w.general, "order", &[]);
    let menu = w.reply_to(&i, "Какой тариф вы хотите?").await;
    assert!(
        menu.components[0].to_string().contains("Выберите тариф"),
        "{:?}",
        menu.components
    );
    let plan = CustomId::PlanSelect.to_string();
    let pick = w.emu.select(w.carol, menu.id, &plan, &["month"]);
    let opened = w.reply_to(&pick, "Ваш тикет открыт").await;
    let ticket: u64 = opened.content.split("<#").nth(1).unwrap()[..]
        .split('>')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let welcome = w
        .message_in(ticket, "the Russian welcome", |m| {
            m.content.contains("добро пожаловать")
        })
        .await;
    assert!(
        welcome.embeds[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Заказ №")
    );
    // A refusal is Russian too: a second order while this one is open.
    let i = w.emu.run_command(w.carol, w.general, "order", &[]);
    let menu = w.reply_to(&i, "Какой тариф").await;
    let pick = w.emu.select(w.carol, menu.id, &plan, &["month"]);
    w.reply_to(&pick, "У вас уже есть открытый заказ").await;
    // Someone on an English client in the same guild still reads English.
    let i = w.emu.run_command(w.mallory, w.general, "help", &[]);
    w.reply_to(&i, "Run `/order` and pick a plan").await;
    w.stop().await;
}

/// The link the panel's client of `user` and its inbound define (the shop's remark and host).
async fn link_on_panel(w: &World, user: u64) -> String {
    let client = w.sim.client(&format!("u{user}")).expect("panel client");
    let cfg = &w.app.config.panel;
    let inbound = XuiClient::new(cfg)
        .unwrap()
        .inbound(cfg.inbound_id)
        .await
        .unwrap();
    customer_link(
        &inbound,
        &client.id,
        &client.email,
        &client.sub_id,
        &cfg.public_host,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_chose_persian_gets_a_persian_dm_with_the_panels_exact_link() {
    let w = World::start().await;
    // A Russian client choosing Persian: the choice wins (Discord has no Persian locale).
    w.emu.set_locale(w.carol, "ru");
    let i = w.emu.run_command(
        w.carol,
        w.general,
        "language",
        &[CommandOption::Int("choice", 2)],
    );
    w.reply_to(&i, "به فارسی").await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    let welcome = w
        .message_in(ticket, "the Persian welcome", |m| {
            custom_ids(m).contains(&CustomId::CancelOrder(order).to_string())
        })
        .await;
    assert!(
        welcome.content.contains("به تیکت خود خوش آمدید"),
        "{}",
        welcome.content
    );
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 7, 1).await;
    w.approve(&card).await;
    let dm = w.dm(w.carol, "vless://").await.expect("link DM");
    assert!(
        dm.content.contains("دسترسی VPN شما آماده است"),
        "{}",
        dm.content
    );
    let sent = dm
        .content
        .split("```\n")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the link in its own code block");
    let on_panel = link_on_panel(&w, w.carol).await;
    assert_eq!(sent.as_bytes(), on_panel.as_bytes());
    assert!(
        !dm.content
            .contains(['\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}']),
        "bidi marks in {:?}",
        dm.content
    );
    w.stop().await;
}
