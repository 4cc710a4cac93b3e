//! The typed scheduled jobs: delayed work the core asks the Discord layer to do at a given time,
//! surviving restarts. Services write a [`ScheduledTask`] into the `scheduled_jobs` table; the
//! runner hands the row to the handler registered for its kind, which reads it back with
//! [`ScheduledTask::from_row`] and matches on the variant.
//!
//! Row shape: `kind` = [`ScheduledTask::kind`] (the serde tag), `payload` = the whole value as
//! JSON (`{"kind":"delete_channel","channel_id":…}`; Discord ids are JSON numbers), and
//! `dedupe_key` = [`ScheduledTask::dedupe_key`] (`delete_channel:<channel id>`), so the same job
//! is scheduled at most once. Rows written before the payload carried its tag
//! (`{"channel_id":…}`) are read with the row's `kind` column ([`ScheduledTask::from_row`]).

use serde::{Deserialize, Serialize};

use crate::domain::ChannelId;

/// One scheduled job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduledTask {
    /// Delete a closed order's ticket channel (already gone counts as done). Scheduled when the
    /// order is closed (due at once) or its payment approved (due after
    /// `orders.delete_ticket_after_hours`).
    DeleteChannel {
        /// The ticket channel.
        channel_id: ChannelId,
    },
}

impl ScheduledTask {
    /// The `scheduled_jobs.kind` of [`ScheduledTask::DeleteChannel`], for registering its
    /// handler with the runner.
    pub const DELETE_CHANNEL: &'static str = "delete_channel";

    /// The `scheduled_jobs.kind` text: the serde tag of the variant.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::DeleteChannel { .. } => Self::DELETE_CHANNEL,
        }
    }

    /// The dedupe key: one job per (kind, subject), e.g. `delete_channel:123` (one deletion per
    /// channel however many times a close or a delivery reaches that point).
    #[must_use]
    pub fn dedupe_key(&self) -> String {
        match self {
            Self::DeleteChannel { channel_id } => format!("{}:{channel_id}", self.kind()),
        }
    }

    /// The `scheduled_jobs.payload` JSON (includes the `kind` tag).
    #[must_use]
    pub fn payload(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Reads a payload written by [`ScheduledTask::payload`].
    ///
    /// # Errors
    /// The serde error when the payload is not a known job.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(payload)
    }

    /// Reads a `scheduled_jobs` row: its `kind` column and `payload`. A payload without a
    /// `kind` tag (written before the tag was stored) takes the row's `kind`.
    ///
    /// # Errors
    /// The serde error when the row is not a known job (unknown kind, missing or mistyped
    /// fields, a payload that is not a JSON object).
    pub fn from_row(kind: &str, payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        match payload {
            serde_json::Value::Object(fields) if !fields.contains_key("kind") => {
                let mut tagged = fields.clone();
                tagged.insert("kind".to_owned(), kind.into());
                Self::deserialize(serde_json::Value::Object(tagged))
            }
            other => Self::from_payload(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<ScheduledTask> {
        vec![ScheduledTask::DeleteChannel {
            channel_id: ChannelId(1_234_567_890_123_456_789),
        }]
    }

    #[test]
    fn payload_round_trips_and_carries_the_kind() {
        for task in all() {
            let json = task.payload();
            assert_eq!(json["kind"], task.kind());
            assert_eq!(ScheduledTask::from_payload(&json).unwrap(), task);
            assert_eq!(ScheduledTask::from_row(task.kind(), &json).unwrap(), task);
        }
    }

    #[test]
    fn delete_channel_keeps_the_stored_key_and_payload_fields() {
        let task = ScheduledTask::DeleteChannel {
            channel_id: ChannelId(1_234_567_890_123_456_789),
        };
        assert_eq!(task.kind(), "delete_channel");
        assert_eq!(task.dedupe_key(), "delete_channel:1234567890123456789");
        assert_eq!(task.payload()["channel_id"], 1_234_567_890_123_456_789_u64);
    }

    #[test]
    fn untagged_rows_read_with_their_kind_column() {
        let old = serde_json::json!({ "channel_id": 77 });
        assert_eq!(
            ScheduledTask::from_row("delete_channel", &old).unwrap(),
            ScheduledTask::DeleteChannel {
                channel_id: ChannelId(77)
            }
        );
        assert!(ScheduledTask::from_row("paint_channel", &old).is_err());
        assert!(ScheduledTask::from_row("delete_channel", &serde_json::json!({})).is_err());
        let bad = serde_json::json!({ "channel_id": "77" });
        assert!(ScheduledTask::from_row("delete_channel", &bad).is_err());
    }
}
