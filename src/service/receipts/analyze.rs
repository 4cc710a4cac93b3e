//! Looking at an upload without trusting it: format sniffed from magic bytes, decoding under
//! `image::Limits`, SHA-256 of the bytes and a 64-bit perceptual hash (dHash) of the decoded picture.
//!
//! Everything here is synchronous and CPU-bound; the service calls [`analyze`] from
//! `spawn_blocking`. Refusals come back as [`UserError::BadReceipt`] with a reason the customer
//! can act on; nothing here touches the disk or the database.

use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::sync::{Mutex, PoisonError};

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::error::LimitErrorKind;
use image::{
    ColorType, DynamicImage, ImageBuffer, ImageDecoder, ImageError, ImageFormat, ImageReader,
    Limits,
};
use image_hasher::{HashAlg, HasherConfig};
use sha2::{Digest, Sha256};

use crate::config::ReceiptsConfig;
use crate::error::UserError;

/// An accepted receipt format, known from the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptFormat {
    /// `89 50 4E 47 0D 0A 1A 0A`
    Png,
    /// `FF D8 FF`
    Jpeg,
    /// `RIFF <len> WEBP`
    WebP,
}

impl ReceiptFormat {
    /// The MIME type recorded in `payments.receipt_content_type`.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::WebP => "image/webp",
        }
    }

    /// The file extension of stored files (no dot).
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::WebP => "webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Png => ImageFormat::Png,
            Self::Jpeg => ImageFormat::Jpeg,
            Self::WebP => ImageFormat::WebP,
        }
    }
}

/// Identifies the format from the magic bytes.
///
/// # Errors
/// [`UserError::BadReceipt`] naming the format when it is a known but refused one (GIF, BMP,
/// TIFF, HEIC, PDF...), or saying it is not an image.
pub fn sniff(bytes: &[u8]) -> Result<ReceiptFormat, UserError> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        return Ok(ReceiptFormat::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ReceiptFormat::Jpeg);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(ReceiptFormat::WebP);
    }
    let known = if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("GIF")
    } else if bytes.starts_with(b"BM") {
        Some("BMP")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("TIFF")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("HEIC/AVIF")
    } else if bytes.starts_with(b"%PDF") {
        Some("PDF")
    } else {
        None
    };
    Err(bad(match known {
        Some(name) => format!("{name} files are not accepted; send a PNG, JPEG or WebP screenshot"),
        None => "this is not a PNG, JPEG or WebP image".to_owned(),
    }))
}

/// What [`analyze`] learned from an acceptable image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Analysis {
    /// The sniffed format.
    pub format: ReceiptFormat,
    /// SHA-256 of the bytes, 64 lowercase hex characters.
    pub sha256: String,
    /// 64-bit perceptual hash (see [`analyze`]), 16 lowercase hex characters.
    pub phash: String,
    /// Decoded width in pixels.
    pub width: u32,
    /// Decoded height in pixels.
    pub height: u32,
}

/// The most pixels a receipt may have, whatever its sides: 16 Mi (4096×4096; a 5K screen is
/// 14.7 M, a phone screenshot 3–5 M). Decoding needs more than the picture itself (a progressive
/// JPEG keeps every coefficient, 2 bytes per sample; WebP keeps its planes; then the grey copy
/// for the hash): up to about 12 bytes per pixel at the peak, so this bounds one upload to about
/// 200 MB in every accepted format. Checked from the header, before anything is decoded.
/// Without it, a 2.6 kB lossless WebP declaring 8192×8192 made the decoder use over 430 MB.
pub const MAX_PIXELS: u64 = 1 << 24;

/// Decoding limits for `config`: width and height at most `max_dimension`, and one allocation of
/// at most an RGBA8 buffer at that size (`4 × max_dimension²` bytes), capped at 512 MiB. The
/// pixel count is bounded separately ([`MAX_PIXELS`]): `image::Limits` has no such limit.
#[must_use]
pub fn limits(config: &ReceiptsConfig) -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(config.max_dimension);
    limits.max_image_height = Some(config.max_dimension);
    limits.max_alloc = Some(max_alloc(config));
    limits
}

fn max_alloc(config: &ReceiptsConfig) -> u64 {
    let side = u64::from(config.max_dimension);
    (side * side * 4).min(512 << 20)
}

