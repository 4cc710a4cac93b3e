//! The receipt pipeline: turns an uploaded payment screenshot into a stored, hashed
//! [`Receipt`] that the order service attaches to a new payment, or refuses it with a
//! [`UserError`] the customer can read.
//!
//! [`ReceiptService::process`] runs, in this order: the size cap (`receipts.max_bytes`, before
//! anything else), the format sniffed from magic bytes (PNG, JPEG, WebP; the declared file name
//! and content type are only logged, never trusted), decoding under `image::Limits`
//! (`receipts.max_dimension` per side, [`MAX_PIXELS`] in all and a bounded allocation, so a
//! decompression bomb is refused from its header before any pixel buffer exists), SHA-256 of the
//! bytes and a 64-bit perceptual hash (dHash) of the decoded picture, the exact-duplicate check
//! against every earlier payment (any user, any status; refused with
//! [`UserError::DuplicateReceipt`] and a `receipt.duplicate` audit entry),
//! the near-duplicate search (flagged, not refused), and finally an atomic, content-addressed
//! write under `<data_dir>/receipts/`. A refused file is never written. Decoding, hashing, SQL and
//! file I/O run on tokio's blocking pool.
//!
//! The exact-duplicate check and the payment insert are two steps, so two identical uploads at
//! the same moment both pass the check; the UNIQUE index on `payments.receipt_sha256` refuses the
//! second insert, and `OrderService::submit_receipt` turns that into the same
//! [`UserError::DuplicateReceipt`]. No file is orphaned by that race: both uploads wrote the same
//! content-addressed file, which the winning payment references. No serenity/poise here.

mod analyze;
mod duplicates;
mod files;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use crate::clock::Clock;
use crate::config::{ReceiptsConfig, StorageConfig};
use crate::domain::{OrderId, PaymentId, UserId};
use crate::error::{Error, Result, UserError};
use crate::store::Store;
use crate::store::payments::{self, Receipt};

pub use analyze::{MAX_PIXELS, ReceiptFormat, hamming_hex, limits, sha256_hex, sniff};
pub use duplicates::record_duplicate;
pub use files::{RECEIPTS_FOLDER, relative_path};

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// An earlier receipt that looks like the new one (re-saved, re-compressed, resized...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearDuplicate {
    /// The earlier payment.
    pub payment: PaymentId,
    /// The earlier payment's order (for the review card).
    pub order: OrderId,
    /// Hamming distance between the two 64-bit perceptual hashes (0..=64; 0 = same picture to
    /// the hash), always below `receipts.near_duplicate_distance`.
    pub distance: u32,
}

/// A receipt that passed every check and whose bytes are stored.
///
/// Give `receipt` and `near_duplicate.map(|d| (d.payment, d.distance))` to
/// `OrderService::submit_receipt` (which maps the insert race to the same duplicate refusal);
/// when no payment is stored after all, call
/// [`ReceiptService::discard`] so the file does not stay behind unreferenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedReceipt {
    /// Hashes, stored path (relative to the data directory), sniffed content type, size.
    pub receipt: Receipt,
    /// The closest earlier receipt under the near-duplicate threshold, if any.
    pub near_duplicate: Option<NearDuplicate>,
}

/// The receipt pipeline. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct ReceiptService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    config: ReceiptsConfig,
    data_dir: PathBuf,
    clock: Clock,
    /// Stored receipts' perceptual hashes (near-duplicate search).
    phashes: Arc<Mutex<duplicates::PhashIndex>>,
}

