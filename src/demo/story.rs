//! The demo's story, played through the real bot against both emulators, printing what each
//! person sees. Every step waits for the bot's visible effect (a message, a DM, a panel client)
//! and checks it; the first step that does not happen ends the story with its reason.
//!
//! 1. carol orders a plan: a private ticket opens (carol and staff see it, mallory does not);
//! 2. she picks the bank transfer and reads the instructions;
//! 3. she uploads her receipt (`assets/demo-receipt.png`): the ticket locks, a review card
//!    with the receipt reaches the admin channel;
//! 4. alice (admin) approves and confirms with the one-time token;
//! 5. carol gets a DM with her `vless://` link, subscription URL and QR code; the client exists
//!    on the panel; the revenue dashboard shows the sale;
//! 6. mallory orders and uploads the same picture: refused as a duplicate, no card;
//! 7. mallory pays by Crypto Pay instead: an invoice in the ticket, paid in "@CryptoBot" (the
//!    emulator), "I paid — check now", her link by DM with no admin click; the review channel
//!    shows the sale;
//! 8. the panel goes down: the owner gets a DM; carol's renewal order is refused;
//! 9. the panel recovers: the owner is told, and carol's order goes through;
//! 10. ivan, on a Russian Discord client, is served in Russian from `/order` to the link DM
//!     (`story_ru`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::world::{StepError, World, WorldOptions, click_id};
use super::{DemoError, DemoOptions, DemoReport, RECEIPT_PNG, STEPS};
use crate::discord::custom_id::CustomId;
use crate::domain::OrderId;
use crate::sim::discord::state::MessageRec;
use crate::sim::panel::Fault;

/// Plays the story, printing to stdout; `Ok` only if every step happened.
///
/// # Errors
/// [`DemoError::Step`] naming the first step that did not happen (the world is stopped, the
/// record written); [`DemoError::Setup`]; [`DemoError::Record`].
pub async fn run(options: DemoOptions) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    println!(
        "vpn-ticket-bot demo: a Discord guild and a 3x-ui panel (v3.6.0), both emulated on this \
         machine, with the real bot in between.\n"
    );
    let world = World::start(WorldOptions {
        // The real health monitor on the real panel client, checking every second; two failed
        // checks make an outage (production: 60 s and 3).
        health_interval_secs: 1,
        health_failure_threshold: 2,
        ..WorldOptions::default()
    })
    .await
    .map_err(DemoError::Setup)?;
    let mut world = world;
    let monitor = world
        .monitor
        .take()
        .ok_or_else(|| DemoError::Setup(StepError::Setup("no health monitor".into())))?;
    let monitor_stop = tokio_util::sync::CancellationToken::new();
    let monitor_task = monitor.spawn(monitor_stop.clone());
    world.introduce();

    let story = Story {
        w: &world,
        step: AtomicUsize::new(0),
    };
    let outcome = story.play().await;
    let steps = story.step.load(Ordering::SeqCst);
    monitor_stop.cancel();
    let _ = monitor_task.await;
    let logged = world.emu.log().len();
    if let Some(path) = &options.record {
        world
            .emu
            .write_log(path)
            .map_err(|source| DemoError::Record {
                path: path.clone(),
                source,
            })?;
    }
    let aborted = world.stop().await;
    if !aborted.is_empty() {
        tracing::warn!(?aborted, "jobs aborted when the demo stopped");
    }
    finish(outcome, steps, started, logged, &options)
}

/// The demo's end: the summary line and the report, or the step that did not happen.
fn finish(
    outcome: Result<(), (&'static str, StepError)>,
    steps: usize,
    started: Instant,
    logged: usize,
    options: &DemoOptions,
) -> Result<DemoReport, DemoError> {
    match outcome {
        Ok(()) => {
            let took = started.elapsed();
            println!(
                "\nAll {STEPS} steps happened in {:.1} s. The emulator logged {logged} requests \
                 and gateway frames{}.",
                took.as_secs_f64(),
                options
                    .record
                    .as_ref()
                    .map(|p| format!(" (written to {})", p.display()))
                    .unwrap_or_default()
            );
            Ok(DemoReport {
                steps,
                took,
                logged,
            })
        }
        Err((title, source)) => {
            println!("\n  ✗ this did not happen: {source}");
            Err(DemoError::Step {
                step: steps,
                title,
                source,
            })
        }
    }
}

pub(super) struct Story<'a> {
    pub(super) w: &'a World,
    step: AtomicUsize,
}

