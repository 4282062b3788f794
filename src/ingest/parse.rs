//! Parsing one cell of an export into a typed value.
//!
//! Each parser returns a reason a person can act on when the text is not a
//! valid value; ingest turns that reason into a quarantine row.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Formats tried when a source declares none.
pub const DEFAULT_DATE_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"];

const MS_PER_DAY: i64 = 86_400_000;

/// A decimal number. Accepts thousands separators in groups of three,
/// a leading currency sign and negatives written in parentheses.
pub fn number(text: &str) -> Result<f64, String> {
    let (negative, body) = strip_parentheses(text.trim());
    let body = body.trim_start_matches(['$', '€', '£', '¥']).trim();

    let plain = without_thousands(body).ok_or_else(|| format!("`{text}` is not a number"))?;
    let value: f64 = plain
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !value.is_finite() {
        return Err(format!("`{text}` is not a finite number"));
    }

    Ok(if negative { -value } else { value })
}

fn strip_parentheses(text: &str) -> (bool, &str) {
    match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => (true, inner),
        None => (false, text),
    }
}

/// Removes `,` thousands separators, refusing commas anywhere else (such as
/// a decimal comma, which would silently change the value by 1000 times).
fn without_thousands(text: &str) -> Option<String> {
    if !text.contains(',') {
        return Some(text.to_string());
    }

    let (integer, fraction) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = integer.trim_start_matches(['-', '+']);
    let mut groups = digits.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 || groups.clone().any(|g| g.len() != 3) {
        return None;
    }

    let mut plain = integer.replace(',', "");
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    Some(plain)
}

/// A calendar year, written as `2011` or as a date in that year.
pub fn year(text: &str) -> Result<i32, String> {
    let head = text.trim().get(..4).unwrap_or("");
    let rest = &text.trim()[head.len()..];
    let year: i32 = head
        .parse()
        .map_err(|_| format!("`{text}` is not a year"))?;
    if !(rest.is_empty() || rest.starts_with('-')) || !(1000..=9999).contains(&year) {
        return Err(format!("`{text}` is not a year"));
    }
    Ok(year)
}

pub fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("`{text}` is not true or false")),
    }
}

/// An ISO 4217 code, upper-cased; RMB is the everyday name of CNY.
pub fn currency(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code == "RMB" {
        return Ok("CNY".to_string());
    }
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Ok(code);
    }
    Err(format!("`{text}` is not a currency code"))
}

/// A point in time as milliseconds since the Unix epoch, UTC.
///
/// Values with an offset keep it. Naive values are read in `zone`: in the
/// repeated hour of a DST change the earlier instant is taken, and a time
/// that falls into the skipped hour moves forward by the gap (the clock
/// time people would have seen).
pub fn timestamp(text: &str, formats: &[String], zone: Tz) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Ok(with_offset.timestamp_millis());
    }

    let naive = naive_datetime(text, formats)?;
    local_to_utc(naive, zone).ok_or_else(|| format!("`{text}` does not exist in {zone}"))
}

/// A calendar day as days since 1970-01-01.
pub fn date(text: &str, formats: &[String]) -> Result<i32, String> {
    let naive = naive_datetime(text.trim(), formats)?;
    Ok(days_since_epoch(naive.date()))
}

fn naive_datetime(text: &str, formats: &[String]) -> Result<NaiveDateTime, String> {
    let defaults: Vec<String>;
    let formats = if formats.is_empty() {
        defaults = DEFAULT_DATE_FORMATS.iter().map(|f| f.to_string()).collect();
        &defaults
    } else {
        formats
    };

    for format in formats {
        if let Ok(moment) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(moment);
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists"));
        }
    }
    Err(format!(
        "`{text}` matches none of the formats {}",
        formats.join(" | ")
    ))
}

pub fn local_to_utc(naive: NaiveDateTime, zone: Tz) -> Option<i64> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(moment) => Some(moment.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        LocalResult::None => {
            let later = naive + chrono::Duration::hours(1);
            zone.from_local_datetime(&later)
                .earliest()
                .map(|m| m.timestamp_millis())
        }
    }
}

pub fn days_since_epoch(day: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch exists");
    (day - epoch).num_days() as i32
}

pub fn date_from_days(days: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch exists");
    epoch + chrono::Duration::days(days as i64)
}

/// The calendar day (UTC) of an instant, as days since the epoch.
pub fn day_of_millis(ms: i64) -> i32 {
    ms.div_euclid(MS_PER_DAY) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_separators_signs_and_parentheses() {
        assert_eq!(number("1,234.50").unwrap(), 1234.5);
        assert_eq!(number("$1,234").unwrap(), 1234.0);
        assert_eq!(number("(12.5)").unwrap(), -12.5);
        assert_eq!(number("-3").unwrap(), -3.0);
        assert!(number("12,5x").is_err());
        assert!(
            number("12,5").is_err(),
            "a decimal comma must not read as 125"
        );
        assert!(number("1,23,456").is_err());
        assert!(number("NaN").is_err());
    }

    #[test]
    fn years_plain_or_as_dates() {
        assert_eq!(year("2011").unwrap(), 2011);
        assert_eq!(year("2011-01-01").unwrap(), 2011);
        assert!(year("20x1").is_err());
        assert!(year("201").is_err());
    }

    #[test]
    fn currencies_upper_cased_with_rmb_alias() {
        assert_eq!(currency("gbp").unwrap(), "GBP");
        assert_eq!(currency("RMB").unwrap(), "CNY");
        assert!(currency("pounds").is_err());
    }

    #[test]
    fn naive_timestamps_read_in_the_source_zone() {
        let london: Tz = "Europe/London".parse().unwrap();
        let summer = timestamp("2011-07-01 10:00:00", &[], london).unwrap();
        assert_eq!(summer, 1_309_510_800_000, "10:00 BST is 09:00 UTC");
        let offset = timestamp("2011-07-01T10:00:00+02:00", &[], london).unwrap();
        assert_eq!(offset, 1_309_507_200_000);
    }

    #[test]
    fn dst_gap_moves_forward_and_repeated_hour_takes_the_first() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let gap = timestamp("2021-03-28 02:30:00", &[], berlin).unwrap();
        let after = timestamp("2021-03-28 03:30:00", &[], berlin).unwrap();
        assert_eq!(gap, after);
        let repeated = timestamp("2021-10-31 02:30:00", &[], berlin).unwrap();
        assert_eq!(
            repeated, 1_635_640_200_000,
            "02:30 CEST, the first of the two"
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        let err = date("2025-02-30", &[]).unwrap_err();
        assert!(err.contains("2025-02-30"), "{err}");
    }
}
