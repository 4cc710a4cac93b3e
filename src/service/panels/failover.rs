//! Failover: a panel in outage for longer than `backends.failover_after_minutes` has its active,
//! unpinned customers moved to the least-loaded healthy panel with room. Create before delete:
//! the client is first created on the new panel with the same identity (uuid, key, subId),
//! expiry (a first-use wait stays a wait) and limits, then one transaction moves the customer
//! (`users.panel_id`, the link), remembers the old client as a tombstone, audits
//! `panel.failover` and queues one [`Delivery::PanelMoved`] DM. Nothing is deleted on the dead
//! panel; each pass also deletes the tombstoned clients of panels that answer again (the
//! "reconciliation" of placements), never a live customer's. Used traffic is not carried: the
//! new client starts with the customer's stored limit.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;

use super::PanelHandle;
use crate::domain::audit::AuditAction;
use crate::domain::delivery::Delivery;
use crate::domain::status::SubscriptionStatus;
use crate::error::Result;
use crate::panel::link::customer_link;
use crate::panel::{ClientSpec, PanelError};
use crate::service::Deps;
use crate::service::state::{Target, audit, enqueue};
use crate::store::{self, users::User};
use crate::tasks::Job;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailoverPass {
    /// (customer, from panel, to panel) moved by this pass.
    pub moved: Vec<(crate::domain::UserId, String, String)>,
    /// Old clients deleted on panels that are back.
    pub cleaned: Vec<(String, String)>,
}

/// The failover service.
#[derive(Debug, Clone)]
pub struct Failover {
    deps: Deps,
}

impl Failover {
    /// A service on `deps`.
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// One pass (see the module doc); nothing with one panel or failover off.
    ///
    /// # Errors
    /// Store errors.
    pub async fn failover_once(&self) -> Result<FailoverPass> {
        let mut pass = FailoverPass::default();
        if !self.deps.panels.is_several() {
            return Ok(pass);
        }
        for h in self.deps.panels.iter() {
            if h.breaker.is_outage() {
                if self.overdue(h) {
                    self.evacuate(h, &mut pass).await?;
                }
            } else {
                self.clean(h, &mut pass).await?;
            }
        }
        Ok(pass)
    }

    /// Whether `h` has been down longer than the configured time.
    fn overdue(&self, h: &PanelHandle) -> bool {
        let minutes = self.deps.config.backends.failover_after_minutes;
        let Some(since) = h.breaker.snapshot().outage_since else {
            return false;
        };
        let down_ms = self.deps.clock.now_ms() - since.as_millisecond();
        minutes > 0 && down_ms >= i64::from(minutes) * 60_000
    }

    /// Moves every active, unpinned customer of `dead`.
    async fn evacuate(&self, dead: &PanelHandle, pass: &mut FailoverPass) -> Result<()> {
        let first = self.deps.panels.first_id().to_owned();
        let (dead_id, pinned) = (dead.id.clone(), self.pinned());
        let users = self
            .deps
            .store
            .call_blocking(move |c| {
                let on = store::placement::panels_of_all(c, &first)?;
                let all = store::users::list_with_client(c)?;
                Ok(all
                    .into_iter()
                    .filter(|u| on.get(&u.discord_id) == Some(&dead_id))
                    .filter(|u| u.status == SubscriptionStatus::Active)
                    .filter(|u| !pinned.contains(&u.discord_id.0))
                    .collect::<Vec<_>>())
            })
            .await?;
        for u in users {
            if let Some(to) = self.move_one(dead, &u).await? {
                pass.moved.push((u.discord_id, dead.id.clone(), to));
            }
        }
        Ok(())
    }

    fn pinned(&self) -> HashSet<u64> {
        self.deps
            .config
            .backends
            .pinned_user_ids
            .iter()
            .copied()
            .collect()
    }

    /// Creates `u`'s client on the least-loaded healthy panel with room, then records the move.
    async fn move_one(&self, dead: &PanelHandle, u: &User) -> Result<Option<String>> {
        let Some(target) = self.target(&dead.id).await? else {
            tracing::warn!(user = %u.discord_id, panel = %dead.id, "failover: no panel has room");
            return Ok(None);
        };
        let link = match self.create_on(target, u).await {
            Ok(link) => link,
            Err(e) => {
                tracing::warn!(user = %u.discord_id, to = %target.id, error = %e, "failover: create failed");
                return Ok(None);
            }
        };
        let (id, now) = (u.discord_id, self.deps.clock.now_ms());
        let (from, to, email) = (
            dead.id.clone(),
            target.id.clone(),
            u.panel_email.clone().unwrap_or_default(),
        );
        let moved_to = to.clone();
        self.deps
            .store
            .transaction(move |tx| {
                store::placement::set_panel(tx, id, &to, now)?;
                store::placement::add_tombstone(tx, &from, &email, id, now)?;
                store::users::set_access_link(tx, id, &link, None, now)?;
                let payload = json!({ "from": from, "to": to, "email": email });
                audit(
                    tx,
                    None,
                    AuditAction::PanelFailover,
                    Target::User(id),
                    None,
                    payload,
                    now,
                )?;
                let dm = Delivery::PanelMoved {
                    user_id: id,
                    panel_id: to,
                    link,
                };
                enqueue(tx, &dm, now)
            })
            .await?;
        Ok(Some(moved_to))
    }

