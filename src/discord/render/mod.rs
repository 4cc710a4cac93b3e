//! How things look in Discord: select menus, buttons, embeds and texts built from core values.
//! No service calls here. The shop-wide staff views (revenue, health, backup) are in `staff`.

mod crypto;
mod growth;
mod notices;
mod panels;
mod staff;
mod transcript;

pub(super) use crypto::{check_reply, invoice_message, invoice_notice, new_invoice_button};
pub(super) use growth::{Free, promo_list, provisioned_text, referral_text};
pub(super) use notices::{notice, notice_buttons, notice_target, owner_alert, reveal_offer};
pub(super) use panels::panels_text;
pub(super) use staff::{backup_text, health_text, revenue_embed, revenue_report_embed};
pub(super) use transcript::transcript_text;

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateButton, CreateEmbed, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

use crate::config::{PaymentMethod, Plan};
use crate::discord::custom_id::CustomId;
use crate::domain::OrderId;
use crate::domain::delivery::ReviewState;
use crate::domain::status::{OrderStatus, PaymentSource, SubscriptionStatus};
use crate::i18n::{Lang, n, s, t};
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
pub(super) fn when(lang: Lang, expiry_ms: i64) -> String {
    match expiry_ms {
        0 => t(lang, "when-never", &[]),
        e if e < 0 => t(lang, "when-first-use", &[n("days", -e / 86_400_000)]),
        e => t(lang, "when-at", &[s("time", format!("<t:{}:f>", e / 1000))]),
    }
}

/// One line describing a plan: days, traffic, price.
#[must_use]
pub(super) fn plan_line(lang: Lang, plan: &Plan) -> String {
    let traffic = if plan.traffic_gib == 0 {
        t(lang, "traffic-unlimited", &[])
    } else {
        t(lang, "traffic-gib", &[n("gib", plan.traffic_gib.into())])
    };
    t(
        lang,
        "plan-line",
        &[
            n("days", plan.days.into()),
            s("traffic", traffic),
            s("price", money(plan.price_minor, &plan.currency)),
        ],
    )
}

/// A subscription status in words.
#[must_use]
pub(super) fn sub_status(lang: Lang, status: SubscriptionStatus) -> String {
    t(lang, &format!("sub-status-{}", status.as_str()), &[])
}

/// The ephemeral plan select of `/order` (`id`: plain, with a code, or for a gift).
pub(super) fn plan_select(lang: Lang, plans: &[Plan], id: &CustomId) -> CreateActionRow {
    let options = plans
        .iter()
        .take(25)
        .map(|p| CreateSelectMenuOption::new(&p.name, &p.id).description(plan_line(lang, p)))
        .collect();
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(id.to_string(), CreateSelectMenuKind::String { options })
            .placeholder(t(lang, "plan-select-placeholder", &[])),
    )
}

/// The payment-method select and the cancel button posted in a new ticket.
#[must_use]
pub(super) fn ticket_components(
    lang: Lang,
    order: OrderId,
    methods: &[PaymentMethod],
) -> Vec<CreateActionRow> {
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
            .placeholder(t(lang, "method-select-placeholder", &[])),
        ),
        CreateActionRow::Buttons(vec![
            CreateButton::new(CustomId::CancelOrder(order).to_string())
                .label(t(lang, "button-cancel-order", &[]))
                .style(ButtonStyle::Secondary),
        ]),
    ]
}

