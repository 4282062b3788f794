//! Web features: how much an account's people used the website in the
//! 30 days before D, its trend, and the buying moments (pricing page
//! views, demo requests). An event row's `count` says how many events it
//! stands for; a row without a count is one event.

use polars::prelude::*;

use super::{join_or_null, ratio, within_ms, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &[
    "web_events_30d",
    "web_events_30d_vs_prior_30d",
    "pricing_views_30d",
    "demo_requests_30d",
];

const ZEROS: &[&str] = &["web_events_30d", "pricing_views_30d", "demo_requests_30d"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = inputs
        .ingested
        .frame(SourceKind::WebEvents)
        .map(|events| per_account(events, inputs.cutoff));
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(events: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let events_in = |condition: Expr| {
        col("count")
            .cast(DataType::Float64)
            .fill_null(lit(1.0))
            .filter(condition)
            .sum()
    };
    let last_30 = within_ms("ts_ms", cutoff, 30, 0);
    let prior_30 = within_ms("ts_ms", cutoff, 60, 30);
    let kind = |name: &str| col("kind").eq(lit(name)).fill_null(lit(false));

    events
        .clone()
        .lazy()
        .filter(within_ms("ts_ms", cutoff, 60, 0))
        .group_by([col("account_id")])
        .agg([
            events_in(last_30.clone()).alias("web_events_30d"),
            events_in(prior_30).alias("prior_30d"),
            events_in(last_30.clone().and(kind("pricing_view"))).alias("pricing_views_30d"),
            events_in(last_30.and(kind("demo_request"))).alias("demo_requests_30d"),
        ])
        .with_column(
            ratio(col("web_events_30d"), col("prior_30d")).alias("web_events_30d_vs_prior_30d"),
        )
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn web_events_sum_counts_in_the_window_before_the_cut() {
        let events = df!(
            "account_id" => ["a", "a", "a", "a", "a", "b"],
            "ts_ms" => [
                ms_before(1), ms_before(29), ms_before(45), ms_before(0), ms_before(61),
                ms_before(40),
            ],
            "session" => [None::<&str>; 6],
            "kind" => ["pricing_view", "demo_request", "page_view", "demo_request",
                       "page_view", "page_view"],
            "count" => [Some(3.0), None, Some(2.0), Some(7.0), Some(5.0), Some(4.0)],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::WebEvents, events)]);

        assert_eq!(
            values(&frame, "web_events_30d"),
            [Some(4.0), Some(0.0), Some(0.0), Some(0.0)],
            "3 pricing views and one uncounted demo request; the event at D is unseen"
        );
        assert_eq!(
            values(&frame, "web_events_30d_vs_prior_30d"),
            [Some(2.0), Some(0.0), None, None],
            "a: 4 / 2; b: 0 / 4; c and d had nothing before"
        );
        assert_eq!(
            values(&frame, "pricing_views_30d"),
            [Some(3.0), Some(0.0), Some(0.0), Some(0.0)]
        );
        assert_eq!(
            values(&frame, "demo_requests_30d"),
            [Some(1.0), Some(0.0), Some(0.0), Some(0.0)]
        );
    }

    #[test]
    fn web_features_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
