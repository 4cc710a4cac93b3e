//! The application: every core service built once from the config, the store, the panel and the
//! clock, shared as `Arc<App>` by `run`, the tests and the demo. [`App::jobs`] lists the
//! background jobs; the parts that talk to Discord (delivery, channel deletion, message deletion)
//! are passed in as [`DiscordPorts`] so this module stays free of serenity.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::cryptopay::CryptoPayClient;
use crate::domain::scheduled::ScheduledTask;
use crate::error::Result;
use crate::metrics::{MeteredJob, MeteredPanel, Metrics};
use crate::service::Deps;
use crate::service::activation::{ActivationJob, ActivationService};
use crate::service::admin_sessions::AdminSessions;
use crate::service::approval::ApprovalService;
use crate::service::crypto::{CryptoPayments, CryptoPollJob};
use crate::service::growth::{GrowthService, ReferralRewardJob};
use crate::service::health::{
    CircuitBreaker, HealthConfig, HealthMonitor, HealthProbe, PanelProbe,
};
use crate::service::housekeeping::{
    BackupJob, MessageDeleter, MessageTtlJob, SessionPurgeJob, TransientMessages,
};
use crate::service::intake::ReceiptIntake;
use crate::service::jobs::{
    AbandonedOrdersJob, ApprovalReconcileJob, RateLimitPurgeJob, ReceiptRetentionJob,
};
use crate::service::languages::Languages;
use crate::service::orders::OrderService;
use crate::service::outbox::{Deliverer, OutboxJob};
use crate::service::panels::failover::{Failover, FailoverJob};
use crate::service::panels::subscription::SubscriptionFeeds;
use crate::service::panels::{FleetProbe, Panels};
use crate::service::rate_limit::RateLimits;
use crate::service::receipts::ReceiptService;
use crate::service::revenue::{RevenueRefreshJob, RevenueService};
use crate::service::roles::Roles;
use crate::service::scheduled::{ScheduledHandler, ScheduledJobsRunner};
use crate::service::staff::StaffService;
use crate::service::subscriptions::{ExpiryJob, ReconcileJob, RemindersJob, SubscriptionService};
use crate::service::sweep::{Sweep, SweepJob, ViewInspector};
use crate::service::transcripts::{TranscriptRetentionJob, Transcripts};
use crate::store::Store;
use crate::tasks::Job;

/// The shop's services, built once.
pub struct App {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// Time (follows tokio's clock).
    pub clock: Clock,
    /// The panel's circuit breaker (driven by the health monitor).
    pub breaker: CircuitBreaker,
    /// The role table.
    pub roles: Roles,
    /// Orders and tickets.
    pub orders: OrderService,
    /// One-time admin confirmation tokens.
    pub sessions: AdminSessions,
    /// Approval, rejection and provisioning.
    pub approval: Arc<ApprovalService>,
    /// Revenue totals.
    pub revenue: RevenueService,
    /// The receipt image pipeline (validation, hashes, storage).
    pub receipts: ReceiptService,
    /// Receipt intake: a ticket message (live or caught up) → pipeline → submitted receipt.
    pub intake: ReceiptIntake,
    /// Subscriptions: reminders, expiry, reconciliation, admin extend/revoke.
    pub subscriptions: SubscriptionService,
    /// Staff views of the whole shop: health, revenue report, backups on demand.
    pub staff: StaffService,
    /// Transient bot messages, deleted after their TTL by the `message_ttl` job.
    pub transient: TransientMessages,
    /// Crypto Pay invoices, when a payment method of kind `cryptobot` is configured.
    pub crypto: Option<Arc<CryptoPayments>>,
    /// Bans, the trial, promo codes, referrals and gifts.
    pub growth: Arc<GrowthService>,
    /// Customers' languages (choice, client locale, shop default).
    pub languages: Languages,
    /// Ticket transcripts.
    pub transcripts: Transcripts,
    /// The metrics the services count (served by `metrics::http` when configured).
    pub metrics: Metrics,
    /// First-use activation (the "your days started" DM).
    pub activation: Arc<ActivationService>,
    /// Every configured panel (`/admin panels`).
    pub panels: Panels,
    /// Moving customers off a dead panel (several panels).
    pub failover: Arc<Failover>,
    /// Our own subscription endpoint's answers.
    pub feeds: SubscriptionFeeds,
    limits: Arc<RateLimits>,
    dashboard_waker: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// What the jobs need from the Discord layer.
pub struct DiscordPorts {
    /// Delivers outbox items.
    pub deliverer: Arc<dyn Deliverer>,
    /// Deletes ticket channels ([`ScheduledTask::DeleteChannel`] jobs).
    pub channel_deleter: Arc<dyn ScheduledHandler>,
    /// Deletes bot messages whose TTL passed.
    pub message_deleter: Arc<dyn MessageDeleter>,
    /// Looks at tickets and review cards for the sweep.
    pub inspector: Arc<dyn ViewInspector>,
}

impl App {
    /// The one way to put the application together, used by `run`, `demo`, the end-to-end
    /// harness and the benches: opens the store (migrating it), builds the 3x-ui client and the
    /// health monitor (probing the panel with `probe`, or with `status()` when `None`), then
    /// every service. The monitor is returned unspawned: spawn it after `discord::start`, so
    /// the owner alerts are subscribed before its first check.
    ///
    /// # Errors
    /// The store's (unreadable or foreign database, newer schema) and the panel client's (bad
    /// URL, certificate) errors.
    pub fn assemble(
        config: Arc<Config>,
        clock: Clock,
        probe: Option<Arc<dyn HealthProbe>>,
    ) -> Result<(Arc<Self>, HealthMonitor)> {
        let metrics = Metrics::new();
        let store = Store::open(&config.storage)?;
        let (panel, panels, monitor) = if config.panels.len() > 1 {
            let panels = Panels::several(&config, |api| MeteredPanel::wrap(api, metrics.clone()))?;
            let fleet = FleetProbe::new(panels.clone(), store.clone(), clock);
            let probe = probe.unwrap_or_else(|| Arc::new(fleet));
            let monitor = HealthMonitor::new(probe, HealthConfig::from_panel(&config.panel));
            let first = panels.iter().next().map(|h| h.api.clone());
            let panel = first.ok_or(crate::error::Error::Internal("no panel configured"))?;
            (panel, panels, monitor)
        } else {
            let panel = MeteredPanel::wrap(crate::panel::connect(&config.panel)?, metrics.clone());
            let probe = probe.unwrap_or_else(|| Arc::new(PanelProbe(panel.clone())));
            let monitor = HealthMonitor::new(probe, HealthConfig::from_panel(&config.panel));
            let panels = Panels::single(&config, panel.clone(), monitor.breaker());
            (panel, panels, monitor)
        };
        let app = Self::new(Deps {
            store,
            panel,
            breaker: monitor.breaker(),
            roles: Roles::new(config.roles.clone()),
            config,
            clock,
            metrics,
            panels,
        });
        Ok((Arc::new(app), monitor))
    }

