//! Holiday feature: public holidays coming up in the account's region.
//! Holidays are published in advance, so looking past D is no leak.

use polars::prelude::*;

use super::{join_region_or_null, Inputs};
use crate::contract::SourceKind;

const COLUMNS: &[&str] = &["holidays_next_14d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let per_region = inputs
        .ingested
        .frame(SourceKind::Holidays)
        .map(|holidays| upcoming(holidays, inputs.cutoff.day()));
    Ok(join_region_or_null(frame, per_region, COLUMNS))
}

/// Regions the calendar covers count their holidays (0 when none is
/// coming); regions it does not cover stay null, not 0.
fn upcoming(holidays: &DataFrame, first: i32) -> LazyFrame {
    let day = col("day").cast(DataType::Int32);
    let coming = day
        .clone()
        .gt_eq(lit(first))
        .and(day.clone().lt(lit(first + 14)));
    holidays.clone().lazy().group_by([col("region")]).agg([day
        .filter(coming)
        .n_unique()
        .cast(DataType::Float64)
        .alias("holidays_next_14d")])
}
