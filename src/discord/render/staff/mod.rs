//! What the shop-wide staff views look like: the revenue embed (shared by the dashboard message
//! and `/admin revenue`), the `/admin health` text and the `/admin backup` answer.

use poise::serenity_prelude::CreateEmbed;

use super::{bytes, money};
use crate::i18n::{Lang, n, s, t as tr};
use crate::ops::BackupReport;
use crate::panel::PanelStatus;
use crate::service::health::{BreakerSnapshot, BreakerState};
use crate::service::revenue::{CurrencyTotal, DayTotal, RevenueTotals};
use crate::service::staff::{HealthReport, PanelCheck, RevenueReport};
use crate::store::outbox::Backlog;

/// An error text shown to staff is cut to this many characters (Discord allows 2000 per message).
const ERROR_CHARS: usize = 300;

/// The revenue embed: today, this month, this quarter and this year, per currency.
pub(crate) fn revenue_embed(lang: Lang, t: &RevenueTotals, shop: &str) -> CreateEmbed {
    let k = &t.keys;
    let head = |id: &str, key: &dyn std::fmt::Display| tr(lang, id, &[s("key", key.to_string())]);
    CreateEmbed::new()
        .title(tr(lang, "staff-revenue-title", &[s("shop", shop)]))
        .field(
            head("staff-revenue-today", &k.day),
            revenue_lines(lang, &t.today),
            true,
        )
        .field(
            head("staff-revenue-month", &k.month),
            revenue_lines(lang, &t.this_month),
            true,
        )
        .field(
            head("staff-revenue-quarter", &k.quarter),
            revenue_lines(lang, &t.this_quarter),
            true,
        )
        .field(
            head("staff-revenue-year", &k.year),
            revenue_lines(lang, &t.this_year),
            true,
        )
}

/// `/admin revenue`: the dashboard's embed, the time zone, and one line per recent day.
pub(crate) fn revenue_report_embed(lang: Lang, r: &RevenueReport, shop: &str) -> CreateEmbed {
    let days = i64::try_from(r.last_days.len()).unwrap_or(i64::MAX);
    revenue_embed(lang, &r.totals, shop)
        .description(tr(
            lang,
            "staff-revenue-zone",
            &[s("zone", r.time_zone.clone())],
        ))
        .field(
            tr(lang, "staff-revenue-last-days", &[n("days", days)]),
            day_lines(lang, &r.last_days),
            false,
        )
}

/// One line per currency: `5.00 USD (1 sale)`; `—` when there is none.
#[must_use]
pub(super) fn revenue_lines(lang: Lang, totals: &[CurrencyTotal]) -> String {
    if totals.is_empty() {
        return "—".to_owned();
    }
    totals
        .iter()
        .map(|c| currency_total(lang, c))
        .collect::<Vec<_>>()
        .join("\n")
}

fn currency_total(lang: Lang, c: &CurrencyTotal) -> String {
    let args = [
        s("amount", money(c.total_minor, &c.currency)),
        n("sales", c.sales),
    ];
    tr(lang, "staff-sales", &args)
}