/// Sniffs, decodes under [`limits`] and hashes `bytes`. The size cap is the caller's job (it
/// comes first, before any of this).
///
/// The perceptual hash is image_hasher's `Gradient` (dHash) on 8×8 = 64 bits of the grey image,
/// shrunk to 72×64 by a box filter first ([`shrink`]).
/// Measured on receipt-like test pictures it puts a re-encoded copy (90 %, JPEG q80) at 0–4 bits
/// and a 7 % crop at 6–8, but different receipts with the same layout at 16–18 and unrelated
/// pictures at ~35; the DCT pHash put same-layout receipts at 6–8, under the default threshold
/// (10), i.e. it would flag every receipt of the same bank app.
///
/// # Errors
/// [`UserError::BadReceipt`]: refused format, dimensions or memory over the limits (checked from
/// the header, before the pixel buffer is allocated), damaged or truncated image.
pub(crate) fn analyze(bytes: &[u8], config: &ReceiptsConfig) -> Result<Analysis, UserError> {
    let format = sniff(bytes)?;
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
        reader.limits(limits(config));
        reader
    };
    let refusal = |e: ImageError| decode_refusal(&e, config, format);
    let (width, height) = reader().into_dimensions().map_err(refusal)?;
    check_pixels(width, height)?;
    if format == ReceiptFormat::Png && !png_palettes_are_whole(bytes) {
        return Err(damaged());
    }
    let image = guarded(|| decode(reader(), limits(config)))?.map_err(refusal)?;
    let (width, height) = (image.width(), image.height());
    if width == 0 || height == 0 {
        return Err(bad("the image is empty (0 pixels)".to_owned()));
    }
    // dHash compares neighbours on a 9×8 grey picture. Shrink the decoded image to 8× that by
    // area averaging first (one cheap pass), then grey those pixels and let the hasher's
    // Lanczos filter (as before) do the last step: the full-size picture is never filtered or
    // converted, and the hashes stay within a bit or two of a full-size Lanczos resize.
    let small = shrink(&image).into_luma8();
    keep_spare(image);
    let hasher = HasherConfig::new()
        .hash_size(8, 8)
        .hash_alg(HashAlg::Gradient)
        .to_hasher();
    let phash = hex::encode(hasher.hash_image(&small).as_bytes());
    Ok(Analysis {
        format,
        sha256: sha256_hex(bytes),
        phash,
        width,
        height,
    })
}

/// Decoded-pixel buffers kept from one receipt to the next (8-bit pictures only), so that
/// decoding writes into memory already mapped. With glibc's fixed 128 KiB mmap threshold
/// (`main.rs`) each picture's buffer was otherwise mapped, page-faulted in page by page and
/// unmapped again: 4–5 % of the bot's CPU per order in the process benchmark. At most
/// [`SPARES`] buffers of at most [`SPARE_MAX`] bytes each are kept; a receipt decoded while
/// every kept buffer is in use allocates its own, as before.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// How many buffers [`SPARE`] keeps: receipts are decoded on tokio's blocking threads, and with
/// customers uploading at the same time two decodes often overlap (with one kept buffer, the
/// second decode mapped and faulted in a fresh one: 3 % of the CPU per order at 10 customers at
/// a time).
const SPARES: usize = 2;

/// The largest buffer [`SPARE`] keeps: 8 MiB (a 1080×2400 RGB phone screenshot is 7.4 MiB).
const SPARE_MAX: usize = 8 << 20;

/// `reader`'s picture, decoded like `ImageReader::decode` (the pixel buffer counted against
/// `limits` before it exists; the decoder's own allocations are bounded by the reader's
/// limits), into a [`SPARE`] buffer when the picture has 8-bit samples.
fn decode(
    reader: ImageReader<Cursor<&[u8]>>,
    mut limits: Limits,
) -> image::ImageResult<DynamicImage> {
    let decoder = reader.into_decoder()?;
    limits.reserve(decoder.total_bytes())?;
    let color = decoder.color_type();
    if !matches!(
        color,
        ColorType::L8 | ColorType::La8 | ColorType::Rgb8 | ColorType::Rgba8
    ) {
        return DynamicImage::from_decoder(decoder);
    }
    let (width, height) = decoder.dimensions();
    let len = usize::try_from(decoder.total_bytes()).map_err(|_| out_of_memory())?;
    let kept = {
        let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
        let largest = (0..spare.len()).max_by_key(|&i| spare[i].capacity());
        largest.map(|i| spare.swap_remove(i))
    };
    let mut buffer = match kept {
        Some(mut buffer) => {
            // Bytes left from the previous picture are all overwritten by the decoder.
            buffer.truncate(len);
            buffer.resize(len, 0);
            buffer
        }
        // Zeroed by the allocator (`calloc`): freshly mapped pages are zero already, so they are
        // not written twice.
        None => vec![0; len],
    };
    decoder.read_image(&mut buffer)?;
    let image = match color {
        ColorType::L8 => ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageLuma8),
        ColorType::La8 => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageLumaA8)
        }
        ColorType::Rgb8 => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageRgb8)
        }
        _ => ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageRgba8),
    };
    // `total_bytes` is width × height × bytes per pixel, so the buffer always fits.
    image.ok_or_else(out_of_memory)
}

