//! Fault injection and the rate-limit mode: answer a route with an error (a 5xx, or a Discord
//! status + JSON error code such as 403/50013) a number of times, delay a route, and per-route
//! request budgets that answer 429 with `Retry-After`, `X-RateLimit-*` and a Discord-shaped body. Routes are `(METHOD, template)` pairs such as
//! `("POST", "/channels/{channel_id}/messages")`; budgets are counted per major id like Discord.
//! Also the gateway faults: drop every connection (serenity resumes) and refuse the next resume.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::http::Response;
use super::limits::ApiError;

/// A configured error answer for a route.
#[derive(Debug, Clone)]
pub(crate) struct RouteFault {
    pub method: String,
    pub route: String,
    /// Only requests whose major id (the first channel, guild or webhook id in the path) is this.
    pub major: Option<String>,
    pub status: u16,
    /// Discord's JSON error code (0 for a plain HTTP error).
    pub code: u32,
    pub remaining: u32,
}

/// The `message` Discord sends with a JSON error `code` (the API's exact wording, e.g.
/// `{"message": "Missing Permissions", "code": 50013}`); for code 0 and codes not listed, the
/// HTTP status line Discord uses for plain errors (`"500: Internal Server Error"`).
pub fn error_message(status: u16, code: u32) -> String {
    let known = match code {
        10003 => "Unknown Channel",
        10004 => "Unknown Guild",
        10007 => "Unknown Member",
        10008 => "Unknown Message",
        10011 => "Unknown Role",
        10013 => "Unknown User",
        10015 => "Unknown Webhook",
        10062 => "Unknown interaction",
        40060 => "Interaction has already been acknowledged.",
        50001 => "Missing Access",
        50007 => "Cannot send messages to this user",
        50013 => "Missing Permissions",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!("{status}: {reason}")
}

/// A per-route budget: `limit` requests per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub limit: u32,
    pub window: Duration,
    /// Send `X-RateLimit-*` headers on successful answers too. With them serenity waits before
    /// it runs out and never sees a 429; without them (like a shared limit) it hits 429s.
    pub announce: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub failures: Vec<RouteFault>,
    pub delays: Vec<(String, String, Duration)>,
    pub budgets: HashMap<(String, String), Budget>,
    pub windows: HashMap<String, (Instant, u32)>,
    /// The bot-wide budget (Discord: 50/s); interaction and webhook routes are exempt.
    pub global: Option<Budget>,
}

impl Faults {
    /// A configured failure for this request (route and major id), consuming one: the error
    /// to answer with.
    pub(crate) fn take_failure(
        &mut self,
        method: &str,
        route: &str,
        major: &str,
    ) -> Option<ApiError> {
        let f = self.failures.iter_mut().find(|f| {
            f.method == method
                && f.route == route
                && f.major.as_deref().is_none_or(|m| m == major)
                && f.remaining > 0
        })?;
        f.remaining -= 1;
        Some(ApiError::new(
            f.status,
            f.code,
            &error_message(f.status, f.code),
        ))
    }

    pub(crate) fn delay(&self, method: &str, route: &str) -> Option<Duration> {
        self.delays
            .iter()
            .find(|(m, r, _)| m == method && r == route)
            .map(|(_, _, d)| *d)
    }

    /// Counts a request against the global budget (unless exempt) and its route budget. `Err` is
    /// the 429 to send; `Ok` holds the headers to add to the successful answer.
    pub(crate) fn rate_limit(
        &mut self,
        method: &str,
        route: &str,
        major: &str,
        now: Instant,
    ) -> Result<Vec<(String, String)>, Response> {
        let exempt = route.starts_with("/interactions") || route.starts_with("/webhooks");
        if let (Some(g), false) = (self.global, exempt) {
            self.count(g, "global", now, true)?;
        }
        let Some(b) = self
            .budgets
            .get(&(method.to_owned(), route.to_owned()))
            .copied()
        else {
            return Ok(Vec::new());
        };
        self.count(b, &format!("{method} {route} {major}"), now, false)
    }

