//! Deal features: wins, losses, win rate, pipeline and sales cycle, from
//! deals restated as they stood at the cut (see [`crate::snapshot`]).

use polars::prelude::*;

use super::{count, days_since, join_or_null, ratio, Inputs};
use crate::snapshot::{self, MS_PER_DAY};

/// The group's columns; `won_any_365d` and `owner_agent` are helpers for
/// the customer flag and signal owners, not model inputs.
const COLUMNS: &[&str] = &[
    "won_count_365d",
    "won_amount_365d",
    "lost_count_365d",
    "win_rate_365d",
    "days_since_last_win",
    "open_pipeline_amount",
    "open_deal_count",
    "median_sales_cycle_days",
    "won_any_365d",
    "owner_agent",
];

const ZEROS: &[&str] = &[
    "won_count_365d",
    "won_amount_365d",
    "lost_count_365d",
    "open_pipeline_amount",
    "open_deal_count",
];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = per_account(inputs);
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(inputs: &Inputs) -> Option<LazyFrame> {
    let cutoff = inputs.cutoff;
    let deals = snapshot::opportunities(inputs.ingested, cutoff)?;
    let year_ago = cutoff.days_before(365);
    let recent = col("closed_at_ms").gt_eq(lit(year_ago));
    let won = col("stage_at").eq(lit("won"));
    let lost = col("stage_at").eq(lit("lost"));
    let open = col("stage_at").eq(lit("open"));

    let won_recent = won.clone().and(recent.clone());
    let lost_recent = lost.and(recent);
    let cycle =
        (col("closed_at_ms") - col("created_ms")).cast(DataType::Float64) / lit(MS_PER_DAY as f64);

    let features = deals.group_by([col("account_id")]).agg([
        count(won_recent.clone()).alias("won_count_365d"),
        col("amount_base")
            .filter(won_recent)
            .sum()
            .alias("won_amount_365d"),
        count(lost_recent).alias("lost_count_365d"),
        col("closed_at_ms")
            .filter(won.clone())
            .max()
            .alias("last_win_ms"),
        col("amount_base")
            .filter(open.clone())
            .sum()
            .alias("open_pipeline_amount"),
        count(open).alias("open_deal_count"),
        cycle.filter(won).median().alias("median_sales_cycle_days"),
        col("owner")
            .sort_by([col("created_ms")], SortMultipleOptions::default())
            .last()
            .alias("owner_agent"),
    ]);

    Some(
        features.with_columns([
            ratio(
                col("won_count_365d"),
                col("won_count_365d") + col("lost_count_365d"),
            )
            .alias("win_rate_365d"),
            days_since(col("last_win_ms"), cutoff).alias("days_since_last_win"),
            col("won_count_365d").gt(lit(0.0)).alias("won_any_365d"),
        ]),
    )
}
