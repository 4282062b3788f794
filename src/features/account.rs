//! Account features (tenure, size band) and the customer flag that decides
//! who gets a health score.

use polars::prelude::*;

use super::{days_since, Inputs};
use crate::contract::SourceKind;

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    Ok(frame.with_columns([
        customer_flag(inputs).alias("is_customer"),
        days_since(col("created_ms"), inputs.cutoff).alias("tenure_days"),
        size_band().alias("size_band"),
    ]))
}

/// A current customer: an order or a won deal in the 365 days before D.
fn customer_flag(inputs: &Inputs) -> Expr {
    let has_orders = inputs.ingested.frame(SourceKind::Orders).is_some();
    let has_deals = inputs.ingested.frame(SourceKind::Opportunities).is_some();
    match (has_orders, has_deals) {
        (true, true) => col("ordered_any_365d").or(col("won_any_365d")),
        (true, false) => col("ordered_any_365d"),
        (false, true) => col("won_any_365d"),
        (false, false) => lit(false),
    }
}

fn size_band() -> Expr {
    let size = col("size");
    when(size.clone().is_null())
        .then(lit(NULL).cast(DataType::Float64))
        .when(size.clone().lt(lit(50.0)))
        .then(lit(1.0))
        .when(size.clone().lt(lit(250.0)))
        .then(lit(2.0))
        .when(size.lt(lit(1000.0)))
        .then(lit(3.0))
        .otherwise(lit(4.0))
}
