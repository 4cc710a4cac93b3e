//! Driving one `approving` payment from wherever it stands to the end: identity and terms chosen
//! and stored (once), the panel brought to those terms (idempotent), then finalized. Used by
//! confirm, by `resume_pending` and by the reconciler alike, so a retry after a crash runs the
//! very same code as the first attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::domain::PaymentId;
use crate::error::{Error, Result};
use crate::panel::{ClientSpec, EnsureOutcome, Inbound, PanelError};
use crate::store::{self, orders::Order, users::ClientIdentity};

use super::progress::{Context, progress_of, save_progress};
use super::terms::{self, Terms};
use super::{ApprovalOutcome, ApprovalService, ProvisionFailure, ProvisionStep};

/// A panel error that means "the panel is down" (wait), as opposed to "the panel failed this
/// request" (roll back): no connection, no answer in time, or the breaker is open. An HTTP 5xx
/// answer comes from a running panel that failed the request, so it rolls back.
pub(super) fn is_outage(e: &PanelError) -> bool {
    matches!(
        e,
        PanelError::Unavailable {
            http_status: None,
            ..
        }
    )
}

/// What a panel step ended with when it did not succeed.
pub(super) enum Stop {
    /// Wait for the panel (outage).
    Outage(String),
    /// Roll back with this reason.
    Fail(ProvisionFailure),
}

impl From<PanelError> for Stop {
    fn from(e: PanelError) -> Self {
        if is_outage(&e) {
            Self::Outage(e.to_string())
        } else {
            Self::Fail(ProvisionFailure::Panel(e.to_string()))
        }
    }
}

impl ApprovalService {
    /// Drives `payment` (status `approving`, claimed by the caller) to its outcome on this
    /// service's panel. Counts the outcome (`vtb_approvals_total`), the panel work's time and,
    /// on the first attempt after the admin's confirmation, the review wait.
    pub(super) async fn drive_here(&self, payment: PaymentId) -> Result<ApprovalOutcome> {
        let started = tokio::time::Instant::now();
        let mut ctx = self.load(payment).await?;
        #[allow(clippy::cast_precision_loss)]
        let waited = (ctx.step == ProvisionStep::Confirmed)
            .then(|| (self.deps.clock.now_ms() - ctx.payment.created_at) as f64 / 1000.0);
        let stage = self.panel_stage(&mut ctx).await?;
        let outcome = match stage {
            Ok(()) => self.finalize(&ctx).await,
            Err(Stop::Outage(why)) => self.delay(&ctx, &why).await,
            Err(Stop::Fail(why)) => self.fail(&ctx, why).await,
        }?;
        let label = match &outcome {
            ApprovalOutcome::Approved(_) => {
                self.deps
                    .metrics
                    .provisioned(started.elapsed().as_secs_f64());
                "delivered"
            }
            ApprovalOutcome::Delayed(_) => "delayed",
            ApprovalOutcome::Failed(..) => "failed",
        };
        self.deps.metrics.approval(label, waited);
        Ok(outcome)
    }

    /// Steps 2 and 3: identity and terms (stored once), then the panel write.
    async fn panel_stage(&self, ctx: &mut Context) -> Result<Result<(), Stop>> {
        if self.deps.breaker.is_outage() {
            return Ok(Err(Stop::Outage("panel outage (breaker open)".into())));
        }
        if ctx.terms.is_none() {
            let terms = match self.choose_terms(ctx).await {
                Ok(t) => t,
                Err(stop) => return Ok(Err(stop)),
            };
            ctx.terms = Some(terms);
            let (p, id, t) = (ctx.payment.id, ctx.identity.clone(), terms);
            let now = self.deps.clock.now_ms();
            self.deps
                .store
                .transaction(move |tx| {
                    store::payments::set_client_identity(
                        tx, p, &id.uuid, &id.email, &id.sub_id, now,
                    )?;
                    save_progress(tx, p, ProvisionStep::IdentityStored, Some(t), false, now)
                })
                .await?;
            ctx.step = ProvisionStep::IdentityStored;
            self.crash_point(ProvisionStep::IdentityStored)?;
        }
        if let Err(stop) = self.apply(ctx).await {
            return Ok(Err(stop));
        }
        let (p, t, created) = (ctx.payment.id, ctx.terms, ctx.client_created);
        let now = self.deps.clock.now_ms();
        self.deps
            .store
            .call(move |c| save_progress(c, p, ProvisionStep::PanelApplied, t, created, now))
            .await?;
        ctx.step = ProvisionStep::PanelApplied;
        self.crash_point(ProvisionStep::PanelApplied)?;
        Ok(Ok(()))
    }