/// The welcome embed of a ticket.
pub(super) fn ticket_embed(lang: Lang, order: &Order) -> CreateEmbed {
    CreateEmbed::new()
        .title(t(lang, "ticket-title", &[s("order", order.id.to_string())]))
        .description(t(lang, "ticket-description", &[]))
        .field(t(lang, "ticket-field-plan", &[]), &order.plan.name, true)
        .field(
            t(lang, "ticket-field-details", &[]),
            plan_line(lang, &order.plan),
            true,
        )
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
pub(super) fn review_embed(
    lang: Lang,
    payment: &Payment,
    order: &Order,
    file: Option<&str>,
) -> CreateEmbed {
    let f = |id: &str| t(lang, id, &[]);
    let ids = [
        s("payment", payment.id.to_string()),
        s("order", order.id.to_string()),
    ];
    let mut e = CreateEmbed::new()
        .title(t(lang, "staff-card-title", &ids))
        .field(
            f("staff-card-customer"),
            format!("<@{}>", payment.user_id),
            true,
        )
        .field(f("staff-card-plan"), &order.plan.name, true)
        .field(
            f("staff-card-price"),
            money(payment.amount_minor, &payment.currency),
            true,
        )
        .field(f("staff-card-method"), &payment.method, true)
        .field(f("staff-card-kind"), order.kind.as_str(), true);
    if payment.source == PaymentSource::Cryptobot {
        e = e.field(
            f("staff-card-paid-by"),
            f("staff-card-paid-by-crypto"),
            false,
        );
    }
    if let Some((earlier, distance)) = payment.near_duplicate {
        let near = [
            s("earlier", earlier.to_string()),
            n("distance", distance.into()),
        ];
        e = e.field(
            f("staff-card-near"),
            t(lang, "staff-card-near-text", &near),
            false,
        );
    }
    if let Some(name) = file {
        e = e.image(format!("attachment://{name}"));
    }
    e
}

/// The reject-reason select, in the staff's `lang`: each standard reason, and each with "… and
/// ban the customer".
pub(super) fn reject_reasons(lang: Lang, payment: crate::domain::PaymentId) -> CreateActionRow {
    use crate::discord::custom_id::RejectChoice;
    use crate::domain::status::RejectCode;
    let options = [false, true]
        .into_iter()
        .flat_map(|ban| {
            RejectCode::ALL
                .iter()
                .map(move |&code| RejectChoice { code, ban })
        })
        .map(|choice| {
            let label = reject_reason_text(lang, choice.code);
            let label = if choice.ban {
                t(lang, "staff-reject-and-ban", &[s("reason", label)])
            } else {
                label
            };
            CreateSelectMenuOption::new(label, choice.to_string())
        })
        .collect();
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(
            CustomId::RejectReason(payment).to_string(),
            CreateSelectMenuKind::String { options },
        )
        .placeholder(t(lang, "staff-reject-placeholder", &[])),
    )
}

/// A standard reject reason in words, in `lang` (the customer reads it before the admin's
/// details; the staff pick it from the select).
#[must_use]
pub(super) fn reject_reason_text(lang: Lang, code: crate::domain::status::RejectCode) -> String {
    t(
        lang,
        &format!("reject-code-{}", code.as_str().replace('_', "-")),
        &[],
    )
}

/// Approve / Reject buttons of a review card.
#[must_use]
pub(super) fn review_buttons(
    lang: Lang,
    payment: crate::domain::PaymentId,
) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::Approve(payment).to_string())
            .label(t(lang, "staff-button-approve", &[]))
            .style(ButtonStyle::Success),
        CreateButton::new(CustomId::Reject(payment).to_string())
            .label(t(lang, "staff-button-reject", &[]))
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
pub(super) fn review_card_view(
    lang: Lang,
    payment: &Payment,
    order: &Order,
) -> (String, Vec<CreateActionRow>) {
    let state = review_card_state(payment, order);
    let admin = (state != ReviewState::Cancelled)
        .then_some(payment.reviewer_id)
        .flatten();
    let mut text = review_status(lang, state, admin, payment.reason.as_deref());
    if payment.source == PaymentSource::Cryptobot && admin.is_none() {
        text.push_str(&t(lang, "staff-card-automatic", &[]));
    }
    let buttons = if state.buttons_enabled() {
        review_buttons(lang, payment.id)
    } else {
        Vec::new()
    };
    (text, buttons)
}

