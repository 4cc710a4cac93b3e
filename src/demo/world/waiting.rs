//! Waiting on what people see (emulator state, never a timer), and finding the components to
//! click by their typed custom_id.

use crate::discord::custom_id::CustomId;
use crate::domain::OrderId;
use crate::domain::status::OrderStatus;
use crate::sim::discord::InteractionRef;
use crate::sim::discord::state::{MessageRec, State};
use crate::store;

use super::{STEP_TIMEOUT, StepError, World};

/// Waiting on what people see.
impl World {
    /// Waits until `f` finds something in the emulator's state.
    ///
    /// # Errors
    /// [`StepError::Timeout`] naming `what`.
    pub async fn wait<T>(
        &self,
        what: &str,
        f: impl FnMut(&State) -> Option<T>,
    ) -> Result<T, StepError> {
        self.emu
            .wait_for(STEP_TIMEOUT, f)
            .await
            .map_err(|_| StepError::timeout(what))
    }

    /// Waits for the newest message matching `pred` in `channel`.
    ///
    /// # Errors
    /// [`StepError::Timeout`] listing the channel's messages.
    pub async fn message_in(
        &self,
        channel: u64,
        what: &str,
        pred: impl Fn(&MessageRec) -> bool,
    ) -> Result<MessageRec, StepError> {
        self.emu
            .wait_for(STEP_TIMEOUT, |s| {
                s.messages_in(channel)
                    .into_iter()
                    .rev()
                    .find(|m| pred(m))
                    .cloned()
            })
            .await
            .map_err(|_| StepError::Timeout {
                what: format!("{what} in channel {channel}"),
                seen: Some(self.emu.read(|s| {
                    s.messages_in(channel)
                        .iter()
                        .map(|m| format!("{:?}", m.content))
                        .collect::<Vec<_>>()
                        .join(", ")
                })),
            })
    }

    /// Waits for a direct message to `user` containing `text`.
    ///
    /// # Errors
    /// [`StepError::Timeout`].
    pub async fn dm(&self, user: u64, text: &str) -> Result<MessageRec, StepError> {
        self.wait(&format!("a DM to {user} saying {text:?}"), |s| {
            s.dms_of(user)
                .into_iter()
                .find(|m| m.content.contains(text))
                .cloned()
        })
        .await
    }

    /// Waits for the bot's answer to interaction `i` to contain `text`: its original response,
    /// or a follow-up (an answer sent after acknowledging a click without a message); it must be
    /// ephemeral.
    ///
    /// # Errors
    /// [`StepError::Timeout`] with the answer seen so far; [`StepError::Unexpected`] when the
    /// answer is visible to everyone.
    pub async fn reply_to(&self, i: &InteractionRef, text: &str) -> Result<MessageRec, StepError> {
        let m = self
            .emu
            .wait_for(STEP_TIMEOUT, |s| {
                s.answers(i.id).find(|m| m.content.contains(text)).cloned()
            })
            .await
            .map_err(|_| StepError::Timeout {
                what: format!("an answer saying {text:?} to interaction {}", i.id),
                seen: self.emu.read(|s| {
                    s.original_response(i.id)
                        .map(|m| format!("{:?}", m.content))
                }),
            })?;
        if m.is_ephemeral() {
            Ok(m)
        } else {
            Err(StepError::Unexpected(format!(
                "the answer {:?} is visible to everyone",
                m.content
            )))
        }
    }

    /// The status of `order` in the database.
    ///
    /// # Errors
    /// [`StepError::Unexpected`] when the order cannot be read.
    pub async fn order_status(&self, order: OrderId) -> Result<OrderStatus, StepError> {
        let found = self
            .app
            .store
            .call(move |c| store::orders::get(c, order))
            .await
            .map_err(|e| StepError::Unexpected(format!("reading order {order}: {e}")))?;
        found
            .map(|o| o.status)
            .ok_or_else(|| StepError::Unexpected(format!("order {order} is missing")))
    }
}

/// Every custom_id on a message's components.
#[must_use]
pub fn custom_ids(m: &MessageRec) -> Vec<String> {
    m.components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

/// The first component of `m` whose custom_id parses ([`CustomId::parse`]) to an id `wanted`
/// accepts, e.g. `|id| matches!(id, CustomId::Approve(_))`.
#[must_use]
pub fn find_id(m: &MessageRec, wanted: impl Fn(&CustomId) -> bool) -> Option<CustomId> {
    custom_ids(m)
        .iter()
        .filter_map(|c| CustomId::parse(c))
        .find(|id| wanted(id))
}

/// The custom_id (the text to click) of the first component of `m` that `wanted` accepts
/// ([`find_id`]).
///
/// # Errors
/// [`StepError::Unexpected`] when there is none.
pub fn click_id(m: &MessageRec, wanted: impl Fn(&CustomId) -> bool) -> Result<String, StepError> {
    find_id(m, wanted).map(|id| id.to_string()).ok_or_else(|| {
        StepError::Unexpected(format!(
            "no such component among {:?} on {:?}",
            custom_ids(m),
            m.content
        ))
    })
}
