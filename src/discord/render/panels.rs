//! `/admin panels`: one line per panel (state, load against capacity, region, why it is down).

use std::fmt::Write as _;

use crate::service::health::BreakerState;
use crate::service::panels::report::PanelLine;

/// The `/admin panels` reply.
#[must_use]
pub(crate) fn panels_text(lines: &[PanelLine]) -> String {
    let mut out = String::from("**Panels**");
    for p in lines {
        let state = match (p.state, p.outage_since) {
            (BreakerState::Closed, _) => "up".to_owned(),
            (_, Some(since)) => format!("**down** since <t:{}:f>", since / 1000),
            (_, None) => "**down**".to_owned(),
        };
        let cap = if p.capacity == 0 {
            "no limit".to_owned()
        } else {
            p.capacity.to_string()
        };
        let region = if p.region.is_empty() {
            String::new()
        } else {
            format!(" ({})", p.region)
        };
        let _ = write!(
            out,
            "\n• `{}`{region}: {state}, {} / {cap} customers",
            p.id, p.load
        );
        if let (BreakerState::Open | BreakerState::HalfOpen, Some(e)) = (p.state, &p.last_error) {
            let _ = write!(out, " — {e}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_panel_shows_its_state_and_load() {
        let line = |id: &str, state, since, cap| PanelLine {
            id: id.into(),
            region: "de".into(),
            state,
            outage_since: since,
            last_error: Some("cannot connect".into()),
            load: 3,
            capacity: cap,
        };
        let text = panels_text(&[
            line("a", BreakerState::Closed, None, 0),
            line("b", BreakerState::Open, Some(1_900_000_000_000), 5),
        ]);
        assert_eq!(
            text,
            "**Panels**\n• `a` (de): up, 3 / no limit customers\n• `b` (de): **down** since \
             <t:1900000000:f>, 3 / 5 customers — cannot connect"
        );
    }
}
