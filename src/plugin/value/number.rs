//! [`Number`]: a cty number held exactly, as an `i64`, an `f64` or canonical decimal text.

use super::{CodecError, ErrorKind};

/// A cty number. cty numbers are arbitrary-precision; this keeps each one exactly:
/// - `Int` for whole numbers within `i64` (every constructor here normalises those to `Int`),
/// - `Float` for a binary floating-point value received as such (never NaN),
/// - `Big` for anything else, as canonical decimal text (e.g. `"18446744073709551616"`,
///   `"0.1"`, `"1.5e-400"`), which is also valid JSON number syntax.
///
/// Equality is structural: `Float(0.5)` and `Big("0.5")` differ even though they denote the
/// same number.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    /// A whole number within `i64`.
    Int(i64),
    /// A binary floating-point number (finite or infinite, never NaN).
    Float(f64),
    /// Canonical decimal text of any other number.
    Big(String),
}

/// Longest plain (non-exponent) rendering of a big whole number, in digits.
const MAX_PLAIN_DIGITS: i64 = 64;
/// Exponents beyond this magnitude are rejected as absurd.
const MAX_EXPONENT: i64 = 1_000_000_000;

impl Number {
    /// A number from an `f64`: whole values within `i64` become `Int`; NaN is `None`.
    pub(crate) fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        // 2^63 is exactly representable; the valid range is [-2^63, 2^63).
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) {
            // In range and whole, so the conversion is exact.
            return Some(Number::Int(f as i64));
        }
        Some(Number::Float(f))
    }

    /// Parses decimal text: an optional sign, digits with an optional decimal point, and an
    /// optional exponent (`-12`, `+3.50`, `.5`, `1e3`, `6.02E+23`). Whole numbers within `i64`
    /// become `Int`, everything else `Big` in canonical form. Infinity and NaN are rejected.
    pub(crate) fn parse(text: &str) -> Result<Number, CodecError> {
        let invalid = || CodecError::new(ErrorKind::InvalidNumber(truncate(text)));
        let decimal = Decimal::parse(text).ok_or_else(invalid)?;
        Ok(decimal.into_number())
    }

    /// The value as an `i64`, when it is a whole number that fits.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) => match Number::from_f64(*f) {
                Some(Number::Int(i)) => Some(i),
                _ => None,
            },
            // Constructors normalise whole i64 values to Int, but a hand-built Big may not be.
            Number::Big(text) => match Number::parse(text) {
                Ok(Number::Int(i)) => Some(i),
                _ => None,
            },
        }
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Whether `text` starts with a minus, and the text after any sign.
fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    }
}

fn all_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

/// An exponent's optional sign and digits, refused beyond [`MAX_EXPONENT`].
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() || !all_digits(digits) {
        return None;
    }
    // Digits too many for an i64 are beyond the limit too.
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    (magnitude <= MAX_EXPONENT).then_some(if negative { -magnitude } else { magnitude })
}

