//! The records the emulated Discord keeps (users, roles, permission overwrites, channels,
//! attachments, messages, interactions) and the numbering it shares with Discord: permission
//! bits, gateway intent bits and channel types. A leaf; [`super::state`] re-exports all of it,
//! which is the path to use (`sim::discord::state::{MessageRec, perms}`).

use serde_json::Value;
use tokio::time::Instant;

/// Permission bits used by the emulator (Discord's numbering).
pub mod perms {
    pub const CREATE_INSTANT_INVITE: u64 = 1;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    /// Every permission bit Discord defines today.
    pub const ALL: u64 = (1 << 51) - 1;
    /// What Discord gives @everyone in a new guild.
    pub const EVERYONE_DEFAULT: u64 = 1_071_698_660_929;
}

/// Gateway intent bits the emulator filters on.
pub mod intents {
    pub const GUILDS: u64 = 1;
    pub const GUILD_MEMBERS: u64 = 1 << 1;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// Channel types the emulator models.
pub mod kinds {
    pub const TEXT: u8 = 0;
    pub const DM: u8 = 1;
    pub const CATEGORY: u8 = 4;
}

#[derive(Debug, Clone)]
pub struct UserRec {
    pub id: u64,
    pub name: String,
    pub bot: bool,
    /// A user with DMs closed: opening a DM works, sending to it answers 50007.
    pub dms_closed: bool,
    /// The language of the user's Discord client, sent as `locale` in their interactions
    /// (`en-US` unless set; one of Discord's locales, e.g. `ru`).
    pub locale: String,
}

#[derive(Debug, Clone)]
pub struct RoleRec {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub managed: bool,
}

#[derive(Debug, Clone)]
pub struct Overwrite {
    pub id: u64,
    /// 0 = role, 1 = member.
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

#[derive(Debug, Clone)]
pub struct ChannelRec {
    pub id: u64,
    pub kind: u8,
    pub name: String,
    pub parent_id: Option<u64>,
    pub position: i64,
    pub topic: Option<String>,
    pub overwrites: Vec<Overwrite>,
    /// For DM channels, the other user.
    pub recipient: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct AttachmentRec {
    pub id: u64,
    pub filename: String,
    pub size: usize,
    pub content_type: String,
    /// Set for images, as Discord does.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct MessageRec {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<AttachmentRec>,
    pub flags: u64,
    /// Discord's message type: 0 DEFAULT, 19 REPLY.
    pub kind: u8,
    /// For a reply (type 19): the message replied to, in the same channel.
    pub reply_to: Option<u64>,
    pub timestamp: String,
    pub edited_timestamp: Option<String>,
    /// Set on messages created through an interaction (the webhook id is the application id).
    pub interaction_id: Option<u64>,
    /// For ephemeral messages: the only user who sees it.
    pub visible_to: Option<u64>,
}

impl MessageRec {
    pub fn is_ephemeral(&self) -> bool {
        self.flags & 64 != 0
    }
}

/// One interaction the driver created, and how the bot answered it.
#[derive(Debug, Clone)]
pub struct InteractionRec {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 5 modal submit.
    pub kind: u8,
    pub user_id: u64,
    pub channel_id: u64,
    pub created: Instant,
    /// The callback type the bot answered with (4, 5, 6, 7, 9), once it did.
    pub ack: Option<u8>,
    pub original: Option<u64>,
    /// Deferred (type 5) and the original still shows "thinking": the next followup edits it.
    pub loading: bool,
    /// For component interactions, the message the component is on.
    pub source_message: Option<u64>,
    /// The modal the bot opened (callback type 9): its `data` object.
    pub modal: Option<Value>,
    pub followups: Vec<u64>,
}
