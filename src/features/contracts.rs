//! Contract features: renewals coming up and how often the account renewed.
//!
//! Contracts count once their start day is before D. End days are a
//! schedule known in advance, so contracts ending after D may be counted;
//! the `renewed` flag is only known once a contract has ended, so it is
//! read only for contracts whose end day is before D.

use chrono::Months;
use polars::prelude::*;

use super::{count, flag, join_or_null, Inputs};
use crate::contract::SourceKind;
use crate::ingest::parse::days_since_epoch;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &[
    "contracts_ending_90d",
    "renewal_rate_3y",
    "days_to_next_end",
];

const ZEROS: &[&str] = &["contracts_ending_90d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = inputs
        .ingested
        .frame(SourceKind::Contracts)
        .map(|contracts| per_account(contracts, inputs.cutoff));
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(contracts: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let d = cutoff.day();
    let three_years_ago = cutoff
        .date
        .checked_sub_months(Months::new(36))
        .map_or(i32::MIN, days_since_epoch);
    let end = col("end_day").cast(DataType::Int32);
    let started = col("start_day").cast(DataType::Int32).lt(lit(d));
    let still_running = end.clone().gt_eq(lit(d));
    let ending_soon = still_running.clone().and(end.clone().lt(lit(d + 90)));
    let ended_recently = end
        .clone()
        .lt(lit(d))
        .and(end.clone().gt_eq(lit(three_years_ago)));

    // A contract without a renewal flag is left out of the rate rather
    // than read as not renewed: the export did not say.
    let renewed = flag(contracts, "renewed").cast(DataType::Float64);

    contracts
        .clone()
        .lazy()
        .filter(started)
        .group_by([col("account_id")])
        .agg([
            count(ending_soon).alias("contracts_ending_90d"),
            renewed
                .filter(ended_recently)
                .mean()
                .alias("renewal_rate_3y"),
            (end.filter(still_running).min() - lit(d))
                .cast(DataType::Float64)
                .alias("days_to_next_end"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn contracts() -> DataFrame {
        let end = |days: i32| Some(day_before(days));
        df!(
            "contract_id" => ["1", "2", "3", "4", "5", "6", "7"],
            "account_id" => ["a", "a", "a", "a", "a", "b", "b"],
            "product" => [None::<&str>; 7],
            "start_day" => [
                day_before(900), day_before(800), day_before(700),
                day_before(300), day_before(-5), day_before(2000), day_before(200),
            ],
            "end_day" => [end(100), end(10), end(1), end(-30), end(-20), end(1200), None],
            "amount_base" => [None::<f64>; 7],
            "renewed" => [
                Some(true), Some(false), None, Some(true), None, Some(true), Some(true),
            ],
        )
        .unwrap()
    }

    #[test]
    fn contracts_count_ends_ahead_and_renewals_only_of_ended_ones() {
        let frame = features(vec![(SourceKind::Contracts, contracts())]);

        assert_eq!(
            values(&frame, "contracts_ending_90d"),
            [Some(1.0), Some(0.0), Some(0.0), Some(0.0)],
            "a: contract 4 ends in 30 days; 5 starts after D and is unseen"
        );
        assert_eq!(
            values(&frame, "renewal_rate_3y"),
            [Some(0.5), None, None, None],
            "a: 1 renewed, 2 not, 3 unknown; 4's flag is later knowledge; \
             b's contract ended more than 3 years ago"
        );
        assert_eq!(
            values(&frame, "days_to_next_end"),
            [Some(30.0), None, None, None],
            "b's running contract has no end day"
        );
    }

    #[test]
    fn contracts_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
