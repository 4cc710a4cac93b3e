//! Prometheus metrics (`prometheus-client`): one [`Metrics`] registry per application, built in
//! `App` and handed to the services in `Deps`, so each test and the demo count on their own.
//!
//! Families (prefix `vtb_`; labels are closed sets chosen by the code, **never** a user id, an
//! email, an order id or free text):
//! - `vtb_orders_total{kind=new|renewal}`, `vtb_receipts_total{outcome=accepted|near_duplicate|
//!   exact_duplicate|invalid|refused}`, `vtb_approvals_total{outcome=delivered|delayed|failed|
//!   rejected}`;
//! - `vtb_review_wait_seconds` (receipt → admin decision), `vtb_provision_seconds` (the panel
//!   work of one approval);
//! - `vtb_panel_requests_total{panel,op,result=ok|error}`, `vtb_panel_request_seconds{panel,op}`,
//!   `vtb_panel_up{panel}` (0 while the breaker declares an outage);
//! - `vtb_outbox_pending`, `vtb_outbox_failed{kind}` (given-up deliveries), `vtb_subscriptions
//!   {status}`, `vtb_backup_last_success_timestamp_seconds`: read from the database and the data
//!   directory at scrape time ([`Metrics::render`]), a few `COUNT`s;
//! - `vtb_job_runs_total{job,result}`, `vtb_job_last_success_timestamp_seconds{job}` (jobs are
//!   wrapped by [`MeteredJob`]);
//! - `vtb_discord_rate_limits_total`: serenity's limiter held a REST request for Discord's rate
//!   limits (ahead of a 429, or after one). Behind a shared proxy (`discord.rest_proxy_url`)
//!   serenity's limiter is off and the proxy's own metrics count them.
//!
//! The listener ([`http`]) is off unless `metrics.listen` is set.

pub mod http;
mod jobs;
mod panel;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use jobs::MeteredJob;
pub use panel::MeteredPanel;

/// The name of the one panel in `panel.*` (the `panel` label).
pub const PANEL: &str = "main";