/// `2026-11-21: 5.00 USD (1 sale)` per day, oldest first; `—` for a day without sales.
#[must_use]
pub(super) fn day_lines(lang: Lang, days: &[DayTotal]) -> String {
    if days.is_empty() {
        return "—".to_owned();
    }
    days.iter()
        .map(|d| {
            let totals = if d.totals.is_empty() {
                "—".to_owned()
            } else {
                d.totals
                    .iter()
                    .map(|c| currency_total(lang, c))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("`{}` {totals}", d.day)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `/admin health`: breaker, live panel status, outbox backlog, last backup.
#[must_use]
pub(crate) fn health_text(lang: Lang, r: &HealthReport) -> String {
    let backup = r.last_backup.map_or_else(
        || tr(lang, "staff-backup-none", &[]),
        |t| moment(t.as_second()),
    );
    let line = |id: &str, text: String| tr(lang, id, &[s("line", text)]);
    [
        tr(lang, "staff-health-title", &[]),
        line("staff-health-breaker", breaker_line(lang, &r.breaker)),
        line("staff-health-panel", panel_line(lang, &r.panel)),
        line("staff-health-outbox", outbox_line(lang, &r.outbox)),
        line("staff-health-backup", backup),
    ]
    .into_iter()
    .chain(failed_links_line(lang, r))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Paid links never delivered, if any.
fn failed_links_line(lang: Lang, r: &HealthReport) -> Option<String> {
    if r.failed_links.is_empty() {
        return None;
    }
    let list: Vec<String> = r
        .failed_links
        .iter()
        .map(|(user, payment)| {
            let args = [
                s("mention", format!("<@{user}>")),
                s("payment", payment.to_string()),
            ];
            tr(lang, "staff-link-failed-item", &args)
        })
        .collect();
    Some(tr(
        lang,
        "staff-links-failed",
        &[s("list", list.join(", "))],
    ))
}

fn breaker_line(lang: Lang, b: &BreakerSnapshot) -> String {
    let unknown = || tr(lang, "staff-unknown", &[]);
    let error = clip(
        b.last_error
            .as_deref()
            .map_or_else(unknown, str::to_owned)
            .as_str(),
    );
    match b.state {
        BreakerState::Closed if b.failures == 0 => tr(lang, "staff-breaker-ok", &[]),
        BreakerState::Closed => tr(
            lang,
            "staff-breaker-failing",
            &[s("failures", b.failures.to_string()), s("error", error)],
        ),
        BreakerState::Open | BreakerState::HalfOpen => {
            let since = b.outage_since.map_or_else(
                || tr(lang, "staff-unknown-time", &[]),
                |t| moment(t.as_second()),
            );
            let probing = if b.state == BreakerState::HalfOpen {
                format!(" {}", tr(lang, "staff-breaker-probing", &[]))
            } else {
                String::new()
            };
            let args = [s("since", since), s("probing", probing), s("error", error)];
            tr(lang, "staff-breaker-outage", &args)
        }
    }
}

fn panel_line(lang: Lang, p: &PanelCheck) -> String {
    match p {
        PanelCheck::Live(st) => panel_status(lang, st),
        PanelCheck::Skipped => tr(lang, "staff-panel-skipped", &[]),
        PanelCheck::Failed(e) => tr(lang, "staff-panel-failed", &[s("error", clip(e))]),
    }
}

fn panel_status(lang: Lang, st: &PanelStatus) -> String {
    let version = st.panel_version.as_deref().map_or_else(
        || tr(lang, "staff-panel-version-unknown", &[]),
        |v| tr(lang, "staff-panel-version", &[s("version", v)]),
    );
    let xray_version = if st.xray_version.is_empty() {
        String::new()
    } else {
        format!(" (v{})", st.xray_version)
    };
    let args = [
        s("version", version),
        s("generation", st.generation.to_string()),
        s("xray", st.xray.to_string()),
        s("xray_version", xray_version),
        s("uptime", uptime(lang, st.uptime_secs)),
    ];
    tr(lang, "staff-panel-status", &args)
}

fn outbox_line(lang: Lang, b: &Backlog) -> String {
    let count = |c: u64| n("count", i64::try_from(c).unwrap_or(i64::MAX));
    let waiting = match (b.pending, b.oldest_pending_at) {
        (0, _) => tr(lang, "staff-outbox-none", &[]),
        (c, Some(oldest)) => {
            let when = format!("<t:{}:R>", oldest.div_euclid(1000));
            tr(lang, "staff-outbox-waiting", &[count(c), s("oldest", when)])
        }
        (c, None) => tr(lang, "staff-outbox-waiting-count", &[count(c)]),
    };
    match b.failed {
        0 => waiting,
        c => tr(
            lang,
            "staff-outbox-failed",
            &[s("waiting", waiting), count(c)],
        ),
    }
}

/// `/admin backup`'s answer: file name, size, time taken, old backups deleted.
#[must_use]
pub(crate) fn backup_text(lang: Lang, r: &BackupReport) -> String {
    let name = r.path.file_name().map_or_else(
        || r.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let size = bytes(i64::try_from(r.bytes).unwrap_or(i64::MAX));
    let retention = match r.removed.len() {
        0 => String::new(),
        c => {
            let c = i64::try_from(c).unwrap_or(i64::MAX);
            format!(" {}", tr(lang, "staff-backup-retention", &[n("count", c)]))
        }
    };
    let args = [
        s("name", name),
        s("size", size),
        s("schema", r.schema_version.to_string()),
        s("secs", format!("{:.2}", r.took.as_secs_f64())),
        s("retention", retention),
    ];
    tr(lang, "staff-backup-done", &args)
}

/// A moment as Discord shows it to each reader: `<t:…:f> (<t:…:R>)`.
fn moment(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:f> (<t:{unix_secs}:R>)")
}

/// `90061` → `1 d 1 h 1 min`; `0` → `unknown` (in `lang`).
fn uptime(lang: Lang, secs: u64) -> String {
    if secs == 0 {
        return tr(lang, "staff-unknown", &[]);
    }
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

/// At most [`ERROR_CHARS`] characters of `text`, `…` when cut.
fn clip(text: &str) -> String {
    match text.char_indices().nth(ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
