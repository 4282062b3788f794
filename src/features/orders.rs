//! Order features: recent value and its trend, returns, recency and
//! frequency, from order lines before the cut.

use polars::prelude::*;

use super::{days_since, join_or_null, ratio, Inputs};
use crate::snapshot::{self, MS_PER_DAY};

/// The group's columns; `ordered_any_365d` is a helper for the customer
/// flag, not a model input.
const COLUMNS: &[&str] = &[
    "order_amount_90d",
    "order_amount_90d_vs_prior_90d",
    "return_rate_365d",
    "days_since_last_order",
    "order_days_365d",
    "order_amount_365d",
    "ordered_any_365d",
];

const ZEROS: &[&str] = &["order_amount_90d", "order_days_365d", "order_amount_365d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = per_account(inputs);
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(inputs: &Inputs) -> Option<LazyFrame> {
    let cutoff = inputs.cutoff;
    let orders = snapshot::orders(inputs.ingested, cutoff)?;
    let kept = col("is_return").not();
    let since = |days: i64| col("ts_ms").gt_eq(lit(cutoff.days_before(days)));
    let window_90 = since(90);
    let prior_90 = since(180).and(window_90.clone().not());
    let year = since(365);
    let day = col("ts_ms") / lit(MS_PER_DAY);

    let features = orders.group_by([col("account_id")]).agg([
        col("amount_base")
            .filter(kept.clone().and(window_90))
            .sum()
            .alias("order_amount_90d"),
        col("amount_base")
            .filter(kept.clone().and(prior_90))
            .sum()
            .alias("prior_90d"),
        col("is_return")
            .filter(year.clone())
            .cast(DataType::Float64)
            .mean()
            .alias("return_rate_365d"),
        col("ts_ms")
            .filter(kept.clone())
            .max()
            .alias("last_order_ms"),
        day.filter(kept.clone().and(year.clone()))
            .n_unique()
            .cast(DataType::Float64)
            .alias("order_days_365d"),
        col("amount_base")
            .filter(kept.and(year))
            .sum()
            .alias("order_amount_365d"),
    ]);

    Some(
        features.with_columns([
            ratio(col("order_amount_90d"), col("prior_90d")).alias("order_amount_90d_vs_prior_90d"),
            days_since(col("last_order_ms"), cutoff).alias("days_since_last_order"),
            col("order_days_365d")
                .gt(lit(0.0))
                .alias("ordered_any_365d"),
        ]),
    )
}
