//! Entry points of the fuzz targets (`fuzz/`, cargo-fuzz on nightly) and of the stable test that
//! replays their committed corpora (`tests/core/fuzz_corpus.rs`). Not part of the bot's API.
//!
//! Each function takes the raw input bytes, runs the real parser on them (the same code the bot
//! runs on that input; nothing is re-implemented here) and returns whether the input was
//! accepted or refused with a typed error. It **panics** when an invariant breaks: a refusal of
//! the wrong type, an accepted value that does not round-trip, a derived value out of range.
//! A panic is what the fuzzer reports, so every check here is a property of the real code.
//!
//! The answer targets read a two-byte frame before the body: byte 0 minus `'0'` chooses the shape
//! the body is read as (modulo the number of shapes; a byte ≥ 128 also switches the target's
//! variant: bearer mode, an HTML content type) and byte 1 minus `'0'` the HTTP status (modulo
//! the table of statuses, whose first entry is 200), so an ASCII seed such as
//! `00{"success":true}` is a 200 answer of the first shape. `fuzz/README.md` lists the shapes.

#![warn(missing_docs)]

use std::fmt::Write as _;

use crate::config::{Config, ReceiptsConfig};
use crate::discord::custom_id::{self, CustomId, RejectChoice};
use crate::error::{Error, UserError};
use crate::service::approval::terms;

/// "Now" for everything time-dependent here: 2025-02-08T12:12:01.341Z.
const NOW_MS: i64 = 1_739_016_721_341;

/// What an entry point made of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The input was accepted (parsed, or passed every check).
    Accepted,
    /// The input was refused with a typed error (the expected outcome for garbage).
    Refused,
}

impl Verdict {
    fn of<T, E>(r: &Result<T, E>) -> Self {
        if r.is_ok() {
            Self::Accepted
        } else {
            Self::Refused
        }
    }

    /// `Accepted` when any of `verdicts` is.
    fn any(verdicts: impl IntoIterator<Item = Self>) -> Self {
        if verdicts.into_iter().any(|v| v == Self::Accepted) {
            Self::Accepted
        } else {
            Self::Refused
        }
    }
}

