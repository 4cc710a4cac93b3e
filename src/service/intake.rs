//! Receipt intake: one call for a message posted in a ticket channel, live or found by catch-up
//! after downtime. It finds the ticket's open order, skips what is not the customer's or was
//! already handled (the order's `last_message_id`; one message at a time per id in this process),
//! checks the declared size before downloading, runs the receipt pipeline, submits the receipt
//! (the message id recorded in the same transaction) and discards the stored file if the submit
//! is refused, so nothing half-written stays behind.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::domain::{ChannelId, OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::orders::OrderService;
use crate::service::receipts::ReceiptService;
use crate::store::{self, Store};

/// A file attached to a ticket message, as Discord describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the customer gave.
    pub filename: String,
    /// Discord's content type (`image/png`...), if it sent one.
    pub content_type: Option<String>,
    /// Declared size in bytes.
    pub size: u64,
    /// Where to download it (Discord's CDN URL).
    pub url: String,
}

/// A message in a guild channel that may be a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketMessage {
    /// The channel.
    pub channel: ChannelId,
    /// The message id (a snowflake: later messages have larger ids).
    pub message: u64,
    /// Its author.
    pub author: UserId,
    /// Its files, in order.
    pub attachments: Vec<Attachment>,
}

/// Downloads an attachment (the Discord layer implements it over HTTP).
#[async_trait]
pub trait AttachmentSource: Send + Sync {
    /// The bytes of `attachment`.
    ///
    /// # Errors
    /// Why the download failed (network, HTTP status), for the log.
    async fn fetch(&self, attachment: &Attachment) -> std::result::Result<Vec<u8>, String>;
}

/// What became of a ticket message.
#[derive(Debug)]
pub enum Intake {
    /// Not for the shop: no open order in that channel, not the customer's message, no file, or
    /// already handled. Nothing to answer.
    Ignored,
    /// The receipt was accepted: the payment is waiting for review.
    Accepted {
        /// The order.
        order: OrderId,
        /// The new payment.
        payment: PaymentId,
    },
    /// The receipt was refused; the error says why (a user error is safe to show).
    Refused {
        /// The order.
        order: OrderId,
        /// Why.
        error: Error,
    },
}

/// The receipt intake service. Cheap to clone.
#[derive(Clone)]
pub struct ReceiptIntake {
    store: Store,
    orders: OrderService,
    receipts: ReceiptService,
    in_flight: Arc<Mutex<HashSet<u64>>>,
    /// Grants temporary access on an accepted receipt (`orders.provisional_enabled`).
    approval: Option<Arc<crate::service::approval::ApprovalService>>,
}

impl std::fmt::Debug for ReceiptIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptIntake").finish_non_exhaustive()
    }
}

impl ReceiptIntake {
    /// Intake on these services.
    #[must_use]
    pub fn new(store: Store, orders: OrderService, receipts: ReceiptService) -> Self {
        Self {
            store,
            orders,
            receipts,
            in_flight: Arc::default(),
            approval: None,
        }
    }

    /// The same intake granting temporary access on accepted receipts through `approval` (when
    /// `orders.provisional_enabled`).
    #[must_use]
    pub fn with_provisional(
        mut self,
        approval: Arc<crate::service::approval::ApprovalService>,
    ) -> Self {
        self.approval = Some(approval);
        self
    }

    /// Handles `msg` once: see the module docs. The same message seen twice (live and by
    /// catch-up, or twice by catch-up) is handled once.
    ///
    /// # Errors
    /// Store errors finding the order; everything about the receipt itself is an
    /// [`Intake::Refused`].
    pub async fn handle(
        &self,
        msg: &TicketMessage,
        files: &dyn AttachmentSource,
    ) -> Result<Intake> {
        let Some(file) = receipt_file(&msg.attachments) else {
            return Ok(Intake::Ignored);
        };
        let channel = msg.channel;
        let Some(order) = self
            .store
            .call(move |c| store::orders::find_by_ticket_channel(c, channel))
            .await?
        else {
            return Ok(Intake::Ignored);
        };
        let seen = order.last_message_id.is_some_and(|m| m >= msg.message);
        if order.user_id != msg.author || seen {
            return Ok(Intake::Ignored); // staff posting in the ticket, or handled before
        }
        let Some(_guard) = InFlight::claim(&self.in_flight, msg.message) else {
            return Ok(Intake::Ignored); // being handled right now by the other path
        };
        let submitted = self.submit(order.id, msg, file, files).await;
        self.orders.metrics().receipt(receipt_outcome(&submitted));
        let outcome = match submitted.map(|(payment, _)| payment) {
            Ok(payment) => {
                self.provisional(payment).await;
                Intake::Accepted {
                    order: order.id,
                    payment,
                }
            }
            Err(error) => {
                let (id, m) = (order.id, msg.message);
                self.store
                    .call(move |c| store::orders::set_last_message(c, id, m))
                    .await?;
                Intake::Refused {
                    order: order.id,
                    error,
                }
            }
        };
        Ok(outcome)
    }

