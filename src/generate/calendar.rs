//! The generated history's calendar: the window of days, the weekly and
//! yearly rhythm of business, public holidays and FX business days.

use anyhow::{bail, Result};
use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::world::Region;

/// A century of history; longer spans are surely a typo.
const MAX_HISTORY_DAYS: i64 = 36_500;

/// The days of history: `start` up to, not including, `end`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn new(days: i64, end: NaiveDate) -> Result<Period> {
        if days < 1 {
            bail!("history must span at least one day, got {}", days);
        }
        if days > MAX_HISTORY_DAYS {
            bail!(
                "history may span at most {MAX_HISTORY_DAYS} days, got {}",
                days
            );
        }
        if !(1900..=9000).contains(&end.year()) {
            bail!("end date {} is outside the years 1900 to 9000", end);
        }
        let start = end - Duration::days(days);
        Ok(Period { start, end })
    }

    pub fn days(self) -> i64 {
        (self.end - self.start).num_days()
    }

    pub fn dates(self) -> impl Iterator<Item = NaiveDate> {
        self.start
            .iter_days()
            .take_while(move |date| *date < self.end)
    }

    /// How far into the history a day lies, from 0 at the start to 1.
    pub fn progress(self, date: NaiveDate) -> f64 {
        (date - self.start).num_days() as f64 / self.days() as f64
    }
}

/// Orders cluster mid-week and nearly stop at weekends.
pub fn weekday_factor(date: NaiveDate) -> f64 {
    match date.weekday() {
        Weekday::Mon => 1.25,
        Weekday::Tue | Weekday::Wed => 1.35,
        Weekday::Thu => 1.3,
        Weekday::Fri => 1.1,
        Weekday::Sat => 0.15,
        Weekday::Sun => 0.05,
    }
}

/// Year-end budgets are spent from mid-November; the holidays and the start
/// of the year are quiet, and so is August.
pub fn season_factor(date: NaiveDate) -> f64 {
    match (date.month(), date.day()) {
        (12, 24..) => 0.35,
        (1, ..=6) => 0.5,
        (11, 15..) | (12, _) => 1.5,
        (8, _) => 0.8,
        _ => 1.0,
    }
}

pub fn is_fx_business_day(date: NaiveDate) -> bool {
    let closed = matches!((date.month(), date.day()), (1, 1) | (12, 25) | (12, 26));
    !is_weekend(date) && !closed
}

pub fn holiday(region: &Region, date: NaiveDate) -> Option<&'static str> {
    region
        .holidays
        .iter()
        .find(|(month, day, _)| *month == date.month() && *day == date.day())
        .map(|(_, _, name)| *name)
}

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A day's time of day in seconds: office hours on weekdays, peaking
/// around midday, short days at weekends.
pub fn office_seconds(rng: &mut super::random::Draws, date: NaiveDate) -> i64 {
    use rand::Rng;
    let hour: i64 = if is_weekend(date) {
        9 + rng.random_range(0..4) + rng.random_range(0..4)
    } else {
        7 + rng.random_range(0..6) + rng.random_range(0..6)
    };
    hour * 3600 + rng.random_range(0..3600)
}

/// A local wall-clock moment written with its UTC offset, as exported by a
/// system that records where the event happened (RFC 3339). A time in the
/// hour skipped by a DST change is moved an hour on, as clocks are.
pub fn local_stamp(zone: chrono_tz::Tz, date: NaiveDate, seconds: i64) -> String {
    use chrono::TimeZone;
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::seconds(seconds);
    let moment = zone
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .expect("an hour after a DST gap exists");
    moment.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}
