//! Expiry racing a renewal: the customer's expiry changes in the database between the expiry
//! pass's read and its mark (here, while the panel disables the client). The mark is a
//! compare-and-set, so the customer stays `active`, no expiry notice or audit is written, and
//! the client is enabled again.

use std::sync::{Arc, Mutex};

use crate::order_core::{ADMIN_A, Shop, actor};
use async_trait::async_trait;
use vpn_ticket_bot::domain::UserId;
use vpn_ticket_bot::domain::status::SubscriptionStatus;
use vpn_ticket_bot::panel::{
    ClientSpec, ClientTraffic, DeleteOutcome, EnsureOutcome, Inbound, LastOnline, PanelApi,
    PanelResult, PanelStatus,
};
use vpn_ticket_bot::service::approval::ApprovalOutcome;
use vpn_ticket_bot::service::subscriptions::SubscriptionService;
use vpn_ticket_bot::store::{self, Store, users::Subscription};

const DAY_MS: i64 = 86_400_000;

/// A panel that, when asked to disable a client, first runs `before_disable` (once).
struct RenewsWhileDisabling {
    inner: Arc<dyn PanelApi>,
    before_disable: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

#[async_trait]
impl PanelApi for RenewsWhileDisabling {
    async fn status(&self) -> PanelResult<PanelStatus> {
        self.inner.status().await
    }
    async fn list_inbounds(&self) -> PanelResult<Vec<Inbound>> {
        self.inner.list_inbounds().await
    }
    async fn inbound(&self, id: u32) -> PanelResult<Inbound> {
        self.inner.inbound(id).await
    }
    async fn ensure_client(&self, inbound: u32, spec: &ClientSpec) -> PanelResult<EnsureOutcome> {
        self.inner.ensure_client(inbound, spec).await
    }
    async fn extend_client(&self, email: &str, expiry: i64, total: u64) -> PanelResult<()> {
        self.inner.extend_client(email, expiry, total).await
    }
    async fn set_client_enabled(&self, email: &str, enable: bool) -> PanelResult<()> {
        let hook = self.before_disable.lock().unwrap().take();
        if let Some(hook) = hook.filter(|_| !enable) {
            hook();
        }
        self.inner.set_client_enabled(email, enable).await
    }
    async fn delete_client(&self, email: &str) -> PanelResult<DeleteOutcome> {
        self.inner.delete_client(email).await
    }
    async fn client_traffic(&self, email: &str) -> PanelResult<ClientTraffic> {
        self.inner.client_traffic(email).await
    }
    async fn online_emails(&self) -> PanelResult<Vec<String>> {
        self.inner.online_emails().await
    }
    async fn last_online(&self) -> PanelResult<LastOnline> {
        self.inner.last_online().await
    }
}

/// Writes a renewed subscription (expiry `expiry`) for `user`, as a renewal's finalization does.
fn renew_in_db(store: &Store, user: UserId, expiry: i64) {
    let conn = store.conn().unwrap();
    let u = store::users::get(&conn, user).unwrap().unwrap();
    let sub = Subscription {
        expiry_at: Some(expiry),
        traffic_limit_bytes: u.traffic_limit_bytes,
        device_limit: u.device_limit,
        status: SubscriptionStatus::Active,
    };
    assert!(store::users::set_subscription(&conn, user, &sub, 0).unwrap());
}

#[tokio::test]
async fn a_renewal_during_the_expiry_pass_wins() {
    let shop = Shop::start().await;
    let user = UserId(2601);
    let (_, payment) = shop.order_under_review(user.0, "month").await;
    let token = shop.token(ADMIN_A, payment).await;
    let out = shop.approval(None).confirm(&actor(ADMIN_A), &token).await;
    assert!(matches!(out, Ok(ApprovalOutcome::Approved(_))), "{out:?}");
    let now = shop.clock.now_ms();
    renew_in_db(&shop.store, user, now - 60_000);

    let store = shop.store.clone();
    let renewed = now + 30 * DAY_MS;
    let panel = Arc::new(RenewsWhileDisabling {
        inner: shop.panel.clone(),
        before_disable: Mutex::new(Some(Box::new(move || renew_in_db(&store, user, renewed)))),
    });
    let service = SubscriptionService::new(shop.deps.with_panel(panel));
    let pass = service.expire_once().await.unwrap();
    assert_eq!(pass.raced, [user]);
    assert!(pass.expired.is_empty());
    assert_eq!(shop.user(user.0).status, SubscriptionStatus::Active);
    assert_eq!(shop.user(user.0).expiry_at, Some(renewed));
    assert!(shop.sim.client("u2601").unwrap().enable, "enabled again");
    assert!(
        shop.outbox("subscription_expired", "user_id", 2601)
            .is_empty()
    );
    let audit = store::audit::for_target(&shop.store.conn().unwrap(), "user", "2601").unwrap();
    assert!(audit.is_empty(), "{audit:?}");
}
