//! What the shop-wide staff views look like: the revenue embed (shared by the dashboard message
//! and `/admin revenue`), the `/admin health` text and the `/admin backup` answer.

use poise::serenity_prelude::CreateEmbed;

use super::{bytes, money};
use crate::ops::BackupReport;
use crate::panel::PanelStatus;
use crate::service::health::{BreakerSnapshot, BreakerState};
use crate::service::revenue::{CurrencyTotal, DayTotal, RevenueTotals};
use crate::service::staff::{HealthReport, PanelCheck, RevenueReport};
use crate::store::outbox::Backlog;

/// An error text shown to staff is cut to this many characters (Discord allows 2000 per message).
const ERROR_CHARS: usize = 300;

/// The revenue embed: today, this month, this quarter and this year, per currency.
pub(crate) fn revenue_embed(t: &RevenueTotals, shop: &str) -> CreateEmbed {
    let k = &t.keys;
    CreateEmbed::new()
        .title(format!("📊 Revenue — {shop}"))
        .field(format!("Today ({})", k.day), revenue_lines(&t.today), true)
        .field(
            format!("Month ({})", k.month),
            revenue_lines(&t.this_month),
            true,
        )
        .field(
            format!("Quarter ({})", k.quarter),
            revenue_lines(&t.this_quarter),
            true,
        )
        .field(
            format!("Year ({})", k.year),
            revenue_lines(&t.this_year),
            true,
        )
}

/// `/admin revenue`: the dashboard's embed, the time zone, and one line per recent day.
pub(crate) fn revenue_report_embed(r: &RevenueReport, shop: &str) -> CreateEmbed {
    revenue_embed(&r.totals, shop)
        .description(format!("Shop time zone: {}", r.time_zone))
        .field(
            format!("Last {} days", r.last_days.len()),
            day_lines(&r.last_days),
            false,
        )
}

/// One line per currency: `5.00 USD (1 sale)`; `—` when there is none.
#[must_use]
pub(super) fn revenue_lines(totals: &[CurrencyTotal]) -> String {
    if totals.is_empty() {
        return "—".to_owned();
    }
    totals
        .iter()
        .map(currency_total)
        .collect::<Vec<_>>()
        .join("\n")
}

fn currency_total(c: &CurrencyTotal) -> String {
    let s = if c.sales == 1 { "" } else { "s" };
    format!(
        "{} ({} sale{s})",
        money(c.total_minor, &c.currency),
        c.sales
    )
}

/// `2026-11-21: 5.00 USD (1 sale)` per day, oldest first; `—` for a day without sales.
#[must_use]
pub(super) fn day_lines(days: &[DayTotal]) -> String {
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
                    .map(currency_total)
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
pub(crate) fn health_text(r: &HealthReport) -> String {
    let backup = r
        .last_backup
        .map_or_else(|| "none yet".to_owned(), |t| moment(t.as_second()));
    [
        "**Panel health**".to_owned(),
        format!("**Breaker:** {}", breaker_line(&r.breaker)),
        format!("**Panel:** {}", panel_line(&r.panel)),
        format!("**Outbox:** {}", outbox_line(&r.outbox)),
        format!("**Last backup:** {backup}"),
    ]
    .into_iter()
    .chain(failed_links_line(r))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Paid links never delivered, if any.
fn failed_links_line(r: &HealthReport) -> Option<String> {
    if r.failed_links.is_empty() {
        return None;
    }
    let list: Vec<String> = r
        .failed_links
        .iter()
        .map(|(user, payment)| format!("<@{user}> (payment #{payment})"))
        .collect();
    Some(format!(
        "**⚠ Links not delivered** (send them by hand): {}",
        list.join(", ")
    ))
}

fn breaker_line(b: &BreakerSnapshot) -> String {
    let error = clip(b.last_error.as_deref().unwrap_or("unknown"));
    match b.state {
        BreakerState::Closed if b.failures == 0 => {
            "✅ ok: the panel answers its health checks".to_owned()
        }
        BreakerState::Closed => format!(
            "⚠️ ok, but the last {} health check(s) failed: {error}",
            b.failures
        ),
        BreakerState::Open | BreakerState::HalfOpen => {
            let since = b
                .outage_since
                .map_or_else(|| "an unknown time".to_owned(), |t| moment(t.as_second()));
            let probing = if b.state == BreakerState::HalfOpen {
                " (a health check is running)"
            } else {
                ""
            };
            format!(
                "🔴 outage since {since}: panel calls fail fast, new orders are refused{probing}. \
                 Last error: {error}"
            )
        }
    }
}

fn panel_line(p: &PanelCheck) -> String {
    match p {
        PanelCheck::Live(s) => panel_status(s),
        PanelCheck::Skipped => "not asked during the outage".to_owned(),
        PanelCheck::Failed(e) => format!("⚠️ the status call failed: {}", clip(e)),
    }
}

fn panel_status(s: &PanelStatus) -> String {
    let version = s.panel_version.as_deref().map_or_else(
        || "version unknown (before v3.1)".to_owned(),
        |v| format!("version {v}"),
    );
    let xray_version = if s.xray_version.is_empty() {
        String::new()
    } else {
        format!(" (v{})", s.xray_version)
    };
    format!(
        "{version}, API {}; Xray {}{xray_version}; host up {}",
        s.generation,
        s.xray,
        uptime(s.uptime_secs)
    )
}

fn outbox_line(b: &Backlog) -> String {
    let waiting = match (b.pending, b.oldest_pending_at) {
        (0, _) => "nothing waiting".to_owned(),
        (n, Some(oldest)) => format!(
            "{n} deliver{} waiting, the oldest queued <t:{}:R>",
            if n == 1 { "y" } else { "ies" },
            oldest.div_euclid(1000)
        ),
        (n, None) => format!("{n} deliveries waiting"),
    };
    match b.failed {
        0 => waiting,
        n => format!("{waiting}; {n} given up (failed)"),
    }
}

/// `/admin backup`'s answer: file name, size, time taken, old backups deleted.
#[must_use]
pub(crate) fn backup_text(r: &BackupReport) -> String {
    let name = r.path.file_name().map_or_else(
        || r.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let size = bytes(i64::try_from(r.bytes).unwrap_or(i64::MAX));
    let retention = match r.removed.len() {
        0 => String::new(),
        n => format!(" {n} old backup(s) deleted by retention."),
    };
    format!(
        "Backup written and verified: `{name}` ({size}, schema version {}) in {:.2} s.{retention}",
        r.schema_version,
        r.took.as_secs_f64()
    )
}

/// A moment as Discord shows it to each reader: `<t:…:f> (<t:…:R>)`.
fn moment(unix_secs: i64) -> String {
    format!("<t:{unix_secs}:f> (<t:{unix_secs}:R>)")
}

/// `90061` → `1 d 1 h 1 min`; `0` → `unknown`.
fn uptime(secs: u64) -> String {
    if secs == 0 {
        return "unknown".to_owned();
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
