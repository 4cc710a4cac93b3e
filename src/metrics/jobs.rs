//! [`MeteredJob`]: a background job that counts its passes and stamps its last success.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::Metrics;
use crate::clock::Clock;
use crate::error::Result;
use crate::tasks::Job;

/// Wraps a job: each pass is counted in `vtb_job_runs_total{job,result}` and a success sets
/// `vtb_job_last_success_timestamp_seconds{job}`.
pub struct MeteredJob {
    inner: Arc<dyn Job>,
    metrics: Metrics,
    clock: Clock,
}

impl MeteredJob {
    /// `inner`, counted in `metrics`, stamped with `clock`'s time.
    #[must_use]
    pub fn wrap(inner: Arc<dyn Job>, metrics: Metrics, clock: Clock) -> Arc<dyn Job> {
        Arc::new(Self {
            inner,
            metrics,
            clock,
        })
    }
}

#[async_trait::async_trait]
impl Job for MeteredJob {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn period(&self) -> Duration {
        self.inner.period()
    }

    fn wake(&self) -> Option<Arc<Notify>> {
        self.inner.wake()
    }

    async fn run_once(&self) -> Result<()> {
        let result = self.inner.run_once().await;
        #[allow(clippy::cast_precision_loss)]
        let now = self.clock.now_ms() as f64 / 1000.0;
        self.metrics.job_ran(self.inner.name(), result.is_ok(), now);
        result
    }
}
