//! Keeps guild members out of serenity's cache.
//!
//! The bot asks for `GUILD_MEMBERS` only to hear of customers leaving, and reads nothing about
//! members from the cache (roles come with each interaction, checked server side). serenity 0.12
//! has no setting to keep members out: it stores every member of `GUILD_CREATE` and every
//! `GUILD_MEMBER_ADD` in the cached guild for good, about 1.1 KiB each (measured with
//! heaptrack), so the bot's memory grew with every customer who joined. After serenity has cached
//! such an event, the handler drops the member again through the cache's own update for
//! `GUILD_MEMBER_REMOVE`, which also takes one off the cached `member_count` (so a join leaves
//! it unchanged, and a `GUILD_CREATE` leaves it lower than Discord's; nothing reads it; it is
//! never taken below zero). The bot's own member stays (serenity checks the bot's permissions
//! with it). `GUILD_MEMBER_UPDATE` also caches a member it did not have, without counting it;
//! those are left (members whose roles or nickname change are few, and dropping them would
//! take the count down each time).

use poise::serenity_prelude as serenity;

/// Drops `user`'s member entry from the cached guild `guild`, unless it is the bot's own.
pub(super) fn forget(cache: &serenity::Cache, guild: serenity::GuildId, user: &serenity::User) {
    let counted = cache.guild(guild).is_some_and(|g| g.member_count > 0);
    if user.id == cache.current_user().id || !counted {
        return;
    }
    let removal = serde_json::json!({ "guild_id": guild, "user": user });
    match serde_json::from_value::<serenity::GuildMemberRemoveEvent>(removal) {
        Ok(mut removal) => {
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
        assert_eq!(count(), 1);
        // A join: serenity caches and counts the member; it is dropped, the count stays.
        let mut member = payload::member(&s, s.owner_id);
        member["guild_id"] = serde_json::json!(s.guild_id.to_string());
        let mut join: serenity::GuildMemberAddEvent = serde_json::from_value(member).unwrap();
        cache.update(&mut join);
        assert!(cached(s.owner_id) && count() == 2);
        forget(&cache, guild, &join.member.user);
        assert!(!cached(s.owner_id));
        assert_eq!(count(), 1);
    }
}
