//! Training labels: what happened to each account in the horizon after a
//! cut-off. Only training reads this; features never look past their cut.

use polars::prelude::*;

use crate::contract::SourceKind;
use crate::ingest::Ingested;
use crate::snapshot::{Cutoff, MS_PER_DAY};

/// What happened in the horizon after a cut-off: the training labels.
pub fn outcomes(ingested: &Ingested, cutoff: Cutoff, horizon_days: i64) -> PolarsResult<DataFrame> {
    let start = cutoff.millis;
    let end = cutoff.millis + horizon_days * MS_PER_DAY;
    let within = |c: &str| col(c).gt_eq(lit(start)).and(col(c).lt(lit(end)));

    let mut parts = Vec::new();
    if let Some(deals) = ingested.frame(SourceKind::Opportunities) {
        parts.push(
            deals
                .clone()
                .lazy()
                .filter(col("stage").eq(lit("won")).and(within("closed_ms")))
                .select([
                    col("account_id"),
                    lit(true).alias("won"),
                    lit(true).alias("active"),
                ]),
        );
    }
    if let Some(orders) = ingested.frame(SourceKind::Orders) {
        let has_deals = !parts.is_empty();
        parts.push(
            orders
                .clone()
                .lazy()
                .filter(col("is_return").not().and(within("ts_ms")))
                .select([
                    col("account_id"),
                    lit(!has_deals).alias("won"),
                    lit(true).alias("active"),
                ]),
        );
    }
    if parts.is_empty() {
        return DataFrame::new_infer_height(vec![
            Series::new_empty("account_id".into(), &DataType::String).into(),
            Series::new_empty("won".into(), &DataType::Boolean).into(),
            Series::new_empty("active".into(), &DataType::Boolean).into(),
        ]);
    }

    concat(parts, UnionArgs::default())?
        .group_by([col("account_id")])
        .agg([col("won").any(true), col("active").any(true)])
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()
}
