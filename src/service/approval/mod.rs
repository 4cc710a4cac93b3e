//! Approval and provisioning: a persisted state machine that turns an admin's confirmed click
//! into exactly one panel client, one ledger sale and one link delivery, whatever crashes, double
//! clicks or outages happen on the way.
//!
//! Steps ([`ProvisionStep`], stored on the payment as JSON in `provision_step`):
//! 1. `confirmed` — the one-time token is consumed in the same transaction as payment
//!    `pending → approving` and order `under_review → provisioning`;
//! 2. `identity_stored` — the client's uuid, email (`u<discord id>`) and subId, and the target
//!    [`terms::Terms`], are chosen and stored before any panel call (a renewal reuses the
//!    customer's identity and extends from max(now, current expiry));
//! 3. `panel_applied` — the client is created (`ensure_client`) or extended (`extend_client`)
//!    with those absolute values, which is idempotent;
//! 4. `finalized` — one transaction: payment approved, order completed, subscription, ledger
//!    sale, audit, outbox (link, review card) and the ticket's deletion job.
//!
//! A panel refusal rolls back: a client created by this attempt is deleted (a renewal's previous
//! expiry and limit are put back), the payment returns to `pending` and the order to
//! `under_review`. "Outage" means the breaker is open or the panel cannot be reached / does not
//! answer; an HTTP 5xx answer comes from a running panel and rolls back instead. A panel outage (breaker open, or no connection /
//! no answer) parks the payment in `provisioning_pending`; [`ApprovalService::resume_pending`]
//! finishes it. [`ApprovalService::reconcile_once`] finishes anything left in `approving` by a
//! crash. Every admin action and refusal is audited.

mod card;
mod drive;
mod finish;
mod place;
mod progress;
mod provisional;
mod reconcile;
mod reject;
pub mod terms;

pub use reconcile::ReconcileReport;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::domain::status::{AdminAction, OrderStatus, PaymentStatus};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::service::Deps;
use crate::service::admin_sessions::{consume_in, refuse_audit};
use crate::service::roles::Actor;
use crate::service::state::{Target, audit, move_order, move_payment};
use crate::store::{self};

/// A step of the provisioning state machine, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionStep {
    /// Token consumed; payment `approving`, order `provisioning`.
    Confirmed,
    /// Client identity and target terms stored on the payment.
    IdentityStored,
    /// The panel holds the client with the target terms.
    PanelApplied,
    /// Approved, delivered (queued), recorded.
    Finalized,
}

impl ProvisionStep {
    /// Every step, in order.
    pub const ALL: [Self; 4] = [
        Self::Confirmed,
        Self::IdentityStored,
        Self::PanelApplied,
        Self::Finalized,
    ];

    /// The step's name (`confirmed`...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::IdentityStored => "identity_stored",
            Self::PanelApplied => "panel_applied",
            Self::Finalized => "finalized",
        }
    }
}

/// Crash injection for tests: called after each step; returning true makes the service return
/// [`Error::Crashed`] right there, without any cleanup (as if the process died). `None` in
/// production.
pub type FailPoint = Arc<dyn Fn(ProvisionStep) -> bool + Send + Sync>;

/// Why provisioning failed and was rolled back (the payment is `pending` again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionFailure {
    /// The panel refused or failed the request (the text is the panel error).
    #[error("the panel refused: {0}")]
    Panel(String),
    /// The client email is used on the panel by a client that is not this customer's.
    #[error("the panel already has another client with email {0}")]
    EmailTaken(String),
    /// No link can be built (inbound not VLESS, bad `public_host`...).
    #[error("cannot build the customer's link: {0}")]
    Link(String),
    /// Recording the approval failed.
    #[error("recording the approval failed: {0}")]
    Store(String),
}

/// A successful approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// The payment.
    pub payment_id: PaymentId,
    /// The completed order.
    pub order_id: OrderId,
    /// The customer.
    pub user_id: UserId,
    /// The client's email on the panel (empty for a gift order: no client).
    pub email: String,
    /// The `vless://` link queued for delivery (empty for a gift order: its token is DM'd).
    pub link: String,
    /// New expiry (Unix ms; negative = from first connection).
    pub expiry_ms: i64,
    /// True for a renewal.
    pub renewal: bool,
}

