//! The test driver: what people do in the guild (run a slash command, click a
//! button, pick select options, submit a modal, upload a file, create or delete a channel by
//! hand, change roles and overwrites, close their DMs). Every action goes through the same state
//! and gateway as REST writes. Faults and rate limits are set from `faults`.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::http::Part;
use super::limits::ApiError;
use super::state::{ChannelRec, InteractionRec, Overwrite, RoleRec, intents, perms};
use super::{Emulator, channels, messages, payload};

/// `wait_for` ran out of time.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("timed out waiting for the emulator state")]
pub struct WaitTimeout;

/// A slash command option value.
#[derive(Debug, Clone)]
pub enum CommandOption {
    Str(&'static str, String),
    Int(&'static str, i64),
    Bool(&'static str, bool),
    User(&'static str, u64),
    Channel(&'static str, u64),
    Role(&'static str, u64),
}

/// An interaction the driver created.
#[derive(Debug, Clone)]
pub struct InteractionRef {
    pub id: u64,
    pub token: String,
}

impl Emulator {
    /// The guild id, the bot's user id (= application id) and the owner's id.
    pub fn ids(&self) -> (u64, u64, u64) {
        self.read(|s| (s.guild_id, s.bot_id, s.owner_id))
    }

    /// A role with the given permission bits; emits GUILD_ROLE_CREATE.
    pub fn add_role(&self, name: &str, permissions: u64) -> u64 {
        self.inner.with(|s| {
            let id = s.id();
            let position = i64::try_from(s.roles.len()).unwrap_or(1);
            let r = RoleRec {
                id,
                name: name.into(),
                permissions,
                position,
                managed: false,
            };
            let ev = json!({"guild_id": s.guild_id.to_string(), "role": payload::role(&r)});
            s.roles.insert(id, r);
            s.dispatch("GUILD_ROLE_CREATE", &ev, intents::GUILDS);
            id
        })
    }

    /// Changes a role's permissions; emits GUILD_ROLE_UPDATE.
    pub fn set_role_permissions(&self, role: u64, permissions: u64) {
        self.inner.with(|s| {
            if let Some(r) = s.roles.get_mut(&role) {
                r.permissions = permissions;
                let ev = json!({"guild_id": s.guild_id.to_string(), "role": payload::role(r)});
                s.dispatch("GUILD_ROLE_UPDATE", &ev, intents::GUILDS);
            }
        });
    }

    /// Someone edits a channel's overwrite for a role (`kind` 0) or member (`kind` 1) by hand;
    /// CHANNEL_UPDATE follows.
    pub fn set_overwrite(&self, channel: u64, target: u64, kind: u8, allow: u64, deny: u64) {
        self.inner.with(|s| {
            if let Some(c) = s.channels.get_mut(&channel) {
                c.overwrites.retain(|o| o.id != target);
                c.overwrites.push(Overwrite {
                    id: target,
                    kind,
                    allow,
                    deny,
                });
                let v = payload::channel(s, &s.channels[&channel]);
                s.dispatch("CHANNEL_UPDATE", &v, intents::GUILDS);
            }
        });
    }

    /// An admin creates a channel by hand (kind 0 text, 4 category); CHANNEL_CREATE follows.
    pub fn add_channel(&self, name: &str, kind: u8, parent: Option<u64>) -> u64 {
        self.inner.with(|s| {
            let id = s.id();
            let position = i64::try_from(s.channels.len()).unwrap_or(0);
            s.channels.insert(
                id,
                ChannelRec {
                    id,
                    kind,
                    name: name.into(),
                    parent_id: parent,
                    position,
                    topic: None,
                    overwrites: Vec::new(),
                    recipient: None,
                },
            );
            let v = payload::channel(s, &s.channels[&id]);
            s.dispatch("CHANNEL_CREATE", &v, intents::GUILDS);
            id
        })
    }

    /// Sets the language of a user's Discord client: their interactions then carry
    /// `"locale": locale` (Discord sends the client's locale, e.g. `ru`, `en-US`, in every
    /// interaction; `guild_locale` stays the guild's).
    pub fn set_locale(&self, user: u64, locale: &str) {
        self.inner.with(|s| {
            if let Some(u) = s.users.get_mut(&user) {
                locale.clone_into(&mut u.locale);
            }
        });
    }

    /// Closes (or opens) a user's DMs: the bot's DM sends then answer 50007.
    pub fn set_dms_closed(&self, user: u64, closed: bool) {
        self.inner.with(|s| {
            if let Some(u) = s.users.get_mut(&user) {
                u.dms_closed = closed;
            }
        });
    }

    fn new_interaction(
        &self,
        kind: u8,
        user: u64,
        channel: u64,
        data: &Value,
        source: Option<u64>,
    ) -> InteractionRef {
        self.inner.with(|s| {
            let id = s.id();
            let token = format!("tok{id}x{}", s.id());
            let mut v = payload::interaction(s, id, &token, kind, user, channel, data);
            if let Some(m) = source.and_then(|m| s.messages.get(&m)) {
                v["message"] = payload::message(s, &self.inner.base_url(), m, false);
            }
            s.interactions.insert(
                id,
                InteractionRec {
                    id,
                    token: token.clone(),
                    kind,
                    user_id: user,
                    channel_id: channel,
                    created: Instant::now(),
                    ack: None,
                    original: None,
                    loading: false,
                    source_message: source,
                    modal: None,
                    followups: Vec::new(),
                },
            );
            s.dispatch("INTERACTION_CREATE", &v, 0);
            InteractionRef { id, token }
        })
    }

    /// The DM channel between a user and the bot (opened if needed): pass it to
    /// [`Emulator::run_command`] for a command used in the bot's DMs.
    pub fn dm_channel(&self, user: u64) -> u64 {
        self.inner.with(|s| s.dm_channel(user))
    }

    /// A user runs a slash command with options (USER/CHANNEL/ROLE options are resolved).
    pub fn run_command(
        &self,
        user: u64,
        channel: u64,
        name: &str,
        options: &[CommandOption],
    ) -> InteractionRef {
        let data = self.command_data(user, name, options);
        self.new_interaction(2, user, channel, &data, None)
    }

    /// A user runs `/name sub` (a subcommand) with options.
    pub fn run_subcommand(
        &self,
        user: u64,
        channel: u64,
        name: &str,
        sub: &str,
        options: &[CommandOption],
    ) -> InteractionRef {
        let mut data = self.command_data(user, name, options);
        let inner = data["options"].take();
        data["options"] = json!([{"name": sub, "type": 1, "options": inner}]);
        self.new_interaction(2, user, channel, &data, None)
    }

    /// A user runs `/name group sub` (a subcommand in a subcommand group) with options.
    pub fn run_subcommand_group(
        &self,
        user: u64,
        channel: u64,
        (name, group, sub): (&str, &str, &str),
        options: &[CommandOption],
    ) -> InteractionRef {
        let mut data = self.command_data(user, name, options);
        let inner = data["options"].take();
        data["options"] = json!([{"name": group, "type": 2,
            "options": [{"name": sub, "type": 1, "options": inner}]}]);
        self.new_interaction(2, user, channel, &data, None)
    }

    fn command_data(&self, user: u64, name: &str, options: &[CommandOption]) -> Value {
        self.read(|s| {
            let cmd_id = s.commands.iter().chain(&s.global_commands).find(|c| c["name"] == name).and_then(|c| c["id"].as_str().map(str::to_owned));
            let mut resolved = json!({});
            let opts: Vec<Value> = options
                .iter()
                .map(|o| match o {
                    CommandOption::Str(n, v) => json!({"name": n, "type": 3, "value": v}),
                    CommandOption::Int(n, v) => json!({"name": n, "type": 4, "value": v}),
                    CommandOption::Bool(n, v) => json!({"name": n, "type": 5, "value": v}),
                    CommandOption::User(n, u) => {
                        resolved["users"][u.to_string()] = payload::user(s, *u);
                        let mut m = payload::member(s, *u);
                        if let Some(o) = m.as_object_mut() {
                            o.remove("user");
                        }
                        resolved["members"][u.to_string()] = m;
                        json!({"name": n, "type": 6, "value": u.to_string()})
                    }
                    CommandOption::Channel(n, c) => {
                        let mut ch = s.channels.get(c).map_or(Value::Null, |c| payload::channel(s, c));
                        ch["permissions"] = json!(s.permissions_in(user, *c).to_string());
                        resolved["channels"][c.to_string()] = ch;
                        json!({"name": n, "type": 7, "value": c.to_string()})
                    }
                    CommandOption::Role(n, r) => {
                        resolved["roles"][r.to_string()] = s.roles.get(r).map_or(Value::Null, payload::role);
                        json!({"name": n, "type": 8, "value": r.to_string()})
                    }
                })
                .collect();
            json!({"id": cmd_id.unwrap_or_else(|| "1".into()), "name": name, "type": 1, "options": opts,
                   "resolved": resolved, "guild_id": s.guild_id.to_string()})
        })
    }

    /// A user clicks a button on a message.
    pub fn click_button(&self, user: u64, message: u64, custom_id: &str) -> InteractionRef {
        let channel = self.read(|s| s.messages.get(&message).map_or(0, |m| m.channel_id));
        self.new_interaction(
            3,
            user,
            channel,
            &json!({"custom_id": custom_id, "component_type": 2}),
            Some(message),
        )
    }

    /// A user picks options in a string select on a message.
    pub fn select(
        &self,
        user: u64,
        message: u64,
        custom_id: &str,
        values: &[&str],
    ) -> InteractionRef {
        let channel = self.read(|s| s.messages.get(&message).map_or(0, |m| m.channel_id));
        let data = json!({"custom_id": custom_id, "component_type": 3, "values": values});
        self.new_interaction(3, user, channel, &data, Some(message))
    }

    /// The user fills the modal opened for `opened_by` with `(custom_id, value)` pairs and
    /// submits it. `None` when no modal was opened.
    pub fn submit_modal(
        &self,
        opened_by: &InteractionRef,
        values: &[(&str, &str)],
    ) -> Option<InteractionRef> {
        // A modal opened from a component carries that message, so UPDATE_MESSAGE works.
        let (modal, user, channel, source) = self.read(|s| {
            let i = s.interactions.get(&opened_by.id)?;
            Some((i.modal.clone()?, i.user_id, i.channel_id, i.source_message))
        })?;
        let rows: Vec<Value> = values
            .iter()
            .map(|(id, v)| json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": v}]}))
            .collect();
        let data = json!({"custom_id": modal["custom_id"], "components": rows});
        Some(self.new_interaction(5, user, channel, &data, source))
    }

    /// Submits the modal like a person: if the submit is not acknowledged within `patience`
    /// (Discord then shows "Something went wrong"), submits again, up to 5 times. Needed because
    /// poise installs its modal collector only after the type-9 callback returned, so an instant
    /// submit can arrive before anyone listens; a human is never that fast.
    ///
    /// # Errors
    /// [`WaitTimeout`] when no modal was opened or no submit was acknowledged.
    pub async fn submit_modal_until_acked(
        &self,
        opened_by: &InteractionRef,
        values: &[(&str, &str)],
        patience: Duration,
    ) -> Result<InteractionRef, WaitTimeout> {
        for _ in 0..5 {
            let submit = self.submit_modal(opened_by, values).ok_or(WaitTimeout)?;
            let id = submit.id;
            if self
                .wait_for(patience, |s| s.interaction(id).and_then(|i| i.ack))
                .await
                .is_ok()
            {
                return Ok(submit);
            }
        }
        Err(WaitTimeout)
    }

    /// A user posts a message (optionally with one file) in a channel; see
    /// [`Emulator::user_message_files`].
    ///
    /// # Errors
    /// As [`Emulator::user_message_files`].
    pub fn user_message(
        &self,
        user: u64,
        channel: u64,
        content: &str,
        file: Option<(&str, Vec<u8>)>,
    ) -> Result<u64, ApiError> {
        self.user_message_files(user, channel, content, file.into_iter().collect())
    }

    /// A user posts a message with any number of files (`(filename, bytes)`, uploaded as
    /// `files[0]`, `files[1]`, ... in this order) in a channel; returns the message id. The
    /// message is stored whether or not a gateway session is connected (a bot that is away
    /// sees it only through `GET /channels/{id}/messages`); MESSAGE_CREATE goes to the
    /// sessions that exist now, with one attachment object per file (`id`, `filename`, `size`,
    /// `url`, `proxy_url`, `content_type`, `width`/`height` for images), as Discord sends it.
    ///
    /// # Errors
    /// The error Discord would give the user (unknown channel, 50013 when the user may not send
    /// or attach files there, a file over 10 MiB, an empty message).
    pub fn user_message_files(
        &self,
        user: u64,
        channel: u64,
        content: &str,
        files: Vec<(&str, Vec<u8>)>,
    ) -> Result<u64, ApiError> {
        let base = self.base_url();
        self.inner.with(|s| {
            if !s.channels.contains_key(&channel) {
                return Err(ApiError::unknown_channel());
            }
            let mut need = perms::VIEW_CHANNEL | perms::SEND_MESSAGES;
            if !files.is_empty() {
                need |= perms::ATTACH_FILES;
            }
            if s.permissions_in(user, channel) & need != need {
                return Err(ApiError::missing_permissions());
            }
            let parts: Vec<Part> = files
                .into_iter()
                .enumerate()
                .map(|(n, (name, data))| Part {
                    name: format!("files[{n}]"),
                    filename: Some(name.into()),
                    content_type: None,
                    data,
                })
                .collect();
            let m = messages::build(s, channel, user, &json!({"content": content}), &parts)?;
            let id = m.id;
            messages::insert(s, &base, m);
            Ok(id)
        })
    }

    /// `user` edits the text of their own message `message`; MESSAGE_UPDATE goes to the
    /// connected sessions, as Discord sends it.
    ///
    /// # Errors
    /// Unknown message, or 50005 "Cannot edit a message authored by another user".
    pub fn user_edit_message(
        &self,
        user: u64,
        message: u64,
        content: &str,
    ) -> Result<(), ApiError> {
        let base = self.base_url();
        self.inner.with(|s| {
            let author = s
                .messages
                .get(&message)
                .map(|m| m.author_id)
                .ok_or_else(ApiError::unknown_message)?;
            if author != user {
                return Err(ApiError::new(
                    403,
                    50005,
                    "Cannot edit a message authored by another user",
                ));
            }
            messages::edit(s, &base, message, &json!({ "content": content }), &[]).map(drop)
        })
    }

    /// Someone deletes a channel by hand; CHANNEL_DELETE follows. False if it did not exist.
    pub fn delete_channel_by_hand(&self, channel: u64) -> bool {
        self.inner
            .with(|s| channels::delete_channel(s, channel).is_some())
    }
}
