//! The sweep: compares what Discord shows with what the database says and repairs the
//! difference, for the views the bot owns and for the links it owes. Run as the `sweep` job
//! (every [`SWEEP_PERIOD`] and once at start). The Discord layer looks ([`ViewInspector`]); every
//! decision and repair is here:
//! - every open order's ticket exists (a ticket found gone is handled as a deletion) and shows
//!   the permissions its state implies (else its view is queued again);
//! - every pending payment (and one waiting for the panel) has a live review card that shows its
//!   state (a card found gone is posted again, a stale one re-rendered);
//! - every approved payment's link was delivered: a link DM missing from the outbox is queued
//!   again from the stored link, a link given up is reported to the owners.
//!
//! Each repair is audited as `sweep.repair` with what was found.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::{Delivery, OwnerAlert};
use crate::domain::status::PaymentStatus;
use crate::error::Result;
use crate::service::orders::OrderService;
use crate::service::state::{Target, audit, enqueue};
use crate::store::{self, Store, orders::Order, payments::Payment};
use crate::tasks::Job;

/// How often the sweep runs (it also runs once at start).
pub const SWEEP_PERIOD: Duration = Duration::from_secs(15 * 60);

/// Payments looked at per status and pass.
const BATCH: u32 = 500;

/// What Discord shows of a view, as the Discord layer found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// It exists and shows what the database implies.
    Matches,
    /// It exists but shows something else (what, for the audit entry).
    Differs(String),
    /// It no longer exists (Discord: 10003 Unknown Channel, 10008 Unknown Message).
    Gone,
}

/// Looks at the Discord side of the views (implemented by the Discord layer; tests use doubles).
#[async_trait]
pub trait ViewInspector: Send + Sync + 'static {
    /// The ticket channel of `order` (which has one): exists, and the customer's permissions
    /// match the order's state?
    ///
    /// # Errors
    /// Why Discord could not be asked (the ticket is skipped this pass).
    async fn ticket(&self, order: &Order) -> std::result::Result<Observed, String>;

    /// The review card of `payment` (which has one): exists, and shows its current state?
    ///
    /// # Errors
    /// As [`ViewInspector::ticket`].
    async fn card(&self, payment: &Payment) -> std::result::Result<Observed, String>;
}

/// What one sweep found and repaired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Open tickets looked at.
    pub tickets: usize,
    /// Review cards looked at (or found missing).
    pub cards: usize,
    /// Views queued again (wrong or missing).
    pub repaired_views: usize,
    /// Tickets found deleted (handled as deletions).
    pub tickets_gone: usize,
    /// Link deliveries queued again or reported to the owners.
    pub links: usize,
}

/// The sweep. Cheap to clone.
#[derive(Clone)]
pub struct Sweep {
    store: Store,
    orders: OrderService,
    clock: Clock,
    inspector: Arc<dyn ViewInspector>,
}

impl Sweep {
    /// A sweep of `store` looking at Discord through `inspector`.
    #[must_use]
    pub fn new(
        store: Store,
        orders: OrderService,
        clock: Clock,
        inspector: Arc<dyn ViewInspector>,
    ) -> Self {
        Self {
            store,
            orders,
            clock,
            inspector,
        }
    }

    /// One pass over tickets, cards and links.
    ///
    /// # Errors
    /// Store errors (Discord errors skip the object for this pass).
    pub async fn run_once(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        self.tickets(&mut report).await?;
        self.cards(&mut report).await?;
        self.links(&mut report).await?;
        Ok(report)
    }

    async fn tickets(&self, report: &mut SweepReport) -> Result<()> {
        let open = self
            .store
            .call_blocking(|c| store::orders::list_open_with_ticket(c))
            .await?;
        for o in open {
            report.tickets += 1;
            let Some(channel) = o.ticket_channel_id else {
                continue;
            };
            match self.inspector.ticket(&o).await {
                Ok(Observed::Matches) => {}
                Ok(Observed::Gone) => {
                    self.repaired(Target::Order(o.id), "ticket", "channel deleted", None)
                        .await?;
                    self.orders.ticket_channel_deleted(channel).await?;
                    report.tickets_gone += 1;
                }
                Ok(Observed::Differs(found)) => {
                    let view = Delivery::TicketView { order_id: o.id };
                    self.repaired(Target::Order(o.id), "ticket", &found, Some(view))
                        .await?;
                    report.repaired_views += 1;
                }
                Err(e) => tracing::warn!(order = %o.id, error = %e, "sweep: ticket not checked"),
            }
        }
        Ok(())
    }

    async fn cards(&self, report: &mut SweepReport) -> Result<()> {
        for status in [PaymentStatus::Pending, PaymentStatus::ProvisioningPending] {
            let payments = self
                .store
                .call(move |c| store::payments::list_by_status(c, status, BATCH))
                .await?;
            for p in payments {
                report.cards += 1;
                let found = match p.review_message {
                    None => self.card_missing(&p).await?,
                    Some((_, message)) => match self.inspector.card(&p).await {
                        Ok(Observed::Matches) => None,
                        Ok(Observed::Gone) => {
                            let (id, now) = (p.id, self.clock.now_ms());
                            self.store
                                .call(move |c| {
                                    store::payments::clear_review_message(c, id, message, now)
                                })
                                .await?;
                            Some("card deleted".to_owned())
                        }
                        Ok(Observed::Differs(found)) => Some(found),
                        Err(e) => {
                            tracing::warn!(payment = %p.id, error = %e, "sweep: card not checked");
                            None
                        }
                    },
                };
                if let Some(found) = found {
                    let view = Delivery::ReviewCard { payment_id: p.id };
                    self.repaired(Target::Payment(p.id), "review_card", &found, Some(view))
                        .await?;
                    report.repaired_views += 1;
                }
            }
        }
        Ok(())
    }