/// What a confirm (or a resume) ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// Approved and delivered (queued).
    Approved(Approved),
    /// The panel is down: the payment waits in `provisioning_pending` and completes on recovery.
    Delayed(PaymentId),
    /// Rolled back: the payment is `pending` again, the order `under_review`.
    Failed(PaymentId, ProvisionFailure),
}

/// The approval service.
pub struct ApprovalService {
    deps: Deps,
    fail_point: Option<FailPoint>,
    in_flight: Arc<Mutex<HashSet<PaymentId>>>,
    /// Recently read inbounds without their clients, for new customers' links.
    shapes: Arc<drive::InboundShapes>,
}

impl std::fmt::Debug for ApprovalService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApprovalService").finish_non_exhaustive()
    }
}

/// Marks a payment as being driven by this process; removed on drop.
struct InFlight {
    set: Arc<Mutex<HashSet<PaymentId>>>,
    payment: PaymentId,
}

impl InFlight {
    /// Claims `payment`; `None` when someone in this process already drives it.
    fn claim(set: &Arc<Mutex<HashSet<PaymentId>>>, payment: PaymentId) -> Option<Self> {
        let mut guard = set.lock().unwrap_or_else(PoisonError::into_inner);
        guard.insert(payment).then(|| Self {
            set: set.clone(),
            payment,
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut guard = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        guard.remove(&self.payment);
    }
}

impl ApprovalService {
    /// An approval service without crash injection.
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            fail_point: None,
            in_flight: Arc::default(),
            shapes: Arc::default(),
        }
    }

    /// The same service with a crash-injection hook (tests only).
    #[must_use]
    pub fn with_fail_point(mut self, fail_point: Option<FailPoint>) -> Self {
        self.fail_point = fail_point;
        self
    }

    /// Confirm with a one-time `token` (from `AdminSessions::issue`) by `actor`: checks the role
    /// again, consumes the token atomically with payment `pending → approving`, then provisions.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without the role, [`UserError::Token`] for an expired, used,
    /// foreign or unknown token, [`UserError::InvalidState`] when the payment is no longer pending
    /// (all audited); [`Error::Crashed`] from the fail point; store errors.
    pub async fn confirm(&self, actor: &Actor, token: &str) -> Result<ApprovalOutcome> {
        let allowed = self.deps.roles.require(actor, Permission::ReviewPayments);
        let (admin, token) = (actor.user, token.to_owned());
        let now = self.deps.clock.now_ms();
        let in_flight = self.in_flight.clone();
        let claimed = self
            .deps
            .store
            .transaction(move |tx| {
                if let Err(refusal) = allowed {
                    if let Some(s) = store::admin_sessions::find_by_token(tx, &token)? {
                        refuse_audit(tx, admin, s.payment_id, Some(s.id), "forbidden", now)?;
                    }
                    return Ok(Err(refusal));
                }
                let session = match consume_in(tx, &token, admin, AdminAction::Approve, now)? {
                    Ok(s) => s,
                    Err(refusal) => return Ok(Err(UserError::Token(refusal))),
                };
                let payment = session.payment_id;
                let Some(guard) = InFlight::claim(&in_flight, payment) else {
                    refuse_audit(tx, admin, payment, Some(session.id), "in_progress", now)?;
                    return Ok(Err(busy(payment)));
                };
                if let Err(refusal) = start(tx, payment, admin, session.id, now)? {
                    refuse_audit(tx, admin, payment, Some(session.id), "not_pending", now)?;
                    return Ok(Err(refusal));
                }
                Ok(Ok((payment, guard)))
            })
            .await?;
        let (payment, _guard) = claimed?;
        self.crash_point(ProvisionStep::Confirmed)?;
        self.drive(payment).await
    }

