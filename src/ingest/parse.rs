//! Parsing one cell of an export into a typed value.
//!
//! Each parser returns a reason a person can act on when the text is not a
//! valid value; ingest turns that reason into a quarantine row.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::decimal::{self, Decimal};

/// Formats tried when a source declares none. `%.f` also accepts a time
/// without fractional seconds.
pub const DEFAULT_DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d",
];

const MS_PER_DAY: i64 = 86_400_000;

/// A decimal number: thousands separators, currency signs and words,
/// negatives in parentheses and full-width digits are accepted (see
/// [`decimal`]); the value must reach f64 exactly or it is refused.
pub fn number(text: &str) -> Result<f64, String> {
    number_with(text, false)
}

/// A number from a source that may write a decimal comma (`1.234,56`).
pub fn number_with(text: &str, decimal_comma: bool) -> Result<f64, String> {
    decimal(text, decimal_comma)?
        .to_f64_exact()
        .map_err(|reason| format!("`{}`: {reason}", text.trim()))
}

/// The exact decimal value of an amount, before any conversion to f64.
pub fn decimal(text: &str, decimal_comma: bool) -> Result<Decimal, String> {
    decimal::parse_amount(text, decimal_comma)
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
/// Values with an offset (RFC 3339, or a declared format with `%z`/`%:z`)
/// keep it. Naive values are read in `zone` by [`local_to_utc`].
pub fn timestamp(text: &str, formats: &[String], zone: Tz) -> Result<i64, String> {
    let text = text.trim();
    if let Some(moment) = with_offset(text, formats) {
        return Ok(moment.timestamp_millis());
    }

    let naive = naive_datetime(text, formats)?;
    local_to_utc(naive, zone).ok_or_else(|| format!("`{text}` does not exist in {zone}"))
}

/// A calendar day as days since 1970-01-01. A value with an offset gives
/// the day as written, not the UTC day.
pub fn date(text: &str, formats: &[String]) -> Result<i32, String> {
    let text = text.trim();
    if let Some(moment) = with_offset(text, formats) {
        return Ok(days_since_epoch(moment.naive_local().date()));
    }
    let naive = naive_datetime(text, formats)?;
    Ok(days_since_epoch(naive.date()))
}

fn declared_or_default(formats: &[String]) -> Vec<String> {
    if formats.is_empty() {
        DEFAULT_DATE_FORMATS.iter().map(|f| f.to_string()).collect()
    } else {
        formats.to_vec()
    }
}

fn with_offset(text: &str, formats: &[String]) -> Option<DateTime<chrono::FixedOffset>> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Some(moment);
    }
    declared_or_default(formats)
        .iter()
        .filter(|f| f.contains("%z") || f.contains("%:z") || f.contains("%#z"))
        .find_map(|f| DateTime::parse_from_str(text, f).ok())
}

fn naive_datetime(text: &str, formats: &[String]) -> Result<NaiveDateTime, String> {
    let formats = declared_or_default(formats);
    for format in &formats {
        if let Ok(moment) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(moment);
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists"));
        }
        if let Some(day) = period_start(text, format) {
            return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists"));
        }
    }
    Err(format!(
        "`{text}` matches none of the formats {}",
        formats.join(" | ")
    ))
}

/// A month (`%Y-%m`) or a year (`%Y`) read as its first day, for monthly
/// and annual series. A period's average is only known once the period
/// is over, so features over such series see it up to a period early.
fn period_start(text: &str, format: &str) -> Option<NaiveDate> {
    let has = |specs: &[&str]| specs.iter().any(|s| format.contains(s));
    if has(&["%d", "%e", "%j", "%H"]) {
        return None;
    }
    let (text, format) = if has(&["%m", "%b", "%B"]) {
        (format!("{text}\u{1}01"), format!("{format}\u{1}%d"))
    } else {
        (
            format!("{text}\u{1}01\u{1}01"),
            format!("{format}\u{1}%m\u{1}%d"),
        )
    };
    NaiveDate::parse_from_str(&text, &format).ok()
}

/// A naive local time in `zone` as UTC epoch milliseconds.
///
/// The rule for daylight-saving changes: in the repeated hour (clocks go
/// back) the earlier instant is taken; a time inside the skipped hour
/// (clocks go forward) is read with the offset in force just before the
/// jump, so 02:30 on a night that jumps from 02:00 to 03:00 becomes 03:30.
pub fn local_to_utc(naive: NaiveDateTime, zone: Tz) -> Option<i64> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(moment) => Some(moment.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        LocalResult::None => {
            let before = [1, 2, 3, 24]
                .iter()
                .map(|hours| naive - Duration::hours(*hours))
                .find_map(|earlier| zone.offset_from_local_datetime(&earlier).single())?;
            let offset_ms = i64::from(before.fix().local_minus_utc()) * 1000;
            Some(naive.and_utc().timestamp_millis() - offset_ms)
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
    fn months_and_years_read_as_their_first_day() {
        let month = vec!["%Y-%m".to_string()];
        let first_june = days_since_epoch(NaiveDate::from_ymd_opt(2017, 6, 1).unwrap());
        assert_eq!(date("2017-06", &month), Ok(first_june));
        assert!(date("2017-13", &month).is_err(), "no month 13");

        let year = vec!["%Y".to_string()];
        let new_year = days_since_epoch(NaiveDate::from_ymd_opt(1833, 1, 1).unwrap());
        assert_eq!(date("1833", &year), Ok(new_year));
        assert!(date("2017-06-31", &["%Y-%m-%d".to_string()]).is_err());
    }

    #[test]
    fn offsets_in_declared_formats_and_far_future_days() {
        let formats = vec!["%d/%m/%Y %H:%M %z".to_string(), "%d/%m/%Y".to_string()];
        let utc = chrono_tz::UTC;
        let ms = timestamp("01/07/2011 10:00 +0200", &formats, utc).unwrap();
        assert_eq!(ms, 1_309_507_200_000);
        assert_eq!(
            timestamp("01/07/2011", &formats, utc).unwrap(),
            1_309_478_400_000
        );
        assert_eq!(date("9999-12-31", &[]).unwrap(), 2_932_896);
        let end = timestamp("9999-12-31 23:59:59", &[], utc).unwrap();
        assert_eq!(end, 253_402_300_799_000);
        let fraction = timestamp("2011-07-01 10:00:00.250", &[], utc).unwrap();
        assert_eq!(fraction, 1_309_514_400_250);
        let zulu = timestamp("2011-07-01 10:00:00Z", &[], utc).unwrap();
        assert_eq!(zulu, 1_309_514_400_000);
    }

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
        assert_eq!(number_with("1.234,5", true).unwrap(), 1234.5);
        assert!(number("12345678901234567").is_err());
        assert_eq!(number("9007199254740992").unwrap(), 9_007_199_254_740_992.0);
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
    fn a_half_hour_gap_moves_forward_by_half_an_hour() {
        let lord_howe: Tz = "Australia/Lord_Howe".parse().unwrap();
        let gap = timestamp("2021-10-03 02:15:00", &[], lord_howe).unwrap();
        let after = timestamp("2021-10-03 02:45:00", &[], lord_howe).unwrap();
        assert_eq!(gap, after, "02:15 in a 02:00-02:30 gap reads as 02:45");
        assert_eq!(gap, 1_633_189_500_000, "15:45 UTC the day before");
    }

    #[test]
    fn impossible_dates_are_refused() {
        let err = date("2025-02-30", &[]).unwrap_err();
        assert!(err.contains("2025-02-30"), "{err}");
    }
}
