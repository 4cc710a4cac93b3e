//! Exact conversion between integer minor units (what the shop stores: cents, kopecks) and the
//! decimal strings Crypto Pay sends and takes ("12.50"). No floating point anywhere.

/// `minor` units with `exponent` fractional digits as a decimal string:
/// `(1250, 2)` ⇒ `"12.50"`, `(5, 2)` ⇒ `"0.05"`, `(1250, 0)` ⇒ `"1250"`, `(-5, 2)` ⇒ `"-0.05"`.
/// Always exactly `exponent` fractional digits.
pub fn amount_from_minor(minor: i64, exponent: u32) -> String {
    let digits = minor.unsigned_abs().to_string();
    let sign = if minor < 0 { "-" } else { "" };
    let exp = exponent as usize;
    if exp == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = exp + 1);
    let (int, frac) = padded.split_at(padded.len() - exp);
    format!("{sign}{int}.{frac}")
}

/// Parses a non-negative decimal string into minor units with `exponent` fractional digits,
/// exactly: `("12.5", 2)` ⇒ 1250, `("12.50", 2)` ⇒ 1250, `("12", 2)` ⇒ 1200,
/// `("12.500", 2)` ⇒ 1250 (extra digits allowed only when they are zeros).
///
/// `None` for anything else: empty, signs, spaces, exponents, a missing integer part (".5") or
/// fractional part ("12."), a non-zero digit beyond `exponent` ("12.505" at 2), or overflow.
pub fn minor_from_amount(amount: &str, exponent: u32) -> Option<i64> {
    let (int, frac) = match amount.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (amount, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let frac = frac.unwrap_or("");
    let exp = exponent as usize;
    let (kept, dropped) = frac.split_at(frac.len().min(exp));
    if dropped.bytes().any(|b| b != b'0') {
        return None;
    }
    let scale = 10_i64.checked_pow(exponent)?;
    let int_value = int.parse::<i64>().ok()?.checked_mul(scale)?;
    let frac_value = if exp == 0 {
        0
    } else {
        format!("{kept:0<exp$}").parse::<i64>().ok()?
    };
    int_value.checked_add(frac_value)
}

/// Whether `amount` is a decimal string above zero with at most `max_fraction_digits`
/// significant fractional digits (trailing zeros do not count). Unlike
/// [`minor_from_amount`] at that exponent, large amounts of 18-decimal assets do not overflow:
/// only the digits actually written are scaled.
pub fn is_positive_decimal(amount: &str, max_fraction_digits: u32) -> bool {
    let significant = amount
        .split_once('.')
        .map_or(0, |(_, f)| f.trim_end_matches('0').len());
    u32::try_from(significant).is_ok_and(|sig| {
        sig <= max_fraction_digits && minor_from_amount(amount, sig).is_some_and(|m| m > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_become_decimal_strings() {
        assert_eq!(amount_from_minor(1250, 2), "12.50");
        assert_eq!(amount_from_minor(5, 2), "0.05");
        assert_eq!(amount_from_minor(0, 2), "0.00");
        assert_eq!(amount_from_minor(100, 2), "1.00");
        assert_eq!(amount_from_minor(1250, 0), "1250");
        assert_eq!(amount_from_minor(-5, 2), "-0.05");
        assert_eq!(amount_from_minor(1, 9), "0.000000001");
        assert_eq!(
            amount_from_minor(i64::MIN, 2),
            "-92233720368547758.08",
            "no overflow at the edge"
        );
    }

    #[test]
    fn decimal_strings_parse_exactly() {
        assert_eq!(minor_from_amount("12.5", 2), Some(1250));
        assert_eq!(minor_from_amount("12.50", 2), Some(1250));
        assert_eq!(minor_from_amount("12", 2), Some(1200));
        assert_eq!(minor_from_amount("12.500", 2), Some(1250));
        assert_eq!(minor_from_amount("0.01", 2), Some(1));
        assert_eq!(minor_from_amount("007", 0), Some(7));
        assert_eq!(minor_from_amount("7.000", 0), Some(7));
        // 0.1 + 0.2 style float traps do not exist here.
        assert_eq!(minor_from_amount("0.3", 9), Some(300_000_000));
    }

    #[test]
    fn anything_inexact_or_odd_is_refused() {
        for bad in [
            "", ".", ".5", "12.", "-1", "+1", " 12", "12 ", "1e3", "12.505", "1,5", "0x10",
            "12.5.0", "١٢",
        ] {
            assert_eq!(minor_from_amount(bad, 2), None, "{bad:?}");
        }
        assert_eq!(minor_from_amount("7.1", 0), None);
        assert_eq!(minor_from_amount("92233720368547758.07", 2), Some(i64::MAX));
        assert_eq!(
            minor_from_amount("92233720368547758.08", 2),
            None,
            "overflow"
        );
        assert_eq!(minor_from_amount("1", 19), None, "10^19 overflows i64");
    }

    #[test]
    fn positive_decimals_are_recognised_without_overflow() {
        assert!(
            is_positive_decimal("12", 18),
            "12 ETH is 12e18 wei: no overflow"
        );
        assert!(is_positive_decimal("12.50", 2));
        assert!(is_positive_decimal("12.500000", 2));
        assert!(is_positive_decimal("0.000000000000000001", 18));
        assert!(!is_positive_decimal("12.505", 2));
        assert!(!is_positive_decimal("0", 2));
        assert!(!is_positive_decimal("0.000", 2));
        assert!(!is_positive_decimal("12.", 2));
        assert!(!is_positive_decimal("-1", 2));
    }

    #[test]
    fn the_two_directions_round_trip() {
        for (m, e) in [(0, 2), (1, 2), (1250, 2), (999_999, 6), (42, 0), (1, 18)] {
            assert_eq!(
                minor_from_amount(&amount_from_minor(m, e), e),
                Some(m),
                "{m} {e}"
            );
        }
    }
}