type L1 = [(&'static str, String); 1];
type L2 = [(&'static str, String); 2];
type L3 = [(&'static str, String); 3];
type Timestamp = Gauge<f64, AtomicU64>;
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// What a scrape reads from the database (filled by `store::metrics::snapshot`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Outbox rows waiting for delivery.
    pub outbox_pending: i64,
    /// Given-up outbox rows per delivery kind.
    pub outbox_failed: Vec<(String, i64)>,
    /// Customers per subscription status.
    pub subscriptions: Vec<(String, i64)>,
}

/// The application's metrics. Cheap to clone (one shared registry).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    orders: Family<L1, Counter>,
    receipts: Family<L1, Counter>,
    approvals: Family<L1, Counter>,
    review_wait: Histogram,
    provision: Histogram,
    panel_requests: Family<L3, Counter>,
    panel_seconds: Histograms<L2>,
    panel_up: Family<L1, Gauge>,
    outbox_pending: Gauge,
    outbox_failed: Family<L1, Gauge>,
    subscriptions: Family<L1, Gauge>,
    backup_last: Timestamp,
    job_runs: Family<L2, Counter>,
    job_last_success: Family<L1, Timestamp>,
    rate_limits: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn seconds_histogram() -> Histogram {
    // 10 ms … ~5.8 days in ×4 steps: provisioning and panel calls at the low end, an admin's
    // review of a receipt at the high end.
    Histogram::new(exponential_buckets(0.01, 4.0, 15))
}

fn label(key: &'static str, value: impl Into<String>) -> L1 {
    [(key, value.into())]
}

impl Metrics {
    /// A registry with every family registered, all at zero.
    #[must_use]
    pub fn new() -> Self {
        let mut inner = Inner {
            registry: Registry::with_prefix("vtb"),
            orders: Family::default(),
            receipts: Family::default(),
            approvals: Family::default(),
            review_wait: seconds_histogram(),
            provision: seconds_histogram(),
            panel_requests: Family::default(),
            panel_seconds: Family::new_with_constructor(seconds_histogram),
            panel_up: Family::default(),
            outbox_pending: Gauge::default(),
            outbox_failed: Family::default(),
            subscriptions: Family::default(),
            backup_last: Timestamp::default(),
            job_runs: Family::default(),
            job_last_success: Family::default(),
            rate_limits: Counter::default(),
        };
        inner.register();
        Self(Arc::new(inner))
    }

    /// An order was opened (`renewal`: it extends a subscription).
    pub fn order_opened(&self, renewal: bool) {
        let kind = if renewal { "renewal" } else { "new" };
        self.0.orders.get_or_create(&label("kind", kind)).inc();
    }

    /// A receipt's fate: `accepted`, `near_duplicate` (accepted, flagged), `exact_duplicate`,
    /// `invalid` (not an acceptable image) or `refused` (any other refusal).
    pub fn receipt(&self, outcome: &'static str) {
        self.0
            .receipts
            .get_or_create(&label("outcome", outcome))
            .inc();
    }

    /// An admin's decision's outcome: `delivered`, `delayed` (panel outage), `failed` or
    /// `rejected`; `waited_secs`: from the receipt to the decision (seconds), when known.
    pub fn approval(&self, outcome: &'static str, waited_secs: Option<f64>) {
        self.0
            .approvals
            .get_or_create(&label("outcome", outcome))
            .inc();
        if let Some(w) = waited_secs {
            self.0.review_wait.observe(w.max(0.0));
        }
    }

    /// The panel work of one approval took `secs` seconds.
    pub fn provisioned(&self, secs: f64) {
        self.0.provision.observe(secs);
    }

    /// One panel call: its operation name, whether it succeeded and how long it took.
    pub fn panel_call(&self, op: &'static str, ok: bool, secs: f64) {
        let result = if ok { "ok" } else { "error" };
        let calls = [
            ("panel", PANEL.to_owned()),
            ("op", op.into()),
            ("result", result.into()),
        ];
        self.0.panel_requests.get_or_create(&calls).inc();
        let timed = [("panel", PANEL.to_owned()), ("op", op.into())];
        self.0.panel_seconds.get_or_create(&timed).observe(secs);
    }

    /// One pass of job `job` ended (`ok`); a success stamps `now_secs` (Unix seconds).
    pub fn job_ran(&self, job: &'static str, ok: bool, now_secs: f64) {
        let result = if ok { "ok" } else { "error" };
        let runs = [("job", job.to_owned()), ("result", result.to_owned())];
        self.0.job_runs.get_or_create(&runs).inc();
        if ok {
            self.0
                .job_last_success
                .get_or_create(&label("job", job))
                .set(now_secs);
        }
    }

    /// serenity's limiter held a REST request for Discord's rate limits.
    pub fn discord_rate_limited(&self) {
        self.0.rate_limits.inc();
    }

    /// The OpenMetrics text of every family, with the scrape-time values: `snapshot` (from the
    /// database), whether the panel is up, the newest backup (Unix seconds).
    #[must_use]
    pub fn render(&self, snapshot: &Snapshot, panel_up: bool, backup_secs: Option<f64>) -> String {
        let m = &self.0;
        m.outbox_pending.set(snapshot.outbox_pending);
        m.outbox_failed.clear();
        for (kind, n) in &snapshot.outbox_failed {
            m.outbox_failed
                .get_or_create(&label("kind", kind.clone()))
                .set(*n);
        }
        m.subscriptions.clear();
        for (status, n) in &snapshot.subscriptions {
            m.subscriptions
                .get_or_create(&label("status", status.clone()))
                .set(*n);
        }
        m.panel_up
            .get_or_create(&label("panel", PANEL))
            .set(i64::from(panel_up));
        m.backup_last.set(backup_secs.unwrap_or(0.0));
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &m.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        text
    }
}

impl Inner {
    /// The shop's own families, then the machinery's.
    fn register(&mut self) {
        let r = &mut self.registry;
        r.register("orders", "Orders opened, by kind", self.orders.clone());
        r.register("receipts", "Receipts by outcome", self.receipts.clone());
        r.register(
            "approvals",
            "Admin decisions by outcome",
            self.approvals.clone(),
        );
        r.register(
            "review_wait_seconds",
            "Seconds from a receipt to the admin's decision",
            self.review_wait.clone(),
        );
        r.register(
            "provision_seconds",
            "Seconds of panel work per approval",
            self.provision.clone(),
        );
        self.register_machinery();
    }

    /// The panel, the outbox, the jobs, backups and Discord.
    fn register_machinery(&mut self) {
        let r = &mut self.registry;
        r.register(
            "panel_requests",
            "Panel API calls",
            self.panel_requests.clone(),
        );
        r.register(
            "panel_request_seconds",
            "Panel API call latency",
            self.panel_seconds.clone(),
        );
        r.register(
            "panel_up",
            "1 unless the panel is in an outage",
            self.panel_up.clone(),
        );
        r.register(
            "outbox_pending",
            "Deliveries waiting",
            self.outbox_pending.clone(),
        );
        r.register(
            "outbox_failed",
            "Deliveries given up, by kind",
            self.outbox_failed.clone(),
        );
        r.register(
            "subscriptions",
            "Customers by subscription status",
            self.subscriptions.clone(),
        );
        r.register(
            "backup_last_success_timestamp_seconds",
            "Unix time of the newest verified backup (0: none)",
            self.backup_last.clone(),
        );
        r.register(
            "job_runs",
            "Background job passes by result",
            self.job_runs.clone(),
        );
        r.register(
            "job_last_success_timestamp_seconds",
            "Unix time of each job's last successful pass",
            self.job_last_success.clone(),
        );
        r.register(
            "discord_rate_limits",
            "REST requests serenity held for Discord's rate limits",
            self.rate_limits.clone(),
        );
    }
}

#[cfg(test)]
mod tests;
