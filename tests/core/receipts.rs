//! The receipt pipeline against a temporary SQLite and data directory: exact duplicates across
//! users (also when racing to the insert), near duplicates of a re-encoded picture, refusals that
//! store nothing (damaged, not an image, decompression bomb, unsupported format, over size), and
//! retention that deletes images but keeps hashes.

use crate::{common, images};

use std::path::Path;

use vpn_ticket_bot::clock::Clock;
use vpn_ticket_bot::config::ReceiptsConfig;
use vpn_ticket_bot::domain::audit::AuditAction;
use vpn_ticket_bot::domain::status::{OrderKind, PaymentSource};
use vpn_ticket_bot::domain::{ChannelId, GuildId, OrderId, PaymentId, UserId};
use vpn_ticket_bot::error::{Error, UserError};
use vpn_ticket_bot::service::receipts::{self, AcceptedReceipt, ReceiptService};
use vpn_ticket_bot::store::{Store, audit, orders, payments, users};

const ALICE: UserId = UserId(1_100_000_000_000_000_001);
const BOB: UserId = UserId(1_100_000_000_000_000_002);
const CAROL: UserId = UserId(1_100_000_000_000_000_003);
const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 86_400_000;

struct Env {
    dir: tempfile::TempDir,
    store: Store,
    service: ReceiptService,
}

fn env_with(config: ReceiptsConfig) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store(dir.path());
    let service = ReceiptService::new(
        store.clone(),
        config,
        &common::storage(dir.path()),
        Clock::starting_at(NOW),
    );
    Env {
        dir,
        store,
        service,
    }
}

fn env() -> Env {
    env_with(ReceiptsConfig::default())
}

impl Env {
    /// A user with an open order (one ticket channel per user).
    fn order(&self, user: UserId) -> OrderId {
        let conn = self.store.conn().unwrap();
        users::ensure(&conn, user, NOW).unwrap();
        let ticket = Some((GuildId(7), ChannelId(user.0 % 1_000_000)));
        orders::insert(&conn, user, OrderKind::New, &common::plan(), ticket, NOW).unwrap()
    }

    /// What the order service does with an accepted receipt.
    fn pay(&self, user: UserId, order: OrderId, accepted: &AcceptedReceipt, at: i64) -> PaymentId {
        let conn = self.store.conn().unwrap();
        payments::insert(&conn, &new_payment(user, order, accepted), at).unwrap()
    }

    fn payment_count(&self) -> i64 {
        let conn = self.store.conn().unwrap();
        conn.query_row("SELECT count(*) FROM payments", [], |r| r.get(0))
            .unwrap()
    }

    /// Every file under the receipts directory (temp files included).
    fn stored_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.service.receipts_dir(), &mut out);
        out.sort();
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path.display().to_string());
        }
    }
}

fn new_payment(user: UserId, order: OrderId, accepted: &AcceptedReceipt) -> payments::NewPayment {
    payments::NewPayment {
        order_id: order,
        user_id: user,
        method: "bank".into(),
        amount_minor: 500,
        currency: "USD".into(),
        receipt: accepted.receipt.clone(),
        near_duplicate: accepted.near_duplicate.map(|d| (d.payment, d.distance)),
    }
}

fn bad_reason(result: vpn_ticket_bot::Result<AcceptedReceipt>) -> String {
    match result {
        Err(Error::User(UserError::BadReceipt { reason })) => reason,
        other => panic!("expected BadReceipt, got {other:?}"),
    }
}

fn receipt_png(seed: u64) -> Vec<u8> {
    images::png(&images::receipt(seed, 600, 900))
}