/// The status line of a review card in `state`.
#[must_use]
pub(super) fn review_status(
    lang: Lang,
    state: ReviewState,
    admin: Option<crate::domain::UserId>,
    note: Option<&str>,
) -> String {
    let by = admin
        .map(|a| format!(" {}", t(lang, "staff-by", &[s("admin", format!("<@{a}>"))])))
        .unwrap_or_default();
    let id = match state {
        ReviewState::Pending => "staff-review-pending",
        ReviewState::Approving => "staff-review-approving",
        ReviewState::WaitingForPanel => "staff-review-waiting",
        ReviewState::Approved => "staff-review-approved",
        ReviewState::Rejected => "staff-review-rejected",
        ReviewState::Cancelled => "staff-review-cancelled",
    };
    let head = t(lang, id, &[s("by", by)]);
    match note {
        Some(n) if !n.is_empty() => format!("{head} — {n}"),
        _ => head,
    }
}

/// The customer's answer to a refused receipt (`why`), deleted after `ttl`.
#[must_use]
pub(super) fn receipt_refused(lang: Lang, why: &str, ttl: std::time::Duration) -> String {
    let minutes = i64::try_from(ttl.as_secs() / 60).unwrap_or(i64::MAX);
    t(
        lang,
        "receipt-refused",
        &[s("why", why), n("minutes", minutes)],
    )
}

/// The Confirm / Cancel buttons of the ephemeral approval prompt.
#[must_use]
pub(super) fn confirm_buttons(lang: Lang, token: &str) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(CustomId::Confirm(token.to_owned()).to_string())
            .label(t(lang, "staff-button-confirm", &[]))
            .style(ButtonStyle::Success),
        CreateButton::new(CustomId::CancelConfirm(token.to_owned()).to_string())
            .label(t(lang, "staff-button-cancel", &[]))
            .style(ButtonStyle::Secondary),
    ])]
}

/// The message carrying a customer's connection. The link and the subscription URL are never
/// part of a catalog message: the link has a code block of its own and the URL a line of its
/// own, so a right-to-left text around them cannot reorder or mark them.
#[must_use]
pub(super) fn link_text(
    lang: Lang,
    order: OrderId,
    link: &str,
    subscription_url: Option<&str>,
    head: &str,
) -> String {
    let head = t(lang, head, &[s("order", order.to_string())]);
    let import = t(lang, "link-import", &[]);
    let sub = subscription_url
        .map(|u| format!("\n{}\n{u}", t(lang, "link-subscription", &[])))
        .unwrap_or_default();
    format!("{head}\n{import}\n```\n{link}\n```{sub}")
}

/// The catalog id of a link message's first line: ready, extended, or temporary access.
#[must_use]
pub(super) fn link_head(renewal: bool, provisional: bool) -> &'static str {
    match (renewal, provisional) {
        (_, true) => "link-provisional",
        (true, false) => "link-extended",
        (false, false) => "link-ready",
    }
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
pub(super) fn status_text(lang: Lang, view: &crate::service::subscriptions::StatusView) -> String {
    let mut lines = Vec::new();
    if !view.live {
        lines.push(t(lang, "status-stale", &[]));
    }
    let status = sub_status(lang, view.status);
    lines.push(t(lang, "status-subscription", &[s("status", status)]));
    if view.enabled == Some(false) {
        lines.push(t(lang, "status-disabled", &[]));
    }
    let expiry = when(lang, view.expiry_at);
    lines.push(t(lang, "status-expires", &[s("when", expiry)]));
    let limit = if view.limit_bytes == 0 {
        t(lang, "unlimited", &[])
    } else {
        bytes(view.limit_bytes)
    };
    let used = view
        .used_bytes
        .map_or_else(|| t(lang, "unknown", &[]), bytes);
    let traffic = [s("used", used), s("limit", limit)];
    lines.push(t(lang, "status-traffic", &traffic));
    if let Some(link) = &view.link {
        lines.push(format!(
            "{}\n```\n{link}\n```",
            t(lang, "status-import", &[])
        ));
    }
    if let Some(url) = &view.subscription_url {
        lines.push(format!("{}\n{url}", t(lang, "link-subscription", &[])));
    }
    lines.join("\n")
}

