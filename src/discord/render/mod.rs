//! How things look in Discord: select menus, buttons, embeds and texts built from core values.
//! No service calls here. The shop-wide staff views (revenue, health, backup) are in `staff`.

mod crypto;
mod notices;
mod panels;
mod staff;

pub(super) use crypto::{check_reply, invoice_message, invoice_notice, new_invoice_button};
pub(super) use notices::{notice, notice_buttons, owner_alert, reveal_offer};
pub(super) use panels::panels_text;
pub(super) use staff::{backup_text, health_text, revenue_embed, revenue_report_embed};

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

use crate::config::{PaymentMethod, Plan};
use crate::discord::custom_id::CustomId;
use crate::domain::OrderId;
use crate::domain::delivery::ReviewState;
use crate::domain::status::{OrderStatus, PaymentSource};
use crate::store::orders::Order;
use crate::store::payments::Payment;

/// `500` `USD` → `5.00 USD`.
#[must_use]
pub(super) fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// An expiry as Discord shows it to each reader in their own time zone: Unix ms → `<t:…:f>`;
/// negative = that many ms from the first connection; 0 = never.
#[must_use]
pub(super) fn when(expiry_ms: i64) -> String {
    match expiry_ms {
        0 => "never".to_owned(),
        e if e < 0 => format!("{} days after your first connection", -e / 86_400_000),
        e => format!("on <t:{}:f>", e / 1000),
    }
}

/// One line describing a plan.
#[must_use]
pub(super) fn plan_line(plan: &Plan) -> String {
    let traffic = if plan.traffic_gib == 0 {
        "unlimited traffic".to_owned()
    } else {
        format!("{} GiB", plan.traffic_gib)
    };
    format!(
        "{} days, {traffic}, {}",
        plan.days,
        money(plan.price_minor, &plan.currency)
    )
}

/// The ephemeral plan select of `/order`.
pub(super) fn plan_select(plans: &[Plan]) -> CreateActionRow {
    let options = plans
        .iter()
        .take(25)
        .map(|p| CreateSelectMenuOption::new(&p.name, &p.id).description(plan_line(p)))
        .collect();
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(
            CustomId::PlanSelect.to_string(),
            CreateSelectMenuKind::String { options },
        )
        .placeholder("Choose a plan"),
    )
}

/// The payment-method select and the cancel button posted in a new ticket.
#[must_use]
pub(super) fn ticket_components(order: OrderId, methods: &[PaymentMethod]) -> Vec<CreateActionRow> {
    let options = methods
        .iter()
        .take(25)
        .map(|m| CreateSelectMenuOption::new(&m.name, &m.id))
        .collect();
    vec![
        CreateActionRow::SelectMenu(
            CreateSelectMenu::new(
                CustomId::MethodSelect(order).to_string(),
                CreateSelectMenuKind::String { options },
            )
            .placeholder("Choose a payment method"),
        ),
        CreateActionRow::Buttons(vec![
            CreateButton::new(CustomId::CancelOrder(order).to_string())
                .label("Cancel order")
                .style(ButtonStyle::Secondary),
        ]),
    ]
}

/// The welcome embed of a ticket.
pub(super) fn ticket_embed(order: &Order) -> CreateEmbed {
    CreateEmbed::new()
        .title(format!("Order #{}", order.id))
        .description(
            "Pick a payment method below, pay, then upload a screenshot of the payment here.",
        )
        .field("Plan", &order.plan.name, true)
        .field("Details", plan_line(&order.plan), true)
}

/// The file name of a receipt on the review card, by its sniffed type.
#[must_use]
pub(super) fn receipt_name(content_type: &str) -> String {
    let ext = match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };
    format!("receipt.{ext}")
}

/// The review card's embed (the receipt image is attached as `file`).
pub(super) fn review_embed(payment: &Payment, order: &Order, file: Option<&str>) -> CreateEmbed {
    let mut e = CreateEmbed::new()
        .title(format!("Payment #{} — order #{}", payment.id, order.id))
        .field("Customer", format!("<@{}>", payment.user_id), true)
        .field("Plan", &order.plan.name, true)
        .field(
            "Price",
            money(payment.amount_minor, &payment.currency),
            true,
        )
        .field("Method", &payment.method, true)
        .field("Order kind", order.kind.as_str(), true);
    if payment.source == PaymentSource::Cryptobot {
        e = e.field("Paid by", "Crypto Pay invoice (checked by the bot)", false);
    }
    if let Some((earlier, distance)) = payment.near_duplicate {
        e = e.field(
            "⚠ Near duplicate",
            format!("looks like the receipt of payment #{earlier} (distance {distance})"),
            false,
        );
    }
    if let Some(name) = file {
        e = e.image(format!("attachment://{name}"));
    }
    e
}