    /// The target terms: a new client, or a renewal from the panel's current traffic row (a
    /// renewal whose client vanished from the panel is provisioned as a new client).
    async fn choose_terms(&self, ctx: &Context) -> Result<Terms, Stop> {
        let now = self.deps.clock.now_ms();
        if !ctx.had_client {
            return Ok(terms::new_client(&ctx.order.plan, now));
        }
        match self.deps.panel.client_traffic(&ctx.identity.email).await {
            Ok(current) => Ok(terms::renewal(&ctx.order.plan, now, &current)),
            Err(PanelError::NotFound { .. }) => Ok(terms::new_client(&ctx.order.plan, now)),
            Err(PanelError::Unsupported(_)) => {
                // No counters on this backend: renew from the expiry we stored.
                let current = crate::panel::ClientTraffic {
                    expiry_time: ctx.stored_expiry,
                    ..crate::panel::ClientTraffic::default()
                };
                Ok(terms::renewal(&ctx.order.plan, now, &current))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Brings the panel to the stored terms. Looks the client up by email first: a client with
    /// our email but another uuid is not ours (refused); one with our uuid found before this
    /// step completed was created by an interrupted attempt (so compensation may delete it).
    pub(super) async fn apply(&self, ctx: &mut Context) -> Result<(), Stop> {
        let terms = ctx.terms.expect("terms chosen before apply");
        let inbound_id =
            u32::try_from(ctx.identity.inbound_id).unwrap_or(self.deps.config.panel.inbound_id);
        // Held until the inbound is read, when this approval reads it for lack of a recent one.
        let reading = self.wait_for_reading(ctx, inbound_id, terms).await;
        let fast = self.try_create(ctx, inbound_id, terms).await?;
        if !fast && self.deps.panel.capabilities().list {
            self.check_inbound(ctx, inbound_id, terms).await?;
        }
        drop(reading);
        let (panel, id) = (&self.deps.panel, &ctx.identity);
        // From here the panel may change even if the call fails; a failed renewal keeps its
        // terms so a retry cannot extend twice.
        ctx.wrote_panel = true;
        if fast {
            // The email was free: the client is ours and new.
            ctx.client_created = true;
            return Ok(());
        }
        if terms.extend {
            panel
                .extend_client(&id.email, terms.expiry_ms, terms.total_bytes)
                .await?;
            panel.set_client_enabled(&id.email, true).await?;
        } else {
            let spec = self.spec_of(ctx, terms);
            let done = panel.provision(inbound_id, &spec).await?;
            if done.outcome == EnsureOutcome::Created {
                ctx.client_created = true;
            }
            if done.share_link.is_some() {
                ctx.link = done.share_link;
            }
        }
        if ctx.link.is_none() {
            // A renewal on a backend that makes links: the one delivered before.
            ctx.link.clone_from(&ctx.stored_link);
        }
        Ok(())
    }

    /// Whether the fast path ([`Self::try_create`]) may apply to this attempt.
    fn first_try(&self, ctx: &Context, terms: Terms) -> bool {
        !terms.extend
            && !ctx.had_client
            && ctx.step < ProvisionStep::PanelApplied
            && self.deps.panel.capabilities().list
    }

    /// For a first client while no recent inbound is known: waits for the approval reading it
    /// (if any) and returns `None` once it is known, or the guard under which this approval
    /// reads it. So when the inbound goes stale in a busy minute one approval reads it, not
    /// every approval at that moment (each read downloads and parses every client of the
    /// inbound, though it keeps only its own). Approvals that read it for another reason
    /// (renewals, retries, a taken email) do not wait.
    async fn wait_for_reading(
        &self,
        ctx: &Context,
        inbound_id: u32,
        terms: Terms,
    ) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let panel = &self.deps.config.panel.id;
        if !self.first_try(ctx, terms) || self.shapes.get(panel, inbound_id).is_some() {
            return None;
        }
        let guard = self.shapes.reading.lock().await;
        self.shapes
            .get(panel, inbound_id)
            .is_none()
            .then_some(guard)
    }

    /// The fast path of a customer's first client: the link from a recently read inbound
    /// ([`InboundShapes`]) and one `addClient`, so an approval costs the same whatever the number
    /// of clients. True when the client was created; false when the path does not apply (a
    /// renewal, a retry after the panel step may have run, no recent inbound, a backend without
    /// [`PanelApi::create_client`](crate::panel::PanelApi::create_client)) or the email exists
    /// (the caller then reads the inbound and decides whose client it is).
    async fn try_create(
        &self,
        ctx: &mut Context,
        inbound_id: u32,
        terms: Terms,
    ) -> Result<bool, Stop> {
        if !self.first_try(ctx, terms) {
            return Ok(false);
        }
        let Some(inbound) = self.shapes.get(&self.deps.config.panel.id, inbound_id) else {
            return Ok(false);
        };
        ctx.link = Some(
            self.build_link(&inbound, &ctx.identity)
                .map_err(Stop::Fail)?,
        );
        let spec = self.spec_of(ctx, terms);
        // The panel may hold the client even if the answer is lost.
        ctx.wrote_panel = true;
        match self.deps.panel.create_client(inbound_id, &spec).await {
            Ok(()) => Ok(true),
            Err(PanelError::Duplicate { .. } | PanelError::Unsupported(_)) => {
                ctx.link = None;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the inbound, builds the link from it, and looks the client up by email: a client
    /// with our email but another uuid is not ours (refused); one with our uuid found before
    /// this step completed was created by an interrupted attempt (compensation may delete it).
    async fn check_inbound(
        &self,
        ctx: &mut Context,
        inbound_id: u32,
        terms: Terms,
    ) -> Result<(), Stop> {
        let id = &ctx.identity;
        let inbound = self
            .deps
            .panel
            .inbound_with_client(inbound_id, &id.email)
            .await?;
        ctx.link = Some(self.build_link(&inbound, id).map_err(Stop::Fail)?);
        let found = inbound.client(&id.email).map(|c| c.id != id.uuid);
        self.shapes
            .put(&self.deps.config.panel.id, inbound_id, inbound);
        match found {
            Some(true) => {
                // Not ours: compensation must never delete it.
                ctx.client_created = false;
                Err(Stop::Fail(ProvisionFailure::EmailTaken(id.email.clone())))
            }
            Some(false)
                if !terms.extend && ctx.step < ProvisionStep::PanelApplied && !ctx.had_client =>
            {
                ctx.client_created = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The client a new subscription gets.
    fn spec_of(&self, ctx: &Context, terms: Terms) -> ClientSpec {
        let id = &ctx.identity;
        let mut spec = ClientSpec::new(&id.uuid, &id.email, &id.sub_id);
        spec.total_bytes = terms.total_bytes;
        spec.expiry_time_ms = terms.expiry_ms;
        spec.limit_ip = terms.limit_ip;
        spec.comment = format!("discord user {}", ctx.order.user_id);
        if !self.deps.panel.capabilities().list {
            // vpn-api's `telegram_id` only names the Xray email (`user_<id>`); on 3x-ui `tgId`
            // is a real Telegram id and stays 0.
            spec.tg_id = i64::try_from(ctx.order.user_id.0).unwrap_or(0);
        }
        spec
    }

    /// Reads the payment, its order and the customer, and picks the client identity: the one
    /// stored on the payment, else the customer's, else a fresh one.
    pub(super) async fn load(&self, payment: PaymentId) -> Result<Context> {
        let inbound = i64::from(self.deps.config.panel.inbound_id);
        let (p, order, user) = self
            .deps
            .store
            .call(move |c| {
                let p = store::payments::get(c, payment)?
                    .ok_or(Error::Internal("approval: payment row missing"))?;
                let o = store::orders::get(c, p.order_id)?
                    .ok_or(Error::Internal("approval: order row missing"))?;
                let u = store::users::get(c, p.user_id)?
                    .ok_or(Error::Internal("approval: user row missing"))?;
                Ok((p, o, u))
            })
            .await?;
        let progress = progress_of(&p);
        let had_client = user.panel_email.is_some();
        let identity = match (
            &p.client,
            &user.panel_client_uuid,
            &user.panel_email,
            &user.panel_sub_id,
        ) {
            (Some((uuid, email, sub)), ..) | (None, Some(uuid), Some(email), Some(sub)) => {
                identity(uuid, email, sub, user.inbound_id.unwrap_or(inbound))
            }
            _ => fresh_identity(self.deps.panel.as_ref(), &order, inbound)?,
        };
        Ok(Context {
            step: progress.map_or(ProvisionStep::Confirmed, |g| g.step),
            terms: progress.and_then(|g| g.terms),
            client_created: p.client_created,
            wrote_panel: false,
            had_client,
            stored_expiry: user.expiry_at.unwrap_or(0),
            stored_link: user.access_link.clone(),
            payment: p,
            order,
            identity,
            link: None,
        })
    }
}

fn identity(uuid: &str, email: &str, sub: &str, inbound_id: i64) -> ClientIdentity {
    ClientIdentity {
        uuid: uuid.to_owned(),
        email: email.to_owned(),
        sub_id: sub.to_owned(),
        inbound_id,
    }
}

/// A new identity: random uuid v4 and 16-hex subId from the OS RNG, email = the backend's
/// client key (`u<discord id>` on 3x-ui, digits only: safe on both panel generations; the uuid
/// on vpn-api).
fn fresh_identity(
    panel: &dyn crate::panel::PanelApi,
    order: &Order,
    inbound_id: i64,
) -> Result<ClientIdentity> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| Error::Rng(e.to_string()))?;
    let mut uuid_bytes = [0u8; 16];
    uuid_bytes.copy_from_slice(&bytes[..16]);
    let uuid = uuid::Builder::from_random_bytes(uuid_bytes).into_uuid();
    Ok(ClientIdentity {
        uuid: uuid.to_string(),
        email: panel.client_key(&uuid.to_string(), order.user_id.0),
        sub_id: hex::encode(&bytes[16..]),
        inbound_id,
    })
}

/// How long an inbound read by an approval is reused for new customers' links. Bounds how long a
/// change of the inbound's port or stream settings on the panel can go unseen (every existing
/// link breaks on such a change anyway); each approval that reads the inbound renews it.
pub(super) const INBOUND_SHAPE_TTL: Duration = Duration::from_secs(60);

/// Inbounds read by recent approvals, without their clients (only what a link needs), keyed by
/// panel id and inbound id; an entry older than [`INBOUND_SHAPE_TTL`] is not used.
/// `reading` is held by the approval reading an inbound for lack of a recent one.
#[derive(Default)]
pub(super) struct InboundShapes {
    shapes: Mutex<HashMap<ShapeKey, (Instant, Arc<Inbound>)>>,
    reading: tokio::sync::Mutex<()>,
}

/// (panel id, inbound id).
type ShapeKey = (String, u32);

impl InboundShapes {
    /// Inbound `id` of panel `panel` if read within the TTL.
    fn get(&self, panel: &str, id: u32) -> Option<Arc<Inbound>> {
        let map = self.shapes.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&(panel.to_owned(), id))
            .filter(|(at, _)| at.elapsed() < INBOUND_SHAPE_TTL)
            .map(|(_, ib)| ib.clone())
    }

    /// Remembers `inbound` (its clients dropped) as inbound `id` of `panel`, read now.
    fn put(&self, panel: &str, id: u32, mut inbound: Inbound) {
        inbound.settings.clients = Vec::new();
        inbound.client_stats = Vec::new();
        let mut map = self.shapes.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert((panel.to_owned(), id), (Instant::now(), Arc::new(inbound)));
    }
}
