//! Policy features: incentives and restrictions in force at D for the
//! account's region and industry.
//!
//! A policy counts when it was published before D, took effect before D
//! (its publication day when no effective day is given) and has not ended
//! before D. A policy without an industry applies to every industry of its
//! region; an account without an industry gets only those.

use polars::prelude::*;

use super::{count, industry_key, with_nulls, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &["active_incentives", "active_restrictions"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let Some(policies) = inputs.ingested.frame(SourceKind::Policies) else {
        return Ok(with_nulls(frame, COLUMNS));
    };

    let keyed = frame.with_column(
        industry_key(col("industry"))
            .fill_null(lit(""))
            .alias("industry_key"),
    );
    let cells = keyed
        .clone()
        .select([col("region"), col("industry_key")])
        .filter(col("region").is_not_null())
        .unique(None, UniqueKeepStrategy::Any);
    let per_cell = counts(cells, in_force(policies, inputs.cutoff));

    let keys = [col("region"), col("industry_key")];
    let joined = keyed.join(per_cell, keys.clone(), keys, JoinArgs::new(JoinType::Left));
    let zero_where_known = |name: &str| {
        when(col("region").is_not_null())
            .then(col(name).fill_null(lit(0.0)))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias(name)
    };
    Ok(joined
        .with_columns(
            COLUMNS
                .iter()
                .map(|name| zero_where_known(name))
                .collect::<Vec<_>>(),
        )
        .drop(cols(["industry_key"])))
}

/// The policies in force at the cut, with their industry as a join key
/// (null for every industry) and their stance in lower case.
fn in_force(policies: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let d = cutoff.day();
    let published = col("published_day").cast(DataType::Int32);
    let effective = col("effective_day")
        .cast(DataType::Int32)
        .fill_null(published.clone());
    let end = col("end_day").cast(DataType::Int32);
    let not_ended = end.clone().is_null().or(end.gt_eq(lit(d)));

    policies
        .clone()
        .lazy()
        .filter(
            published
                .lt(lit(d))
                .and(effective.lt(lit(d)))
                .and(not_ended),
        )
        .select([
            col("region"),
            industry_key(col("industry")).alias("policy_industry"),
            col("stance")
                .str()
                .to_lowercase()
                .str()
                .strip_chars(lit(NULL))
                .alias("stance"),
        ])
}

/// Incentives and restrictions per region x industry cell that has any.
fn counts(cells: LazyFrame, active: LazyFrame) -> LazyFrame {
    let applies = col("policy_industry")
        .is_null()
        .or(col("policy_industry").eq(col("industry_key")));
    cells
        .inner_join(active, col("region"), col("region"))
        .filter(applies)
        .group_by([col("region"), col("industry_key")])
        .agg([
            count(col("stance").eq(lit("incentive"))).alias("active_incentives"),
            count(col("stance").eq(lit("restriction"))).alias("active_restrictions"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn policies_in_force_at_the_cut_match_region_and_industry() {
        let end = |days: i32| Some(day_before(days));
        let policies = df!(
            "policy_id" => ["1", "2", "3", "4", "5", "6", "7", "8"],
            "published_day" => [
                day_before(50), day_before(50), day_before(0), day_before(50),
                day_before(50), day_before(50), day_before(50), day_before(50),
            ],
            "region" => ["North", "North", "North", "North", "North", "North", "South",
                         "South"],
            "industry" => [None, Some(" RETAIL"), None, Some("Mining"), None, None, None,
                           Some("Retail")],
            "stance" => ["incentive", "incentive", "incentive", "restriction",
                         "Restriction", "incentive", "restriction", "incentive"],
            "title" => [None::<&str>; 8],
            "effective_day" => [
                Some(day_before(40)), None, Some(day_before(-10)), Some(day_before(1)),
                Some(day_before(0)), Some(day_before(40)), Some(day_before(40)),
                Some(day_before(40)),
            ],
            "end_day" => [None, None, None, end(0), None, end(1), end(-100), None],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::Policies, policies)]);

        assert_eq!(
            values(&frame, "active_incentives"),
            [Some(2.0), Some(1.0), Some(0.0), None],
            "a: region-wide 1 and Retail 2; 3 is published at D; 6 ended before D. \
             c has no industry, so South's Retail incentive is not c's; d has no region"
        );
        assert_eq!(
            values(&frame, "active_restrictions"),
            [Some(0.0), Some(1.0), Some(1.0), None],
            "b: Mining 4 ends at D, so it is in force; 5 takes effect at D"
        );
    }

    #[test]
    fn policy_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
