//! Deal features: wins, losses, win rate, pipeline and sales cycle, from
//! deals restated as they stood at the cut (see [`crate::snapshot`]).
//!
//! The value of a deal open at the cut is later knowledge: exports keep
//! only a deal's final amount, and a deal lost after the cut is often
//! written down to 0. So the open pipeline is valued at the account's
//! typical won deal before the cut (or the whole book's, for an account
//! that never won one), the same way at every cut and tonight.

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

    let book_typical = col("amount_base")
        .filter(won.clone())
        .median()
        .alias("book_typical_win");
    let features = deals
        .with_column(book_typical)
        .group_by([col("account_id")])
        .agg([
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
                .filter(won.clone())
                .median()
                .alias("typical_win"),
            col("book_typical_win").first(),
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
            open_pipeline().alias("open_pipeline_amount"),
            col("won_count_365d").gt(lit(0.0)).alias("won_any_365d"),
        ]),
    )
}

/// Open deals at the account's typical won value; without any win before
/// the cut in the whole book there is no value to go by, and the pipeline
/// reads 0 like an account without open deals.
fn open_pipeline() -> Expr {
    let typical = col("typical_win").fill_null(col("book_typical_win"));
    when(col("open_deal_count").gt(lit(0.0)))
        .then(col("open_deal_count") * typical)
        .otherwise(lit(0.0))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::contract::SourceKind;

    /// Account a: won 100 and 300 before D, one deal open at D that later
    /// closes (lost, written down to 0), one still open in the export at
    /// 5000. Account b: one open deal, never won. Account c: no deals.
    fn deals(later_amount: f64, later_stage: &str) -> DataFrame {
        let closed = |days: i64| Some(ms_before(days));
        df!(
            "opportunity_id" => ["1", "2", "3", "4", "5"],
            "account_id" => ["a", "a", "a", "a", "b"],
            "stage" => ["won", "won", later_stage, "open", "open"],
            "amount_base" => [100.0, 300.0, later_amount, 5000.0, 7000.0],
            "created_ms" => [
                ms_before(200), ms_before(100), ms_before(30), ms_before(10), ms_before(5),
            ],
            "closed_ms" => [closed(150), closed(60), closed(-20), None, None],
            "owner" => [None::<&str>; 5],
        )
        .unwrap()
    }

    fn pipeline(deals: DataFrame) -> [Option<f64>; 4] {
        let frame = features(vec![(SourceKind::Opportunities, deals)]);
        values(&frame, "open_pipeline_amount")
    }

    #[test]
    fn open_pipeline_is_valued_without_amounts_known_only_after_the_cut() {
        let lost_later = pipeline(deals(0.0, "lost"));
        let won_later = pipeline(deals(9000.0, "won"));

        assert_eq!(
            lost_later,
            [Some(400.0), Some(200.0), Some(0.0), Some(0.0)],
            "a: 2 open deals at its median win of 200; b: 1 at the book's 200"
        );
        assert_eq!(won_later, lost_later, "the later outcome is not read");
    }
}
