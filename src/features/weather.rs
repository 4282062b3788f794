//! Weather features of the account's region: days of severe weather in the
//! 30 days before D, and how far those 30 days ran warmer or colder than
//! the same calendar window in the earlier years the source covers.

use chrono::Months;
use polars::prelude::*;

use super::{flag, join_region_or_null, within_days, Inputs};
use crate::contract::SourceKind;
use crate::ingest::parse::days_since_epoch;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &["severe_weather_days_30d", "temperature_anomaly_30d"];

const WINDOW_DAYS: i32 = 30;

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let per_region = match inputs.ingested.frame(SourceKind::Weather) {
        Some(weather) => Some(per_region(weather, inputs.cutoff)?),
        None => None,
    };
    Ok(join_region_or_null(frame, per_region, COLUMNS))
}

fn per_region(weather: &DataFrame, cutoff: Cutoff) -> PolarsResult<LazyFrame> {
    let day = col("day").cast(DataType::Int32);
    let last_30 = within_days("day", cutoff, WINDOW_DAYS, 0);
    let earlier_years = same_window_in_earlier_years(weather, cutoff)?;
    let severe = flag(weather, "severe").fill_null(lit(false));
    let temperature = col("temperature").cast(DataType::Float64);

    let per_region = weather
        .clone()
        .lazy()
        .filter(day.clone().lt(lit(cutoff.day())))
        .group_by([col("region")])
        .agg([
            day.clone()
                .filter(last_30.clone())
                .n_unique()
                .alias("days_30d"),
            day.filter(last_30.clone().and(severe))
                .n_unique()
                .cast(DataType::Float64)
                .alias("severe_days_30d"),
            temperature.clone().filter(last_30).mean().alias("recent"),
            temperature.filter(earlier_years).mean().alias("usual"),
        ]);

    Ok(per_region.with_columns([
        when(col("days_30d").gt(lit(0)))
            .then(col("severe_days_30d"))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("severe_weather_days_30d"),
        (col("recent") - col("usual")).alias("temperature_anomaly_30d"),
    ]))
}

/// The 30 days before D's date in each earlier year back to the first day
/// the source covers (29 February falls back to 28 February).
fn same_window_in_earlier_years(weather: &DataFrame, cutoff: Cutoff) -> PolarsResult<Expr> {
    let first_day = weather.column("day")?.cast(&DataType::Int32)?.i32()?.min();
    let day = col("day").cast(DataType::Int32);
    let mut any = lit(false);
    let Some(first_day) = first_day else {
        return Ok(any);
    };

    for years in 1.. {
        let Some(date) = cutoff.date.checked_sub_months(Months::new(12 * years)) else {
            break;
        };
        let end = days_since_epoch(date);
        if end <= first_day {
            break;
        }
        let window = day
            .clone()
            .gt_eq(lit(end - WINDOW_DAYS))
            .and(day.clone().lt(lit(end)));
        any = any.or(window);
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    const YEAR: i32 = 365;

    #[test]
    fn weather_counts_severe_days_and_compares_with_earlier_years() {
        // D is 2024-03-01; a year earlier is 2023-03-01, 366 days before.
        let weather = df!(
            "day" => [
                day_before(1), day_before(2), day_before(2), day_before(0),
                day_before(YEAR + 2), day_before(YEAR + 1 + 40), day_before(2 * YEAR + 1 + 5),
                day_before(3),
            ],
            "region" => ["North", "North", "North", "North", "North", "North", "North",
                         "South"],
            "temperature" => [
                Some(10.0), Some(6.0), None, Some(99.0), Some(2.0), Some(50.0), Some(5.0),
                Some(1.0),
            ],
            "precipitation" => [None::<f64>; 8],
            "severe" => [Some("storm"), Some("no"), Some("hail"), Some("storm"), Some("yes"),
                         None, None, None],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::Weather, weather)]);

        assert_eq!(
            values(&frame, "severe_weather_days_30d"),
            [Some(2.0), Some(2.0), Some(0.0), None],
            "North: days 1 and 2 (two rows, one day), not D; d has no region"
        );
        assert_close(
            value(&frame, "temperature_anomaly_30d", "a"),
            Some(8.0 - 3.5),
            "mean of 10 and 6 against 2 (2023) and 5 (2022); 50 is outside the window",
        );
        assert_eq!(
            value(&frame, "temperature_anomaly_30d", "c"),
            None,
            "South has no earlier year"
        );
    }

    #[test]
    fn weather_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
