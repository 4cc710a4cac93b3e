//! QR codes of share links, as PNG images to attach to a Discord message.
//!
//! [`qr_png`] renders black modules on white, [`MODULE_PX`] pixels per module, with the standard
//! 4-module quiet zone, error correction level M (15 %: survives a phone photo of a screen) and
//! one fixed mask pattern.
//! A typical `vless://` link (250–450 bytes) gives a 500–700 px square, a few kilobytes of PNG.
//! Pure CPU work: call it from `spawn_blocking` when on the async runtime.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Luma};
use qrcode::EcLevel;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::render::Renderer;

/// Pixels per QR module (side of one black or white square).
pub const MODULE_PX: u32 = 8;

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
    Png(#[from] image::ImageError),
}

/// Renders `text` as a QR code and returns the PNG file's bytes (8-bit grayscale).
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
    let width = usize::try_from(version.width()).map_err(|e| encode_error(e.to_string()))?;
    let image = Renderer::<Luma<u8>>::new(&colors, width, 4)
        .module_dimensions(MODULE_PX, MODULE_PX)
        .build();
    let mut png = Vec::new();
    // Flat black and white compresses well without filters at the fast setting.
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::NoFilter)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::L8,
        )?;
    Ok(png)
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
