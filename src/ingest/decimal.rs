//! Exact decimal amounts as exports write them: thousands separators,
//! currency signs and words, negatives in parentheses, full-width digits
//! and, where a source declares it, a decimal comma.
//!
//! A value is parsed into a scaled integer first, so its digits are never
//! rounded on the way in. The frames carry f64, so a value reaches them only
//! when the f64 it becomes reads back as the same decimal: at most 15
//! significant digits always do, longer values only when they happen to be
//! representable. Anything else is refused with a reason, never rounded.

use std::fmt;

/// Largest power of ten an exponent may carry (`1.5E+06` style values).
const MAX_EXPONENT: i32 = 300;

/// Currency signs and words an amount may carry before or after its digits.
/// Longer spellings come first so that `US$` is not read as `US` plus `$`.
const CURRENCY_AFFIXES: &[&str] = &[
    "US$",
    "HK$",
    "RMB",
    "CNY",
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "HKD",
    "人民币",
    "¥",
    "元",
    "$",
    "€",
    "£",
    "円",
];

/// The currencies a sign or word may stand for (`$` and `¥` are shared).
const CURRENCY_MEANINGS: &[(&str, &[&str])] = &[
    ("US$", &["USD"]),
    ("HK$", &["HKD"]),
    ("RMB", &["CNY"]),
    ("CNY", &["CNY"]),
    ("USD", &["USD"]),
    ("EUR", &["EUR"]),
    ("GBP", &["GBP"]),
    ("JPY", &["JPY"]),
    ("HKD", &["HKD"]),
    ("人民币", &["CNY"]),
    ("¥", &["CNY", "JPY"]),
    ("元", &["CNY"]),
    (
        "$",
        &["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD"],
    ),
    ("€", &["EUR"]),
    ("£", &["GBP"]),
    ("円", &["JPY"]),
];

/// The currencies an amount's sign or word may stand for, when it has one
/// (so `$12` in a EUR row can be refused instead of read as 12 EUR).
pub fn written_currencies(text: &str) -> Option<&'static [&'static str]> {
    let normal = half_width(text.trim());
    let (_, body) = strip_sign(&normal);
    CURRENCY_MEANINGS
        .iter()
        .find(|(affix, _)| body.starts_with(affix) || body.ends_with(affix))
        .map(|(_, codes)| *codes)
}

/// A decimal number `units / 10^scale`, held exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub units: i128,
    pub scale: u32,
}

impl Decimal {
    /// The same value with trailing fraction zeros removed.
    pub fn normalized(self) -> Decimal {
        let mut value = self;
        while value.scale > 0 && value.units % 10 == 0 {
            value.units /= 10;
            value.scale -= 1;
        }
        value
    }

    /// The f64 the frames carry, refused when it would not read back as
    /// this very decimal (too many significant digits, or out of range).
    pub fn to_f64_exact(self) -> Result<f64, String> {
        let value: f64 = self
            .to_string()
            .parse()
            .map_err(|_| format!("{self} cannot be converted to a number"))?;
        if !value.is_finite() {
            return Err(format!("{self} is out of the range numbers can hold"));
        }

        let back = parse_plain(&format!("{}", value.abs()), false).map(Decimal::normalized);
        let normal = self.normalized();
        let magnitude = Decimal {
            units: normal.units.abs(),
            scale: normal.scale,
        };
        if back != Ok(magnitude) {
            return Err(format!(
                "{self} has more significant digits than can be kept exactly \
                 (at most 15 are guaranteed)"
            ));
        }
        Ok(value)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.units.unsigned_abs().to_string();
        let sign = if self.units < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (integer, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{integer}.{fraction}")
    }
}

/// Parses an amount as exports write it. `decimal_comma` reads `1.234,56`
/// as one thousand two hundred thirty-four and 56 hundredths.
pub fn parse_amount(text: &str, decimal_comma: bool) -> Result<Decimal, String> {
    let normal = half_width(text.trim());
    let (negative, body) = strip_sign(&normal);
    let body = strip_currency(body);
    let (inner_negative, body) = strip_sign(body);
    if inner_negative && negative {
        return Err(format!("`{text}` carries two minus signs"));
    }

    let value =
        parse_plain(body.trim(), decimal_comma).map_err(|reason| format!("`{text}` {reason}"))?;
    if negative || inner_negative {
        let units = value
            .units
            .checked_neg()
            .ok_or_else(|| format!("`{text}` overflows the exact decimal range"))?;
        return Ok(Decimal { units, ..value });
    }
    Ok(value)
}

/// Full-width digits, signs and separators as their ASCII forms.
fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '，' => ',',
            '．' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '（' => '(',
            '）' => ')',
            '￥' => '¥',
            '＄' => '$',
            _ => c,
        })
        .collect()
}

/// A leading `-`/`+` or surrounding parentheses; true when negative.
fn strip_sign(text: &str) -> (bool, &str) {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return (true, inner.trim());
    }
    if let Some(rest) = text.strip_prefix('-') {
        return (true, rest.trim_start());
    }
    (false, text.strip_prefix('+').unwrap_or(text).trim_start())
}

/// Removes one currency sign or word before and one after the digits.
fn strip_currency(text: &str) -> &str {
    let mut body = text.trim();
    if let Some(affix) = CURRENCY_AFFIXES.iter().find(|a| body.starts_with(*a)) {
        body = body[affix.len()..].trim_start();
    }
    if let Some(affix) = CURRENCY_AFFIXES.iter().find(|a| body.ends_with(*a)) {
        body = body[..body.len() - affix.len()].trim_end();
    }
    body
}

