//! Everything about the 3x-ui panel: share links and QR codes for customers.

pub mod link;
pub mod qr;
