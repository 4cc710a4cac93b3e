//! The dashboard's chart: daily revenue of one currency over the last days as a bar chart,
//! rendered to PNG bytes. Pure (data in, bytes out), so it is unit-tested without Discord.
//!
//! Drawn with plotters' bitmap backend into an RGB buffer and encoded with `image`'s PNG encoder
//! (plotters' own encoder would pull a second `image` version). Axis labels use DejaVu Sans Mono,
//! shipped in `assets/fonts/` (Bitstream Vera licence, see `DejaVu-LICENSE.txt`) and rendered
//! with `ab_glyph`, so no system font or fontconfig is needed.

use std::sync::OnceLock;

use plotters::backend::BitMapBackend;
use plotters::prelude::{ChartBuilder, IntoDrawingArea, IntoFont, Rectangle, WHITE};
use plotters::style::{Color, FontStyle, RGBColor};

use super::DayTotal;

/// Width of the chart image, pixels.
pub const WIDTH: u32 = 800;
/// Height of the chart image, pixels.
pub const HEIGHT: u32 = 360;
/// The colour of the bars (Discord's blurple), RGB.
pub const BAR: [u8; 3] = [88, 101, 242];

const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");
/// The family name the labels ask for; our font is registered under it.
const FAMILY: &str = "sans-serif";

/// Why a chart could not be drawn (a bug or a broken font asset; the dashboard goes on without
/// the image).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("revenue chart: {0}")]
pub struct ChartError(String);

/// The currency to chart: the one with the most sales over `days` (ties: the smaller code), or
/// `fallback` when nothing was sold.
#[must_use]
pub fn main_currency(days: &[DayTotal], fallback: &str) -> String {
    let mut sales: Vec<(&str, i64)> = Vec::new();
    for t in days.iter().flat_map(|d| &d.totals) {
        match sales.iter_mut().find(|(c, _)| *c == t.currency) {
            Some((_, n)) => *n = n.saturating_add(t.sales),
            None => sales.push((&t.currency, t.sales)),
        }
    }
    sales.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sales
        .first()
        .map_or_else(|| fallback.to_owned(), |(c, _)| (*c).to_owned())
}

/// Renders `days` (oldest first, as [`super::RevenueService::last_days`] returns them) as a
/// [`WIDTH`] × [`HEIGHT`] PNG: one bar per day with that day's net total in `currency` (minor
/// units shown as major units, 2 decimals assumed, like the dashboard text), x labels `MM-DD`,
/// y labels in major units. Days without a sale (or with a total of 0) have no bar; negative
/// days (refunds) go below the axis. An empty `days` gives an empty, valid chart.
///
/// # Errors
/// [`ChartError`] when drawing or encoding fails (not expected for any input).
pub fn render_png(days: &[DayTotal], currency: &str) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let values: Vec<f64> = days
        .iter()
        .map(|d| {
            let minor = d
                .totals
                .iter()
                .filter(|t| t.currency == currency)
                .fold(0_i64, |sum, t| sum.saturating_add(t.total_minor));
            major(minor)
        })
        .collect();
    let labels: Vec<String> = days
        .iter()
        .map(|d| d.day.get(5..).unwrap_or(&d.day).to_owned())
        .collect();
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    draw(&mut rgb, &values, &labels).map_err(|e| ChartError(format!("drawing: {e}")))?;
    let image = image::RgbImage::from_raw(WIDTH, HEIGHT, rgb)
        .ok_or_else(|| ChartError("buffer size".to_owned()))?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| ChartError(format!("encoding: {e}")))?;
    Ok(png)
}

