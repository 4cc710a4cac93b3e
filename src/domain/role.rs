//! Who someone is in the shop (owner, admin, support, customer) and what each role may do. The
//! one permission table every admin action is checked against (server side, on every click).

use std::fmt;

/// A member's role in the shop, highest first in privilege: owner ⊃ admin ⊃ support ⊃ customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Anyone else.
    Customer,
    /// Sees tickets and talks to customers.
    Support,
    /// Reviews payments, manages subscriptions, reads revenue.
    Admin,
    /// Everything an admin can do; receives panel outage DMs; takes backups on demand.
    Owner,
}

/// An action that needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See ticket channels and talk to customers.
    ViewTickets,
    /// Approve or reject payments.
    ReviewPayments,
    /// Extend or revoke subscriptions.
    ManageSubscriptions,
    /// Look up users and orders, read the revenue dashboard and the panel's health.
    ViewShop,
    /// Take a database backup on demand (owners: the operator's job, not an admin's).
    TakeBackups,
}

impl Permission {
    /// What the permission allows, for "you are not allowed to …".
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::ViewTickets => "see tickets",
            Self::ReviewPayments => "approve or reject payments",
            Self::ManageSubscriptions => "extend or revoke subscriptions",
            Self::ViewShop => "look up users, orders, revenue and health",
            Self::TakeBackups => "take backups",
        }
    }
}

impl Role {
    /// Whether this role has `permission`.
    #[must_use]
    pub const fn can(self, permission: Permission) -> bool {
        match permission {
            Permission::ViewTickets => matches!(self, Self::Support | Self::Admin | Self::Owner),
            Permission::ReviewPayments | Permission::ManageSubscriptions | Permission::ViewShop => {
                matches!(self, Self::Admin | Self::Owner)
            }
            Permission::TakeBackups => matches!(self, Self::Owner),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Customer => "customer",
            Self::Support => "support",
            Self::Admin => "admin",
            Self::Owner => "owner",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_cannot_review_or_manage() {
        assert!(Role::Support.can(Permission::ViewTickets));
        assert!(!Role::Support.can(Permission::ReviewPayments));
        assert!(!Role::Support.can(Permission::ManageSubscriptions));
        assert!(!Role::Customer.can(Permission::ViewTickets));
        assert!(Role::Admin.can(Permission::ReviewPayments));
        assert!(Role::Owner.can(Permission::ManageSubscriptions));
    }

    #[test]
    fn only_owners_take_backups() {
        assert!(Role::Owner.can(Permission::TakeBackups));
        for role in [Role::Admin, Role::Support, Role::Customer] {
            assert!(!role.can(Permission::TakeBackups), "{role}");
        }
    }
}