    /// The least-loaded healthy panel with room other than `not`.
    async fn target(&self, not: &str) -> Result<Option<&PanelHandle>> {
        let first = self.deps.panels.first_id().to_owned();
        let mut candidates = self.deps.panels.candidates();
        candidates.retain(|c| c.id != not);
        let chosen = self
            .deps
            .store
            .call(move |c| {
                let mut best: Option<(u32, String)> = None;
                for cand in candidates {
                    let n = store::placement::load(c, &cand.id, &first)?;
                    let room = cand.capacity == 0 || n < cand.capacity;
                    if room && best.as_ref().is_none_or(|(b, _)| n < *b) {
                        best = Some((n, cand.id));
                    }
                }
                Ok(best.map(|(_, id)| id))
            })
            .await?;
        Ok(chosen.and_then(|id| self.deps.panels.get(&id)))
    }

    /// `u`'s client on `target` (same identity and terms); returns the customer's link there.
    async fn create_on(&self, target: &PanelHandle, u: &User) -> Result<String, PanelError> {
        let missing = || PanelError::Rejected {
            ctx: crate::panel::ErrorContext::new("failover", "(local check)"),
            msg: "the customer has no stored identity".into(),
        };
        let (Some(uuid), Some(email), Some(sub)) =
            (&u.panel_client_uuid, &u.panel_email, &u.panel_sub_id)
        else {
            return Err(missing());
        };
        let mut spec = ClientSpec::new(uuid, email, sub);
        spec.expiry_time_ms = u.expiry_at.unwrap_or(0);
        spec.total_bytes = u64::try_from(u.traffic_limit_bytes).unwrap_or(0);
        spec.limit_ip = u32::try_from(u.device_limit).unwrap_or(0);
        spec.comment = format!("discord user {}", u.discord_id);
        let cfg = &target.config.panel;
        let done = target.api.provision(cfg.inbound_id, &spec).await?;
        if let Some(link) = done.share_link {
            return Ok(link);
        }
        let inbound = target
            .api
            .inbound_with_client(cfg.inbound_id, email)
            .await?;
        customer_link(&inbound, uuid, email, sub, &cfg.public_host).map_err(|e| {
            PanelError::Rejected {
                ctx: crate::panel::ErrorContext::new("failover", "(link)"),
                msg: e.to_string(),
            }
        })
    }

    /// Deletes the tombstoned clients of `h` (a panel that answers).
    async fn clean(&self, h: &PanelHandle, pass: &mut FailoverPass) -> Result<()> {
        let id = h.id.clone();
        let emails = self
            .deps
            .store
            .call(move |c| store::placement::tombstones(c, &id))
            .await?;
        for email in emails {
            match h.api.delete_client(&email).await {
                Ok(_) | Err(PanelError::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(panel = %h.id, %email, error = %e, "failover: old client not deleted yet");
                    continue;
                }
            }
            let (id, key) = (h.id.clone(), email.clone());
            self.deps
                .store
                .call(move |c| store::placement::remove_tombstone(c, &id, &key))
                .await?;
            pass.cleaned.push((h.id.clone(), email));
        }
        Ok(())
    }
}

/// Runs [`Failover::failover_once`] every minute.
#[derive(Debug, Clone)]
pub struct FailoverJob(pub Arc<Failover>);

#[async_trait]
impl Job for FailoverJob {
    fn name(&self) -> &'static str {
        "panel_failover"
    }

    fn period(&self) -> Duration {
        Duration::from_secs(60)
    }

    async fn run_once(&self) -> Result<()> {
        let pass = self.0.failover_once().await?;
        if !pass.moved.is_empty() || !pass.cleaned.is_empty() {
            tracing::info!(
                moved = pass.moved.len(),
                cleaned = pass.cleaned.len(),
                "panel failover"
            );
        }
        Ok(())
    }
}