/// Minor units → major units for drawing (a chart needs no more than f64's 53 bits).
#[allow(clippy::cast_precision_loss)]
fn major(minor: i64) -> f64 {
    minor as f64 / 100.0
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ChartError("the bundled font does not load".to_owned()))
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(rgb: &mut [u8], values: &[f64], labels: &[String]) -> DrawResult {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = values.iter().copied().fold(0.0_f64, f64::max);
    let bottom = values.iter().copied().fold(0.0_f64, f64::min);
    // Head room, and a visible scale when everything is 0.
    let (low, high) = if top > bottom {
        (bottom * 1.1, top * 1.1)
    } else {
        (0.0, 1.0)
    };
    #[allow(clippy::cast_precision_loss)] // a handful of days
    let n = values.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..n - 0.5, low..high)?;
    let label = |x: &f64| {
        // Day i's bar is centred on x = i; ticks between days get no label.
        if (x - x.round()).abs() > 0.01 || *x < 0.0 {
            return String::new();
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = x.round() as usize;
        labels.get(i).cloned().unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().clamp(1, 8))
        .x_label_formatter(&label)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FAMILY, 13).into_font())
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let colour = RGBColor(BAR[0], BAR[1], BAR[2]).filled();
    let bars = values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != 0.0)
        .map(|(i, v)| {
            #[allow(clippy::cast_precision_loss)]
            let x = i as f64;
            Rectangle::new([(x - 0.35, 0.0), (x + 0.35, *v)], colour)
        });
    chart.draw_series(bars)?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::revenue::CurrencyTotal;

    fn day(n: u32, totals: &[(&str, i64)]) -> DayTotal {
        DayTotal {
            day: format!("2026-11-{n:02}"),
            totals: totals
                .iter()
                .map(|(c, m)| CurrencyTotal {
                    currency: (*c).to_owned(),
                    total_minor: *m,
                    sales: 1,
                })
                .collect(),
        }
    }

    fn month(sold: &[(usize, i64)]) -> Vec<DayTotal> {
        (1..=30)
            .map(|n| {
                let amount = sold.iter().find(|(i, _)| *i + 1 == n as usize);
                match amount {
                    Some((_, m)) => day(n, &[("USD", *m)]),
                    None => day(n, &[]),
                }
            })
            .collect()
    }

    /// x coordinates of the pixels that have exactly the bar colour.
    fn bar_columns(png: &[u8]) -> Vec<u32> {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .expect("a PNG")
            .to_rgb8();
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        img.enumerate_pixels()
            .filter(|(_, _, p)| p.0 == BAR)
            .map(|(x, _, _)| x)
            .collect()
    }

    #[test]
    fn a_sale_on_the_last_day_is_a_bar_on_the_right() {
        let png = render_png(&month(&[(29, 500)]), "USD").unwrap();
        let xs = bar_columns(&png);
        assert!(xs.len() > 100, "a visible bar: {} pixels", xs.len());
        assert!(
            xs.iter().all(|&x| x > WIDTH * 9 / 10),
            "only in the last slot: {:?}",
            xs.iter().min()
        );
    }

    #[test]
    fn bars_sit_at_their_days_and_other_currencies_are_not_drawn() {
        let mut days = month(&[(0, 1_000), (14, 250)]);
        days[29].totals.push(CurrencyTotal {
            currency: "EUR".into(),
            total_minor: 9_999,
            sales: 3,
        });
        let xs = bar_columns(&render_png(&days, "USD").unwrap());
        let first = xs.iter().filter(|&&x| x < WIDTH / 5).count();
        let middle = xs
            .iter()
            .filter(|&&x| (WIDTH * 2 / 5..WIDTH * 3 / 5).contains(&x))
            .count();
        let right = xs.iter().filter(|&&x| x > WIDTH * 4 / 5).count();
        assert!(first > 0 && middle > 0, "{first} {middle}");
        assert!(first > middle, "the larger day has the larger bar");
        assert_eq!(right, 0, "the EUR day is not in the USD chart");
    }

    #[test]
    fn empty_charts_are_valid_images_without_bars() {
        assert!(bar_columns(&render_png(&month(&[]), "USD").unwrap()).is_empty());
        assert!(bar_columns(&render_png(&[], "USD").unwrap()).is_empty());
    }

    #[test]
    fn refunds_and_huge_amounts_draw_without_error() {
        let days = month(&[(3, -700), (4, i64::MAX), (5, i64::MIN)]);
        assert!(!bar_columns(&render_png(&days, "USD").unwrap()).is_empty());
    }

    #[test]
    fn the_main_currency_has_the_most_sales() {
        let days = vec![
            day(1, &[("EUR", 100), ("USD", 100)]),
            day(2, &[("USD", 100)]),
        ];
        assert_eq!(main_currency(&days, "GBP"), "USD");
        assert_eq!(main_currency(&[day(1, &[])], "GBP"), "GBP");
    }
}
