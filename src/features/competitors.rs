//! Competitor features of the account's region: how competitors price
//! against us, and how their prices moved over 90 days.
//!
//! Both compare like with like: each product gets its own ratio first and
//! the region's feature is the mean over products, so a shift in which
//! products were priced does not read as a price change.

use polars::prelude::*;

use super::{flag, join_region_or_null, ratio, within_days, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &["competitor_price_gap", "competitor_price_change_90d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let per_region = inputs
        .ingested
        .frame(SourceKind::CompetitorPrices)
        .map(|prices| per_region(prices, inputs.cutoff));
    Ok(join_region_or_null(frame, per_region, COLUMNS))
}

fn per_region(prices: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let own = flag(prices, "is_own").fill_null(lit(false));
    let theirs = own.clone().not();
    let last_30 = within_days("day", cutoff, 30, 0);
    let earlier_30 = within_days("day", cutoff, 120, 90);
    let mean_price = |rows: Expr| {
        col("price_base")
            .cast(DataType::Float64)
            .filter(rows)
            .mean()
    };

    let per_product = prices
        .clone()
        .lazy()
        .filter(within_days("day", cutoff, 120, 0))
        .group_by([col("region"), col("product")])
        .agg([
            mean_price(theirs.clone().and(last_30.clone())).alias("theirs_30d"),
            mean_price(own.and(last_30)).alias("ours_30d"),
            mean_price(theirs.and(earlier_30)).alias("theirs_earlier_30d"),
        ]);

    per_product
        .with_columns([
            (ratio(col("theirs_30d"), col("ours_30d")) - lit(1.0)).alias("gap"),
            (ratio(col("theirs_30d"), col("theirs_earlier_30d")) - lit(1.0)).alias("change"),
        ])
        .group_by([col("region")])
        .agg([
            col("gap").mean().alias("competitor_price_gap"),
            col("change").mean().alias("competitor_price_change_90d"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn competitor_prices_compare_per_product_before_the_cut() {
        let prices = df!(
            "day" => [
                day_before(1), day_before(2), day_before(3), day_before(0),
                day_before(100), day_before(5), day_before(5),
                day_before(1), day_before(1),
            ],
            "competitor" => ["k", "l", "us", "k", "k", "k", "us", "k", "k"],
            "product" => ["x", "x", "x", "x", "x", "y", "y", "z", "z"],
            "region" => ["North", "North", "North", "North", "North", "North", "North",
                         "South", "South"],
            "price_base" => [110.0, 130.0, 100.0, 1.0, 100.0, 45.0, 50.0, 10.0, 12.0],
            "is_own" => [false, false, true, false, false, false, true, false, false],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::CompetitorPrices, prices)]);

        assert_close(
            value(&frame, "competitor_price_gap", "a"),
            Some(0.05),
            "North: mean of x (120 / 100 - 1) and y (45 / 50 - 1); the price at D is unseen",
        );
        assert_close(
            value(&frame, "competitor_price_change_90d", "b"),
            Some(0.2),
            "North: only x was priced 90 days earlier (100 -> 120)",
        );
        assert_eq!(
            values(&frame, "competitor_price_gap")[2..],
            [None, None],
            "South has no own price; d has no region"
        );
        assert_eq!(value(&frame, "competitor_price_change_90d", "c"), None);
    }

    #[test]
    fn competitor_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