/// Approve / Reject buttons of a review card.
#[must_use]
pub(super) fn review_buttons(payment: crate::domain::PaymentId) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::Approve(payment).to_string())
            .label("Approve")
            .style(ButtonStyle::Success),
        CreateButton::new(CustomId::Reject(payment).to_string())
            .label("Reject")
            .style(ButtonStyle::Danger),
    ])]
}

/// The state of the review card of `payment` (of `order`) as the database says now. A rejection
/// decided in the same moment the order closed is the order's cancellation.
#[must_use]
pub(super) fn review_card_state(payment: &Payment, order: &Order) -> ReviewState {
    let cancelled = order.closed_at.is_some() && payment.decided_at == order.closed_at;
    ReviewState::of(payment.status, !cancelled)
}

/// The status line and buttons of the review card of `payment` as they are now: Approve /
/// Reject only while it is pending.
#[must_use]
pub(super) fn review_card_view(payment: &Payment, order: &Order) -> (String, Vec<CreateActionRow>) {
    let state = review_card_state(payment, order);
    let admin = (state != ReviewState::Cancelled)
        .then_some(payment.reviewer_id)
        .flatten();
    let mut text = review_status(state, admin, payment.reason.as_deref());
    if payment.source == PaymentSource::Cryptobot && admin.is_none() {
        text.push_str(" · automatic (Crypto Pay)");
    }
    let buttons = if state.buttons_enabled() {
        review_buttons(payment.id)
    } else {
        Vec::new()
    };
    (text, buttons)
}

/// The status line of a review card in `state`.
#[must_use]
pub(super) fn review_status(
    state: ReviewState,
    admin: Option<crate::domain::UserId>,
    note: Option<&str>,
) -> String {
    let by = admin.map(|a| format!(" by <@{a}>")).unwrap_or_default();
    let head = match state {
        ReviewState::Pending => "⏳ Waiting for review".to_owned(),
        ReviewState::Approving => format!("⚙ Approved{by}; creating the access"),
        ReviewState::WaitingForPanel => format!("⏸ Approved{by}; waiting for the panel"),
        ReviewState::Approved => format!("✅ Approved{by}"),
        ReviewState::Rejected => format!("❌ Rejected{by}"),
        ReviewState::Cancelled => "🚫 Order cancelled".to_owned(),
    };
    match note {
        Some(n) if !n.is_empty() => format!("{head} — {n}"),
        _ => head,
    }
}

/// The customer's answer to an accepted receipt.
pub(super) const RECEIPT_ACCEPTED: &str = "Thanks! Your receipt was received and is waiting for an \
                                    admin's review. You will get your link by DM once it is \
                                    approved.";

/// The customer's answer to a refused receipt (`why`), deleted after `ttl`.
#[must_use]
pub(super) fn receipt_refused(why: &str, ttl: std::time::Duration) -> String {
    format!(
        "Your receipt was not accepted: {why} (this notice disappears in {} minutes)",
        ttl.as_secs() / 60
    )
}

/// The Confirm / Cancel buttons of the ephemeral approval prompt.
#[must_use]
pub(super) fn confirm_buttons(token: &str) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::Confirm(token.to_owned()).to_string())
            .label("Confirm")
            .style(ButtonStyle::Success),
        CreateButton::new(CustomId::CancelConfirm(token.to_owned()).to_string())
            .label("Cancel")
            .style(ButtonStyle::Secondary),
    ])]
}

/// The message carrying a customer's connection.
#[must_use]
pub(super) fn link_text(
    order: OrderId,
    link: &str,
    subscription_url: Option<&str>,
    renewal: bool,
) -> String {
    let head = if renewal {
        format!("Your subscription was extended (order #{order}).")
    } else {
        format!("Your VPN access is ready (order #{order}).")
    };
    let sub = subscription_url
        .map(|u| format!("\nSubscription URL: {u}"))
        .unwrap_or_default();
    format!(
        "{head}\nImport this link in your VLESS client (v2rayNG, Hiddify, Streisand...) or scan the QR code:\n```\n{link}\n```{sub}"
    )
}