/// The limit error of a pixel buffer that cannot be had.
fn out_of_memory() -> ImageError {
    ImageError::Limits(image::error::LimitError::from_kind(
        LimitErrorKind::InsufficientMemory,
    ))
}

/// Hands an 8-bit picture's pixel buffer back to [`SPARE`] when it is at most [`SPARE_MAX`]
/// bytes and there is room for it, or it is larger than the smallest buffer kept there (which it
/// replaces); anything else is dropped.
fn keep_spare(image: DynamicImage) {
    if !matches!(
        image,
        DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageRgb8(_)
            | DynamicImage::ImageRgba8(_)
    ) {
        return;
    }
    let buffer = image.into_bytes();
    if buffer.capacity() > SPARE_MAX {
        return;
    }
    let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    if spare.len() < SPARES {
        spare.push(buffer);
    } else if let Some(smallest) = spare.iter_mut().min_by_key(|b| b.capacity())
        && smallest.capacity() < buffer.capacity()
    {
        *smallest = buffer;
    }
}

/// Sides of the picture the hash is computed from (8× dHash's 9×8).
const SHRUNK: (u32, u32) = (72, 64);

/// `image` shrunk to [`SHRUNK`] by area averaging: fast_image_resize's box filter (SIMD, about
/// 10× faster than image's `thumbnail_exact` on a phone screenshot: 0.47 against 6.4 ms at
/// 1080×2400), alpha ignored like before. Its output is within 1–3 grey levels of
/// `thumbnail_exact`'s, which stays the fallback for a pixel type it does not take.
fn shrink(image: &DynamicImage) -> DynamicImage {
    let (width, height) = SHRUNK;
    let mut small = DynamicImage::new(width, height, image.color());
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Box))
        .use_alpha(false);
    match Resizer::new().resize(image, &mut small, &options) {
        Ok(()) => small,
        Err(_) => image.thumbnail_exact(width, height),
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex characters.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Hamming distance between two hex-encoded hashes, `None` when either is not hex or their
/// lengths differ (a hash from another algorithm is never compared).
#[must_use]
pub fn hamming_hex(a: &str, b: &str) -> Option<u32> {
    let (a, b) = (hex::decode(a).ok()?, hex::decode(b).ok()?);
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    Some(a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum())
}

/// Whether every `PLTE` chunk of a PNG holds whole RGB entries (a length that is a multiple of
/// 3, as the PNG specification requires). png 0.18.1 panics while expanding a palette of 49
/// bytes (found by the `receipt` fuzz target; upstream image-rs/image-png#694, fixed after
/// 0.18.1): such a file is refused before it reaches the decoder. A truncated chunk list ends
/// the walk; the decoder reports it.
fn png_palettes_are_whole(bytes: &[u8]) -> bool {
    let mut at: usize = 8; // after the signature: chunks of length (4), type (4), data, CRC (4)
    while let Some(&[a, b, c, d, ref kind @ ..]) =
        at.checked_add(8).and_then(|end| bytes.get(at..end))
    {
        let len = u32::from_be_bytes([a, b, c, d]);
        if kind == b"PLTE" && len % 3 != 0 {
            return false;
        }
        let Ok(len) = usize::try_from(len) else {
            return true;
        };
        at = at.saturating_add(12).saturating_add(len);
    }
    true
}

/// Runs a decoder. Decoders are third-party code running on untrusted bytes: should one still
/// panic, the upload is refused as damaged like any other bad file instead of failing the task
/// with an internal error. (The fuzz targets still see the panic: libFuzzer aborts on it.)
fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, UserError> {
    std::panic::catch_unwind(AssertUnwindSafe(decode)).map_err(|_| damaged())
}

fn damaged() -> UserError {
    bad("the image is damaged or incomplete".to_owned())
}

/// Refuses a picture of more than [`MAX_PIXELS`] pixels.
fn check_pixels(width: u32, height: u32) -> Result<(), UserError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(bad(format!(
            "the image is {width}×{height} pixels ({}); the limit is {} in all",
            millions(pixels),
            millions(MAX_PIXELS)
        )));
    }
    Ok(())
}

