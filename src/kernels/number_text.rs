//! Numbers written as text, read as TensorFlow's `safe_strto*` functions read them (for
//! `strings.to_number` and `io.decode_csv`): ASCII whitespace may surround the number and
//! nothing else may; integers are decimal; floats may also be C's hexadecimal form
//! (`0x1p3`), and overflow to infinity as `strtod` does.

use crate::engine::NativeType;

/// A number type text can be read as.
pub trait FromText: NativeType {
    /// The value `text` spells, or None when it spells no value of this type.
    fn from_text(text: &[u8]) -> Option<Self>;
}

/// ASCII whitespace as C's isspace counts it, vertical tab included.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// `text` without surrounding whitespace, when that leaves some UTF-8.
fn trimmed(text: &[u8]) -> Option<&str> {
    let start = text.iter().position(|&b| !is_space(b))?;
    let end = text.iter().rposition(|&b| !is_space(b))? + 1;
    std::str::from_utf8(&text[start..end]).ok()
}

macro_rules! integer_from_text {
    ($($t:ty),*) => {$(
        impl FromText for $t {
            fn from_text(text: &[u8]) -> Option<Self> {
                trimmed(text)?.parse().ok()
            }
        }
    )*};
}
integer_from_text!(i32, i64);

impl FromText for f64 {
    fn from_text(text: &[u8]) -> Option<Self> {
        let text = trimmed(text)?;
        text.parse()
            .ok()
            .or_else(|| hex_float(text))
            .or_else(|| nan_with_payload(text))
    }
}

impl FromText for f32 {
    fn from_text(text: &[u8]) -> Option<Self> {
        let text = trimmed(text)?;
        text.parse().ok().or_else(|| {
            // Hexadecimal through f64: more than 53 significant bits may round twice.
            hex_float(text)
                .or_else(|| nan_with_payload(text))
                .map(|v| v as f32)
        })
    }
}

/// C's `nan(chars)`: a NaN whatever the characters.
fn nan_with_payload(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let head = unsigned.get(..4)?;
    let payload = head
        .eq_ignore_ascii_case("nan(")
        .then(|| unsigned[4..].strip_suffix(')'))
        .flatten()?;
    payload
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        .then_some(f64::NAN)
}

/// C's hexadecimal floating point: `[+-]0x` hex digits with an optional fraction and an
/// optional binary exponent `p[+-]digits`.
fn hex_float(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let rest = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))?;
    let (digits, exponent) = match rest.find(['p', 'P']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut power = match exponent {
        Some(e) => saturated_exponent(e)?,
        None => 0,
    };
    // Digits past what a double holds only move the exponent, so the mantissa stays finite.
    let mut mantissa = 0f64;
    for c in whole.chars() {
        let digit = f64::from(c.to_digit(16)?);
        if mantissa < 2f64.powi(60) {
            mantissa = mantissa * 16.0 + digit;
        } else {
            power += 4;
        }
    }
    for c in fraction.chars() {
        let digit = f64::from(c.to_digit(16)?);
        if mantissa < 2f64.powi(60) {
            mantissa = mantissa * 16.0 + digit;
            power -= 4;
        }
    }
    let value = if mantissa == 0.0 {
        0.0
    } else {
        // In two steps: 2^power alone may overflow where the product does not.
        let half = power / 2;
        mantissa * 2f64.powi(half as i32) * 2f64.powi((power - half) as i32)
    };
    Some(if negative { -value } else { value })
}

/// A decimal exponent, clamped: past ±10,000 the result is 0 or infinity anyway, and the
/// clamp keeps later sums in range however many digits the text has.
fn saturated_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX).min(10_000);
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_as_tensorflow_does() {
        assert_eq!(i32::from_text(b" +7 "), Some(7));
        assert_eq!(i32::from_text(b"007"), Some(7));
        assert_eq!(i32::from_text(b"3000000000"), None);
        assert_eq!(i32::from_text(b"2.0"), None);
        assert_eq!(i32::from_text(b"0x10"), None);
        assert_eq!(i32::from_text(b"  "), None);
        assert_eq!(i64::from_text(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(f32::from_text(b"0x1p3"), Some(8.0));
        assert_eq!(f32::from_text(b"-0x10"), Some(-16.0));
        assert_eq!(f64::from_text(b"0x.8"), Some(0.5));
        assert_eq!(f64::from_text(b"0x1.8p-1"), Some(0.75));
        assert_eq!(f32::from_text(b"1e40"), Some(f32::INFINITY));
        assert_eq!(f64::from_text(b"0x0p5000"), Some(0.0));
        assert!(f32::from_text(b"nan(123)").unwrap().is_nan());
        assert!(f64::from_text(b"-NaN(abc_1)").unwrap().is_nan());
        assert_eq!(f64::from_text(b"nan(1 2)"), None);
        assert_eq!(
            f64::from_text(b"0x1p99999999999999999999"),
            Some(f64::INFINITY)
        );
        assert_eq!(f64::from_text(b"0x1p-99999999999999999999"), Some(0.0));
        let many = format!("0x{}p-1200", "f".repeat(300));
        assert_eq!(f64::from_text(many.as_bytes()), Some(1.0));
        assert_eq!(f32::from_text(b"-Infinity"), Some(f32::NEG_INFINITY));
        assert!(f32::from_text(b" nan ").unwrap().is_nan());
        assert_eq!(f32::from_text(b"-.5"), Some(-0.5));
        assert_eq!(f32::from_text(b"1."), Some(1.0));
        for bad in [&b"1.7e"[..], b".", b"-", b"1f", b"0x", b"0xg", b"1_0", b""] {
            assert_eq!(f64::from_text(bad), None, "{:?}", bad);
        }
    }
}
