//! Deterministic test pictures for the receipt pipeline (tests/receipts.rs and
//! benches/receipts.rs include this file with `#[path]`): a receipt-like screenshot with real
//! structure (gradient header, rows of word-like blocks, a bold amount, a QR-like grid), an
//! unrelated picture, full noise, encoders, and hand-made files (a PNG header declaring huge
//! dimensions, GIF and BMP starts).
#![allow(dead_code)]

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{ImageEncoder, Rgb, RgbImage};

/// xorshift64*: small, deterministic, good enough for pictures.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n.max(1))).unwrap()
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, colour: Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, colour);
        }
    }
}

fn channel(v: u32) -> u8 {
    u8::try_from(v.min(255)).unwrap()
}

/// A receipt-like screenshot: light background, a blue-to-purple gradient header, rows of dark
/// word blocks of varying length, a large amount block, a QR-like grid at the bottom right.
pub(crate) fn receipt(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = Rng::new(seed);
    let mut img = RgbImage::from_pixel(width, height, Rgb([246, 246, 242]));
    let header = height / 7;
    for y in 0..header {
        for x in 0..width {
            let t = x * 255 / width.max(1);
            img.put_pixel(x, y, Rgb([channel(40 + t / 2), 60, channel(200 - t / 4)]));
        }
    }
    let line = (height / 40).max(6);
    let mut y = header + line * 2;
    while y + line < height * 3 / 4 {
        let mut x = width / 12;
        while x < width * 11 / 12 {
            let word = line + rng.below(line * 5);
            let grey = channel(20 + rng.below(60));
            fill(&mut img, x, y, word, line * 2 / 3, Rgb([grey, grey, grey]));
            x += word + line / 2 + rng.below(line);
        }
        y += line * 2 + rng.below(line);
    }
    fill(
        &mut img,
        width / 12,
        height * 3 / 4,
        width / 2,
        height / 12,
        Rgb([10, 110, 40]),
    );
    let cell = (width / 40).max(2);
    let (qx, qy) = (width * 2 / 3, height * 3 / 4);
    for j in 0..8 {
        for i in 0..8 {
            if rng.below(2) == 0 {
                fill(
                    &mut img,
                    qx + i * cell,
                    qy + j * cell,
                    cell,
                    cell,
                    Rgb([0, 0, 0]),
                );
            }
        }
    }
    img
}

/// A picture unrelated to [`receipt`]: dark diagonal gradient, big bright discs, bars on the left.
pub(crate) fn unrelated(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = Rng::new(seed);
    let mut img = RgbImage::from_fn(width, height, |x, y| {
        let t = (x + y) * 255 / (width + height);
        Rgb([channel(t), channel(t / 3), channel(120 - t.min(120))])
    });
    for _ in 0..4 {
        let (cx, cy) = (rng.below(width), rng.below(height));
        let r = width / 8 + rng.below(width / 6);
        for y in cy.saturating_sub(r)..(cy + r).min(height) {
            for x in cx.saturating_sub(r)..(cx + r).min(width) {
                let (dx, dy) = (x.abs_diff(cx), y.abs_diff(cy));
                if dx * dx + dy * dy <= r * r {
                    img.put_pixel(x, y, Rgb([250, 230, channel(rng.below(60))]));
                }
            }
        }
    }
    for i in 0..6 {
        fill(
            &mut img,
            0,
            i * height / 6,
            width / 5,
            height / 24,
            Rgb([255, 255, 255]),
        );
    }
    img
}

/// Full-range RGB noise (incompressible: a PNG of it is about 3 bytes per pixel).
pub(crate) fn noise(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = Rng::new(seed);
    let mut img = RgbImage::new(width, height);
    for chunk in img.chunks_mut(8) {
        let v = rng.next().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    img
}

/// Resized to `percent` % of each side (Catmull-Rom).
pub(crate) fn resized(img: &RgbImage, percent: u32) -> RgbImage {
    image::imageops::resize(
        img,
        img.width() * percent / 100,
        img.height() * percent / 100,
        FilterType::CatmullRom,
    )
}

pub(crate) fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub(crate) fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut out), quality)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub(crate) fn webp(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            img,
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A well-formed PNG start (signature, IHDR with valid CRC) declaring `width`×`height` in
/// `colour_type` (6 = RGBA) and `bit_depth`, then a tiny IDAT and IEND: a decompression bomb's
/// header, a few dozen bytes long.
pub(crate) fn png_declaring(width: u32, height: u32, colour_type: u8, bit_depth: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    chunk(&mut out, *b"IHDR", &ihdr);
    // zlib stream of a few zero bytes (what a real bomb repeats millions of times).
    chunk(
        &mut out,
        *b"IDAT",
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(&mut out, *b"IEND", &[]);
    out
}

/// A tiny lossless WebP whose VP8L header declares `width`×`height` (1..=16384 each): a
/// decompression bomb's header (a real 8192×8192 one is 2.6 kB, and decoding it took over 430 MB).
pub(crate) fn webp_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = webp(&RgbImage::new(2, 2));
    // "RIFF" size "WEBP", "VP8L" size, the signature 0x2F, then 14 + 14 bits of width-1, height-1.
    assert_eq!(
        (&out[12..16], out[20]),
        (&b"VP8L"[..], 0x2F),
        "a plain VP8L file"
    );
    let bits = u32::from_le_bytes(out[21..25].try_into().unwrap());
    let sizes = (width - 1) | ((height - 1) << 14);
    out[21..25].copy_from_slice(&((bits & !0x0FFF_FFFF) | sizes).to_le_bytes());
    out
}

/// A tiny baseline JPEG whose frame header (SOF0) declares `width`×`height`.
pub(crate) fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg(&RgbImage::new(8, 8), 80);
    let mut at = 2; // after SOI: segments of marker (2 bytes) and length (2 bytes, counts itself)
    while out[at + 1] != 0xC0 {
        at += 2 + usize::from(u16::from_be_bytes([out[at + 2], out[at + 3]]));
    }
    // FF C0, length, precision, then height and width.
    out[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
    out[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// The first bytes of a GIF89a file (1×1).
pub(crate) fn gif() -> Vec<u8> {
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec()
}

/// A 1×1 24-bit BMP.
pub(crate) fn bmp() -> Vec<u8> {
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&58u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&[0; 24]);
    out.extend_from_slice(&[0, 0, 255, 0]);
    out
}