/// `pixels` in millions with one decimal, rounded up ("16.8 million").
fn millions(pixels: u64) -> String {
    let tenths = pixels.div_ceil(100_000);
    format!("{}.{} million pixels", tenths / 10, tenths % 10)
}

fn decode_refusal(e: &ImageError, config: &ReceiptsConfig, format: ReceiptFormat) -> UserError {
    let max = config.max_dimension;
    match e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError => bad(format!(
                "the image dimensions exceed the limit of {max}×{max} pixels"
            )),
            LimitErrorKind::InsufficientMemory => bad(format!(
                "decoding the image would need more memory than the limit of {} MiB",
                max_alloc(config) >> 20
            )),
            _ => bad("the image exceeds the decoding limits".to_owned()),
        },
        ImageError::Unsupported(_) => bad(format!(
            "this kind of {} image is not supported; send a plain screenshot",
            format.extension().to_uppercase()
        )),
        _ => damaged(),
    }
}

fn bad(reason: String) -> UserError {
    UserError::BadReceipt { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_bytes_only() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap(), ReceiptFormat::Png);
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(),
            ReceiptFormat::Jpeg
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), ReceiptFormat::WebP);
        let gif = sniff(b"GIF89a....").unwrap_err().to_string();
        assert!(gif.contains("GIF files are not accepted"), "{gif}");
        let bmp = sniff(b"BM\0\0").unwrap_err().to_string();
        assert!(bmp.contains("BMP"), "{bmp}");
        let junk = sniff(b"hello").unwrap_err().to_string();
        assert!(junk.contains("not a PNG, JPEG or WebP"), "{junk}");
        assert!(sniff(b"RIFF\0\0\0\0WAVE").is_err(), "RIFF that is not WebP");
        assert!(sniff(b"").is_err());
    }

    /// A picture with structure at every scale (gradients plus blocks).
    fn picture(width: u32, height: u32) -> image::RgbaImage {
        image::RgbaImage::from_fn(width, height, |x, y| {
            let block = u8::from((x / 37 + y / 23) % 2 == 0) * 90;
            let r = u8::try_from(x * 255 / width).unwrap();
            let g = u8::try_from(y * 255 / height).unwrap();
            image::Rgba([r.saturating_add(block), g, 255 - r, 200])
        })
    }

    #[test]
    fn shrink_matches_area_averaging_in_every_pixel_type() {
        let rgba = DynamicImage::ImageRgba8(picture(480, 800));
        let reference = rgba.thumbnail_exact(72, 64).into_luma8();
        for image in [
            DynamicImage::ImageRgb8(rgba.to_rgb8()),
            rgba.clone(),
            DynamicImage::ImageLuma8(rgba.to_luma8()),
            DynamicImage::ImageLumaA8(rgba.to_luma_alpha8()),
            DynamicImage::ImageRgb16(rgba.to_rgb16()),
            // a type fast_image_resize does not take: the fallback
            DynamicImage::ImageRgb32F(rgba.to_rgb32f()),
        ] {
            let small = shrink(&image);
            assert_eq!(
                (small.width(), small.height()),
                SHRUNK,
                "{:?}",
                image.color()
            );
            let small = small.into_luma8();
            let worst = small
                .as_raw()
                .iter()
                .zip(reference.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(worst <= Some(4), "{:?}: off by {worst:?}", image.color());
        }
    }

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    /// The pixel buffer kept between receipts ([`SPARE`]) never changes a result: a larger
    /// picture's leftover bytes do not leak into a smaller one's hash, in any 8-bit layout, and
    /// a 16-bit picture (decoded the plain way) is hashed as before.
    #[test]
    fn a_reused_pixel_buffer_gives_the_hash_of_a_fresh_decode() {
        let config = ReceiptsConfig::default();
        let big = DynamicImage::ImageRgba8(picture(480, 800));
        let pictures = [
            png(&big),
            png(&DynamicImage::ImageRgb8(
                DynamicImage::ImageRgba8(picture(90, 120)).to_rgb8(),
            )),
            png(&big),
            png(&DynamicImage::ImageLuma8(
                DynamicImage::ImageRgba8(picture(200, 50)).to_luma8(),
            )),
            png(&DynamicImage::ImageRgb16(
                DynamicImage::ImageRgba8(picture(64, 64)).to_rgb16(),
            )),
            png(&DynamicImage::ImageRgb8(
                DynamicImage::ImageRgba8(picture(70, 70)).to_rgb8(),
            )),
        ];
        let hasher = HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(HashAlg::Gradient)
            .to_hasher();
        for bytes in &pictures {
            let fresh = image::load_from_memory(bytes).unwrap();
            let expected = hex::encode(hasher.hash_image(&shrink(&fresh).into_luma8()).as_bytes());
            let got = analyze(bytes, &config).unwrap();
            assert_eq!(got.phash, expected);
            assert_eq!((got.width, got.height), (fresh.width(), fresh.height()));
        }
    }

    /// Decodes on several threads at once share the kept buffers without mixing pictures: each
    /// gets the hash and size of its own fresh decode.
    #[test]
    fn overlapping_decodes_give_the_hashes_of_fresh_decodes() {
        let config = ReceiptsConfig::default();
        let pictures: Vec<Vec<u8>> = [(480, 800), (90, 120), (300, 200), (64, 640)]
            .iter()
            .map(|&(w, h)| png(&DynamicImage::ImageRgba8(picture(w, h))))
            .collect();
        let hasher = HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(HashAlg::Gradient)
            .to_hasher();
        let expected: Vec<(String, u32, u32)> = pictures
            .iter()
            .map(|bytes| {
                let fresh = image::load_from_memory(bytes).unwrap();
                let small = shrink(&fresh).into_luma8();
                (
                    hex::encode(hasher.hash_image(&small).as_bytes()),
                    fresh.width(),
                    fresh.height(),
                )
            })
            .collect();
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (pictures, expected, config) = (&pictures, &expected, &config);
                scope.spawn(move || {
                    for round in 0..12 {
                        let i = (t + round) % pictures.len();
                        let got = analyze(&pictures[i], config).unwrap();
                        assert_eq!((got.phash, got.width, got.height), expected[i].clone());
                    }
                });
            }
        });
    }

    #[test]
    fn hamming_counts_differing_bits() {
        assert_eq!(hamming_hex("00ff", "00ff"), Some(0));
        assert_eq!(hamming_hex("00ff", "01fe"), Some(2));
        assert_eq!(
            hamming_hex("ffffffffffffffff", "0000000000000000"),
            Some(64)
        );
        assert_eq!(hamming_hex("00ff", "00ff00"), None, "length differs");
        assert_eq!(hamming_hex("zz", "00"), None, "not hex");
    }

    #[test]
    fn a_panicking_decoder_is_a_damaged_file() {
        assert_eq!(guarded(|| 7), Ok(7));
        let refused = guarded(|| -> u8 { panic!("decoder bug") }).unwrap_err();
        assert!(refused.to_string().contains("damaged"), "{refused}");
    }

    #[test]
    fn png_palettes_must_hold_whole_entries() {
        let chunk = |kind: &[u8], len: u32| {
            let mut c = len.to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.resize(c.len() + len as usize + 4, 0);
            c
        };
        let png = |chunks: &[Vec<u8>]| {
            let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
            out.extend(chunks.iter().flatten());
            out
        };
        let ihdr = chunk(b"IHDR", 13);
        assert!(png_palettes_are_whole(&png(&[
            ihdr.clone(),
            chunk(b"PLTE", 48)
        ])));
        assert!(!png_palettes_are_whole(&png(&[
            ihdr.clone(),
            chunk(b"PLTE", 49)
        ])));
        assert!(!png_palettes_are_whole(&png(&[
            ihdr.clone(),
            chunk(b"PLTE", 4)
        ])));
        let truncated = png(&[ihdr, chunk(b"PLTE", 48)]);
        assert!(
            png_palettes_are_whole(&truncated[..30]),
            "left to the decoder"
        );
        assert!(png_palettes_are_whole(
            b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT"
        ));
    }

    #[test]
    fn pixel_count_is_bounded_whatever_the_sides() {
        assert!(check_pixels(4096, 4096).is_ok());
        assert!(check_pixels(8192, 2048).is_ok());
        let reason = check_pixels(8192, 8192).unwrap_err().to_string();
        assert!(
            reason.contains("8192×8192 pixels (67.2 million pixels); the limit is 16.8 million"),
            "{reason}"
        );
        assert!(check_pixels(u32::MAX, u32::MAX).is_err(), "no overflow");
    }

    #[test]
    fn limits_follow_config() {
        let config = ReceiptsConfig::default();
        let l = limits(&config);
        assert_eq!(l.max_image_width, Some(8192));
        assert_eq!(l.max_image_height, Some(8192));
        assert_eq!(l.max_alloc, Some(256 << 20));
    }
}
