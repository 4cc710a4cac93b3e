//! Keeps guild members out of serenity's cache.
//!
//! The bot asks for `GUILD_MEMBERS` only to hear of customers leaving, and reads nothing about
//! members from the cache (roles come with each interaction, checked server side). serenity 0.12
//! has no setting to keep members out: it stores every member of `GUILD_CREATE` and every
//! `GUILD_MEMBER_ADD` in the cached guild for good, about 1.1 KiB each (measured with
//! heaptrack), so the bot's memory grew with every customer who joined.
//!
//! After serenity has cached such an event, the handler drops the member again through the
//! cache's own updates, and keeps the cached `member_count` equal to Discord's: serenity's
//! `GUILD_MEMBER_REMOVE` update drops a member and takes one off the count, its
//! `GUILD_MEMBER_ADD` update stores a member and adds one. So a member is forgotten with an add of
//! one stand-in member (user id [`STAND_IN`], no Discord user's: snowflake 1 predates Discord)
//! followed by the removal of the real one. The count has to stay right: serenity takes one off
//! it (`u64 -= 1`) for every member who leaves, cached or not, which underflows (a panic in a
//! debug build, in the task that reads the gateway) once the count falls behind the leaves.
//!
//! The bot's own member stays (serenity checks the bot's permissions with it).
//! `GUILD_MEMBER_UPDATE` also caches a member it did not have, without counting it; those are
//! left (members whose roles or nickname change are few).

use poise::serenity_prelude as serenity;

/// The user id of the one stand-in member kept in a cached guild (see the module's docs).
pub(super) const STAND_IN: u64 = 1;

/// Drops `user`'s member entry from the cached guild `guild`, unless it is the bot's own or
/// not cached; the cached `member_count` is left as it was.
pub(super) fn forget(cache: &serenity::Cache, guild: serenity::GuildId, user: &serenity::User) {
    if user.id == cache.current_user().id || user.id.get() == STAND_IN {
        return;
    }
    let cached = cache
        .guild(guild)
        .is_some_and(|g| g.members.contains_key(&user.id));
    if !cached {
        return;
    }
    let stand_in = serde_json::json!({
        "guild_id": guild,
        "user": {"id": STAND_IN.to_string(), "username": "stand-in", "discriminator": "0"},
        "roles": [], "deaf": false, "mute": false, "flags": 0,
    });
    let removal = serde_json::json!({ "guild_id": guild, "user": user });
    let events = serde_json::from_value::<serenity::GuildMemberAddEvent>(stand_in).and_then(|a| {
        serde_json::from_value::<serenity::GuildMemberRemoveEvent>(removal).map(|r| (a, r))
    });
    match events {
        Ok((mut add, mut removal)) => {
            cache.update(&mut add);
            cache.update(&mut removal);
        }
        Err(e) => tracing::debug!(error = %e, "cannot drop a member from the cache"),
    }
}

/// Drops every cached member of `guild` but the bot's own (after `GUILD_CREATE`, which lists
/// the members of a small guild).
pub(super) fn forget_all(cache: &serenity::Cache, guild: serenity::GuildId) {
    // Collected first: the guild's entry is locked while it is read.
    let users: Vec<serenity::User> = cache
        .guild(guild)
        .map(|g| g.members.values().map(|m| m.user.clone()).collect())
        .unwrap_or_default();
    for user in &users {
        forget(cache, guild, user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::discord::{State, payload};

    #[test]
    fn members_leave_the_cache_but_the_bot_and_the_channels_stay() {
        let s = State::new("shop", "vpn-bot", "owner");
        let cache = serenity::Cache::new();
        let mut ready: serenity::ReadyEvent =
            serde_json::from_value(payload::ready(&s, "session-1", "ws://x")).unwrap();
        cache.update(&mut ready);
        let mut create: serenity::GuildCreateEvent =
            serde_json::from_value(payload::guild(&s, true)).unwrap();
        cache.update(&mut create);
        let guild = serenity::GuildId::new(s.guild_id);
        let cached = |id: u64| {
            cache
                .guild(guild)
                .unwrap()
                .members
                .contains_key(&serenity::UserId::new(id))
        };
        let channels = cache.guild(guild).unwrap().channels.len();
        assert!(
            cached(s.owner_id) && cached(s.bot_id),
            "GUILD_CREATE lists both"
        );
        forget_all(&cache, guild);
        assert!(!cached(s.owner_id), "the owner's member is dropped");
        assert!(cached(s.bot_id), "the bot's own member stays");
        assert_eq!(cache.guild(guild).unwrap().channels.len(), channels);
        assert!(channels > 0);
        let count = || cache.guild(guild).unwrap().member_count;
        let members = || cache.guild(guild).unwrap().members.len();
        let listed = payload::guild(&s, true)["member_count"].as_u64().unwrap();
        assert_eq!(count(), listed, "the count stays Discord's");
        assert_eq!(members(), 2, "the bot and the stand-in");
        // A join: serenity caches and counts the member; it is dropped, the count stays.
        let mut member = payload::member(&s, s.owner_id);
        member["guild_id"] = serde_json::json!(s.guild_id.to_string());
        let mut join: serenity::GuildMemberAddEvent = serde_json::from_value(member).unwrap();
        cache.update(&mut join);
        assert!(cached(s.owner_id) && count() == listed + 1);
        forget(&cache, guild, &join.member.user);
        assert!(!cached(s.owner_id));
        assert_eq!((count(), members()), (listed + 1, 2));
        forget(&cache, guild, &join.member.user); // not cached: nothing changes
        assert_eq!((count(), members()), (listed + 1, 2));
        // Two customers leave (not cached any more): serenity takes one off the count for each.
        for id in [s.owner_id, s.owner_id + 1000] {
            let leave = serde_json::json!({
                "guild_id": s.guild_id.to_string(),
                "user": {"id": id.to_string(), "username": "gone", "discriminator": "0"},
            });
            let mut leave: serenity::GuildMemberRemoveEvent =
                serde_json::from_value(leave).unwrap();
            cache.update(&mut leave);
        }
        assert_eq!(count(), listed - 1);
    }
}
