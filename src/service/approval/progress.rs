//! An approval attempt's record: what `payments.provision_step` holds ([`Progress`]: the step
//! reached and the terms chosen, as JSON) and the in-memory [`Context`] of the attempt in flight.
//! A leaf of `approval/`: `drive` (which moves an attempt forward) and `finish` (which ends it)
//! both use it, neither uses the other's internals.

use serde::{Deserialize, Serialize};

use crate::domain::PaymentId;
use crate::error::Result;
use crate::store::{self, orders::Order, payments::Payment, users::ClientIdentity};

use super::ProvisionStep;
use super::terms::Terms;

/// What `payments.provision_step` holds (JSON).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Progress {
    pub step: ProvisionStep,
    pub terms: Option<Terms>,
}

/// Reads the stored progress (`None` before the first step or for unknown text).
pub(super) fn progress_of(p: &Payment) -> Option<Progress> {
    p.provision_step
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
}

/// Stores the step reached, the terms and the `client_created` flag.
pub(super) fn save_progress(
    conn: &rusqlite::Connection,
    payment: PaymentId,
    step: ProvisionStep,
    terms: Option<Terms>,
    client_created: bool,
    now: i64,
) -> Result<()> {
    let text = serde_json::to_string(&Progress { step, terms }).unwrap_or_default();
    store::payments::set_provision_step(conn, payment, &text, client_created, now)?;
    Ok(())
}

/// Everything known about the payment being provisioned.
pub(super) struct Context {
    /// The payment as loaded.
    pub payment: Payment,
    /// Its order (plan snapshot, ticket channel).
    pub order: Order,
    /// The client identity in use (stored on the payment from step 2 on).
    pub identity: ClientIdentity,
    /// The last step reached (updated as this attempt progresses).
    pub step: ProvisionStep,
    /// Target terms, once chosen.
    pub terms: Option<Terms>,
    /// The panel client was created by this payment's provisioning (compensation may delete it).
    pub client_created: bool,
    /// This attempt sent a create/extend to the panel (it may have applied even if it failed).
    pub wrote_panel: bool,
    /// The customer already had a panel client (renewal).
    pub had_client: bool,
    /// The customer's stored expiry (Unix ms; negative = from first use; 0 = none): a renewal's
    /// starting point on a backend without traffic counters.
    pub stored_expiry: i64,
    /// The `vless://` link, built once the inbound was read (or made by the backend).
    pub link: Option<String>,
    /// The link delivered before (`users.access_link`).
    pub stored_link: Option<String>,
}