/// `(-1)^negative × digits × 10^exponent`, with `digits` free of leading and trailing zeros
/// (empty for zero).
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, unsigned) = split_sign(text);
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, parse_exponent(exponent)?),
            None => (unsigned, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction)
        {
            return None;
        }
        // Leading zeros go without effect; every fraction digit shifts the exponent.
        let mut digits: Vec<u8> = whole
            .bytes()
            .chain(fraction.bytes())
            .map(|b| b - b'0')
            .skip_while(|&d| d == 0)
            .collect();
        let mut exponent = exponent - fraction.len() as i64;
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        let magnitude = exponent + digits.len() as i64;
        (magnitude.abs() <= MAX_EXPONENT).then_some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn into_number(self) -> Number {
        if self.digits.is_empty() {
            return Number::Int(0);
        }
        if self.exponent >= 0 && self.digits.len() as i64 + self.exponent <= 19 {
            let mut value: i128 = 0;
            for &d in &self.digits {
                value = value * 10 + i128::from(d);
            }
            for _ in 0..self.exponent {
                value *= 10;
            }
            if self.negative {
                value = -value;
            }
            if let Ok(i) = i64::try_from(value) {
                return Number::Int(i);
            }
        }
        Number::Big(self.canonical_text())
    }

    fn canonical_text(&self) -> String {
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let n = digits.len() as i64;
        // The number is 0.<digits> × 10^point.
        let point = n + self.exponent;
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        if self.exponent >= 0 && point <= MAX_PLAIN_DIGITS {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exponent as usize));
        } else if self.exponent < 0 && point > 0 && point <= MAX_PLAIN_DIGITS {
            let (whole, frac) = digits.split_at(point as usize);
            out.push_str(whole);
            out.push('.');
            out.push_str(frac);
        } else if self.exponent < 0 && point <= 0 && point > -MAX_PLAIN_DIGITS {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else {
            let (first, rest) = digits.split_at(1);
            out.push_str(first);
            if !rest.is_empty() {
                out.push('.');
                out.push_str(rest);
            }
            out.push('e');
            out.push_str(&(point - 1).to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(s: &str) -> Number {
        Number::Big(s.to_owned())
    }

    #[test]
    fn parse_normalises() {
        let cases: &[(&str, Number)] = &[
            ("0", Number::Int(0)),
            ("-0", Number::Int(0)),
            ("00012", Number::Int(12)),
            ("+7", Number::Int(7)),
            ("3600", Number::Int(3600)),
            ("3600.000", Number::Int(3600)),
            ("36e2", Number::Int(3600)),
            ("360000e-2", Number::Int(3600)),
            ("-9223372036854775808", Number::Int(i64::MIN)),
            ("9223372036854775807", Number::Int(i64::MAX)),
            ("9223372036854775808", big("9223372036854775808")),
            ("-9223372036854775809", big("-9223372036854775809")),
            ("18446744073709551616", big("18446744073709551616")),
            ("0.1", big("0.1")),
            (".5", big("0.5")),
            ("5.", Number::Int(5)),
            ("-0.00250", big("-0.0025")),
            ("12.50", big("12.5")),
            ("1e100", big("1e100")),
            ("1.5e-400", big("1.5e-400")),
            ("6.02E+23", big("602000000000000000000000")),
        ];
        for (text, expected) in cases {
            assert_eq!(&Number::parse(text).expect(text), expected, "{text}");
        }
    }

    #[test]
    fn canonical_text_reparses_to_itself() {
        for text in [
            "0.1",
            "1e100",
            "1.5e-400",
            "-12345678901234567890.5",
            "0.000001",
        ] {
            let n = Number::parse(text).expect("valid");
            let Number::Big(canonical) = &n else {
                panic!("{text} should be big");
            };
            assert_eq!(Number::parse(canonical).expect("canonical"), n);
        }
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1x",
            " 1",
            "1 ",
            "0x10",
            "inf",
            "NaN",
            "--1",
            "1e99999999999",
            "١",
        ] {
            assert!(Number::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn floats_normalise() {
        assert_eq!(Number::from_f64(3600.0), Some(Number::Int(3600)));
        assert_eq!(Number::from_f64(-0.0), Some(Number::Int(0)));
        assert_eq!(Number::from_f64(1.5), Some(Number::Float(1.5)));
        assert_eq!(Number::from_f64(1e19), Some(Number::Float(1e19)));
        assert_eq!(
            Number::from_f64(-9_223_372_036_854_775_808.0),
            Some(Number::Int(i64::MIN))
        );
        assert_eq!(
            Number::from_f64(9_223_372_036_854_775_808.0),
            Some(Number::Float(9_223_372_036_854_775_808.0))
        );
        assert_eq!(
            Number::from_f64(f64::INFINITY),
            Some(Number::Float(f64::INFINITY))
        );
        assert_eq!(Number::from_f64(f64::NAN), None);
    }

    #[test]
    fn as_i64() {
        assert_eq!(Number::Int(-3).as_i64(), Some(-3));
        assert_eq!(Number::Float(42.0).as_i64(), Some(42));
        assert_eq!(Number::Float(42.5).as_i64(), None);
        assert_eq!(big("42").as_i64(), Some(42));
        assert_eq!(big("1e3").as_i64(), Some(1000));
        assert_eq!(big("1e30").as_i64(), None);
        assert_eq!(big("0.5").as_i64(), None);
        assert_eq!(big("garbage").as_i64(), None);
    }
}
