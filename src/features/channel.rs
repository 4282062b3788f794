//! Channel features of the account's region: how many weeks the partners'
//! stock would last at the recent selling pace, and whether sell-through
//! is speeding up or slowing down.
//!
//! Stock on hand is each partner x product's latest count in the 28 days
//! before D, summed over the region; a partner x product that reported
//! nothing in those 28 days is left out rather than carried forward.

use polars::prelude::*;

use super::{join_region_or_null, ratio, within_days, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &["weeks_of_cover", "sell_through_trend"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let per_region = inputs
        .ingested
        .frame(SourceKind::ChannelInventory)
        .map(|inventory| per_region(inventory, inputs.cutoff));
    Ok(join_region_or_null(frame, per_region, COLUMNS))
}

fn per_region(inventory: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let last_28 = within_days("day", cutoff, 28, 0);
    let sold = |window: Expr| col("sold").cast(DataType::Float64).filter(window).sum();
    let latest_first = SortMultipleOptions::default().with_order_descending_multi([true, true]);

    let per_item = inventory
        .clone()
        .lazy()
        .filter(within_days("day", cutoff, 60, 0))
        .group_by([col("region"), col("partner"), col("product")])
        .agg([
            col("on_hand")
                .cast(DataType::Float64)
                .filter(last_28.clone())
                .sort_by(
                    [
                        col("day").filter(last_28.clone()),
                        col("on_hand").filter(last_28.clone()),
                    ],
                    latest_first,
                )
                .first()
                .alias("on_hand"),
            sold(last_28).alias("sold_28d"),
            sold(within_days("day", cutoff, 30, 0)).alias("sold_30d"),
            sold(within_days("day", cutoff, 60, 30)).alias("sold_prior_30d"),
        ]);

    per_item
        .group_by([col("region")])
        .agg([
            col("on_hand").sum(),
            col("sold_28d").sum(),
            col("sold_30d").sum(),
            col("sold_prior_30d").sum(),
        ])
        .with_columns([
            ratio(col("on_hand"), col("sold_28d") / lit(4.0)).alias("weeks_of_cover"),
            ratio(col("sold_30d"), col("sold_prior_30d")).alias("sell_through_trend"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn channel_reads_the_latest_stock_and_sales_before_the_cut() {
        let inventory = df!(
            "day" => [
                day_before(1), day_before(8), day_before(3), day_before(0),
                day_before(40), day_before(50), day_before(5),
            ],
            "partner" => ["p", "p", "q", "p", "p", "q", "r"],
            "region" => ["North", "North", "North", "North", "North", "North", "South"],
            "product" => ["x", "x", "x", "x", "x", "x", "x"],
            "on_hand" => [100.0, 80.0, 20.0, 999.0, 50.0, 60.0, 30.0],
            "sold" => [10.0, 20.0, 10.0, 500.0, 15.0, 5.0, 0.0],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::ChannelInventory, inventory)]);

        assert_eq!(
            values(&frame, "weeks_of_cover"),
            [Some(12.0), Some(12.0), None, None],
            "North: (100 + 20) on hand / (40 sold / 4 weeks); the row at D is unseen; \
             South sold nothing; d has no region"
        );
        assert_eq!(
            values(&frame, "sell_through_trend"),
            [Some(2.0), Some(2.0), None, None],
            "North: 40 sold in 30 days / 20 in the 30 before"
        );
    }

    #[test]
    fn channel_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
