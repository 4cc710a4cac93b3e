//! The shop as a whole, for staff: the panel's health (`/admin health`), the revenue report
//! (`/admin revenue`) and a backup on demand (`/admin backup`). Each call checks its permission
//! here, server side: health and revenue need `Permission::ViewShop` (admins, owners), a backup
//! `Permission::TakeBackups` (owners; a refusal is audited as `backup.refused`).
//!
//! The health report never waits on a panel in outage: while the circuit breaker is open the
//! live `status()` call is skipped, and otherwise it is bounded by `panel.timeout_secs`. Like
//! the health monitor's own calls, a failed status call here does not move the breaker. The
//! backup is `ops::backup` (online, verified, retention `backup.keep_days`) on the blocking pool,
//! one at a time; it is safe while the bot writes (SQLite's backup API reads one snapshot).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::error::{Error, Result, UserError};
use crate::ops::{self, BackupReport};
use crate::panel::PanelStatus;
use crate::service::Deps;
use crate::service::health::{BreakerSnapshot, BreakerState};
use crate::service::revenue::{DayTotal, RevenueService, RevenueTotals};
use crate::service::roles::Actor;
use crate::service::state::{Target, audit};
use crate::store::outbox::{self, Backlog};

/// Staff views and actions on the whole shop. Cheap to clone (clones share the backup slot).
#[derive(Clone)]
pub struct StaffService {
    deps: Deps,
    revenue: RevenueService,
    /// Held while a backup runs: a second request is refused instead of queued.
    backup_slot: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for StaffService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffService").finish_non_exhaustive()
    }
}

/// The answer of the live panel call in a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelCheck {
    /// The panel answered `status()`.
    Live(PanelStatus),
    /// Not asked: the breaker is open (outage), so the call would only fail.
    Skipped,
    /// Asked, and it failed or did not answer in time; the text says why (no secrets).
    Failed(String),
}

/// The panel's health as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// The circuit breaker (what the health monitor decided).
    pub breaker: BreakerSnapshot,
    /// A live `status()` call made for this report.
    pub panel: PanelCheck,
    /// Deliveries (DMs, card updates...) still to be made.
    pub outbox: Backlog,
    /// The newest `backups/bot-<UTC>.db`, `None` when there is none.
    pub last_backup: Option<jiff::Timestamp>,
    /// Link deliveries given up (the customer paid and did not get the link): customer and
    /// payment, newest first, at most [`FAILED_SHOWN`].
    pub failed_links: Vec<(crate::domain::UserId, crate::domain::PaymentId)>,
}

/// How many given-up link deliveries `/admin health` lists.
pub const FAILED_SHOWN: u32 = 10;

/// Revenue totals for staff: the current periods and a run of recent days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueReport {
    /// Today, this month, this quarter and this year (shop time zone), per currency.
    pub totals: RevenueTotals,
    /// The last days, oldest first, one entry per day (empty totals for days without sales).
    pub last_days: Vec<DayTotal>,
    /// The shop's time zone name (`shop.time_zone`).
    pub time_zone: String,
}

impl StaffService {
    /// A staff service over `deps` (uses `panel.timeout_secs`, `storage`, `backup.keep_days`)
    /// and the shop's `revenue` totals.
    #[must_use]
    pub fn new(deps: Deps, revenue: RevenueService) -> Self {
        Self {
            deps,
            revenue,
            backup_slot: Arc::default(),
        }
    }

    /// The panel's health for `actor`: breaker state (with the outage start and the last
    /// error), a live `status()` call unless the breaker is open (bounded by
    /// `panel.timeout_secs`), the outbox backlog and the newest backup's time.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ViewShop`; store errors. A failing panel is part of
    /// the report, not an error.
    pub async fn health(&self, actor: &Actor) -> Result<HealthReport> {
        self.deps.roles.require(actor, Permission::ViewShop)?;
        let breaker = self.deps.breaker.snapshot();
        let panel = if breaker.state == BreakerState::Closed {
            self.live_status().await
        } else {
            PanelCheck::Skipped
        };
        let (outbox, failed) = self
            .deps
            .store
            .call(|c| {
                Ok((
                    outbox::backlog(c)?,
                    outbox::list_failed(c, "deliver_link", FAILED_SHOWN)?,
                ))
            })
            .await?;
        let failed_links = failed
            .iter()
            .filter_map(
                |i| match crate::domain::delivery::Delivery::from_payload(&i.payload) {
                    Ok(crate::domain::delivery::Delivery::DeliverLink {
                        user_id,
                        payment_id,
                        ..
                    }) => Some((user_id, payment_id)),
                    _ => None,
                },
            )
            .collect();
        let dir = self.deps.config.storage.backups_dir();
        let last_backup =
            tokio::task::spawn_blocking(move || ops::backup::newest_backup(&dir)).await?;
        Ok(HealthReport {
            breaker,
            panel,
            outbox,
            last_backup,
            failed_links,
        })
    }

