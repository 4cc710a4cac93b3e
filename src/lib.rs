//! vpn-ticket-bot: a Discord bot that runs a VPN shop on a 3x-ui panel.
//!
//! # Layout
//! - [`app`]: every core service built once (`Arc<App>`) and the background jobs list.
//! - [`cli`]: the command line (`run`, `demo`, `migrate`, `backup`, `restore`, `check`).
//! - [`clock`]: Unix-millisecond time that follows tokio's clock (paused in tests).
//! - [`config`]: typed TOML configuration, environment overrides for secrets, validation.
//! - [`cryptopay`]: Crypto Pay (@CryptoBot): the `CryptoPayApi` trait, its HTTP client,
//!   invoices, minor-unit amounts and webhook verification.
//! - [`error`]: the crate's error type.
//! - [`i18n`]: languages (en, ru, fa) and the embedded Fluent catalogs of customer texts.
//! - [`logging`]: tracing to stderr, JSON files and an errors-only file.
//! - [`metrics`]: Prometheus families, the metered panel and jobs, the `/metrics` listener.
//! - [`net`]: network helpers (loopback hosts bypass environment proxies).
//! - [`discord`]: the Discord layer: poise commands, the global event handler (typed
//!   custom_ids), outbox delivery (views rendered from the database), catch-up after downtime,
//!   and `start`/`serve` used by `run` and the tests.
//! - [`domain`]: plain types (ids, statuses) shared by every layer.
//! - [`store`]: the SQLite pool, migrations and all SQL, one module per table (the entities
//!   `Order`, `Payment`, `User` live with their table).
//! - [`ops`]: operator commands: backup, restore, the data-directory lock, `check`.
//! - [`panel`]: the 3x-ui panel: the `PanelApi` trait, the HTTP client for both API
//!   generations, types, share links and QR codes.
//! - [`service`]: the core services. The shop: orders, receipt intake and the receipt
//!   pipeline, admin confirmation tokens, approval and provisioning, subscriptions (`/status`,
//!   reminders, expiry, extend/revoke), revenue, staff views. The machinery: status moves and
//!   audit (`state`), the outbox, scheduled jobs, the sweep of Discord views, the panel health
//!   monitor, housekeeping, roles and rate limits. `service/mod.rs` has one line per module.
//! - [`tasks`]: background jobs: the `Job` shape (name, period, one pass), the runner that
//!   logs errors and stops on shutdown, and the `Jobs` set; the one list of jobs is
//!   [`app::App::jobs`].
//! - [`sim`]: emulators used by tests, the demo and benches (the 3x-ui panel and Discord).
//! - [`demo`]: a staged shop on both emulators with the real bot (`demo::world`, also the
//!   end-to-end tests' harness) and the `demo` command's story.
//!
//! # The one rule
//! The core (`domain`, `service`) never imports serenity or poise; only `discord` does. Only
//! `store` runs SQL and only `panel` speaks HTTP to the panel (and only `cryptopay` to Crypto Pay).

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
#[warn(missing_docs)]
pub mod cryptopay;
pub mod demo;
pub mod discord;
pub mod domain;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod logging;
pub mod metrics;
pub mod net;
pub mod ops;
pub mod panel;
pub mod service;
pub mod sim;
pub mod store;
pub mod tasks;

pub use error::{Error, Result};