    /// The same application as a new process would build it on the same data directory and
    /// configuration (a new store pool and panel client, time from `clock`), keeping this one's
    /// circuit breaker: a restart in tests and the demo.
    ///
    /// # Errors
    /// As [`App::assemble`].
    pub fn restart(&self, clock: Clock) -> Result<Arc<Self>> {
        let metrics = self.metrics.clone();
        let panel = MeteredPanel::wrap(crate::panel::connect(&self.config.panel)?, metrics.clone());
        let panels = if self.panels.is_several() {
            self.panels.clone()
        } else {
            Panels::single(&self.config, panel.clone(), self.breaker.clone())
        };
        Ok(Arc::new(Self::new(Deps {
            store: Store::open(&self.config.storage)?,
            panel,
            breaker: self.breaker.clone(),
            roles: self.roles.clone(),
            config: self.config.clone(),
            clock,
            metrics,
            panels,
        })))
    }

    /// Builds every service from `deps` (its breaker is the health monitor's).
    #[must_use]
    pub fn new(deps: Deps) -> Self {
        let Deps {
            store,
            config,
            clock,
            breaker,
            roles,
            metrics,
            panels,
            ..
        } = deps.clone();
        let limits = Arc::new(RateLimits::with_promo(
            &config.orders,
            config.promo.attempts_per_10_min,
        ));
        let orders = OrderService::new(&deps, limits.clone());
        let sessions = AdminSessions::new(store.clone(), roles.clone(), clock);
        let subscriptions = SubscriptionService::new(deps.clone());
        let activation = Arc::new(ActivationService::new(deps.clone()));
        let failover = Arc::new(Failover::new(deps.clone()));
        let feeds = SubscriptionFeeds::new(deps.clone());
        let approval = Arc::new(ApprovalService::new(deps.clone()));
        let revenue = RevenueService::new(store.clone(), config.shop_time_zone(), clock);
        let crypto = crypto_payments(&deps, &approval);
        let growth = Arc::new(GrowthService::new(
            deps.clone(),
            (approval.clone(), subscriptions.clone(), orders.clone()),
            limits.clone(),
        ));
        let transcripts = Transcripts::new(&deps);
        let staff = StaffService::new(deps, revenue.clone());
        let receipts = ReceiptService::new(
            store.clone(),
            config.receipts.clone(),
            &config.storage,
            clock,
        );
        let transient = TransientMessages::new(store.clone(), clock);
        let intake = ReceiptIntake::new(store.clone(), orders.clone(), receipts.clone())
            .with_provisional(approval.clone());
        let languages = Languages::new(store.clone(), clock, config.default_language());
        Self {
            config,
            store,
            clock,
            breaker,
            roles,
            orders,
            sessions,
            approval,
            revenue,
            receipts,
            intake,
            subscriptions,
            staff,
            transient,
            crypto,
            growth,
            languages,
            transcripts,
            metrics,
            activation,
            panels,
            failover,
            feeds,
            limits,
            dashboard_waker: Arc::default(),
        }
    }

