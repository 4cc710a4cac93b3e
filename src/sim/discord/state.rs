//! The state Discord keeps for the emulated guild: users, roles, members, channels with their
//! permission overwrites, messages (with embeds, components and attachments), stored files, DM
//! channels, registered commands and interactions. Permission computation follows Discord's
//! documented algorithm (base permissions from @everyone and roles, then @everyone, role and
//! member overwrites), so "who can see/send" queries and 50013 checks agree with what Discord does.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tokio::time::Instant;

use super::log::LogEntry;
pub use super::records::{
    AttachmentRec, ChannelRec, InteractionRec, MessageRec, Overwrite, RoleRec, UserRec, intents,
    kinds, perms,
};
use super::session::Session;

/// The whole emulated Discord, behind one mutex.
#[derive(Debug)]
pub struct State {
    pub(crate) next_id: u64,
    pub guild_id: u64,
    pub guild_name: String,
    pub owner_id: u64,
    pub bot_id: u64,
    pub everyone_role: u64,
    pub bot_role: u64,
    pub users: BTreeMap<u64, UserRec>,
    pub roles: BTreeMap<u64, RoleRec>,
    /// Guild members: user id → role ids.
    pub members: BTreeMap<u64, Vec<u64>>,
    pub channels: BTreeMap<u64, ChannelRec>,
    pub messages: BTreeMap<u64, MessageRec>,
    pub(crate) files: HashMap<u64, Vec<u8>>,
    /// Commands registered in the guild.
    pub commands: Vec<Value>,
    /// Commands registered globally.
    pub global_commands: Vec<Value>,
    pub interactions: BTreeMap<u64, InteractionRec>,
    pub(crate) dm_channels: HashMap<u64, u64>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) log: Vec<LogEntry>,
    pub(crate) started: Instant,
    /// Fault: answer the next RESUME with op 9.
    pub(crate) fail_next_resume: bool,
    /// Time allowed for the first interaction response.
    pub(crate) ack_window: std::time::Duration,
    /// Keep the request/frame log (off for long benchmarks).
    pub(crate) record_log: bool,
    pub(crate) faults: super::faults::Faults,
}

impl State {
    /// A guild as Discord creates it: @everyone, the bot with its managed role, the owner and
    /// `#general` (ids handed out in that order).
    pub(crate) fn new(guild_name: &str, bot_name: &str, owner_name: &str) -> Self {
        let mut s = Self::empty(guild_name);
        s.seed_everyone();
        s.seed_bot(bot_name);
        s.seed_owner(owner_name);
        s.seed_general();
        s
    }

    fn empty(guild_name: &str) -> Self {
        State {
            next_id: 1_300_000_000_000_000_000,
            guild_id: 0,
            guild_name: guild_name.to_owned(),
            owner_id: 0,
            bot_id: 0,
            everyone_role: 0,
            bot_role: 0,
            users: BTreeMap::new(),
            roles: BTreeMap::new(),
            members: BTreeMap::new(),
            channels: BTreeMap::new(),
            messages: BTreeMap::new(),
            files: HashMap::new(),
            commands: Vec::new(),
            global_commands: Vec::new(),
            interactions: BTreeMap::new(),
            dm_channels: HashMap::new(),
            sessions: HashMap::new(),
            log: Vec::new(),
            started: Instant::now(),
            fail_next_resume: false,
            ack_window: std::time::Duration::from_secs(3),
            record_log: true,
            faults: super::faults::Faults::default(),
        }
    }

    /// The guild id, which is also the @everyone role's.
    fn seed_everyone(&mut self) {
        self.guild_id = self.id();
        self.everyone_role = self.guild_id;
        self.roles.insert(
            self.guild_id,
            RoleRec {
                id: self.guild_id,
                name: "@everyone".into(),
                permissions: perms::EVERYONE_DEFAULT,
                position: 0,
                managed: false,
            },
        );
    }

    /// The bot user, a member with its managed ADMINISTRATOR role.
    fn seed_bot(&mut self, bot_name: &str) {
        self.bot_id = self.id();
        self.users.insert(
            self.bot_id,
            UserRec {
                id: self.bot_id,
                name: bot_name.into(),
                bot: true,
                dms_closed: false,
                locale: "en-US".to_owned(),
            },
        );
        self.bot_role = self.id();
        self.roles.insert(
            self.bot_role,
            RoleRec {
                id: self.bot_role,
                name: bot_name.into(),
                permissions: perms::ADMINISTRATOR,
                position: 1,
                managed: true,
            },
        );
        self.members.insert(self.bot_id, vec![self.bot_role]);
    }

    /// The owner, a member without roles.
    fn seed_owner(&mut self, owner_name: &str) {
        self.owner_id = self.id();
        self.users.insert(
            self.owner_id,
            UserRec {
                id: self.owner_id,
                name: owner_name.into(),
                bot: false,
                dms_closed: false,
                locale: "en-US".to_owned(),
            },
        );
        self.members.insert(self.owner_id, Vec::new());
    }

    /// The `#general` text channel, without overwrites.
    fn seed_general(&mut self) {
        let general = self.id();
        self.channels.insert(
            general,
            ChannelRec {
                id: general,
                kind: kinds::TEXT,
                name: "general".into(),
                parent_id: None,
                position: 0,
                topic: None,
                overwrites: Vec::new(),
                recipient: None,
            },
        );
    }