impl ReceiptService {
    /// A service storing files under `storage.receipts_dir()` (paths recorded relative to
    /// `storage.data_dir`), reading time from `clock` (audit entries, retention).
    #[must_use]
    pub fn new(
        store: Store,
        config: ReceiptsConfig,
        storage: &StorageConfig,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                data_dir: storage.data_dir.clone(),
                clock,
                phashes: Arc::default(),
            }),
        }
    }

    /// `<data_dir>/receipts`, where files are stored.
    #[must_use]
    pub fn receipts_dir(&self) -> PathBuf {
        self.inner.data_dir.join(RECEIPTS_FOLDER)
    }

    /// The configuration in use.
    #[must_use]
    pub fn config(&self) -> &ReceiptsConfig {
        &self.inner.config
    }

    /// Checks a size in bytes against `receipts.max_bytes` — the Discord layer calls it with the
    /// attachment's declared size before downloading; [`Self::process`] calls it with the real one.
    ///
    /// # Errors
    /// [`UserError::BadReceipt`] when `size` is 0 or over the cap (the reason gives both in MiB).
    pub fn check_declared_size(&self, size: u64) -> Result<()> {
        check_size(&self.inner.config, size)
    }

    /// Validates, hashes and stores the receipt `bytes` uploaded by `user` for `order`.
    /// `declared_name` / `declared_type` (from the attachment) are only logged (and the name is put
    /// in a duplicate's audit entry); they never decide anything.
    ///
    /// # Errors
    /// [`UserError::BadReceipt`] (size, format, dimensions, memory, damaged file: nothing stored),
    /// [`UserError::DuplicateReceipt`] with the earlier order (after a `receipt.duplicate` audit
    /// entry; nothing stored), [`Error::Db`] / [`Error::Pool`] / [`Error::Io`] / [`Error::Task`].
    pub async fn process(
        &self,
        user: UserId,
        order: OrderId,
        declared_name: &str,
        declared_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<AcceptedReceipt> {
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let declared_name = truncate(declared_name, 100);
        let refused = |e: Error| {
            tracing::info!(%user, %order, declared_name, ?declared_type, size, error = %e, "receipt refused");
            e
        };
        self.check_declared_size(size).map_err(refused)?;
        analyze::sniff(&bytes).map_err(|e| refused(e.into()))?;

        let config = self.inner.config.clone();
        let (analysis, bytes) = tokio::task::spawn_blocking(move || {
            let analysis = analyze::analyze(&bytes, &config);
            (analysis, bytes)
        })
        .await?;
        let analysis = analysis.map_err(|e| refused(e.into()))?;

        let near_duplicate = self
            .check_duplicates(user, order, &analysis, declared_name, size)
            .await
            .map_err(refused)?;

        let relative = files::relative_path(&analysis.sha256, analysis.format.extension());
        let data_dir = self.inner.data_dir.clone();
        let rel = relative.clone();
        tokio::task::spawn_blocking(move || files::write_atomic(&data_dir, &rel, &bytes)).await??;

        tracing::info!(
            %user, %order, declared_name, ?declared_type,
            content_type = analysis.format.content_type(), size,
            width = analysis.width, height = analysis.height,
            sha256 = %analysis.sha256, phash = %analysis.phash,
            near_duplicate = ?near_duplicate, "receipt accepted"
        );
        Ok(AcceptedReceipt {
            receipt: Receipt {
                sha256: analysis.sha256,
                phash: analysis.phash,
                path: Some(relative),
                content_type: analysis.format.content_type().to_owned(),
                size: i64::try_from(size).unwrap_or(i64::MAX),
            },
            near_duplicate,
        })
    }

    /// The exact-duplicate check (audited refusal) and the near-duplicate search, in one
    /// blocking call.
    async fn check_duplicates(
        &self,
        user: UserId,
        order: OrderId,
        analysis: &analyze::Analysis,
        declared_name: &str,
        size: u64,
    ) -> Result<Option<NearDuplicate>> {
        let sha = analysis.sha256.clone();
        let phash = analysis.phash.clone();
        let threshold = self.inner.config.near_duplicate_distance;
        let now = self.inner.clock.now_ms();
        let name = declared_name.to_owned();
        let phashes = self.inner.phashes.clone();
        self.inner
            .store
            .call(move |conn| {
                if let Some(earlier) = payments::find_by_sha256(conn, &sha)? {
                    record_duplicate(conn, user, order, &earlier, &name, size, now)?;
                    return Err(UserError::DuplicateReceipt {
                        earlier_order: earlier.order_id,
                    }
                    .into());
                }
                let mut index = phashes.lock().unwrap_or_else(PoisonError::into_inner);
                index.catch_up(conn)?;
                Ok(index.nearest(&phash, threshold))
            })
            .await
    }

    /// The stored bytes of `receipt` (to re-post the image on the review card).
    ///
    /// # Errors
    /// [`UserError::NotFound`] when retention already deleted the image (`path` is `None`);
    /// [`Error::Io`] when the file cannot be read; [`Error::Task`].
    pub async fn read(&self, receipt: &Receipt) -> Result<Vec<u8>> {
        let Some(relative) = receipt.path.clone() else {
            return Err(UserError::NotFound {
                what: "the receipt image (deleted after the retention period)".to_owned(),
            }
            .into());
        };
        let data_dir = self.inner.data_dir.clone();
        tokio::task::spawn_blocking(move || files::read(&data_dir, &relative)).await?
    }

    /// Deletes the stored file of an accepted receipt that did not become a payment (the order
    /// service's insert failed for another reason than a duplicate), unless some payment
    /// references this SHA-256 (then the file is that payment's and stays). Returns whether a file
    /// was deleted; a missing file is not an error.
    ///
    /// # Errors
    /// [`Error::Db`] / [`Error::Pool`] / [`Error::Io`] / [`Error::Task`].
    pub async fn discard(&self, receipt: &Receipt) -> Result<bool> {
        let Some(relative) = receipt.path.clone() else {
            return Ok(false);
        };
        let sha = receipt.sha256.clone();
        let data_dir = self.inner.data_dir.clone();
        self.inner
            .store
            .call(move |conn| {
                if payments::find_by_sha256(conn, &sha)?.is_some() {
                    return Ok(false);
                }
                files::remove(&data_dir, &relative)
            })
            .await
    }

    /// Deletes stored images of payments created more than `receipts.retention_days` ago and
    /// clears their `receipt_path`; the hashes stay, so duplicates are still detected. Returns how
    /// many receipts lost their image (a file that was already missing counts: its path is
    /// cleared too). `retention_days = 0` keeps everything and returns 0. A file that cannot be
    /// deleted is logged and kept (path too), and retried on the next run.
    ///
    /// # Errors
    /// [`Error::Db`] / [`Error::Pool`] / [`Error::Task`].
    pub async fn apply_retention(&self) -> Result<usize> {
        let days = self.inner.config.retention_days;
        if days == 0 {
            return Ok(0);
        }
        let now = self.inner.clock.now_ms();
        let cutoff = now.saturating_sub(i64::from(days) * DAY_MS);
        let data_dir = self.inner.data_dir.clone();
        let cleared = self
            .inner
            .store
            .call_blocking(move |conn| retention_sweep(conn, &data_dir, cutoff, now))
            .await?;
        if cleared > 0 {
            tracing::info!(cleared, days, "receipt retention deleted old images");
        }
        Ok(cleared)
    }
}