    /// Starts our own subscription endpoint when `backends.subscription_listen` is set.
    ///
    /// # Errors
    /// Binding the address fails.
    pub async fn start_subscription_endpoint(&self) -> std::io::Result<Option<crate::net::Served>> {
        let listen = &self.config.backends.subscription_listen;
        let Ok(addr) = listen.parse::<std::net::SocketAddr>() else {
            return Ok(None);
        };
        crate::service::panels::subscription::listener::start(addr, self.feeds.clone())
            .await
            .map(Some)
    }

    /// Asks the revenue dashboard to refresh (after a sale).
    pub fn wake_dashboard(&self) {
        self.dashboard_waker.notify_one();
    }

    /// The dashboard job's wake-up.
    #[must_use]
    pub fn dashboard_waker(&self) -> Arc<tokio::sync::Notify> {
        self.dashboard_waker.clone()
    }

    /// The background jobs: outbox delivery, scheduled jobs (ticket deletion), admin session
    /// purge, revenue refresh, approval reconcile (with resume of approvals waiting for the
    /// panel), abandoned orders, receipt retention, rate-limit purge, subscription reminders,
    /// expiry and reconciliation, first-use activation, message TTL cleanup, the sweep of Discord
    /// views, transcript retention and (when configured) backups. Call once. This is the one list
    /// of the bot's jobs (the Discord
    /// layer adds only the dashboard).
    pub fn jobs(&self, ports: DiscordPorts) -> Vec<Arc<dyn Job>> {
        let outbox = OutboxJob::new(self.store.clone(), ports.deliverer, self.clock);
        let sweep = Sweep::new(
            self.store.clone(),
            self.orders.clone(),
            self.clock,
            ports.inspector,
        );
        let scheduled = ScheduledJobsRunner::new(self.store.clone(), self.clock)
            .handle(ScheduledTask::DELETE_CHANNEL, ports.channel_deleter);
        let mut jobs: Vec<Arc<dyn Job>> = vec![
            Arc::new(outbox),
            Arc::new(scheduled),
            Arc::new(SessionPurgeJob::new(self.store.clone(), self.clock)),
            Arc::new(RevenueRefreshJob(self.revenue.clone())),
            Arc::new(ApprovalReconcileJob(self.approval.clone())),
            Arc::new(AbandonedOrdersJob(Arc::new(self.orders.clone()))),
            Arc::new(ReceiptRetentionJob(self.receipts.clone())),
            Arc::new(RateLimitPurgeJob(self.limits.clone())),
            Arc::new(RemindersJob(self.subscriptions.clone())),
            Arc::new(ExpiryJob(self.subscriptions.clone())),
            Arc::new(ReconcileJob(self.subscriptions.clone())),
            Arc::new(ActivationJob(self.activation.clone())),
            Arc::new(MessageTtlJob::new(
                self.store.clone(),
                self.clock,
                ports.message_deleter,
            )),
            Arc::new(SweepJob(sweep)),
            Arc::new(TranscriptRetentionJob(self.transcripts.clone())),
        ];
        if let Some(crypto) = &self.crypto {
            jobs.push(Arc::new(CryptoPollJob(crypto.clone())));
        }
        if self.config.referrals.enabled {
            jobs.push(Arc::new(ReferralRewardJob(self.growth.clone())));
        }
        if self.panels.is_several() {
            jobs.push(Arc::new(FailoverJob(self.failover.clone())));
        }
        if let Some(backup) =
            BackupJob::from_config(&self.config.backup, self.config.storage.clone(), self.clock)
        {
            jobs.push(Arc::new(backup));
        }
        jobs.into_iter()
            .map(|j| MeteredJob::wrap(j, self.metrics.clone(), self.clock))
            .collect()
    }
}

/// The Crypto Pay service when a `cryptobot` payment method is configured: the client talks to
/// `cryptobot.api_url`, else Crypto Pay's mainnet or testnet. `None` (logged) when the client
/// cannot be built.
fn crypto_payments(deps: &Deps, approval: &Arc<ApprovalService>) -> Option<Arc<CryptoPayments>> {
    let config = &deps.config;
    if !config.cryptobot_enabled() {
        return None;
    }
    match CryptoPayClient::from_config(&config.cryptobot) {
        Ok(client) => Some(Arc::new(CryptoPayments::new(
            deps.clone(),
            Arc::new(client),
            approval.clone(),
        ))),
        Err(e) => {
            tracing::error!(error = %e, "Crypto Pay is configured but its client cannot be built");
            None
        }
    }
}
