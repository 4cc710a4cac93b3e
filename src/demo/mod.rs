//! `vpn-ticket-bot demo`: the offline showcase. [`world`] stages a shop (both emulators, a
//! generated config, a temporary data directory, the real bot); [`story`] plays the scripted
//! story against it and prints what each person sees.

mod show;
pub mod story;
mod story_ru;
pub mod world;

pub use story::run;

use std::path::PathBuf;
use std::time::Duration;

use world::StepError;

/// The receipt the customers upload: a made-up bank app screenshot (540×960 PNG), drawn by
/// `assets/make-demo-receipt.py`.
pub const RECEIPT_PNG: &[u8] = include_bytes!("../../assets/demo-receipt.png");

/// How `demo` runs.
#[derive(Debug, Default, Clone)]
pub struct DemoOptions {
    /// Write the Discord emulator's request/frame log here as JSON lines (also when a step
    /// fails).
    pub record: Option<PathBuf>,
}

/// How the story went.
#[derive(Debug)]
pub struct DemoReport {
    /// Steps that happened (all of them when `run` returns `Ok`).
    pub steps: usize,
    /// Wall time of the story, emulators and bot start included.
    pub took: Duration,
    /// REST requests and gateway frames the emulator logged.
    pub logged: usize,
}

/// Why the demo failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Step `step` ("`title`") did not happen.
    #[error("step {step} ({title}) did not happen: {source}")]
    Step {
        /// The step's number, from 1.
        step: usize,
        /// The step's title.
        title: &'static str,
        /// What was missing.
        #[source]
        source: StepError,
    },
    /// The world could not be built.
    #[error("the demo could not start: {0}")]
    Setup(StepError),
    /// `--record` could not be written.
    #[error("cannot write the record to {path}: {source}")]
    Record {
        /// The `--record` file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The number of steps in the story.
pub const STEPS: usize = 10;