/// `/admin user`: a customer's subscription and open order.
#[must_use]
pub(super) fn user_lookup(
    lang: Lang,
    user: u64,
    found: &crate::service::subscriptions::UserLookup,
) -> String {
    let mut lines = vec![t(
        lang,
        "staff-user-title",
        &[s("mention", format!("<@{user}>"))],
    )];
    match &found.user {
        None => lines.push(t(lang, "staff-user-never", &[])),
        Some(u) => lines.extend(user_lines(lang, u)),
    }
    lines.push(match &found.open_order {
        None => t(lang, "staff-user-no-order", &[]),
        Some(o) => t(
            lang,
            "staff-user-open-order",
            &[s("order", order_line(lang, o))],
        ),
    });
    lines.join("\n")
}

/// A known customer's subscription, panel client, expiry, limit and ban.
fn user_lines(lang: Lang, u: &crate::store::users::User) -> Vec<String> {
    let mut lines = vec![t(
        lang,
        "staff-user-subscription",
        &[s("status", u.status.to_string())],
    )];
    if let Some(email) = &u.panel_email {
        lines.push(t(lang, "staff-user-client", &[s("email", email.clone())]));
    }
    if let Some(expiry) = u.expiry_at {
        lines.push(t(
            lang,
            "staff-user-expires",
            &[s("when", when(lang, expiry))],
        ));
    }
    let limit = if u.traffic_limit_bytes == 0 {
        t(lang, "unlimited", &[])
    } else {
        bytes(u.traffic_limit_bytes)
    };
    lines.push(t(lang, "staff-user-limit", &[s("limit", limit)]));
    if u.banned {
        let why = u
            .ban_reason
            .clone()
            .unwrap_or_else(|| t(lang, "staff-user-no-reason", &[]));
        lines.push(t(lang, "staff-user-banned", &[s("why", why)]));
    }
    lines
}

/// `/admin orders`: a short list.
#[must_use]
pub(super) fn order_list(lang: Lang, status: OrderStatus, orders: &[Order]) -> String {
    let status_arg = s("status", status.to_string());
    if orders.is_empty() {
        return t(lang, "staff-orders-none", &[status_arg]);
    }
    let max = i64::from(crate::service::subscriptions::ORDERS_SHOWN);
    let mut lines = vec![t(lang, "staff-orders-title", &[status_arg, n("max", max)])];
    lines.extend(orders.iter().map(|o| format!("- {}", order_line(lang, o))));
    lines.join("\n")
}

fn order_line(lang: Lang, o: &Order) -> String {
    let ticket = o
        .ticket_channel_id
        .map(|c| {
            let channel = s("channel", format!("<#{}>", c.0));
            format!(" {}", t(lang, "staff-order-ticket", &[channel]))
        })
        .unwrap_or_default();
    let args = [
        s("order", o.id.to_string()),
        s("status", o.status.to_string()),
        s("mention", format!("<@{}>", o.user_id.0)),
        s("plan", o.plan.name.clone()),
        s("price", money(o.plan.price_minor, &o.plan.currency)),
        s("ticket", ticket),
        s("opened", format!("<t:{}:R>", o.created_at / 1000)),
    ];
    t(lang, "staff-order-line", &args)
}

#[cfg(test)]
mod tests {
    use super::{Lang, ReviewState, bytes, money, review_status};
    use crate::domain::UserId;

    #[test]
    fn review_states_read_in_the_staff_language() {
        let alice = Some(UserId(5));
        let en = review_status(Lang::En, ReviewState::Approved, alice, None);
        assert_eq!(en, "✅ Approved by <@5>");
        let ru = review_status(Lang::Ru, ReviewState::Rejected, alice, Some("blurry"));
        assert_eq!(ru, "❌ Отклонено (<@5>) — blurry");
        let pending = review_status(Lang::Fa, ReviewState::Pending, None, None);
        assert_eq!(pending, "⏳ در انتظار بررسی");
    }

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
