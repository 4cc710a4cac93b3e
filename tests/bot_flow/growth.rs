//! Growth through the real bot and both emulators: `/trial`, a promo code at `/order`,
//! `/referral` (code, bind, reward), a gift bought with `/gift` and redeemed with `/redeem`,
//! and a ban refusing every way in.

use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::sim::discord::CommandOption;
use vpn_ticket_bot::store;

use crate::world::World;

/// The customer's link on the panel: the DM carries the client's uuid.
fn client_id(w: &World, user: u64) -> String {
    w.sim
        .clients()
        .into_iter()
        .find(|c| c.email == format!("u{user}"))
        .unwrap_or_else(|| panic!("no panel client for {user}"))
        .id
}

/// The first line of the first code block of `text` (a referral code, a gift token).
fn code_block(text: &str) -> String {
    text.split("```\n")
        .nth(1)
        .and_then(|b| b.lines().next())
        .unwrap_or_else(|| panic!("no code block in {text:?}"))
        .to_owned()
}

/// Upload a receipt, approve it; the customer's DM saying `dm_text` arrives.
async fn pay_and_approve(w: &World, user: u64, ticket: u64, seed: u64, nth: usize) -> String {
    let (card, _) = w.upload(user, ticket, seed, nth).await;
    w.approve(&card).await;
    card.embeds[0].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trial_promo_referral_gift_and_ban_through_discord() {
    let w = World::start().await;
    trial_and_referral_code(&w).await;
    promo_order_and_referral_reward(&w).await;
    let dave = gift_bought_and_redeemed(&w).await;
    ban_refuses_every_way_in(&w, dave).await;
    w.stop().await;
}

async fn trial_and_referral_code(w: &World) {
    // carol takes the trial: a link by DM, no ticket, no sale.
    let i = w.emu.run_command(w.carol, w.general, "trial", &[]);
    w.reply_to(&i, "Your free trial is ready").await;
    let dm = w.inner().dm(w.carol, "vless://").await.unwrap();
    assert!(dm.content.contains(&client_id(w, w.carol)));
    let i = w.emu.run_command(w.carol, w.general, "trial", &[]);
    w.reply_to(&i, "already had your free trial").await;

    // carol's referral code; mallory binds it before her first order.
    let i = w.emu.run_command(w.carol, w.general, "referral", &[]);
    let shown = w.reply_to(&i, "Your referral code").await;
    let code = code_block(&shown.content);
    let bind = [CommandOption::Str("code", code.clone())];
    let i = w.emu.run_command(w.mallory, w.general, "referral", &bind);
    w.reply_to(&i, "brought you here").await;
}

async fn promo_order_and_referral_reward(w: &World) {
    // alice creates a half-price code; mallory orders with it and pays 2.50.
    let create = [
        CommandOption::Str("code", "HALF-OFF".into()),
        CommandOption::Int("kind", 0),
        CommandOption::Int("value", 50),
    ];
    let i = w
        .emu
        .run_subcommand_group(w.alice, w.general, ("admin", "promo", "create"), &create);
    w.reply_to(&i, "HALF-OFF").await;
    let promo = [CommandOption::Str("promo", "half-off".into())];
    let (ticket, order) = w
        .inner()
        .open_ticket_via(w.mallory, "order", &promo)
        .await
        .unwrap();
    w.pick_method(w.mallory, ticket, order).await;
    let card = pay_and_approve(w, w.mallory, ticket, 31, 1).await;
    assert!(card.contains("2.50 USD"), "{card}");
    w.inner().dm(w.mallory, "vless://").await.unwrap();

    // The referral reward (the job's pass): 7 days for carol, once, told by DM.
    let carol = w.carol;
    let before = w
        .app
        .store
        .call(move |c| store::users::get(c, UserId(carol)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(w.app.growth.apply_referral_rewards_once().await.unwrap(), 1);
    assert_eq!(w.app.growth.apply_referral_rewards_once().await.unwrap(), 0);
    let after = w
        .app
        .store
        .call(move |c| store::users::get(c, UserId(carol)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.expiry_at.unwrap() - before.expiry_at.unwrap(),
        7 * 86_400_000
    );
    w.inner().dm(w.carol, "7 days were added").await.unwrap();
}

/// Returns dave, who redeemed the gift.
async fn gift_bought_and_redeemed(w: &World) -> u64 {
    // sam buys a gift; its code comes by DM; dave redeems it; sam cannot.
    let (ticket, order) = w.inner().open_ticket_via(w.sam, "gift", &[]).await.unwrap();
    w.pick_method(w.sam, ticket, order).await;
    pay_and_approve(w, w.sam, ticket, 32, 2).await;
    let gift_dm = w.inner().dm(w.sam, "Your gift").await.unwrap();
    let token = code_block(&gift_dm.content);
    let redeem = [CommandOption::Str("code", token.clone())];
    let i = w.emu.run_command(w.sam, w.general, "redeem", &redeem);
    w.reply_to(&i, "cannot redeem your own").await;
    let dave = w.emu.add_user("dave", &[]);
    let i = w.emu.run_command(dave, w.general, "redeem", &redeem);
    w.reply_to(&i, "Your gift is ready").await;
    let dm = w.inner().dm(dave, "vless://").await.unwrap();
    assert!(dm.content.contains(&client_id(w, dave)));
    let stored = w
        .app
        .store
        .call(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM outbox WHERE payload LIKE '%' || ?1 || '%'",
                [token],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, 0, "the delivered token is gone from the outbox");
    dave
}

async fn ban_refuses_every_way_in(w: &World, dave: u64) {
    // alice bans dave: every way in is refused with the reason; he is told.
    let ban = [
        CommandOption::User("customer", dave),
        CommandOption::Str("reason", "shared his account".into()),
    ];
    let i = w
        .emu
        .run_subcommand(w.alice, w.general, "admin", "ban", &ban);
    w.reply_to(&i, "is banned").await;
    w.inner().dm(dave, "shared his account").await.unwrap();
    let i = w.emu.run_command(dave, w.general, "trial", &[]);
    w.reply_to(&i, "shared his account").await;
    let pick = w.pick_plan(dave).await;
    w.reply_to(&pick, "cannot place orders").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_access_while_the_receipt_waits_is_raised_on_approval() {
    let w = World::start_provisional().await;
    let (ticket, order) = w.open_ticket(w.carol).await;
    w.pick_method(w.carol, ticket, order).await;
    let (card, _) = w.upload(w.carol, ticket, 41, 1).await;
    // Before any admin click: the real client with reduced limits, the link marked temporary.
    let temporary = w.inner().dm(w.carol, "Temporary access").await.unwrap();
    let first = w
        .sim
        .clients()
        .into_iter()
        .find(|c| c.email == format!("u{}", w.carol))
        .unwrap();
    assert_eq!(first.total_gb, 10 << 30, "10 % of 100 GiB");
    assert!(temporary.content.contains(&first.id));
    w.approve(&card).await;
    let ready = w
        .inner()
        .dm(w.carol, "Your VPN access is ready")
        .await
        .unwrap();
    let full = w
        .sim
        .clients()
        .into_iter()
        .find(|c| c.email == format!("u{}", w.carol))
        .unwrap();
    assert_eq!(
        (full.id.as_str(), full.total_gb),
        (first.id.as_str(), 100 << 30)
    );
    let link = |m: &str| {
        m.split("```\n")
            .nth(1)
            .and_then(|b| b.lines().next())
            .map(str::to_owned)
    };
    assert_eq!(
        link(&ready.content),
        link(&temporary.content),
        "the link never changes"
    );
    w.stop().await;
}
