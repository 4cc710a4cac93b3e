//! Roles from the config: who is owner, admin, support or customer, by user id or by any of the
//! member's role ids (the Discord layer passes them). [`Roles::require`] is the one permission
//! check every admin action calls, server side, on every click.

use crate::config::RolesConfig;
use crate::domain::UserId;
use crate::domain::role::{Permission, Role};
use crate::error::UserError;

/// Someone acting: their Discord id and the ids of the guild roles they hold right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Discord user id.
    pub user: UserId,
    /// Guild role ids of the member (empty outside a guild).
    pub role_ids: Vec<u64>,
}

impl Actor {
    /// An actor identified by user id only (no guild roles).
    #[must_use]
    pub fn user(user: UserId) -> Self {
        Self {
            user,
            role_ids: Vec::new(),
        }
    }
}

/// The role table of `[roles]`. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    config: RolesConfig,
}

impl Roles {
    /// Roles as configured.
    #[must_use]
    pub fn new(config: RolesConfig) -> Self {
        Self { config }
    }

    /// The highest role the actor holds (by user id or by any guild role id).
    #[must_use]
    pub fn role_of(&self, actor: &Actor) -> Role {
        let c = &self.config;
        let has = |users: &[u64], roles: &[u64]| {
            users.contains(&actor.user.0) || actor.role_ids.iter().any(|r| roles.contains(r))
        };
        if has(&c.owner_user_ids, &c.owner_role_ids) {
            Role::Owner
        } else if has(&c.admin_user_ids, &c.admin_role_ids) {
            Role::Admin
        } else if has(&c.support_user_ids, &c.support_role_ids) {
            Role::Support
        } else {
            Role::Customer
        }
    }

    /// The actor's role if it has `permission`.
    ///
    /// # Errors
    /// [`UserError::Forbidden`] naming the action otherwise.
    pub fn require(&self, actor: &Actor, permission: Permission) -> Result<Role, UserError> {
        let role = self.role_of(actor);
        if role.can(permission) {
            Ok(role)
        } else {
            Err(UserError::Forbidden {
                action: permission.describe().to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> Roles {
        Roles::new(RolesConfig {
            owner_user_ids: vec![1],
            admin_role_ids: vec![100],
            support_user_ids: vec![3],
            ..RolesConfig::default()
        })
    }

    #[test]
    fn roles_by_user_id_and_by_role_id() {
        let r = roles();
        assert_eq!(r.role_of(&Actor::user(UserId(1))), Role::Owner);
        let by_role = Actor {
            user: UserId(2),
            role_ids: vec![5, 100],
        };
        assert_eq!(r.role_of(&by_role), Role::Admin);
        assert_eq!(r.role_of(&Actor::user(UserId(3))), Role::Support);
        assert_eq!(r.role_of(&Actor::user(UserId(4))), Role::Customer);
    }

    #[test]
    fn support_is_forbidden_to_review() {
        let err = roles()
            .require(&Actor::user(UserId(3)), Permission::ReviewPayments)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "you are not allowed to approve or reject payments"
        );
    }
}