#[tokio::test]
async fn exact_duplicate_across_users_is_refused_with_the_earlier_order_and_audited() {
    let env = env();
    let (alice_order, bob_order) = (env.order(ALICE), env.order(BOB));
    let bytes = receipt_png(1);

    let first = env
        .service
        .process(
            ALICE,
            alice_order,
            "receipt.png",
            Some("image/png"),
            bytes.clone(),
        )
        .await
        .unwrap();
    assert_eq!(first.receipt.sha256, receipts::sha256_hex(&bytes));
    assert_eq!(first.receipt.sha256.len(), 64);
    assert_eq!(
        first.receipt.phash.len(),
        16,
        "64-bit perceptual hash in hex"
    );
    assert_eq!(first.receipt.content_type, "image/png");
    assert_eq!(first.receipt.size, i64::try_from(bytes.len()).unwrap());
    assert_eq!(first.near_duplicate, None);
    let path = first.receipt.path.clone().unwrap();
    assert_eq!(
        path,
        format!(
            "receipts/{}/{}.png",
            &first.receipt.sha256[..2],
            first.receipt.sha256
        )
    );
    assert_eq!(env.service.read(&first.receipt).await.unwrap(), bytes);
    let alice_payment = env.pay(ALICE, alice_order, &first, NOW);

    let err = env
        .service
        .process(BOB, bob_order, "mine.png", Some("image/png"), bytes.clone())
        .await
        .unwrap_err();
    match &err {
        Error::User(UserError::DuplicateReceipt { earlier_order }) => {
            assert_eq!(*earlier_order, alice_order);
        }
        other => panic!("expected DuplicateReceipt, got {other:?}"),
    }
    assert!(
        err.user_message()
            .unwrap()
            .contains(&format!("#{alice_order}"))
    );

    let conn = env.store.conn().unwrap();
    let entries = audit::for_target(&conn, "order", &bob_order.to_string()).unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.action, AuditAction::ReceiptDuplicate.as_str());
    assert_eq!(entry.actor, Some(BOB));
    assert_eq!(entry.payload["earlier_payment"], alice_payment.0);
    assert_eq!(entry.payload["earlier_order"], alice_order.0);
    assert_eq!(entry.payload["sha256"], first.receipt.sha256.as_str());
    assert!(
        entry.payload.to_string().len() < 1000,
        "no image bytes in the audit payload"
    );
    assert_eq!(env.payment_count(), 1, "Bob got no payment row");
    assert_eq!(env.stored_files().len(), 1, "only Alice's file");

    // The race (two identical uploads past this check) is refused by the UNIQUE index:
    // `OrderService::submit_receipt` maps it (tests/core/orders.rs).
    assert!(payments::insert(&conn, &new_payment(BOB, bob_order, &first), NOW).is_err());
    // Bob's copy of the file is Alice's file: discarding Bob's receipt keeps it.
    assert!(!env.service.discard(&first.receipt).await.unwrap());
    assert_eq!(env.service.read(&first.receipt).await.unwrap(), bytes);
}

#[tokio::test]
async fn re_encoded_picture_is_flagged_and_an_unrelated_one_is_not() {
    let env = env();
    let (alice_order, bob_order, carol_order) =
        (env.order(ALICE), env.order(BOB), env.order(CAROL));
    let original = images::receipt(2, 600, 900);
    let first = env
        .service
        .process(ALICE, alice_order, "a.png", None, images::png(&original))
        .await
        .unwrap();
    let alice_payment = env.pay(ALICE, alice_order, &first, NOW);

    // Re-encoded: resized to 90 % and saved as JPEG quality 80, declared as a PNG.
    let jpeg = images::jpeg(&images::resized(&original, 90), 80);
    let again = env
        .service
        .process(BOB, bob_order, "receipt.png", Some("image/png"), jpeg)
        .await
        .unwrap();
    assert_eq!(
        again.receipt.content_type, "image/jpeg",
        "sniffed, not declared"
    );
    let stored = Path::new(again.receipt.path.as_deref().unwrap());
    assert_eq!(stored.extension().unwrap(), "jpg");
    let near = again.near_duplicate.expect("flagged as near duplicate");
    assert_eq!((near.payment, near.order), (alice_payment, alice_order));
    assert!(near.distance <= 4, "small distance, got {}", near.distance);
    env.pay(BOB, bob_order, &again, NOW);

    // Cropped (30 px off the top and bottom of 900) and re-saved: still flagged.
    let cropped = image::imageops::crop_imm(&original, 0, 30, 600, 840).to_image();
    let cropped = env
        .service
        .process(CAROL, carol_order, "crop.png", None, images::png(&cropped))
        .await
        .unwrap();
    // Alice's original and Bob's re-encoded copy are the same picture: the crop is flagged
    // against whichever of the two its hash is closer to (7–8 bits from either).
    let near = cropped.near_duplicate.expect("crop flagged");
    assert!(
        [alice_order, bob_order].contains(&near.order),
        "closest is a copy of the original, got {near:?}"
    );
    assert!(near.distance < 10, "got {}", near.distance);

    let other = images::unrelated(3, 600, 900);
    let third = env
        .service
        .process(CAROL, carol_order, "c.webp", None, images::webp(&other))
        .await
        .unwrap();
    assert_eq!(third.receipt.content_type, "image/webp");
    assert_eq!(third.near_duplicate, None);
    let distance = receipts::hamming_hex(&third.receipt.phash, &first.receipt.phash).unwrap();
    assert!(
        distance >= 20,
        "unrelated picture far from the threshold (10), got {distance}"
    );
    // Different receipts with the same layout (same "bank app") are not flagged either.
    for seed in [5, 99] {
        let sibling = images::png(&images::receipt(seed, 600, 900));
        let sibling = env
            .service
            .process(CAROL, carol_order, "d.png", None, sibling)
            .await
            .unwrap();
        assert_eq!(sibling.near_duplicate, None, "seed {seed}");
    }
    assert_eq!(env.stored_files().len(), 6);
}