    fn count(
        &mut self,
        b: Budget,
        key: &str,
        now: Instant,
        global: bool,
    ) -> Result<Vec<(String, String)>, Response> {
        let w = self.windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(w.0) >= b.window {
            *w = (now, 0);
        }
        let reset_after = b
            .window
            .saturating_sub(now.duration_since(w.0))
            .as_secs_f64()
            .max(0.001);
        let bucket = format!(
            "{:016x}",
            key.bytes()
                .fold(0u64, |h, c| h.wrapping_mul(31).wrapping_add(u64::from(c)))
        );
        let mut headers = vec![
            ("x-ratelimit-limit".to_owned(), b.limit.to_string()),
            (
                "x-ratelimit-reset-after".to_owned(),
                format!("{reset_after:.3}"),
            ),
            ("x-ratelimit-bucket".to_owned(), bucket),
        ];
        if w.1 >= b.limit {
            headers.push(("x-ratelimit-remaining".to_owned(), "0".to_owned()));
            headers.push(("retry-after".to_owned(), format!("{reset_after:.3}")));
            let scope = if global { "global" } else { "user" };
            headers.push(("x-ratelimit-scope".to_owned(), scope.to_owned()));
            // Discord sends this header only for the global limit (serenity checks presence).
            if global {
                headers.push(("x-ratelimit-global".to_owned(), "true".to_owned()));
            }
            let body = json!({"message": "You are being rate limited.", "retry_after": reset_after, "global": global});
            let mut r = Response::json(429, &body);
            r.headers = headers;
            return Err(r);
        }
        w.1 += 1;
        headers.push((
            "x-ratelimit-remaining".to_owned(),
            (b.limit - w.1).to_string(),
        ));
        Ok(if b.announce && !global {
            headers
        } else {
            Vec::new()
        })
    }
}

/// Faults and rate limits, set from tests.
impl super::Emulator {
    /// Drops every gateway connection with close code 4000; serenity resumes.
    pub fn drop_gateway(&self) {
        self.inner.kill_gateway.send_modify(|v| *v += 1);
    }

    /// Makes the next RESUME fail with op 9 (serenity then re-identifies).
    pub fn fail_next_resume(&self) {
        self.inner.with(|s| s.fail_next_resume = true);
    }

    /// Answers the next `times` requests to a route with `status` and code 0
    /// (`{"message": "502: Bad Gateway", "code": 0}`). `route` is a template as logged, e.g.
    /// `"/channels/{channel_id}/messages"`.
    pub fn fail_route(&self, method: &str, route: &str, status: u16, times: u32) {
        self.fail_route_with(method, route, status, 0, times);
    }

    /// Answers the next `times` requests to a route with `status` and Discord's JSON error
    /// `code`, with the message Discord sends for it ([`error_message`]): e.g. 403/50013
    /// `{"message": "Missing Permissions", "code": 50013}`, 404/10003 "Unknown Channel",
    /// 404/10008 "Unknown Message", 403/50001 "Missing Access", 403/50007 "Cannot send messages
    /// to this user", 500/0 "500: Internal Server Error". Nothing in the state changes for a
    /// failed request, as when Discord refuses it; later requests are answered normally.
    pub fn fail_route_with(&self, method: &str, route: &str, status: u16, code: u32, times: u32) {
        self.push_failure(method, route, None, status, code, times);
    }

    /// Like [`Emulator::fail_route_with`], but only for requests whose major id is `major`
    /// (the first channel, guild or webhook id in the path: `fail_route_in("PUT",
    /// "/channels/{channel_id}/permissions/{overwrite_id}", ticket, 404, 10003, 1)` fails only
    /// that channel's overwrite edits).
    pub fn fail_route_in(
        &self,
        method: &str,
        route: &str,
        major: u64,
        status: u16,
        code: u32,
        times: u32,
    ) {
        self.push_failure(method, route, Some(major.to_string()), status, code, times);
    }

    fn push_failure(
        &self,
        method: &str,
        route: &str,
        major: Option<String>,
        status: u16,
        code: u32,
        times: u32,
    ) {
        self.inner.with(|s| {
            s.faults.failures.push(RouteFault {
                method: method.into(),
                route: route.into(),
                major,
                status,
                code,
                remaining: times,
            });
        });
    }

    /// Delays every answer on a route.
    pub fn slow_route(&self, method: &str, route: &str, delay: Duration) {
        self.inner
            .with(|s| s.faults.delays.push((method.into(), route.into(), delay)));
    }

    /// Removes every route budget and the global one.
    pub fn clear_rate_limits(&self) {
        self.inner.with(|s| {
            s.faults.budgets.clear();
            s.faults.global = None;
        });
    }

    /// Sets the bot-wide (global) budget; a 429 then carries `X-RateLimit-Global`. Interaction
    /// and webhook routes are exempt, as on Discord.
    pub fn set_global_rate_limit(&self, budget: Option<Budget>) {
        self.inner.with(|s| s.faults.global = budget);
    }

    /// Sets a rate-limit budget on a route (counted per major id).
    pub fn set_rate_limit(&self, method: &str, route: &str, budget: Budget) {
        self.inner.with(|s| {
            s.faults
                .budgets
                .insert((method.into(), route.into()), budget);
        });
    }
}