    /// A fresh snowflake.
    pub(crate) fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Milliseconds since the emulator started (tokio time, so it follows `time::pause`).
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Guild permissions of a member (before channel overwrites).
    pub fn base_permissions(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return perms::ALL;
        }
        let Some(member_roles) = self.members.get(&user_id) else {
            return 0;
        };
        let mut p = self
            .roles
            .get(&self.everyone_role)
            .map_or(0, |r| r.permissions);
        for r in member_roles {
            if let Some(role) = self.roles.get(r) {
                p |= role.permissions;
            }
        }
        if p & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            p
        }
    }

    /// Permissions of a member in a channel, as Discord computes them. A DM channel gives its
    /// recipient and the bot view and send.
    pub fn permissions_in(&self, user_id: u64, channel_id: u64) -> u64 {
        let Some(ch) = self.channels.get(&channel_id) else {
            return 0;
        };
        if ch.kind == kinds::DM {
            return if ch.recipient == Some(user_id) || user_id == self.bot_id {
                perms::VIEW_CHANNEL
                    | perms::SEND_MESSAGES
                    | perms::ATTACH_FILES
                    | perms::READ_MESSAGE_HISTORY
            } else {
                0
            };
        }
        let base = self.base_permissions(user_id);
        if base & perms::ADMINISTRATOR != 0 {
            return perms::ALL;
        }
        let mut p = base;
        if let Some(o) = ch
            .overwrites
            .iter()
            .find(|o| o.kind == 0 && o.id == self.everyone_role)
        {
            p = (p & !o.deny) | o.allow;
        }
        let roles = self.members.get(&user_id).cloned().unwrap_or_default();
        let (mut allow, mut deny) = (0, 0);
        for o in ch
            .overwrites
            .iter()
            .filter(|o| o.kind == 0 && roles.contains(&o.id))
        {
            allow |= o.allow;
            deny |= o.deny;
        }
        p = (p & !deny) | allow;
        if let Some(o) = ch
            .overwrites
            .iter()
            .find(|o| o.kind == 1 && o.id == user_id)
        {
            p = (p & !o.deny) | o.allow;
        }
        if p & perms::VIEW_CHANNEL == 0 { 0 } else { p }
    }

    pub fn can_view(&self, user_id: u64, channel_id: u64) -> bool {
        self.permissions_in(user_id, channel_id) & perms::VIEW_CHANNEL != 0
    }

    pub fn can_send(&self, user_id: u64, channel_id: u64) -> bool {
        self.permissions_in(user_id, channel_id) & perms::SEND_MESSAGES != 0
    }

    /// Guild channels (not DMs), ordered by id.
    pub fn guild_channels(&self) -> Vec<&ChannelRec> {
        self.channels
            .values()
            .filter(|c| c.kind != kinds::DM)
            .collect()
    }

    pub fn channel_by_name(&self, name: &str) -> Option<&ChannelRec> {
        self.channels
            .values()
            .find(|c| c.kind != kinds::DM && c.name == name)
    }

    /// Non-ephemeral messages in a channel, oldest first.
    pub fn messages_in(&self, channel_id: u64) -> Vec<&MessageRec> {
        self.messages
            .values()
            .filter(|m| m.channel_id == channel_id && !m.is_ephemeral())
            .collect()
    }

    /// Messages in the DM channel between the bot and a user.
    pub fn dms_of(&self, user_id: u64) -> Vec<&MessageRec> {
        self.dm_channels
            .get(&user_id)
            .map(|c| self.messages_in(*c))
            .unwrap_or_default()
    }

    /// Ephemeral messages a user was shown, oldest first.
    pub fn ephemeral_for(&self, user_id: u64) -> Vec<&MessageRec> {
        self.messages
            .values()
            .filter(|m| m.is_ephemeral() && m.visible_to == Some(user_id))
            .collect()
    }

    /// The stored bytes of an uploaded attachment.
    pub fn file(&self, attachment_id: u64) -> Option<&[u8]> {
        self.files.get(&attachment_id).map(Vec::as_slice)
    }

    pub fn interaction(&self, id: u64) -> Option<&InteractionRec> {
        self.interactions.get(&id)
    }

    /// The bot's original response to an interaction, once there is one.
    pub fn original_response(&self, interaction_id: u64) -> Option<&MessageRec> {
        self.interactions
            .get(&interaction_id)?
            .original
            .and_then(|m| self.messages.get(&m))
    }

    /// The bot's answers to an interaction: its original response, then its follow-ups, in
    /// order (after DEFERRED_UPDATE_MESSAGE the original is the component's message).
    pub fn answers(&self, interaction_id: u64) -> impl Iterator<Item = &MessageRec> {
        let followups = self
            .interactions
            .get(&interaction_id)
            .into_iter()
            .flat_map(|r| r.followups.iter().filter_map(|m| self.messages.get(m)));
        self.original_response(interaction_id)
            .into_iter()
            .chain(followups)
    }

    pub(crate) fn record(&mut self, e: LogEntry) {
        if self.record_log {
            self.log.push(e);
        }
    }

    /// The request/frame log so far.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    pub fn user_by_name(&self, name: &str) -> Option<&UserRec> {
        self.users.values().find(|u| u.name == name)
    }

    /// The DM channel between the bot and a user, created on first use.
    pub(crate) fn dm_channel(&mut self, user: u64) -> u64 {
        if let Some(c) = self.dm_channels.get(&user) {
            return *c;
        }
        let c = self.id();
        let rec = ChannelRec {
            id: c,
            kind: kinds::DM,
            name: String::new(),
            parent_id: None,
            position: 0,
            topic: None,
            overwrites: Vec::new(),
            recipient: Some(user),
        };
        self.channels.insert(c, rec);
        self.dm_channels.insert(user, c);
        c
    }

    /// How many guild channels exist under a category.
    pub fn children_of(&self, category: u64) -> usize {
        self.channels
            .values()
            .filter(|c| c.parent_id == Some(category))
            .count()
    }
}
