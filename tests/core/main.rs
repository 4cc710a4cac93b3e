//! The shop's core, one test binary: the store, orders, receipts, approval and provisioning
//! (crash safety included), renewals, subscriptions, the order lifecycle, backup and restore,
//! the panel health monitor, the background jobs on tokio's paused clock, and the fuzz targets'
//! committed inputs replayed through their entry points. Services run on a temporary SQLite and
//! the 3x-ui panel emulator; no Discord here.
//!
//! One binary instead of one per file: the shared helpers (`support/`) and the 365 crates are
//! linked once.

#[path = "../support/common.rs"]
mod common;
#[path = "../support/receipt_images.rs"]
mod images;
#[path = "../support/order_core.rs"]
mod order_core;

mod activation;
mod approval;
mod background;
mod backup_restore;
mod crypto;
mod fuzz_corpus;
mod growth;
mod health_panel;
mod lifecycle;
mod migrations;
mod orders;
mod panels;
mod provisioning;
mod receipts;
mod renewal;
mod store_roundtrip;
mod subscription_races;
mod subscriptions;
mod transcripts;
mod vpn_api;