/// Digits with optional thousands groups, decimals and exponent.
fn parse_plain(text: &str, decimal_comma: bool) -> Result<Decimal, String> {
    let (mark, group) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    let (mantissa, exponent) = split_exponent(text)?;
    let (integer, fraction) = match mantissa.split_once(mark) {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };

    let integer = without_groups(integer, group)?;
    if integer.is_empty() && fraction.is_empty() {
        return Err("is not a number".into());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a number".into());
    }
    if exponent != 0 && integer.len() != mantissa.split(mark).next().map_or(0, str::len) {
        return Err("mixes thousands separators with an exponent".into());
    }

    scaled(&integer, fraction, exponent)
}

fn split_exponent(text: &str) -> Result<(&str, i32), String> {
    let Some(at) = text.find(['e', 'E']) else {
        return Ok((text, 0));
    };
    let exponent: i32 = text[at + 1..]
        .parse()
        .map_err(|_| "is not a number".to_string())?;
    if exponent.abs() > MAX_EXPONENT {
        return Err("is out of the range numbers can hold".into());
    }
    Ok((&text[..at], exponent))
}

/// The integer digits with thousands separators removed. Groups after the
/// first must have exactly three digits, so a decimal comma in a source not
/// declared `decimal_comma` is refused instead of read 1000 times too big.
fn without_groups(integer: &str, group: char) -> Result<String, String> {
    let separators = [group, ' ', '\u{a0}', '\u{202f}', '\''];
    let Some(first_separator) = integer.find(separators) else {
        if integer.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(integer.to_string());
        }
        return Err("is not a number".into());
    };

    let separator = integer[first_separator..].chars().next().unwrap_or(group);
    let mut groups = integer.split(separator);
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !digits(first) || first.len() > 3 || rest.iter().any(|g| g.len() != 3 || !digits(g)) {
        return Err(format!(
            "is not a number (`{separator}` is not a thousands separator here)"
        ));
    }
    Ok(integer.replace(separator, ""))
}

/// `integer.fraction * 10^exponent` as an exact scaled integer.
fn scaled(integer: &str, fraction: &str, exponent: i32) -> Result<Decimal, String> {
    let overflow = || "has more digits than can be held exactly (38 at most)".to_string();
    let mut units: i128 = 0;
    for digit in integer.bytes().chain(fraction.bytes()) {
        units = units
            .checked_mul(10)
            .and_then(|u| u.checked_add(i128::from(digit - b'0')))
            .ok_or_else(overflow)?;
    }

    let mut scale = fraction.len() as i32 - exponent;
    while scale < 0 {
        units = units.checked_mul(10).ok_or_else(overflow)?;
        scale += 1;
    }
    Ok(Decimal {
        units,
        scale: scale as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> String {
        parse_amount(text, false).unwrap().to_string()
    }

    #[test]
    fn separators_signs_words_and_parentheses() {
        assert_eq!(amount("1,234.50"), "1234.50");
        assert_eq!(amount("$1,234"), "1234");
        assert_eq!(amount("(12.5)"), "-12.5");
        assert_eq!(amount("($1,000.25)"), "-1000.25");
        assert_eq!(amount("-€3"), "-3");
        assert_eq!(amount("¥1,280元"), "1280");
        assert_eq!(amount("1 280.00 EUR"), "1280.00");
        assert_eq!(amount("RMB 88"), "88");
        assert_eq!(amount("£0.07"), "0.07");
        assert_eq!(amount("1.5E+06"), "1500000");
    }

    #[test]
    fn written_currencies_name_what_a_sign_may_mean() {
        assert_eq!(written_currencies("(€12)"), Some(&["EUR"][..]));
        assert_eq!(written_currencies("1,280元"), Some(&["CNY"][..]));
        assert_eq!(written_currencies("￥5"), Some(&["CNY", "JPY"][..]));
        assert_eq!(written_currencies("12.50"), None);
    }

    #[test]
    fn full_width_digits_and_marks() {
        assert_eq!(amount("１，２３４．５０"), "1234.50");
        assert_eq!(amount("￥（１２）"), "-12");
    }

    #[test]
    fn decimal_comma_only_where_declared() {
        assert_eq!(
            parse_amount("1.234,56", true).unwrap().to_string(),
            "1234.56"
        );
        assert_eq!(parse_amount("12,5", true).unwrap().to_string(), "12.5");
        assert!(parse_amount("12,5", false).is_err());
        assert!(parse_amount("1,23,456", false).is_err());
        assert!(parse_amount("12,5x", false).is_err());
    }

    #[test]
    fn exact_or_refused_never_rounded() {
        let exact = parse_amount("0.1", false).unwrap();
        assert_eq!(exact.to_f64_exact().unwrap(), 0.1);
        let long = parse_amount("12345678901234567.89", false).unwrap();
        assert_eq!(long.to_string(), "12345678901234567.89");
        let err = long.to_f64_exact().unwrap_err();
        assert!(err.contains("significant digits"), "{err}");
        let huge = "9".repeat(40);
        let err = parse_amount(&huge, false).unwrap_err();
        assert!(
            err.contains("more digits than can be held exactly"),
            "{err}"
        );
        assert!(parse_amount("1e400", false).is_err());
        assert!(parse_amount("NaN", false).is_err());
        assert!(parse_amount("inf", false).is_err());
    }
}
