//! Printing what people see in the demo: a message as a person reads it (text, embeds, buttons,
//! selects, files; mentions as names).

use std::fmt::Write as _;

use super::world::World;
use crate::sim::discord::state::{MessageRec, State};

/// Printing what people see.
impl World {
    /// Who is who in the staged guild, printed before the story.
    pub(super) fn introduce(&self) {
        println!("The guild \"{}\":", self.emu.read(|s| s.guild_name.clone()));
        println!(
            "  {} owns the shop (panel alerts reach her); alice is an admin, sam is support; \
             carol and mallory are customers; ivan, who joins at the end, uses Discord in \
             Russian.",
            self.name(self.owner)
        );
        println!(
            "  The bot's data directory: {} (removed at the end).\n",
            self.dir.path().display()
        );
    }

    /// A user's name.
    pub(super) fn name(&self, user: u64) -> String {
        self.emu.read(|s| {
            s.users
                .get(&user)
                .map_or_else(|| user.to_string(), |u| u.name.clone())
        })
    }

    /// `#name` of a channel.
    pub(super) fn channel_name(&self, channel: u64) -> String {
        self.emu.read(|s| {
            s.channels
                .get(&channel)
                .map_or_else(|| format!("#{channel}"), |c| format!("#{}", c.name))
        })
    }

    /// Prints `m` as `who` sees it `place`: text, embeds, buttons, selects, files; mentions
    /// shown as names.
    pub(super) fn show(&self, who: &str, place: &str, m: &MessageRec) {
        let lines = self.emu.read(|s| render(s, m));
        let place = if place.is_empty() {
            String::new()
        } else {
            format!(" {place}")
        };
        // "carol sees", "the admins see".
        let verb = if who.starts_with("the ") {
            "see"
        } else {
            "sees"
        };
        println!("  what {who} {verb}{place}:");
        for line in lines {
            println!("    │ {line}");
        }
    }
}

/// The lines of a message as a person reads it.
fn render(s: &State, m: &MessageRec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut text = |t: &str| {
        for line in humanize(s, t).lines() {
            out.push(line.to_owned());
        }
    };
    text(&m.content);
    for e in &m.embeds {
        if let Some(t) = e["title"].as_str() {
            text(&format!("▌{t}"));
        }
        if let Some(d) = e["description"].as_str() {
            text(d);
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            text(&format!(
                "{}: {}",
                f["name"].as_str().unwrap_or_default(),
                f["value"].as_str().unwrap_or_default()
            ));
        }
        if let Some(img) = e["image"]["url"].as_str() {
            text(&format!("(image {img})"));
        }
    }
    if let Some(line) = controls(m) {
        out.push(line);
    }
    for a in &m.attachments {
        let size = match (a.width, a.height) {
            (Some(w), Some(h)) => format!(", {w}×{h}"),
            _ => String::new(),
        };
        out.push(format!(
            "📎 {} ({} KB{size})",
            a.filename,
            a.size.div_ceil(1024)
        ));
    }
    out.retain(|l| !l.trim().is_empty());
    out
}

/// A message's buttons (`[label]`) and selects (`<choose: a | b>`) on one line, if it has any.
fn controls(m: &MessageRec) -> Option<String> {
    let mut controls = String::new();
    for c in m
        .components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
    {
        match c["type"].as_u64() {
            Some(2) => {
                let _ = write!(controls, "[{}] ", c["label"].as_str().unwrap_or("button"));
            }
            Some(3) => {
                let options: Vec<&str> = c["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["label"].as_str())
                    .collect();
                let _ = write!(controls, "<choose: {}> ", options.join(" | "));
            }
            _ => {}
        }
    }
    let line = controls.trim_end();
    (!line.is_empty()).then(|| line.to_owned())
}

/// `<@id>` → `@name`, `<#id>` → `#name`, `<t:secs:F>` → the UTC date.
fn humanize(s: &State, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find('>') else {
            out.push_str(tail);
            return out;
        };
        let inner = &tail[1..end];
        let replaced = if let Some(id) = inner.strip_prefix('@').and_then(|i| i.parse::<u64>().ok())
        {
            s.users.get(&id).map(|u| format!("@{}", u.name))
        } else if let Some(id) = inner.strip_prefix('#').and_then(|i| i.parse::<u64>().ok()) {
            s.channels.get(&id).map(|c| format!("#{}", c.name))
        } else if let Some(t) = inner.strip_prefix("t:") {
            t.split(':')
                .next()
                .and_then(|secs| secs.parse::<i64>().ok())
                .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
                .map(|ts| ts.strftime("%Y-%m-%d %H:%M UTC").to_string())
        } else {
            None
        };
        match replaced {
            Some(r) => out.push_str(&r),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}
