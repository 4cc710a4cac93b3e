//! Emulators used by tests, the demo and benches.
//!
//! [`panel`] is an in-process 3x-ui panel (axum on 127.0.0.1, port 0) that behaves like a real
//! panel of a chosen version, with fault injection driven by the test. [`discord`] is a local
//! Discord (REST under `/api/v10` + gateway websocket) that the unmodified serenity/poise client
//! talks to, with a driver API that reads like what people do. [`cryptopay`] is an in-process
//! Crypto Pay (invoices, faults, signed webhook deliveries) for the crypto payment flow.

#[warn(missing_docs)]
pub mod cryptopay;
pub mod discord;
#[warn(missing_docs)]
pub mod panel;
#[warn(missing_docs)]
pub mod vpn_api;