/// `size` (bytes) against `receipts.max_bytes`: see [`ReceiptService::check_declared_size`].
fn check_size(config: &ReceiptsConfig, size: u64) -> Result<()> {
    let max = config.max_bytes;
    if size == 0 {
        return Err(bad_receipt("the file is empty".to_owned()));
    }
    if size > max {
        return Err(bad_receipt(format!(
            "the file is {} MiB; the limit is {} MiB",
            mib(size),
            mib(max)
        )));
    }
    Ok(())
}

/// The checks of [`ReceiptService::process`] that need no database or disk, in its order: the
/// size cap, then [`analyze::analyze`] (format, decoding under limits, hashes). For the fuzz
/// targets (`crate::fuzzing`); the service runs the same two steps.
///
/// # Errors
/// [`UserError::BadReceipt`] (as an [`Error::User`]) for every refusal.
pub(crate) fn check_bytes(bytes: &[u8], config: &ReceiptsConfig) -> Result<analyze::Analysis> {
    check_size(config, u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
    Ok(analyze::analyze(bytes, config)?)
}

fn retention_sweep(conn: &Connection, data_dir: &Path, cutoff: i64, now: i64) -> Result<usize> {
    let mut cleared = 0;
    for (payment, relative) in payments::receipts_stored_before(conn, cutoff)? {
        // File first, then the path: a crash in between leaves a path to a missing file, which
        // the next run clears; the other order could leave an unreferenced file forever.
        match files::remove(data_dir, &relative) {
            Ok(_) => {
                if payments::clear_receipt_path(conn, payment, now)? {
                    cleared += 1;
                }
            }
            Err(e) => tracing::warn!(%payment, error = %e, "cannot delete old receipt image"),
        }
    }
    Ok(cleared)
}

fn bad_receipt(reason: String) -> Error {
    UserError::BadReceipt { reason }.into()
}

/// `bytes` in MiB with one decimal, rounded up ("10", "12.5", "10.1" for 10 MiB + 1 byte), so a
/// file over the limit never reads as equal to it.
fn mib(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).div_ceil(1 << 20);
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

fn truncate(s: &str, max_chars: usize) -> &str {
    s.char_indices().nth(max_chars).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_mib() {
        assert_eq!(mib(10 << 20), "10");
        assert_eq!(mib((25 << 20) / 2), "12.5");
        assert_eq!(mib((10 << 20) + 1), "10.1");
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("hi", 5), "hi");
    }
}