/// Bytes in binary units: `0 B`, `1.5 KiB`, `12.3 GiB`.
#[must_use]
pub(super) fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n.abs() < 1024 {
        return format!("{n} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v.abs() < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// The `/status` answer (the QR code is attached separately).
#[must_use]
pub(super) fn status_text(view: &crate::service::subscriptions::StatusView) -> String {
    let mut lines = Vec::new();
    if !view.live {
        lines.push(
            "⚠️ The VPN panel is unreachable right now, showing the last known data.".to_owned(),
        );
    }
    lines.push(format!("**Subscription:** {}", view.status));
    if view.enabled == Some(false) {
        lines.push("Your client is currently disabled on the server.".to_owned());
    }
    let expiry = when(view.expiry_at);
    lines.push(format!("**Expires:** {expiry}"));
    let limit = if view.limit_bytes == 0 {
        "unlimited".to_owned()
    } else {
        bytes(view.limit_bytes)
    };
    let used = view.used_bytes.map_or_else(|| "unknown".to_owned(), bytes);
    lines.push(format!("**Traffic:** {used} used of {limit}"));
    if let Some(link) = &view.link {
        lines.push(format!(
            "Import this link in your VLESS client or scan the QR code:\n```\n{link}\n```"
        ));
    }
    if let Some(url) = &view.subscription_url {
        lines.push(format!("Subscription URL: {url}"));
    }
    lines.join("\n")
}

/// `/admin user`: a customer's subscription and open order.
#[must_use]
pub(super) fn user_lookup(user: u64, found: &crate::service::subscriptions::UserLookup) -> String {
    let mut lines = vec![format!("**Customer** <@{user}>")];
    match &found.user {
        None => lines.push("Never used the bot.".to_owned()),
        Some(u) => {
            lines.push(format!("Subscription: {}", u.status));
            if let Some(email) = &u.panel_email {
                lines.push(format!("Panel client: `{email}`"));
            }
            if let Some(expiry) = u.expiry_at {
                lines.push(format!("Expires: {}", when(expiry)));
            }
            let limit = if u.traffic_limit_bytes == 0 {
                "unlimited".to_owned()
            } else {
                bytes(u.traffic_limit_bytes)
            };
            lines.push(format!("Traffic limit: {limit}"));
            if u.banned {
                let why = u.ban_reason.as_deref().unwrap_or("no reason");
                lines.push(format!("Banned: {why}"));
            }
        }
    }
    match &found.open_order {
        None => lines.push("No open order.".to_owned()),
        Some(o) => lines.push(format!("Open order: {}", order_line(o))),
    }
    lines.join("\n")
}

/// `/admin orders`: a short list.
#[must_use]
pub(super) fn order_list(status: OrderStatus, orders: &[Order]) -> String {
    if orders.is_empty() {
        return format!("No orders are {status}.");
    }
    let mut lines = vec![format!(
        "**Orders {status}** (oldest first, at most {}):",
        crate::service::subscriptions::ORDERS_SHOWN
    )];
    lines.extend(orders.iter().map(|o| format!("- {}", order_line(o))));
    lines.join("\n")
}

fn order_line(o: &Order) -> String {
    let ticket = o
        .ticket_channel_id
        .map(|c| format!(" in <#{}>", c.0))
        .unwrap_or_default();
    format!(
        "#{} {} by <@{}>, {} ({}){ticket}, opened <t:{}:R>",
        o.id,
        o.status,
        o.user_id.0,
        o.plan.name,
        money(o.plan.price_minor, &o.plan.currency),
        o.created_at / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::{bytes, money};

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(100 * 1024 * 1024 * 1024), "100.0 GiB");
    }

    #[test]
    fn money_in_minor_units() {
        assert_eq!(money(500, "USD"), "5.00 USD");
        assert_eq!(money(7, "EUR"), "0.07 EUR");
        assert_eq!(money(-1234, "EUR"), "-12.34 EUR");
    }
}
