//! QR codes of share links, as PNG images to attach to a Discord message.
//!
//! [`qr_png`] renders black modules on white, [`MODULE_PX`] pixels per module, with the standard
//! 4-module quiet zone, error correction level M (15 %: survives a phone photo of a screen) and
//! one fixed mask pattern.
//! A typical `vless://` link (250–450 bytes) gives a 500–700 px square, a PNG of 1 bit per pixel
//! (black or white) of a few kilobytes.
//! Pure CPU work: call it from `spawn_blocking` when on the async runtime.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};

/// Pixels per QR module (side of one black or white square).
pub const MODULE_PX: u32 = 8;

/// Modules of white around the code on each side (the QR specification's minimum).
const QUIET_ZONE: usize = 4;

/// Why no QR code was produced.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text is empty or does not fit in the largest QR code (version 40, level M: about
    /// 2,300 bytes).
    #[error("cannot encode {len} bytes as a QR code: {reason}")]
    Encode {
        /// Length of the text in bytes.
        len: usize,
        /// The encoder's reason.
        reason: String,
    },
    /// Writing the PNG failed.
    #[error("cannot write the QR code PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// Renders `text` as a QR code and returns the PNG file's bytes (greyscale, 1 bit per pixel:
/// 0 = black, 1 = white).
///
/// # Errors
/// [`QrError::Encode`] when `text` is empty or too long for a QR code, [`QrError::Png`] when the
/// PNG encoder fails.
pub fn qr_png(text: &str) -> Result<Vec<u8>, QrError> {
    let encode_error = |reason: String| QrError::Encode {
        len: text.len(),
        reason,
    };
    if text.is_empty() {
        return Err(encode_error("the text is empty".into()));
    }
    let bits = qrcode::bits::encode_auto(text.as_bytes(), EcLevel::M)
        .map_err(|e| encode_error(e.to_string()))?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M)
        .map_err(|e| encode_error(e.to_string()))?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    // One fixed mask instead of scoring all eight (a third of the QR's cost): any mask is a
    // valid QR code; the score only prefers fewer look-alike patterns.
    canvas.apply_mask(MaskPattern::Checkerboard);
    let colors = canvas.into_colors();
    let modules = usize::try_from(version.width()).map_err(|e| encode_error(e.to_string()))?;
    let side_modules = modules + 2 * QUIET_ZONE;
    let side_px = u32::try_from(side_modules).map_err(|e| encode_error(e.to_string()))? * MODULE_PX;
    let rows = pixel_rows(&colors, modules, side_px);
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, side_px, side_px);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Flat black and white compresses well without filters at the fast setting.
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::NoFilter);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rows)?;
    writer.finish()?;
    Ok(png)
}

/// The picture as PNG scanlines of 1 bit per pixel, most significant bit first, each row padded
/// to whole bytes (PNG's packing): `side_px` rows of `side_px` pixels, the `modules`² code
/// (`colors`, row by row) centred in a white quiet zone of [`QUIET_ZONE`] modules. Each module
/// row is packed once and repeated [`MODULE_PX`] times.
fn pixel_rows(colors: &[Color], modules: usize, side_px: u32) -> Vec<u8> {
    let side = side_px as usize;
    let module = MODULE_PX as usize;
    let row_bytes = side.div_ceil(8);
    let white_row = || {
        let mut row = vec![0xFF_u8; row_bytes];
        if let Some(last) = row.last_mut() {
            // padding bits past the picture's width are zero
            *last &= 0xFF_u8 << ((8 - side % 8) % 8);
        }
        row
    };
    let mut rows = Vec::with_capacity(row_bytes * side);
    let quiet: Vec<u8> = (0..QUIET_ZONE * module).flat_map(|_| white_row()).collect();
    rows.extend_from_slice(&quiet);
    for code_row in colors.chunks_exact(modules).take(modules) {
        let mut row = white_row();
        for (mx, _) in code_row
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == Color::Dark)
        {
            let first = (QUIET_ZONE + mx) * module;
            for x in first..first + module {
                row[x / 8] &= !(0x80 >> (x % 8));
            }
        }
        for _ in 0..module {
            rows.extend_from_slice(&row);
        }
    }
    rows.extend_from_slice(&quiet);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> (u32, String) {
        let image = image::load_from_memory(png).expect("valid PNG").to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image.clone());
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        let (_meta, content) = grids[0].decode().expect("decodable QR code");
        (image.width(), content)
    }

    #[test]
    fn vless_link_round_trips_through_the_png() {
        let link = "vless://22222222-3333-4444-9555-666666666666@vpn.example.com:443?type=tcp&encryption=none&security=reality&pbk=Tx5yj1bRcOPHkdvT2pIAQ2zh0gQ8m4OPdnzqXJxxV3o&fp=chrome&sni=yahoo.com&sid=a3f1&spx=%2Fdafd018f50a389b&flow=xtls-rprx-vision#VLESS-443-tg1234_1";
        let png = qr_png(link).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(
            (png[24], png[25]),
            (1, 0),
            "bit depth 1, colour type 0 (greyscale)"
        );
        let (width, decoded) = decode(&png);
        assert_eq!(decoded, link);
        let modules = width / MODULE_PX;
        assert_eq!(width % MODULE_PX, 0, "whole modules");
        assert!(
            (21 + 8..=177 + 8).contains(&modules),
            "{modules} modules incl. quiet zone"
        );
    }

    #[test]
    fn image_has_a_white_quiet_zone() {
        let png = qr_png("https://sub.example.com/sub/abc").unwrap();
        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let quiet = 4 * MODULE_PX;
        let (w, h) = image.dimensions();
        for (x, y, pixel) in image.enumerate_pixels() {
            let in_margin = x < quiet || y < quiet || x >= w - quiet || y >= h - quiet;
            if in_margin {
                assert_eq!(
                    pixel.0[0], 255,
                    "pixel ({x},{y}) of the quiet zone is not white"
                );
            }
        }
        let corner = image.get_pixel(quiet, quiet).0[0];
        assert_eq!(
            corner, 0,
            "finder pattern starts right after the quiet zone"
        );
    }

    #[test]
    fn empty_and_oversized_texts_are_errors() {
        assert!(matches!(qr_png(""), Err(QrError::Encode { len: 0, .. })));
        let huge = "x".repeat(5000);
        assert!(matches!(
            qr_png(&huge),
            Err(QrError::Encode { len: 5000, .. })
        ));
    }
}