    /// Provisions `payment`, which the bot settled itself (a paid invoice) and moved to
    /// `approving` with [`start_settled`] in the settling transaction: the same drive as after an
    /// admin's confirm. `None` when it is already driven in this process or no longer
    /// `approving` (the reconciler finished it first).
    ///
    /// # Errors
    /// Store errors; [`Error::Crashed`] from the fail point.
    pub async fn provision_settled(&self, payment: PaymentId) -> Result<Option<ApprovalOutcome>> {
        let Some(_guard) = InFlight::claim(&self.in_flight, payment) else {
            return Ok(None);
        };
        let status = self
            .deps
            .store
            .call(move |c| Ok(store::payments::get(c, payment)?.map(|p| p.status)))
            .await?;
        if status != Some(PaymentStatus::Approving) {
            return Ok(None);
        }
        self.crash_point(ProvisionStep::Confirmed)?;
        self.drive(payment).await.map(Some)
    }

    /// Returns [`Error::Crashed`] when the fail point asks for a crash after `step`.
    fn crash_point(&self, step: ProvisionStep) -> Result<()> {
        match &self.fail_point {
            Some(f) if f(step) => Err(Error::Crashed(step.as_str())),
            _ => Ok(()),
        }
    }
}

/// Payment `pending → approving`, order `under_review → provisioning`, step `confirmed`, audit.
/// `Ok(Err)` when the payment is no longer pending (another admin won).
fn start(
    tx: &rusqlite::Connection,
    payment: PaymentId,
    admin: UserId,
    session: crate::domain::AdminSessionId,
    now: i64,
) -> Result<Result<(), UserError>> {
    let Some(p) = store::payments::get(tx, payment)? else {
        return Ok(Err(UserError::NotFound {
            what: format!("payment #{payment}"),
        }));
    };
    if p.status != PaymentStatus::Pending {
        return Ok(Err(UserError::InvalidState {
            reason: format!("payment #{payment} is already {}", p.status),
        }));
    }
    let moves = (PaymentStatus::Pending, PaymentStatus::Approving);
    move_payment(tx, payment, moves, Some(admin), None, now)?;
    let order_moves = (OrderStatus::UnderReview, OrderStatus::Provisioning);
    move_order(tx, p.order_id, order_moves, None, now)?;
    // Terms kept by a failed renewal that reached the panel survive a new confirm.
    let kept = progress::progress_of(&p).and_then(|g| g.terms);
    progress::save_progress(tx, payment, ProvisionStep::Confirmed, kept, false, now)?;
    let payload = serde_json::json!({ "order": p.order_id, "amount_minor": p.amount_minor });
    audit(
        tx,
        Some(admin),
        AuditAction::PaymentConfirm,
        Target::Payment(payment),
        Some(session),
        payload,
        now,
    )?;
    Ok(Ok(()))
}

/// Starts provisioning a payment no admin confirms (a paid invoice), inside the transaction that
/// inserted it `approving`: order `pending_payment → under_review → provisioning`, step
/// `confirmed`, audited as a confirm by the bot (`actor` = none, `source` in the payload). Then
/// [`ApprovalService::provision_settled`] (or, after a crash, the reconciler) drives it.
///
/// # Errors
/// [`Error::Internal`] when the order is not waiting for a payment (the caller checked); store
/// errors.
pub(crate) fn start_settled(
    tx: &rusqlite::Connection,
    payment: PaymentId,
    order: OrderId,
    source: &str,
    now: i64,
) -> Result<()> {
    move_order(
        tx,
        order,
        (OrderStatus::PendingPayment, OrderStatus::UnderReview),
        None,
        now,
    )?;
    move_order(
        tx,
        order,
        (OrderStatus::UnderReview, OrderStatus::Provisioning),
        None,
        now,
    )?;
    progress::save_progress(tx, payment, ProvisionStep::Confirmed, None, false, now)?;
    let payload = serde_json::json!({ "order": order, "source": source });
    audit(
        tx,
        None,
        AuditAction::PaymentConfirm,
        Target::Payment(payment),
        None,
        payload,
        now,
    )
}

fn busy(payment: PaymentId) -> UserError {
    UserError::InvalidState {
        reason: format!("payment #{payment} is already being approved"),
    }
}
