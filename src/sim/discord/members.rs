//! Guild members and users: the member routes (`GET /guilds/{id}/members[/{user}]`, member role
//! edits), `GET /users/{id}`, and the driver steps for people joining and leaving the guild with
//! the GUILD_MEMBER_ADD / GUILD_MEMBER_REMOVE / GUILD_MEMBER_UPDATE dispatches Discord sends
//! (all three need the GUILD_MEMBERS intent). A user who left stays a user (DMs, `GET
//! /users/{id}`) but is no longer a member (`GET /guilds/{id}/members/{user}` → 404/10007).

use serde_json::{Value, json};

use super::Emulator;
use super::limits::ApiError;
use super::payload;
use super::route::{Reply, id};
use super::state::{State, UserRec, intents, perms};

/// `GET /guilds/{guild.id}/members/{user.id}`: the member, or 404 `{"message": "Unknown
/// Member", "code": 10007}` for someone who is not (or no longer) in the guild.
pub(crate) fn get_member(s: &State, user: &str) -> Reply {
    let u = id(user)?;
    if s.members.contains_key(&u) {
        Ok((200, payload::member(s, u)))
    } else {
        Err(ApiError::new(404, 10007, "Unknown Member"))
    }
}

/// `GET /users/{user.id}`: the user object (Discord answers it for any user it knows, member
/// or not), or 404 `{"message": "Unknown User", "code": 10013}`.
pub(crate) fn get_user(s: &State, user: &str) -> Reply {
    let u = user
        .parse::<u64>()
        .map_err(|_| ApiError::new(404, 10013, "Unknown User"))?;
    if s.users.contains_key(&u) {
        Ok((200, payload::user(s, u)))
    } else {
        Err(ApiError::new(404, 10013, "Unknown User"))
    }
}

/// `PUT`/`DELETE /guilds/{g}/members/{u}/roles/{r}`: MANAGE_ROLES, 10011 for an unknown role,
/// 10007 for a non-member; GUILD_MEMBER_UPDATE follows.
pub(crate) fn member_role(s: &mut State, add: bool, user: u64, role: u64) -> Reply {
    if s.base_permissions(s.bot_id) & perms::MANAGE_ROLES == 0 {
        return Err(ApiError::missing_permissions());
    }
    if !s.roles.contains_key(&role) {
        return Err(ApiError::new(404, 10011, "Unknown Role"));
    }
    let roles = s
        .members
        .get_mut(&user)
        .ok_or_else(|| ApiError::new(404, 10007, "Unknown Member"))?;
    roles.retain(|r| *r != role);
    if add {
        roles.push(role);
    }
    let mut v = payload::member(s, user);
    v["guild_id"] = json!(s.guild_id.to_string());
    s.dispatch("GUILD_MEMBER_UPDATE", &v, intents::GUILD_MEMBERS);
    Ok((204, Value::Null))
}

/// `GET /guilds/{guild.id}/members?limit=&after=`: members sorted by user id, those above
/// `after`; `limit` 1..=1000, default 1 (as Discord: a bad value is a 400 form error).
pub(crate) fn list_members(s: &State, query: &str) -> Reply {
    let mut limit = 1usize;
    let mut after = 0u64;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid_form(
                            "limit",
                            "NUMBER_TYPE_MAX",
                            "int value should be less than or equal to 1000.",
                        )
                    })?;
            }
            "after" => after = id(&v)?,
            _ => {}
        }
    }
    let list = s
        .members
        .range(after.saturating_add(1)..)
        .take(limit)
        .map(|(&u, _)| payload::member(s, u))
        .collect();
    Ok((200, Value::Array(list)))
}

/// GUILD_MEMBER_ADD's `d`: the full member object plus `guild_id` (Discord's "Guild Member
/// Add": a guild member object with an extra `guild_id` key).
pub(crate) fn member_add_event(s: &State, user: u64) -> Value {
    let mut ev = payload::member(s, user);
    ev["guild_id"] = json!(s.guild_id.to_string());
    ev
}

/// People joining and leaving.
impl Emulator {
    /// A new user joins the guild with roles; emits GUILD_MEMBER_ADD (see
    /// [`Emulator::add_member`] for its shape). Returns the user id.
    pub fn add_user(&self, name: &str, roles: &[u64]) -> u64 {
        self.inner.with(|s| {
            let id = s.id();
            s.users.insert(
                id,
                UserRec {
                    id,
                    name: name.into(),
                    bot: false,
                    dms_closed: false,
                    locale: "en-US".to_owned(),
                },
            );
            s.members.insert(id, roles.to_vec());
            let ev = member_add_event(s, id);
            s.dispatch("GUILD_MEMBER_ADD", &ev, intents::GUILD_MEMBERS);
            id
        })
    }

    /// An admin sets a member's roles by hand; GUILD_MEMBER_UPDATE follows.
    pub fn set_member_roles(&self, user: u64, roles: &[u64]) {
        self.inner.with(|s| {
            if let Some(r) = s.members.get_mut(&user) {
                *r = roles.to_vec();
                let mut v = payload::member(s, user);
                v["guild_id"] = json!(s.guild_id.to_string());
                s.dispatch("GUILD_MEMBER_UPDATE", &v, intents::GUILD_MEMBERS);
            }
        });
    }

    /// An existing user (e.g. one who left, see [`Emulator::remove_member`]) joins the guild
    /// again with `roles`; GUILD_MEMBER_ADD follows with `d` = the member object (`user`,
    /// `roles`, `joined_at`, `deaf`, `mute`, `flags`, ...) plus `guild_id`, as Discord sends it.
    /// Discord may send it for someone already in the guild too: then the roles are replaced
    /// and the event is sent again. False (and nothing sent) when no such user exists; new
    /// people join with [`Emulator::add_user`].
    pub fn add_member(&self, user: u64, roles: &[u64]) -> bool {
        self.inner.with(|s| {
            if !s.users.contains_key(&user) {
                return false;
            }
            s.members.insert(user, roles.to_vec());
            let ev = member_add_event(s, user);
            s.dispatch("GUILD_MEMBER_ADD", &ev, intents::GUILD_MEMBERS);
            true
        })
    }

    /// A member leaves (or is kicked from) the guild; the user still exists for DMs and `GET
    /// /users/{id}`, `GET /guilds/{g}/members/{id}` answers 404/10007. GUILD_MEMBER_REMOVE
    /// follows with `d` = `{"guild_id", "user": {user object}}` (Discord's "Guild Member
    /// Remove" fields). Nothing happens for someone who is not a member.
    pub fn remove_member(&self, user: u64) {
        self.inner.with(|s| {
            if s.members.remove(&user).is_some() {
                let v = json!({"guild_id": s.guild_id.to_string(), "user": payload::user(s, user)});
                s.dispatch("GUILD_MEMBER_REMOVE", &v, intents::GUILD_MEMBERS);
            }
        });
    }
}