/// A customer's receipt upload: the size cap, format sniffing, decoding under the configured
/// limits and hashing, with the default `[receipts]` (`service::receipts`, the CPU part of
/// `ReceiptService::process`).
///
/// Checks: a refusal is [`UserError::BadReceipt`] with a reason; an accepted image has non-zero
/// dimensions within `max_dimension`, the SHA-256 of the bytes and a 16-hex-digit hash.
pub fn receipt(data: &[u8]) -> Verdict {
    let config = ReceiptsConfig::default();
    match crate::service::receipts::check_bytes(data, &config) {
        Ok(a) => {
            let max = config.max_dimension;
            assert!((1..=max).contains(&a.width) && (1..=max).contains(&a.height));
            assert_eq!(a.sha256, crate::service::receipts::sha256_hex(data));
            assert_eq!(a.phash.len(), 16, "{}", a.phash);
            assert!(a.phash.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(crate::service::receipts::sniff(data), Ok(a.format));
            Verdict::Accepted
        }
        Err(Error::User(UserError::BadReceipt { reason })) => {
            assert!(!reason.is_empty());
            Verdict::Refused
        }
        Err(other) => panic!("a receipt refused with an untyped error: {other:?}"),
    }
}

/// A component's `custom_id` as Discord hands it back (`discord::custom_id`).
///
/// Checks: a parsed id re-encodes to exactly the same string (so no two strings name one
/// action) within Discord's 100 characters; the reject-choice and promo-code parsers agree with
/// their own encoders.
pub fn custom_id(data: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(data) else {
        return Verdict::Refused;
    };
    if let Some(choice) = RejectChoice::parse(text) {
        assert_eq!(choice.to_string(), text, "a reject choice re-encodes");
    }
    if custom_id::is_promo_code(text) {
        let id = CustomId::PlanSelectWithCode(text.to_owned());
        assert_eq!(CustomId::parse(&id.to_string()), Some(id));
    }
    match CustomId::parse(text) {
        Some(id) => {
            assert_eq!(
                id.to_string(),
                text,
                "a parsed custom_id re-encodes to itself"
            );
            assert!(text.len() <= custom_id::MAX_LEN);
            Verdict::Accepted
        }
        None => Verdict::Refused,
    }
}

/// A configuration file (`Config::from_toml_with_env` with no environment), then what start-up
/// derives from an accepted one (panel list, time zone, languages, addresses, timeouts,
/// capabilities, decoding limits).
///
/// Checks: non-UTF-8 and bad files are refused with a [`crate::config::ConfigError`] naming a
/// key; an accepted config never shows its secrets in `Debug`.
pub fn config(data: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(data) else {
        return Verdict::Refused; // `Config::load` refuses it as unreadable
    };
    let config = match Config::from_toml_with_env(text, |_| None) {
        Ok(config) => config,
        Err(e) => {
            assert!(!e.key().is_empty(), "{e:?}");
            return Verdict::Refused;
        }
    };
    let _ = (config.shop_time_zone(), config.default_language());
    let _ = (config.staff_language(), config.backend_capabilities());
    let _ = (config.metrics_addr(), config.require_for_run());
    let _ = (config.cryptobot.webhook_addr(), config.cryptobot.api_base());
    let _ = crate::service::receipts::limits(&config.receipts);
    for plan in &config.plans {
        let terms = terms::new_client(plan, NOW_MS);
        let share = terms::provisional(
            plan,
            NOW_MS,
            config.orders.provisional_percent,
            config.orders.provisional_days,
        );
        assert!(share.total_bytes <= terms.total_bytes, "{plan:?}");
    }
    let panels = config.panel_list();
    for panel in &panels {
        let _ = panel.timeout();
    }
    let shown = format!("{config:?}");
    let mut secrets = vec![
        &config.discord.token,
        &config.cryptobot.token,
        &config.metrics.bearer_token,
    ];
    for p in &panels {
        secrets.extend([&p.password, &p.api_token, &p.totp_secret, &p.vpn_api_key]);
    }
    for secret in secrets {
        let s = secret.expose();
        // Short secrets may appear by coincidence ("1" in a port...).
        assert!(s.len() < 8 || !shown.contains(s), "a secret in Debug");
    }
    Verdict::Accepted
}

/// HTTP statuses the answer targets pick from (byte 1 of the frame).
const STATUSES: [u16; 10] = [200, 200, 200, 201, 302, 400, 401, 404, 422, 502];

/// Splits a frame: (byte 0, shape index: byte 0 minus `'0'` modulo `shapes`, HTTP status:
/// `STATUSES[(byte 1 minus '0') % 10]`, body). ASCII digits pick the first entries.
fn frame(data: &[u8], shapes: u8) -> Option<(u8, u8, u16, &[u8])> {
    let (&first, rest) = data.split_first()?;
    let (&second, body) = rest.split_first()?;
    let shape = first.wrapping_sub(b'0') % shapes;
    let status = STATUSES[usize::from(second.wrapping_sub(b'0')) % STATUSES.len()];
    Some((first, shape, status, body))
}

/// One answer of a 3x-ui panel, read as the client reads it (`panel::read_answer`: status,
/// envelope, `obj`), for one of the shapes both API generations send, then what the bot derives
/// from it (share links, traffic left, the Gen B record as a client, the panel status).
///
/// Shapes (byte 0 minus `'0'`, modulo 8): 0 an inbound (`inbounds/get`), 1 the inbound list, 2 a traffic row
/// (`getClientTraffics`, `clients/traffic`), 3 a Gen B client (`clients/get`), 4 the Gen B client
/// list, 5 `server/status`, 6 `lastOnline`, 7 `onlines`.
///
/// Checks: every refusal is a `PanelError` (the type guarantees it); derived values stay in range.
pub fn panel_answer(data: &[u8]) -> Verdict {
    use crate::panel::{
        ClientDetail, ClientRecord, ClientTraffic, Generation, Inbound, LastOnline, PanelStatus,
        ServerStatus, read_answer,
    };
    let Some((first, shape, status, body)) = frame(data, 8) else {
        return Verdict::Refused;
    };
    let body = body.to_vec();
    let bearer = first >= 128;
    let ct = "application/json; charset=utf-8";
    match shape {
        0 => match read_answer::<Box<serde_json::value::RawValue>>(
            "inbound", status, ct, body, bearer,
        ) {
            Ok(Some(obj)) => Verdict::of(&one_client_reads(obj.get())),
            other => Verdict::of(&other),
        },
        1 => Verdict::of(
            &read_answer::<Vec<Inbound>>("list_inbounds", status, ct, body, bearer)
                .map(|list| list.iter().flatten().for_each(inbound_checks)),
        ),
        2 => Verdict::of(
            &read_answer::<ClientTraffic>("client_traffic", status, ct, body, bearer)
                .map(|t| t.iter().for_each(traffic_checks)),
        ),
        3 => Verdict::of(
            &read_answer::<ClientDetail>("client", status, ct, body, bearer)
                .map(|d| d.iter().for_each(|d| record_checks(&d.client))),
        ),
        4 => Verdict::of(
            &read_answer::<Vec<ClientRecord>>("clients", status, ct, body, bearer)
                .map(|list| list.iter().flatten().for_each(record_checks)),
        ),
        5 => Verdict::of(
            &read_answer::<ServerStatus>("status", status, ct, body, bearer)
                .map(|s| PanelStatus::from_server(Generation::B, s)),
        ),
        6 => Verdict::of(&read_answer::<LastOnline>(
            "last_online",
            status,
            ct,
            body,
            bearer,
        )),
        _ => Verdict::of(&read_answer::<Vec<String>>(
            "online_emails",
            status,
            ct,
            body,
            bearer,
        )),
    }
}

/// An inbound read whole and for each of (up to) its first three clients: each one-client read
/// holds exactly the clients the whole read has with that email, and the same inbound around
/// them.
fn one_client_reads(obj: &str) -> serde_json::Result<()> {
    use crate::panel::Inbound;
    let whole = Inbound::read(obj, None)?;
    inbound_checks(&whole);
    for email in whole.clients().iter().take(3).map(|c| c.email.as_str()) {
        let one = Inbound::read(obj, Some(email)).expect("read whole, read for one");
        let want: Vec<_> = (whole.clients().iter())
            .filter(|c| c.email.eq_ignore_ascii_case(email))
            .collect();
        assert!(one.clients().iter().eq(want), "the clients of {email:?}");
        assert_eq!(
            (&one.settings.extra, &one.stream_settings, one.port),
            (&whole.settings.extra, &whole.stream_settings, whole.port)
        );
        assert!(one.client_stats.is_empty());
    }
    Ok(())
}

/// What the bot derives from an inbound: its clients' share links and its traffic rows.
fn inbound_checks(ib: &crate::panel::Inbound) {
    let _ = (ib.network(), ib.security());
    for c in ib.clients() {
        assert!(ib.client(&c.email).is_some());
        if let Ok(link) =
            crate::panel::link::customer_link(ib, &c.id, &c.email, &c.sub_id, "vpn.example.com")
        {
            assert!(link.starts_with("vless://"), "{link}");
        }
    }
    ib.client_stats.iter().for_each(traffic_checks);
}

/// What the bot derives from a traffic row: the traffic left, and a renewal's terms.
fn traffic_checks(t: &crate::panel::ClientTraffic) {
    if let Some(left) = t.remaining_bytes() {
        assert!((0..=t.total).contains(&left), "{left} left of {}", t.total);
    }
    let plan = crate::config::Plan {
        id: "month".into(),
        name: "1 month".into(),
        days: 30,
        traffic_gib: 100,
        device_limit: 2,
        price_minor: 500,
        currency: "USD".into(),
        start_on_first_use: false,
    };
    let renewed = terms::renewal(&plan, NOW_MS, t);
    assert!(renewed.total_bytes >= 100 * terms::GIB, "{renewed:?}");
    assert!(
        renewed.expiry_ms < 0 || renewed.expiry_ms > NOW_MS,
        "{renewed:?}"
    );
}

fn record_checks(r: &crate::panel::ClientRecord) {
    if let Ok(client) = r.to_client() {
        assert_eq!(client.id, r.uuid, "the record's uuid is the client's id");
    }
}

/// The uuid the vpn-api target's `add-user` answers are checked against.
const VPN_UUID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

/// One answer of the vpn-api service (`panel::vpn_api`), read both as an `add-user` answer for a
/// fixed uuid and as a `list-users` answer. Byte 0 of the frame is unused (kept for the common
/// frame), byte 1 picks the status.
///
/// Checks: an accepted share link carries the uuid sent.
pub fn vpn_api_answer(data: &[u8]) -> Verdict {
    let Some((_, _, status, body)) = frame(data, 1) else {
        return Verdict::Refused;
    };
    let (link, list) = crate::panel::vpn_api::read_answers(status, body, VPN_UUID);
    if let Ok(link) = &link {
        assert!(link.contains(VPN_UUID), "{link}");
    }
    Verdict::any([Verdict::of(&link), Verdict::of(&list)])
}

/// The token the Crypto Pay target signs webhook bodies with.
const CRYPTO_TOKEN: &str = "12345:AAfuzzfuzzfuzzfuzzfuzzfuzzfuzz";

/// One answer of Crypto Pay (`cryptopay`: the envelope, then the `result` read as invoices,
/// an invoice, the app or a boolean, by byte 0 minus `'0'` modulo 4), and the same body delivered as a
/// correctly signed webhook. Amounts of accepted invoices are converted to minor units as the
/// settlement does.
///
/// Checks: an invoice survives a JSON round trip; a decimal amount converted to minor units
/// converts back to a string that reads the same; a verified webhook names an invoice.
pub fn cryptopay_answer(data: &[u8]) -> Verdict {
    use crate::cryptopay::{AppInfo, Invoice, interpret, invoices_of, read_result};
    let Some((first, shape, status, body)) = frame(data, 4) else {
        return Verdict::Refused;
    };
    let ct = if first >= 128 {
        "text/html"
    } else {
        "application/json"
    };
    let answer = interpret("getInvoices", status, ct, body).and_then(|result| match shape {
        0 => invoices_of(result).map(|list| list.iter().for_each(invoice_checks)),
        1 => read_result::<Invoice>("createInvoice", result).map(|i| invoice_checks(&i)),
        2 => read_result::<AppInfo>("getMe", result).map(drop),
        _ => read_result::<bool>("deleteInvoice", result).map(drop),
    });
    let token = crate::config::Secret::new(CRYPTO_TOKEN);
    let signature = crate::cryptopay::webhook::sign(body, &token);
    let hook =
        crate::cryptopay::webhook::verify_update(body, Some(&signature), &token, NOW_MS, i64::MAX);
    match &hook {
        Ok(update) => invoice_checks(&update.payload),
        Err(e) => assert_eq!(e.http_status(), 400, "a signed body refused as {e:?}"),
    }
    Verdict::any([Verdict::of(&answer), Verdict::of(&hook)])
}

fn invoice_checks(invoice: &crate::cryptopay::Invoice) {
    use crate::cryptopay::{Invoice, amount_from_minor, minor_from_amount};
    let _ = invoice.currency_code();
    let json = serde_json::to_string(invoice).expect("an invoice serialises");
    let back: Invoice = serde_json::from_str(&json).expect("a serialised invoice reads back");
    assert_eq!(&back, invoice, "{json}");
    for amount in std::iter::once(&invoice.amount).chain(&invoice.paid_amount) {
        for exponent in [0, 2, 9, 18] {
            if let Some(minor) = minor_from_amount(amount, exponent) {
                let text = amount_from_minor(minor, exponent);
                assert_eq!(minor_from_amount(&text, exponent), Some(minor), "{amount}");
            }
        }
    }
}

/// A file given to `restore` (`ops::restore`: header, `integrity_check`, application id,
/// schema version, migration of a staging copy, row counts), written to a fresh temporary data
/// directory; the confirmation is declined, so an acceptable file ends in `NotConfirmed`.
///
/// Checks: a refusal is `BadBackup` with a reason (never a panic, never a raw SQLite or
/// migration error); nothing is left behind: no live database appears, no staging copy remains.
pub fn restore_file(data: &[u8]) -> Verdict {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("backup.db");
    std::fs::write(&file, data).expect("the input is written");
    let storage = crate::config::StorageConfig {
        data_dir: dir.path().join("data"),
        ..crate::config::StorageConfig::default()
    };
    std::fs::create_dir(&storage.data_dir).expect("the data directory");
    let mut shown = String::new();
    let result = crate::ops::restore(
        &storage,
        &file,
        |summary| {
            let _ = write!(shown, "{summary}");
            false
        },
        jiff::Timestamp::UNIX_EPOCH,
    );
    let left: Vec<_> = std::fs::read_dir(&storage.data_dir)
        .expect("the data directory is readable")
        .map(|e| e.expect("an entry").file_name())
        .filter(|n| n.to_string_lossy().starts_with("bot.db"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    match result {
        Err(Error::NotConfirmed(_)) => {
            assert!(shown.contains("Schema:"), "{shown}");
            Verdict::Accepted
        }
        Err(Error::BadBackup { reason, .. }) => {
            assert!(!reason.is_empty());
            Verdict::Refused
        }
        other => panic!("restore of a declined file answered {other:?}"),
    }
}