#[tokio::test]
async fn refused_files_store_nothing_and_say_why() {
    let env = env();
    let order = env.order(ALICE);
    let good = receipt_png(4);
    let mut over = b"\x89PNG\r\n\x1a\n".to_vec();
    over.resize(10 * 1024 * 1024 + 1, 0);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.png",
            good[..good.len() / 2].to_vec(),
            "damaged or incomplete",
        ),
        (
            "random.png",
            images::Rng::new(5).next().to_le_bytes().repeat(512),
            "not a PNG, JPEG or WebP",
        ),
        (
            "bomb.png",
            images::png_declaring(60_000, 60_000, 6, 8),
            "dimensions exceed the limit of 8192×8192 pixels",
        ),
        // Regression (fuzzing, `receipt`): sides within 8192 but too many pixels in all. A
        // 974-byte progressive JPEG or a 2.6 kB WebP declaring 8192×8192 made decoding use
        // 300-490 MB; now refused from the header.
        (
            "memory.png",
            images::png_declaring(8_000, 8_000, 6, 16),
            "8000×8000 pixels (64.0 million pixels); the limit is 16.8 million pixels in all",
        ),
        (
            "bomb.webp",
            images::webp_declaring(8192, 8192),
            "8192×8192 pixels (67.2 million pixels)",
        ),
        (
            "bomb.jpg",
            images::jpeg_declaring(8192, 4097),
            "8192×4097 pixels (33.6 million pixels)",
        ),
        // Regression (fuzzing, `receipt`): a PLTE chunk of 49 bytes panicked inside png 0.18.1.
        (
            "palette.png",
            include_bytes!("../../fuzz/regressions/receipt/refuse-png-palette-of-49-bytes.png")
                .to_vec(),
            "damaged or incomplete",
        ),
        ("anim.gif", images::gif(), "GIF files are not accepted"),
        ("scan.bmp", images::bmp(), "BMP files are not accepted"),
        (
            "huge.png",
            over,
            "the file is 10.1 MiB; the limit is 10 MiB",
        ),
        ("empty.png", Vec::new(), "the file is empty"),
    ];
    for (name, bytes, expected) in cases {
        let reason = bad_reason(
            env.service
                .process(ALICE, order, name, Some("image/png"), bytes)
                .await,
        );
        assert!(reason.contains(expected), "{name}: {reason}");
    }
    assert_eq!(env.stored_files(), Vec::<String>::new(), "nothing stored");
    assert_eq!(env.payment_count(), 0);

    // The allocation limit follows `max_dimension`: 1024 allows a 4 MiB buffer, not 8 MiB.
    let small = env_with(ReceiptsConfig {
        max_dimension: 1024,
        ..ReceiptsConfig::default()
    });
    let reason = bad_reason(
        small
            .service
            .process(
                ALICE,
                order,
                "deep.png",
                None,
                images::png_declaring(1024, 1024, 6, 16),
            )
            .await,
    );
    assert!(
        reason.contains("more memory than the limit of 4 MiB"),
        "{reason}"
    );

    // The Discord layer's check on the declared size, before downloading.
    assert!(env.service.check_declared_size(10 * 1024 * 1024).is_ok());
    let err = env
        .service
        .check_declared_size(25 * 1024 * 1024 / 2 + 10 * 1024 * 1024)
        .unwrap_err();
    assert!(
        err.user_message()
            .unwrap()
            .contains("22.5 MiB; the limit is 10 MiB"),
        "{err}"
    );
    // The same file is accepted once it is whole; if its payment is never inserted, the order
    // service discards it.
    let accepted = env
        .service
        .process(ALICE, order, "ok.png", None, good)
        .await
        .unwrap();
    assert_eq!(env.stored_files().len(), 1);
    assert!(env.service.discard(&accepted.receipt).await.unwrap());
    assert_eq!(env.stored_files(), Vec::<String>::new());
}