pub(super) type StepResult = Result<(), (&'static str, StepError)>;

impl Story<'_> {
    pub(super) fn begin(
        &self,
        title: &'static str,
    ) -> impl Fn(StepError) -> (&'static str, StepError) {
        let n = self.step.fetch_add(1, Ordering::SeqCst) + 1;
        println!("\n{n}/{STEPS}  {title}");
        move |e| (title, e)
    }

    async fn play(&self) -> StepResult {
        let (ticket, order) = self.order().await?;
        self.pay(ticket, order).await?;
        let card = self.receipt(ticket).await?;
        self.approve(&card).await?;
        let dashboard = self.delivered().await?;
        let (m_ticket, m_order) = self.reuse(dashboard).await?;
        self.crypto(m_ticket, m_order).await?;
        self.outage().await?;
        self.recovery().await?;
        self.in_russian().await
    }

    async fn order(&self) -> Result<(u64, OrderId), (&'static str, StepError)> {
        let (w, carol) = (self.w, self.w.carol);
        let fail = self.begin("carol orders a plan");
        println!("  carol runs /order in #general and picks \"1 month\"");
        let (ticket, order) = w.open_ticket(carol).await.map_err(&fail)?;
        let (carol_sees, alice_sees, mallory_sees) = w.emu.read(|s| {
            (
                s.can_view(carol, ticket),
                s.can_view(w.alice, ticket),
                s.can_view(w.mallory, ticket),
            )
        });
        if !(carol_sees && alice_sees) || mallory_sees {
            return Err(fail(StepError::Unexpected(format!(
                "ticket visibility: carol {carol_sees}, alice {alice_sees}, mallory {mallory_sees}"
            ))));
        }
        let ticket_name = w.channel_name(ticket);
        println!(
            "  → a private channel {ticket_name} opens: carol and the staff see it, mallory does \
             not"
        );
        let welcome = w
            .message_in(ticket, "the ticket's welcome", |m| !m.components.is_empty())
            .await
            .map_err(&fail)?;
        w.show("carol", &format!("in {ticket_name}"), &welcome);
        Ok((ticket, order))
    }

    async fn pay(&self, ticket: u64, order: OrderId) -> StepResult {
        let (w, carol) = (self.w, self.w.carol);
        let ticket_name = w.channel_name(ticket);
        let fail = self.begin("carol picks how to pay");
        println!("  carol picks \"Bank transfer\"");
        let instructions = w.pick_method(carol, ticket, order).await.map_err(&fail)?;
        w.show("carol", &format!("in {ticket_name}"), &instructions);
        Ok(())
    }

    async fn receipt(&self, ticket: u64) -> Result<MessageRec, (&'static str, StepError)> {
        let (w, carol) = (self.w, self.w.carol);
        let ticket_name = w.channel_name(ticket);
        let fail = self.begin("carol uploads her payment screenshot");
        println!(
            "  carol posts assets/demo-receipt.png ({} KB) in {ticket_name}",
            RECEIPT_PNG.len() / 1024
        );
        let card = w
            .upload(carol, ticket, RECEIPT_PNG.to_vec(), 1)
            .await
            .map_err(&fail)?;
        let ack = w
            .message_in(ticket, "the receipt acknowledgement", |m| {
                m.content.contains("waiting for an admin")
            })
            .await
            .map_err(&fail)?;
        w.show("carol", &format!("in {ticket_name}"), &ack);
        w.wait("the ticket locked for carol", |s| {
            (!s.can_send(carol, ticket)).then_some(())
        })
        .await
        .map_err(&fail)?;
        println!("  → the ticket is locked: carol can read it but not write while it is reviewed");
        let same_bytes = w.emu.read(|s| {
            card.attachments
                .first()
                .and_then(|a| s.file(a.id))
                .is_some_and(|f| f == RECEIPT_PNG)
        });
        if !same_bytes {
            return Err(fail(StepError::Unexpected(
                "the review card does not carry the uploaded receipt".into(),
            )));
        }
        w.show("the admins", "in #admin-review", &card);
        Ok(card)
    }

    async fn approve(&self, card: &MessageRec) -> StepResult {
        let w = self.w;
        let fail = self.begin("alice approves, then confirms");
        println!("  alice clicks Approve on the card");
        let (prompt, confirmed) = w.approve(card).await.map_err(&fail)?;
        w.show("alice", "(only she)", &prompt);
        println!("  alice clicks Confirm within the 5 minutes its one-time token lives");
        w.show("alice", "(only she)", &confirmed);
        Ok(())
    }

    /// Returns the dashboard message.
    async fn delivered(&self) -> Result<MessageRec, (&'static str, StepError)> {
        let (w, carol) = (self.w, self.w.carol);
        let fail = self.begin("carol receives her VPN link");
        let dm = w.dm(carol, "vless://").await.map_err(&fail)?;
        w.show("carol", "in her DMs", &dm);
        let email = format!("u{carol}");
        let client = w.sim.client(&email).ok_or_else(|| {
            fail(StepError::Unexpected(format!(
                "no client {email} on the panel"
            )))
        })?;
        if !dm.content.contains(&format!("vless://{}@", client.id)) || dm.attachments.is_empty() {
            return Err(fail(StepError::Unexpected(
                "the DM does not hold the panel client's link and its QR code".into(),
            )));
        }
        if !client.enable {
            return Err(fail(StepError::Unexpected(format!(
                "client {email} is disabled on the panel"
            ))));
        }
        let days_left = (client.expiry_time - w.app.clock.now_ms() + 43_200_000) / 86_400_000;
        println!(
            "  → on the panel: client {} (id {}) is enabled on inbound 1, {} GiB, expires in \
             {days_left} days",
            client.email,
            client.id,
            client.total_gb / (1 << 30)
        );
        let admin = w.admin_channel;
        let dashboard = w
            .wait("the revenue dashboard showing the sale", |s| {
                s.messages_in(admin)
                    .into_iter()
                    .find(|m| {
                        let e = serde_json::to_string(&m.embeds).unwrap_or_default();
                        e.contains("Revenue") && e.contains("5.00 USD (1 sale)")
                    })
                    .cloned()
            })
            .await
            .map_err(&fail)?;
        w.show("the admins", "in #admin-review (the dashboard)", &dashboard);
        Ok(dashboard)
    }

    /// Returns mallory's ticket and order (still waiting for a payment).
    async fn reuse(
        &self,
        dashboard: MessageRec,
    ) -> Result<(u64, OrderId), (&'static str, StepError)> {
        let (w, admin) = (self.w, self.w.admin_channel);
        let fail = self.begin("mallory reuses carol's screenshot");
        println!("  mallory runs /order, picks the bank transfer and posts the same picture");
        let (m_ticket, m_order) = w.open_ticket(w.mallory).await.map_err(&fail)?;
        w.pick_method(w.mallory, m_ticket, m_order)
            .await
            .map_err(&fail)?;
        w.send_receipt(w.mallory, m_ticket, "receipt.png", RECEIPT_PNG.to_vec())
            .map_err(&fail)?;
        let refusal = w
            .message_in(m_ticket, "the duplicate refusal", |m| {
                m.content.contains("not accepted")
            })
            .await
            .map_err(&fail)?;
        w.show(
            "mallory",
            &format!("in {}", w.channel_name(m_ticket)),
            &refusal,
        );
        let cards = w.emu.read(|s| {
            s.messages_in(admin)
                .iter()
                .filter(|m| !m.attachments.is_empty() && m.id != dashboard.id)
                .count()
        });
        if cards != 1 {
            return Err(fail(StepError::Unexpected(format!(
                "{cards} review cards in #admin-review, expected only carol's"
            ))));
        }
        println!("  → no review card was posted for it");
        Ok((m_ticket, m_order))
    }

    async fn crypto(&self, ticket: u64, order: OrderId) -> StepResult {
        let (w, mallory) = (self.w, self.w.mallory);
        let place = format!("in {}", w.channel_name(ticket));
        let fail = self.begin("mallory pays by Crypto Pay instead");
        println!("  mallory picks \"Crypto (USDT, TON)\" in her ticket");
        let (invoice_msg, invoice) = w.pick_crypto(mallory, ticket, order).await.map_err(&fail)?;
        w.show("mallory", &place, &invoice_msg);
        println!(
            "  mallory opens the invoice in @CryptoBot (emulated), pays 5.00 USD in USDT, and clicks \"I paid — check now\""
        );
        let dm = w
            .pay_and_check(mallory, &invoice_msg, invoice)
            .await
            .map_err(&fail)?;
        w.show("mallory", "in her DMs", &dm);
        let card = w
            .message_in(w.admin_channel, "the Crypto Pay sale's card", |m| {
                m.content.contains("automatic (Crypto Pay)")
            })
            .await
            .map_err(&fail)?;
        w.show("the admins", "in #admin-review (no click needed)", &card);
        if !card.components.is_empty() {
            return Err(fail(StepError::Unexpected(
                "the automatic sale's card offers Approve/Reject".into(),
            )));
        }
        Ok(())
    }

    async fn outage(&self) -> StepResult {
        let (w, carol) = (self.w, self.w.carol);
        let fail = self.begin("the panel goes down");
        w.sim.set_fault(Fault::Down).await;
        println!("  the 3x-ui panel stops answering (its port is closed)");
        let down = w.dm(w.owner, "panel is down").await.map_err(&fail)?;
        w.show(&w.name(w.owner), "in their DMs", &down);
        println!("  carol runs /order to renew and picks \"1 month\"");
        let pick = w.pick_plan(carol).await.map_err(&fail)?;
        let refused = w
            .reply_to(&pick, "temporarily unavailable")
            .await
            .map_err(&fail)?;
        w.show("carol", "(only she)", &refused);
        Ok(())
    }

    async fn recovery(&self) -> StepResult {
        let (w, carol) = (self.w, self.w.carol);
        let fail = self.begin("the panel recovers");
        w.sim.set_fault(Fault::None).await;
        println!("  the panel answers again");
        let back = w.dm(w.owner, "panel is back").await.map_err(&fail)?;
        w.show(&w.name(w.owner), "in their DMs", &back);
        println!("  carol runs /order again");
        let (renewal, _) = w.open_ticket(carol).await.map_err(&fail)?;
        let welcome = w
            .message_in(renewal, "the renewal ticket's welcome", |m| {
                !m.components.is_empty()
            })
            .await
            .map_err(&fail)?;
        w.show(
            "carol",
            &format!("in {}", w.channel_name(renewal)),
            &welcome,
        );
        let _ = click_id(&welcome, |id| matches!(id, CustomId::MethodSelect(_))).map_err(&fail)?;
        Ok(())
    }
}