    /// Temporary access on an accepted receipt, when offered; never fails the intake.
    async fn provisional(&self, payment: crate::domain::PaymentId) {
        if let Some(approval) = &self.approval
            && let Err(e) = approval.grant_provisional(payment).await
        {
            tracing::warn!(%payment, error = %e, "temporary access was not granted");
        }
    }

    /// Records that every message of the ticket of `order` up to `message` was seen (catch-up
    /// read them; those without a receipt need nothing).
    ///
    /// # Errors
    /// Store errors.
    pub async fn seen_up_to(&self, order: OrderId, message: u64) -> Result<()> {
        self.store
            .call(move |c| store::orders::set_last_message(c, order, message))
            .await
            .map(drop)
    }

    async fn submit(
        &self,
        order: OrderId,
        msg: &TicketMessage,
        file: &Attachment,
        files: &dyn AttachmentSource,
    ) -> Result<(PaymentId, bool)> {
        self.receipts.check_declared_size(file.size)?;
        let bytes = files
            .fetch(file)
            .await
            .map_err(|e| Error::Http(format!("downloading the receipt attachment: {e}")))?;
        let accepted = self
            .receipts
            .process(
                msg.author,
                order,
                &file.filename,
                file.content_type.as_deref(),
                bytes,
            )
            .await?;
        let near = accepted.near_duplicate.map(|d| (d.payment, d.distance));
        let submitted = self
            .orders
            .submit_receipt_from(
                msg.author,
                order,
                accepted.receipt.clone(),
                near,
                Some(msg.message),
            )
            .await;
        if submitted.is_err()
            && let Err(d) = self.receipts.discard(&accepted.receipt).await
        {
            tracing::warn!(error = %d, "could not discard an unused receipt file");
        }
        submitted.map(|p| (p, near.is_some()))
    }
}

/// The `outcome` label of a receipt's fate: accepted (flagged as a near duplicate or not), an
/// exact duplicate, not an acceptable image, refused otherwise, or an internal error.
fn receipt_outcome(submitted: &Result<(PaymentId, bool)>) -> &'static str {
    match submitted {
        Ok((_, false)) => "accepted",
        Ok((_, true)) => "near_duplicate",
        Err(Error::User(UserError::DuplicateReceipt { .. })) => "exact_duplicate",
        Err(Error::User(UserError::BadReceipt { .. })) => "invalid",
        Err(Error::User(_)) => "refused",
        Err(_) => "error",
    }
}

/// The receipt among a message's files: the first image (by content type, else by extension),
/// else the first file (the pipeline then says why it is not a receipt).
fn receipt_file(files: &[Attachment]) -> Option<&Attachment> {
    let image = |a: &&Attachment| {
        a.content_type.as_deref().map_or_else(
            || looks_like_image(&a.filename),
            |t| t.starts_with("image/"),
        )
    };
    files.iter().find(image).or_else(|| files.first())
}

fn looks_like_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".webp"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// A message id being handled in this process; released on drop.
struct InFlight<'a>(&'a Mutex<HashSet<u64>>, u64);

impl<'a> InFlight<'a> {
    fn claim(set: &'a Mutex<HashSet<u64>>, id: u64) -> Option<Self> {
        let fresh = set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        fresh.then_some(Self(set, id))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content_type: Option<&str>) -> Attachment {
        Attachment {
            filename: name.into(),
            content_type: content_type.map(Into::into),
            size: 1,
            url: String::new(),
        }
    }

    #[test]
    fn the_receipt_is_the_first_image_among_several_files() {
        let files = [
            file("notes.txt", Some("text/plain")),
            file("shot.PNG", None),
            file("b.jpg", Some("image/jpeg")),
        ];
        assert_eq!(receipt_file(&files).unwrap().filename, "shot.PNG");
        let none = [file("a.pdf", Some("application/pdf"))];
        assert_eq!(receipt_file(&none).unwrap().filename, "a.pdf");
        assert!(receipt_file(&[]).is_none());
    }

    #[test]
    fn a_message_is_handled_by_one_path_at_a_time() {
        let set = Mutex::default();
        let first = InFlight::claim(&set, 7).expect("first claim");
        assert!(InFlight::claim(&set, 7).is_none());
        assert!(InFlight::claim(&set, 8).is_some());
        drop(first);
        assert!(InFlight::claim(&set, 7).is_some());
    }
}