#[tokio::test]
async fn retention_deletes_old_images_keeps_hashes_and_duplicates_are_still_caught() {
    let env = env_with(ReceiptsConfig {
        retention_days: 30,
        ..ReceiptsConfig::default()
    });
    let (alice_order, bob_order, carol_order) =
        (env.order(ALICE), env.order(BOB), env.order(CAROL));
    let old_picture = images::receipt(6, 600, 900);
    let old_bytes = images::png(&old_picture);
    let old = env
        .service
        .process(ALICE, alice_order, "old.png", None, old_bytes.clone())
        .await
        .unwrap();
    let old_payment = env.pay(ALICE, alice_order, &old, NOW - 31 * DAY);
    // An old receipt whose file someone already deleted by hand: not an error.
    let gone = env
        .service
        .process(BOB, bob_order, "gone.png", None, receipt_png(7))
        .await
        .unwrap();
    let gone_payment = env.pay(BOB, bob_order, &gone, NOW - 40 * DAY);
    std::fs::remove_file(env.dir.path().join(gone.receipt.path.as_deref().unwrap())).unwrap();
    let recent = env
        .service
        .process(CAROL, carol_order, "new.png", None, receipt_png(8))
        .await
        .unwrap();
    let recent_payment = env.pay(CAROL, carol_order, &recent, NOW - 29 * DAY);
    assert_eq!(env.stored_files().len(), 2);

    assert_eq!(env.service.apply_retention().await.unwrap(), 2);
    let recent_file = env
        .dir
        .path()
        .join(recent.receipt.path.as_deref().unwrap())
        .display()
        .to_string();
    assert_eq!(
        env.stored_files(),
        vec![recent_file],
        "only the recent image is left"
    );
    {
        let conn = env.store.conn().unwrap();
        let old_row = payments::get(&conn, old_payment).unwrap().unwrap();
        assert_eq!(old_row.source, PaymentSource::Receipt);
        let old_row = old_row
            .receipt
            .expect("a receipt payment keeps its receipt");
        assert_eq!(old_row.path, None);
        assert_eq!(old_row.sha256, old.receipt.sha256, "hash kept");
        assert_eq!(old_row.phash, old.receipt.phash, "hash kept");
        assert_eq!(
            payments::get(&conn, gone_payment)
                .unwrap()
                .unwrap()
                .receipt
                .and_then(|r| r.path),
            None
        );
        assert_eq!(
            payments::get(&conn, recent_payment)
                .unwrap()
                .unwrap()
                .receipt
                .and_then(|r| r.path),
            recent.receipt.path
        );
        let unreadable = env.service.read(&old_row).await.unwrap_err();
        assert!(matches!(
            unreadable,
            Error::User(UserError::NotFound { .. })
        ));
    }
    assert_eq!(
        env.service.apply_retention().await.unwrap(),
        0,
        "nothing left to do"
    );

    // Duplicates of the deleted image are still caught, exact and near.
    let dave = UserId(1_100_000_000_000_000_004);
    let dave_order = env.order(dave);
    let err = env
        .service
        .process(dave, dave_order, "old.png", None, old_bytes)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::User(UserError::DuplicateReceipt { earlier_order }) if earlier_order == alice_order),
        "{err:?}"
    );
    let jpeg = images::jpeg(&images::resized(&old_picture, 90), 80);
    let near = env
        .service
        .process(dave, dave_order, "old.jpg", None, jpeg)
        .await
        .unwrap();
    assert_eq!(near.near_duplicate.unwrap().payment, old_payment);
}

#[tokio::test]
async fn retention_zero_keeps_everything() {
    let env = env_with(ReceiptsConfig {
        retention_days: 0,
        ..ReceiptsConfig::default()
    });
    let order = env.order(ALICE);
    let accepted = env
        .service
        .process(ALICE, order, "a.png", None, receipt_png(9))
        .await
        .unwrap();
    env.pay(ALICE, order, &accepted, NOW - 3650 * DAY);
    assert_eq!(env.service.apply_retention().await.unwrap(), 0);
    assert_eq!(env.stored_files().len(), 1);
}