    async fn live_status(&self) -> PanelCheck {
        let limit = self.deps.config.panel.timeout().max(Duration::from_secs(1));
        match tokio::time::timeout(limit, self.deps.panel.status()).await {
            Ok(Ok(status)) => PanelCheck::Live(status),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "health report: panel status failed");
                PanelCheck::Failed(e.to_string())
            }
            Err(_) => PanelCheck::Failed(format!("no answer within {} s", limit.as_secs())),
        }
    }

    /// Revenue for `actor`: the totals of the periods containing now and the last `days` days
    /// (shop time zone; read from the revenue cache).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `ViewShop`; store errors.
    pub async fn revenue(&self, actor: &Actor, days: u16) -> Result<RevenueReport> {
        self.deps.roles.require(actor, Permission::ViewShop)?;
        let now = self.deps.clock.now_ms();
        let revenue = &self.revenue;
        Ok(RevenueReport {
            totals: revenue.totals(now).await?,
            last_days: revenue.last_days(now, days).await?,
            time_zone: self.deps.config.shop.time_zone.clone(),
        })
    }

    /// Takes an online, verified backup now for `actor` (to `backups/bot-<UTC>.db`, then
    /// deletes backups older than `backup.keep_days`) and audits it as `backup.create` with the
    /// file, its size in bytes and the time taken.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `TakeBackups` (audited as `backup.refused`);
    /// [`UserError::InvalidState`] while another backup requested here runs, or when the backup
    /// failed (the reason, meant for the owner, is in the text; nothing was replaced); store
    /// errors from the audit.
    pub async fn backup(&self, actor: &Actor) -> Result<BackupReport> {
        if let Err(refusal) = self.deps.roles.require(actor, Permission::TakeBackups) {
            let payload = json!({ "reason": "forbidden" });
            self.audit(actor, AuditAction::BackupRefused, payload)
                .await?;
            return Err(refusal.into());
        }
        let Ok(_slot) = self.backup_slot.try_lock() else {
            return Err(invalid(
                "a backup is already running; try again in a moment",
            ));
        };
        let storage = self.deps.config.storage.clone();
        let (keep_days, now) = (self.deps.config.backup.keep_days, self.deps.clock.now());
        let done =
            tokio::task::spawn_blocking(move || ops::backup(&storage, None, keep_days, now)).await;
        let report = match done.map_err(Error::from).and_then(|r| r) {
            Ok(report) => report,
            Err(e) => {
                tracing::error!(error = %e, admin = %actor.user, "on-demand backup failed");
                return Err(invalid(&format!("the backup failed: {e}")));
            }
        };
        let file = report
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let payload = json!({
            "file": file,
            "bytes": report.bytes,
            "took_ms": u64::try_from(report.took.as_millis()).unwrap_or(u64::MAX),
            "removed": report.removed.len(),
        });
        self.audit(actor, AuditAction::BackupCreate, payload)
            .await?;
        Ok(report)
    }

    async fn audit(
        &self,
        actor: &Actor,
        action: AuditAction,
        payload: serde_json::Value,
    ) -> Result<()> {
        let (who, now) = (actor.user, self.deps.clock.now_ms());
        self.deps
            .store
            .call(move |c| audit(c, Some(who), action, Target::Database, None, payload, now))
            .await
    }
}

fn invalid(reason: &str) -> Error {
    UserError::InvalidState {
        reason: reason.to_owned(),
    }
    .into()
}
