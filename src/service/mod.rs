//! The core services: the shop's business logic. They never import serenity or poise: they
//! return plain results and queue typed outbox deliveries (`domain::delivery`) for the Discord
//! layer, which plugs in through the traits defined here (`outbox::Deliverer`,
//! `scheduled::ScheduledHandler`, `housekeeping::MessageDeleter`).

//!
//! Reading order: a customer's order (`orders`, `intake`, `receipts`), the admin's decision
//! (`admin_sessions`, `approval`), what the customer then has (`subscriptions`), the shop's books
//! and staff views (`revenue`, `staff`), then the machinery (`state`, `outbox`, `scheduled`,
//! `sweep`, `health`, `housekeeping`, `jobs`, `roles`, `rate_limit`).

// The shop.
/// First-use activation: noticing the clock started, telling the customer once.
pub mod activation;
/// One-time admin confirmation tokens (5 minutes, one admin, one action, one payment).
pub mod admin_sessions;
/// Approval, rejection and provisioning: the persisted state machine that creates or extends
/// the panel client exactly once, its crash reconciler and the review card's place.
pub mod approval;
/// Automatic payment by Crypto Pay invoices: invoice per order, poller, settlement into the
/// approval state machine, mismatch alerts.
pub mod crypto;
/// Growth: bans, the free trial, promo codes, referrals and gift subscriptions.
pub mod growth;
/// Receipt intake: a ticket message (live or caught up) → download → pipeline → submitted receipt.
pub mod intake;
/// The customer's language: `/language` choice, else Discord locale, else the shop default.
pub mod languages;
/// Orders: open (plan snapshot), ticket, payment method, receipt submission, cancel,
/// abandonment, deleted tickets and customers who left.
pub mod orders;
/// The receipt image pipeline: size and format checks, SHA-256 and perceptual hash, storage.
pub mod receipts;
/// Revenue: the ledger's totals per period and currency, the cache, the dashboard chart.
pub mod revenue;
/// Staff views of the whole shop: health, revenue report, backups on demand.
pub mod staff;
/// Subscriptions: `/status`, "Show my link", reminders, expiry, panel reconciliation, admin
/// extend/revoke.
pub mod subscriptions;
/// Ticket transcripts: messages recorded as seen, archived when the channel goes.
pub mod transcripts;

// The machinery.
/// The one bundle of handles (store, panel, breaker, roles, config, clock) services are built from.
pub mod deps;
/// The panel health monitor and circuit breaker.
pub mod health;
/// Housekeeping jobs: admin session purge, transient message deletion, scheduled backups.
pub mod housekeeping;
/// The small jobs that drive services: approval reconcile, abandoned orders, receipt retention,
/// rate-limit purge.
pub mod jobs;
/// The outbox worker: deliveries at least once, views re-rendered, errors by class.
pub mod outbox;
/// Several panels: registry, placement, fleet health, failover.
pub mod panels;
/// Per-user rate limits (`/order`, wrong codes...).
pub mod rate_limit;

pub use deps::Deps;
/// Who may do what: the role table from `[roles]`.
pub mod roles;
/// Durable delayed jobs (a ticket channel's deletion at a time).
pub mod scheduled;
/// The only way to move an order's or payment's status, queue a delivery or write an audit entry.
pub mod state;
/// The sweep: Discord's views compared with the database and repaired.
pub mod sweep;
