//! What people do in the staged guild: order, pick, upload, approve, as the emulator's driver.

use crate::discord::custom_id::CustomId;
use crate::domain::{OrderId, UserId};
use crate::sim::discord::state::MessageRec;
use crate::sim::discord::{CommandOption, InteractionRef};
use crate::store;

use super::waiting::{click_id, custom_ids};
use super::{StepError, World};

/// What people do.
impl World {
    /// `/order` → the plan select (ephemeral) → pick `plan` → the ticket channel; returns the
    /// ticket channel and the order id.
    ///
    /// # Errors
    /// A step that did not happen, or a ticket that does not match the open order.
    pub async fn open_ticket(&self, user: u64) -> Result<(u64, OrderId), StepError> {
        self.open_ticket_via(user, "order", &[]).await
    }

    /// [`World::open_ticket`] through `command` (`order`, `renew`, `gift`) with `options`
    /// (a promo code...).
    ///
    /// # Errors
    /// As [`World::open_ticket`].
    pub async fn open_ticket_via(
        &self,
        user: u64,
        command: &str,
        options: &[CommandOption],
    ) -> Result<(u64, OrderId), StepError> {
        let pick = self.pick_plan_via(user, command, options).await?;
        let answer = self.reply_to(&pick, "<#").await?;
        let ticket: u64 = answer
            .content
            .split("<#")
            .nth(1)
            .and_then(|r| r.split('>').next())
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| {
                StepError::Unexpected(format!("no ticket mention in {:?}", answer.content))
            })?;
        let order = self
            .app
            .store
            .call(move |c| store::orders::find_open_for_user(c, UserId(user)))
            .await
            .map_err(|e| StepError::Unexpected(format!("reading the open order: {e}")))?
            .ok_or_else(|| StepError::Unexpected(format!("no open order for {user}")))?;
        if order.ticket_channel_id.map(|c| c.0) != Some(ticket) {
            return Err(StepError::Unexpected(format!(
                "order {} is not tied to ticket {ticket}",
                order.id
            )));
        }
        Ok((ticket, order.id))
    }

    /// `/order` → waits for the plan select (it must be ephemeral) → picks the "month" plan;
    /// returns the pick's interaction, whose answer is the ticket or a refusal.
    ///
    /// # Errors
    /// No plan select, or one everybody sees.
    pub async fn pick_plan(&self, user: u64) -> Result<InteractionRef, StepError> {
        self.pick_plan_via(user, "order", &[]).await
    }

    /// [`World::pick_plan`] through `command` with `options`; the plan select's own custom_id
    /// (plain, with a promo code, or a gift's) is the one picked from.
    ///
    /// # Errors
    /// As [`World::pick_plan`].
    pub async fn pick_plan_via(
        &self,
        user: u64,
        command: &str,
        options: &[CommandOption],
    ) -> Result<InteractionRef, StepError> {
        let i = self.emu.run_command(user, self.general, command, options);
        let menu = self
            .wait("the plan select", |s| {
                s.original_response(i.id)
                    .filter(|m| !m.components.is_empty())
                    .cloned()
            })
            .await?;
        if !menu.is_ephemeral() {
            return Err(StepError::Unexpected(
                "the plan select is visible to everyone".into(),
            ));
        }
        let plan_select = click_id(&menu, |id| {
            matches!(
                id,
                CustomId::PlanSelect | CustomId::PlanSelectWithCode(_) | CustomId::GiftPlanSelect
            )
        })?;
        Ok(self.emu.select(user, menu.id, &plan_select, &["month"]))
    }

    /// Picks the bank transfer in the ticket; returns the instructions message.
    ///
    /// # Errors
    /// A step that did not happen.
    pub async fn pick_method(
        &self,
        user: u64,
        ticket: u64,
        order: OrderId,
    ) -> Result<MessageRec, StepError> {
        let select_id = CustomId::MethodSelect(order).to_string();
        let welcome = self
            .message_in(ticket, "the payment method select", |m| {
                custom_ids(m).contains(&select_id)
            })
            .await?;
        self.emu.select(user, welcome.id, &select_id, &["bank"]);
        self.message_in(ticket, "the payment instructions", |m| {
            m.content.contains("IBAN DE00 1234 5678")
        })
        .await
    }

    /// Picks the Crypto Pay method in the ticket and waits for the invoice message (a link
    /// button to pay, "I paid — check now"); returns it and the invoice id.
    ///
    /// # Errors
    /// A step that did not happen, or no invoice stored for the order.
    pub async fn pick_crypto(
        &self,
        user: u64,
        ticket: u64,
        order: OrderId,
    ) -> Result<(MessageRec, crate::cryptopay::InvoiceId), StepError> {
        let select_id = CustomId::MethodSelect(order).to_string();
        let welcome = self
            .message_in(ticket, "the payment method select", |m| {
                custom_ids(m).contains(&select_id)
            })
            .await?;
        self.emu.select(user, welcome.id, &select_id, &["crypto"]);
        let check = CustomId::CheckInvoice(order).to_string();
        let invoice = self
            .message_in(ticket, "the Crypto Pay invoice", |m| {
                custom_ids(m).contains(&check)
            })
            .await?;
        let id = self
            .app
            .store
            .call(move |c| store::crypto_invoices::latest_for_order(c, order))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.invoice_id)
            .ok_or_else(|| {
                StepError::Unexpected(format!("no invoice stored for order #{order}"))
            })?;
        Ok((invoice, crate::cryptopay::InvoiceId(id)))
    }

    /// The customer pays `invoice` in "@CryptoBot" (the emulator) and presses "I paid — check
    /// now" on the invoice message; returns the DM with the link.
    ///
    /// # Errors
    /// A step that did not happen.
    pub async fn pay_and_check(
        &self,
        user: u64,
        invoice_message: &MessageRec,
        invoice: crate::cryptopay::InvoiceId,
    ) -> Result<MessageRec, StepError> {
        if !self.pay.pay(invoice) {
            return Err(StepError::Unexpected(format!(
                "invoice {invoice} is not payable"
            )));
        }
        let i = self.emu.click_button(
            user,
            invoice_message.id,
            &click_id(invoice_message, |id| {
                matches!(id, CustomId::CheckInvoice(_))
            })?,
        );
        self.reply_to(&i, "Payment received").await?;
        self.dm(user, "vless://").await
    }

    /// Posts a message with the picture `png` (named `file_name`) in the ticket.
    ///
    /// # Errors
    /// [`StepError::Unexpected`] when Discord refuses the message (e.g. the ticket is locked).
    pub fn send_receipt(
        &self,
        user: u64,
        ticket: u64,
        file_name: &str,
        png: Vec<u8>,
    ) -> Result<(), StepError> {
        self.emu
            .user_message(user, ticket, "here is my payment", Some((file_name, png)))
            .map(|_| ())
            .map_err(|e| StepError::Unexpected(format!("the upload was refused: {e:?}")))
    }

    /// Uploads a receipt and waits for the `nth` review card (from 1) in the admin channel.
    ///
    /// # Errors
    /// As [`World::send_receipt`], or no card.
    pub async fn upload(
        &self,
        user: u64,
        ticket: u64,
        png: Vec<u8>,
        nth: usize,
    ) -> Result<MessageRec, StepError> {
        self.send_receipt(user, ticket, "pay.png", png)?;
        self.review_card(nth).await
    }

    /// Waits for the `nth` review card (from 1: a "Payment #…" embed with the receipt attached)
    /// in the admin channel.
    ///
    /// # Errors
    /// [`StepError::Timeout`].
    pub async fn review_card(&self, nth: usize) -> Result<MessageRec, StepError> {
        let admin = self.admin_channel;
        self.wait(&format!("review card #{nth}"), |s| {
            s.messages_in(admin)
                .into_iter()
                .filter(|m| {
                    !m.attachments.is_empty()
                        && m.embeds.iter().any(|e| {
                            e["title"]
                                .as_str()
                                .is_some_and(|t| t.starts_with("Payment #"))
                        })
                })
                .nth(nth.saturating_sub(1))
                .cloned()
        })
        .await
    }

    /// Alice (admin) clicks Approve on `card`, then Confirm on the ephemeral prompt; returns
    /// the prompt and the answer to Confirm.
    ///
    /// # Errors
    /// A step that did not happen.
    pub async fn approve(&self, card: &MessageRec) -> Result<(MessageRec, MessageRec), StepError> {
        let i = self.emu.click_button(
            self.alice,
            card.id,
            &click_id(card, |id| matches!(id, CustomId::Approve(_)))?,
        );
        let prompt = self.reply_to(&i, "Approve payment").await?;
        let i = self.emu.click_button(
            self.alice,
            prompt.id,
            &click_id(&prompt, |id| matches!(id, CustomId::Confirm(_)))?,
        );
        let answer = self.reply_to(&i, "approved: client").await?;
        Ok((prompt, answer))
    }
}
