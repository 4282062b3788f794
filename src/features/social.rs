//! Social features: interactions with the account in the 30 days before D,
//! their mean sentiment (-1 to 1) and their trend against the 30 before.

use polars::prelude::*;

use super::{count, join_or_null, ratio, within_ms, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &[
    "social_interactions_30d",
    "mean_sentiment_30d",
    "social_trend_30d_vs_prior_30d",
];

const ZEROS: &[&str] = &["social_interactions_30d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = inputs
        .ingested
        .frame(SourceKind::Social)
        .map(|social| per_account(social, inputs.cutoff));
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(social: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let last_30 = within_ms("ts_ms", cutoff, 30, 0);
    let prior_30 = within_ms("ts_ms", cutoff, 60, 30);

    social
        .clone()
        .lazy()
        .filter(within_ms("ts_ms", cutoff, 60, 0))
        .group_by([col("account_id")])
        .agg([
            count(last_30.clone()).alias("social_interactions_30d"),
            count(prior_30).alias("prior_30d"),
            col("sentiment")
                .cast(DataType::Float64)
                .filter(last_30)
                .mean()
                .alias("mean_sentiment_30d"),
        ])
        .with_column(
            ratio(col("social_interactions_30d"), col("prior_30d"))
                .alias("social_trend_30d_vs_prior_30d"),
        )
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn social_counts_interactions_and_averages_known_sentiment() {
        let social = df!(
            "account_id" => ["a", "a", "a", "a", "a", "b"],
            "ts_ms" => [
                ms_before(2), ms_before(20), ms_before(25), ms_before(0), ms_before(50),
                ms_before(10),
            ],
            "channel" => [None::<&str>; 6],
            "kind" => [None::<&str>; 6],
            "sentiment" => [Some(0.5), Some(-0.1), None, Some(-1.0), Some(1.0), None],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::Social, social)]);

        assert_eq!(
            values(&frame, "social_interactions_30d"),
            [Some(3.0), Some(1.0), Some(0.0), Some(0.0)],
            "the interaction at D is unseen"
        );
        assert_close(
            value(&frame, "mean_sentiment_30d", "a"),
            Some(0.2),
            "mean of 0.5 and -0.1",
        );
        assert_eq!(
            values(&frame, "mean_sentiment_30d")[1..],
            [None, None, None],
            "b's only interaction has no sentiment"
        );
        assert_eq!(
            values(&frame, "social_trend_30d_vs_prior_30d"),
            [Some(3.0), None, None, None]
        );
    }

    #[test]
    fn social_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
