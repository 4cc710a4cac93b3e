//! Staff look-ups (`/admin user`, `/admin orders`): read only, `Permission::ViewShop`, checked
//! here on every call.

use crate::domain::UserId;
use crate::domain::role::Permission;
use crate::domain::status::OrderStatus;
use crate::error::Result;
use crate::service::roles::Actor;
use crate::store::orders::Order;
use crate::store::users::User;
use crate::store::{self};

use super::SubscriptionService;

/// At most this many orders per `/admin orders` answer.
pub const ORDERS_SHOWN: u32 = 15;

/// A customer as staff see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLookup {
    /// The customer row (`None`: never seen by the bot).
    pub user: Option<User>,
    /// Their open order, if any.
    pub open_order: Option<Order>,
}

impl SubscriptionService {
    /// `user`'s subscription and open order, for `actor`.
    ///
    /// # Errors
    /// [`crate::error::UserError::Forbidden`] without `ViewShop`; store errors.
    pub async fn lookup_user(&self, actor: &Actor, user: UserId) -> Result<UserLookup> {
        self.deps.roles.require(actor, Permission::ViewShop)?;
        self.deps
            .store
            .call(move |c| {
                Ok(UserLookup {
                    user: store::users::get(c, user)?,
                    open_order: store::orders::find_open_for_user(c, user)?,
                })
            })
            .await
    }

    /// The oldest orders in `status` (at most [`ORDERS_SHOWN`]), for `actor`.
    ///
    /// # Errors
    /// [`crate::error::UserError::Forbidden`] without `ViewShop`; store errors.
    pub async fn lookup_orders(&self, actor: &Actor, status: OrderStatus) -> Result<Vec<Order>> {
        self.deps.roles.require(actor, Permission::ViewShop)?;
        self.deps
            .store
            .call(move |c| store::orders::list_by_status(c, status, i64::MAX, ORDERS_SHOWN))
            .await
    }
}