    /// A payment without a card: fine while its card delivery is still pending.
    async fn card_missing(&self, p: &Payment) -> Result<Option<String>> {
        let key = Delivery::ReviewCard { payment_id: p.id }.idempotency_key();
        let queued = self
            .store
            .call(move |c| store::outbox::find_by_key(c, &key))
            .await?;
        let pending =
            queued.is_some_and(|i| i.status == crate::domain::status::OutboxStatus::Pending);
        Ok((!pending).then(|| "no card posted".to_owned()))
    }

    async fn links(&self, report: &mut SweepReport) -> Result<()> {
        let now = self.clock.now_ms();
        let fixed = self
            .store
            .transaction(move |tx| {
                let mut fixed = 0;
                for (payment, outbox) in store::outbox::approved_links_not_delivered(tx, BATCH)? {
                    if repair_link(tx, payment, outbox.as_ref(), now)? {
                        fixed += 1;
                    }
                }
                Ok(fixed)
            })
            .await?;
        report.links += fixed;
        Ok(())
    }

    /// Audits a repair and queues `view` again, in one transaction.
    async fn repaired(
        &self,
        target: Target,
        view_name: &'static str,
        found: &str,
        view: Option<Delivery>,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let found = found.to_owned();
        tracing::info!(?target, view = view_name, %found, "sweep: repairing a view");
        self.store
            .transaction(move |tx| {
                let payload = serde_json::json!({ "view": view_name, "found": found });
                audit(
                    tx,
                    None,
                    AuditAction::SweepRepair,
                    target,
                    None,
                    payload,
                    now,
                )?;
                match view {
                    Some(v) => enqueue(tx, &v, now),
                    None => Ok(()),
                }
            })
            .await
    }
}

/// An approved payment whose link delivery is missing (queued again from the stored link) or
/// was given up (the owners told, once). Returns whether something was done.
fn repair_link(
    tx: &rusqlite::Connection,
    payment: crate::domain::PaymentId,
    outbox: Option<&store::outbox::OutboxItem>,
    now: i64,
) -> Result<bool> {
    match outbox {
        Some(item) => alert_given_up(tx, payment, item, now),
        None => requeue_missing(tx, payment, now),
    }
}

/// A link delivery that was given up: the owners are told, once.
fn alert_given_up(
    tx: &rusqlite::Connection,
    payment: crate::domain::PaymentId,
    item: &store::outbox::OutboxItem,
    now: i64,
) -> Result<bool> {
    let Ok(Delivery::DeliverLink { user_id, .. }) = Delivery::from_payload(&item.payload) else {
        return Ok(false);
    };
    let alert = Delivery::OwnerAlert {
        alert: OwnerAlert::DeliveryFailed {
            outbox_id: item.id,
            user_id,
            what: format!("the link of payment #{payment}"),
            error: item.last_error.clone().unwrap_or_default(),
        },
    };
    let key = alert.idempotency_key();
    let known = store::outbox::find_by_key(tx, &key)?.is_some();
    if !known {
        enqueue(tx, &alert, now)?;
    }
    Ok(!known)
}

/// An approved payment whose link delivery is missing: queued again from the stored link.
fn requeue_missing(
    tx: &rusqlite::Connection,
    payment: crate::domain::PaymentId,
    now: i64,
) -> Result<bool> {
    let Some(p) = store::payments::get(tx, payment)? else {
        return Ok(false);
    };
    let (Some(o), Some(u)) = (
        store::orders::get(tx, p.order_id)?,
        store::users::get(tx, p.user_id)?,
    ) else {
        return Ok(false);
    };
    let Some(link) = u.access_link.clone() else {
        return Ok(false);
    };
    let delivery = Delivery::DeliverLink {
        user_id: u.discord_id,
        order_id: o.id,
        payment_id: p.id,
        ticket_channel_id: o.ticket_channel_id,
        link,
        subscription_url: u.access_subscription_url.clone(),
        expiry_at: u.expiry_at.unwrap_or(0),
        traffic_limit_bytes: u64::try_from(u.traffic_limit_bytes).unwrap_or(0),
        renewal: o.kind == crate::domain::status::OrderKind::Renewal,
        provisional: false,
    };
    enqueue(tx, &delivery, now)?;
    let payload = serde_json::json!({ "view": "link", "found": "link delivery missing" });
    audit(
        tx,
        None,
        AuditAction::SweepRepair,
        Target::Payment(p.id),
        None,
        payload,
        now,
    )?;
    Ok(true)
}

/// The sweep as a job (`sweep`, every [`SWEEP_PERIOD`], first pass at start).
pub struct SweepJob(pub Sweep);

#[async_trait]
impl Job for SweepJob {
    fn name(&self) -> &'static str {
        "sweep"
    }

    fn period(&self) -> Duration {
        SWEEP_PERIOD
    }

    async fn run_once(&self) -> Result<()> {
        let report = self.0.run_once().await?;
        if report.repaired_views + report.tickets_gone + report.links > 0 {
            tracing::info!(?report, "sweep repaired");
        }
        Ok(())
    }
}
