//! One gateway session as Discord keeps it: the intents it identified with, its numbered dispatch
//! frames (a bounded replay buffer for RESUME) and the connection serving it, if any. A leaf:
//! [`super::state::State`] stores sessions, [`super::gateway`] serves them over the websocket.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Notify;

/// How many dispatches a session keeps for RESUME; older ones are dropped, and a resume from
/// before them gets op 9 (keeps long benchmarks bounded).
pub const REPLAY_BUFFER: usize = 10_000;

/// One gateway session (survives disconnects until re-identify).
#[derive(Debug)]
pub struct Session {
    pub intents: u64,
    /// The last dispatch frames of the session; `frames[i]` has sequence `first_seq + i`.
    pub frames: VecDeque<Value>,
    pub first_seq: usize,
    pub notify: Arc<Notify>,
    /// The websocket connection currently serving the session (`None` while the bot is away).
    pub connection: Option<u64>,
}

impl Session {
    pub(crate) fn new(intents: u64, notify: Arc<Notify>) -> Self {
        Session {
            intents,
            frames: VecDeque::new(),
            first_seq: 1,
            notify,
            connection: None,
        }
    }

    /// The sequence number of the last frame (0 when none).
    pub fn last_seq(&self) -> usize {
        self.first_seq + self.frames.len() - 1
    }

    /// Queues one dispatch frame with the next sequence number and wakes the connection.
    pub(crate) fn push(&mut self, t: &str, d: Value) {
        let seq = self.first_seq + self.frames.len();
        let mut frame = serde_json::Map::new();
        frame.insert("op".into(), json!(0));
        frame.insert("s".into(), json!(seq));
        frame.insert("t".into(), json!(t));
        frame.insert("d".into(), d);
        self.frames.push_back(Value::Object(frame));
        if self.frames.len() > REPLAY_BUFFER {
            self.frames.pop_front();
            self.first_seq += 1;
        }
        self.notify.notify_one();
    }

    /// Frames after `sent` (a sequence number) that are still buffered.
    pub(crate) fn after(&self, sent: usize) -> Vec<Value> {
        let from = (sent + 1).saturating_sub(self.first_seq);
        self.frames.iter().skip(from).cloned().collect()
    }
}
