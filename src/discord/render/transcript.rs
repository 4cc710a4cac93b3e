//! A ticket's transcript as a plain-text file: one block per message, oldest first.

use std::fmt::Write as _;

use crate::i18n::{Lang, s, t as tr};
use crate::service::transcripts::Transcript;

/// The file's text in `lang`: a header (order, archive time), then `[UTC time] name (id): text`
/// lines, each followed by its attachments' names. Times are UTC (a file has no reader's time
/// zone).
#[must_use]
pub(crate) fn transcript_text(lang: Lang, t: &Transcript) -> String {
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms).map_or_else(
            |_| ms.to_string(),
            |ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
    };
    let state = t.archived_at.map_or_else(
        || tr(lang, "staff-transcript-open", &[]),
        |at| tr(lang, "staff-transcript-archived", &[s("when", time(at))]),
    );
    let head = [s("order", t.order.to_string()), s("state", state)];
    let mut out = format!("{}\n\n", tr(lang, "staff-transcript-head", &head));
    for l in &t.lines {
        let bot = if l.author_bot { " [bot]" } else { "" };
        let (when, name, id) = (time(l.created_at), &l.author_name, l.author_id);
        let _ = writeln!(out, "[{when}] {name}{bot} ({id}): {}", l.content);
        for a in &l.attachments {
            let file = tr(lang, "staff-transcript-attachment", &[s("name", a.clone())]);
            let _ = writeln!(out, "    {file}");
        }
    }
    out
}
